"""A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted answers and injectable faults.

For tests, benchmarks and examples that must run without a GPU, network or API key:

    with FakeOpenAIServer(responder=lambda payload: "hello") as server:
        backend = OpenAICompatibleBackend(base_url=server.url, model="fake")
        server.faults.extend(["500", "429", "timeout"])   # the next three requests misbehave

Faults (consumed one per request, in order): "500", "503", "429" (with Retry-After: 0),
"timeout" (answers after `timeout_s`), "malformed" (a 200 whose body is not JSON),
"truncated" (content cut in half, finish_reason "length"), "wrong_schema" (content is
valid JSON of the wrong shape), "401", "404", "reject_format" (400 if response_format is sent).
"""

from __future__ import annotations

import collections
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


class FakeOpenAIServer:
    def __init__(
        self,
        responder: Callable[[dict[str, Any]], str] | None = None,
        latency_s: float = 0.0,
        timeout_s: float = 2.0,
    ):
        self.responder = responder or (lambda payload: "ok")
        self.latency_s = latency_s
        self.timeout_s = timeout_s
        self.faults: collections.deque[str] = collections.deque()
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests it was ever answering at once
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "FakeOpenAIServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_fault(self) -> str | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
            disable_nagle_algorithm = (
                True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
            )

            def log_message(self, *args):  # keep test output clean
                pass

            def _send(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(payload)
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, b'{"error": {"message": "no such endpoint"}}')
                fault = server._next_fault()
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    return self._answer(payload, fault)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, payload: dict[str, Any], fault: str | None) -> None:
                if server.latency_s:
                    time.sleep(server.latency_s)
                if fault in ("500", "503"):
                    return self._send(int(fault), b'{"error": {"message": "server exploded"}}')
                if fault == "429":
                    return self._send(
                        429, b'{"error": {"message": "slow down"}}', {"Retry-After": "0"}
                    )
                if fault == "401":
                    return self._send(401, b'{"error": {"message": "invalid api key"}}')
                if fault == "404":
                    return self._send(404, b'{"error": {"message": "model not found"}}')
                if fault == "reject_format" and "response_format" in payload:
                    return self._send(
                        400,
                        b'{"error": {"message": "response_format json_schema is not supported"}}',
                    )
                if fault == "timeout":
                    time.sleep(server.timeout_s)
                if fault == "malformed":
                    return self._send(200, b'{"choices": [ this is not json')
                content = server.responder(payload)
                finish = "stop"
                if fault == "truncated":
                    content, finish = content[: max(1, len(content) // 2)], "length"
                elif fault == "wrong_schema":
                    content = json.dumps({"mood": "fine", "score": 100})
                body = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "model": payload.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": finish,
                        }
                    ],
                    "usage": {
                        "prompt_tokens": sum(
                            len(m.get("content", "").split()) for m in payload.get("messages", [])
                        ),
                        "completion_tokens": len(content.split()),
                    },
                }
                return self._send(200, json.dumps(body).encode())

        return Handler


def serve_in_subprocess(latency_s: float = 0.0, responder: str = "person"):
    """Start the server in its own process (no GIL shared with the caller); returns (process, url)."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "empathy_gym.testing.fake_server",
            "--latency",
            str(latency_s),
            "--responder",
            responder,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise RuntimeError(f"fake server did not start (printed {url!r})")
    return process, url


def _main() -> None:
    import argparse

    parser = argparse.ArgumentParser(
        description="A loopback OpenAI-compatible server with scripted answers."
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--responder", choices=["echo", "person"], default="person")
    args = parser.parse_args()
    if args.responder == "person":
        from empathy_gym.llm.base import ChatRequest
        from empathy_gym.simulator.llm_person import scripted_person_reply

        def responder(payload):
            return scripted_person_reply(ChatRequest.of(payload["messages"]))
    else:

        def responder(payload):
            return payload["messages"][-1]["content"]

    server = FakeOpenAIServer(responder=responder, latency_s=args.latency)
    print(server.url, flush=True)
    server._server.serve_forever()


if __name__ == "__main__":
    _main()
