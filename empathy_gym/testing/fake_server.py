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

# Faults answered with an HTTP error instead of a completion: fault -> (status, body, headers).
_ERROR_FAULTS: dict[str, tuple[int, bytes, dict[str, str]]] = {
    "500": (500, b'{"error": {"message": "server exploded"}}', {}),
    "503": (503, b'{"error": {"message": "server exploded"}}', {}),
    "429": (429, b'{"error": {"message": "slow down"}}', {"Retry-After": "0"}),
    "401": (401, b'{"error": {"message": "invalid api key"}}', {}),
    "404": (404, b'{"error": {"message": "model not found"}}', {}),
}
_REJECTED_FORMAT = b'{"error": {"message": "response_format json_schema is not supported"}}'
# What a "wrong_schema" fault answers: valid JSON of the wrong shape.
_WRONG_SCHEMA_CONTENT = json.dumps({"mood": "fine", "score": 100})


class FakeOpenAIServer:
    """A loopback OpenAI-compatible chat server: answers by `responder`, misbehaves by `faults`.

    `requests` holds every payload received; `max_in_flight` the most requests it was ever
    answering at once. Use it as a context manager (serves on a daemon thread).
    """

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
        """The base URL clients use, ending in /v1."""
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

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """A request handler class bound to this server."""
        return type("Handler", (_Handler,), {"fake": self})


class _Handler(BaseHTTPRequestHandler):
    """Answers /chat/completions for `fake`, the FakeOpenAIServer it is bound to."""

    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    # Headers and body go out in two writes: no 40 ms delayed-ACK stall.
    disable_nagle_algorithm = True

    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
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
        """Record the payload, take the next fault and answer (counting requests in flight)."""
        fake = self.fake
        length = int(self.headers.get("Content-Length", 0))
        payload = json.loads(self.rfile.read(length) or b"{}")
        with fake._lock:
            fake.requests.append(payload)
        if not self.path.endswith("/chat/completions"):
            return self._send(404, b'{"error": {"message": "no such endpoint"}}')
        fault = fake._next_fault()
        with fake._lock:
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            return self._answer(payload, fault)
        finally:
            with fake._lock:
                fake.in_flight -= 1

    def _answer(self, payload: dict[str, Any], fault: str | None) -> None:
        if self.fake.latency_s:
            time.sleep(self.fake.latency_s)
        if fault in _ERROR_FAULTS:
            return self._send(*_ERROR_FAULTS[fault])
        if fault == "reject_format" and "response_format" in payload:
            return self._send(400, _REJECTED_FORMAT)
        if fault == "timeout":
            time.sleep(self.fake.timeout_s)
        if fault == "malformed":
            return self._send(200, b'{"choices": [ this is not json')
        content = self.fake.responder(payload)
        finish = "stop"
        if fault == "truncated":
            content, finish = content[: max(1, len(content) // 2)], "length"
        elif fault == "wrong_schema":
            content = _WRONG_SCHEMA_CONTENT
        return self._send(200, json.dumps(_completion(payload, content, finish)).encode())


def _completion(payload: dict[str, Any], content: str, finish: str) -> dict[str, Any]:
    """An OpenAI chat.completion body carrying `content`, with word counts as token usage."""
    return {
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
