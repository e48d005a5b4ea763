"""OpenAI-compatible HTTP backend (`vllm serve`, llama.cpp server, OpenAI, ...).

Async HTTP with a concurrency limit, per-request timeouts, retries with exponential
backoff on 429, 5xx, timeouts, dropped connections and malformed bodies, and
structured output through `response_format` (JSON schema) where the server accepts it.
Errors that no retry can fix - a bad key (401/403), an unknown model (404) - raise
`BackendError` at once with the server's message.

Configuration: arguments, else `EMPATHY_GYM_BASE_URL` / `OPENAI_BASE_URL`,
`EMPATHY_GYM_MODEL`, `EMPATHY_GYM_API_KEY` / `OPENAI_API_KEY`.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

from empathy_gym.llm.base import Backend, BackendError, ChatRequest, ChatResult, Usage

RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class OpenAICompatibleBackend(Backend):
    """A backend for any OpenAI-compatible chat completions server, with concurrent requests and
    retries.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        concurrency: int = 32,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        structured_output: bool = True,
    ):
        super().__init__()
        try:
            import httpx  # noqa: F401
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ImportError(
                "OpenAICompatibleBackend needs httpx: pip install 'empathy-gym[llm]'"
            ) from error
        self.base_url = (
            base_url
            or os.environ.get("EMPATHY_GYM_BASE_URL")
            or os.environ.get("OPENAI_BASE_URL")
            or ""
        ).rstrip("/")
        if not self.base_url:
            raise ValueError(
                "OpenAICompatibleBackend: no base_url (pass one or set EMPATHY_GYM_BASE_URL)"
            )
        self.model = model or os.environ.get("EMPATHY_GYM_MODEL") or ""
        if not self.model:
            raise ValueError(
                "OpenAICompatibleBackend: no model (pass one or set EMPATHY_GYM_MODEL)"
            )
        self.api_key = (
            api_key
            or os.environ.get("EMPATHY_GYM_API_KEY")
            or os.environ.get("OPENAI_API_KEY")
            or "EMPTY"
        )
        if concurrency < 1 or max_retries < 0 or timeout_s <= 0:
            raise ValueError("concurrency >= 1, max_retries >= 0 and timeout_s > 0 are required")
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.structured_output = structured_output
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client = None

    def describe(self) -> str:
        """Return the server address and model, for error messages."""
        return f"openai backend at {self.base_url} (model {self.model!r})"

    def check(self) -> None:
        """One request without retries: a refused connection or a wrong model fails in seconds, named."""
        retries, self.max_retries = self.max_retries, 0
        try:
            super().check()
        finally:
            self.max_retries = retries

    # --- sync facade: one event loop and one connection pool, reused across calls ----------------

    def _generate(self, requests: list[ChatRequest]) -> list[ChatResult]:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="empathy-gym-http", daemon=True
            )
            self._thread.start()
        # A blocking wait on the loop's future (no polling); works from inside another event loop too.
        return asyncio.run_coroutine_threadsafe(self.agenerate(requests), self._loop).result()

    def close(self, timeout_s: float = 5.0) -> None:
        """Close the connection pool and stop the loop thread (bounded waits: never hangs)."""
        if self._loop is None:
            return
        if self._client is not None and self._thread is not None and self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._client.aclose(), self._loop).result(
                    timeout=timeout_s
                )
            except Exception:  # a dead or stuck loop: the daemon thread goes with the process
                pass
        self._client = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
        if self._thread is None or not self._thread.is_alive():
            self._loop.close()
        self._loop = None

    def __del__(
        self,
    ) -> None:  # pragma: no cover - garbage collection: stop the loop, wait for nothing
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(loop.stop)
            except RuntimeError:
                pass

    def _get_client(self):
        import httpx

        if self._client is None:
            limits = httpx.Limits(
                max_connections=self.concurrency, max_keepalive_connections=self.concurrency
            )
            headers = {"Authorization": f"Bearer {self.api_key}"}
            self._client = httpx.AsyncClient(
                base_url=self.base_url, headers=headers, limits=limits, timeout=self.timeout_s
            )
        return self._client

    async def agenerate(self, requests: list[ChatRequest]) -> list[ChatResult]:
        """Complete every request concurrently (at most `concurrency` at once); results in request
        order.
        """
        client = self._get_client()
        semaphore = asyncio.Semaphore(self.concurrency)

        async def one(request: ChatRequest) -> ChatResult:
            async with semaphore:
                return await self._complete(client, request)

        return list(await asyncio.gather(*(one(r) for r in requests)))

    # --- one request with retries -------------------------------------------------------

    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        p = request.params
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": list(request.messages),
            "max_tokens": p.max_tokens,
            "temperature": p.temperature,
            "top_p": p.top_p,
        }
        if p.seed is not None:
            payload["seed"] = p.seed
        if p.stop:
            payload["stop"] = list(p.stop)
        if request.json_schema is not None and self.structured_output:
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.json_schema},
            }
        return payload

    async def _complete(self, client, request: ChatRequest) -> ChatResult:
        import httpx

        start = time.perf_counter()
        last_error = "no attempt made"
        for attempt in range(1, self.max_retries + 2):
            retry_after: float | None = None
            payload = self._payload(request)
            try:
                response = await client.post("/chat/completions", json=payload)
            except (httpx.TimeoutException, httpx.TransportError) as error:
                last_error = f"{type(error).__name__}: {error or 'timed out'}"
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return self._parse(
                            response.json(), request, attempt, time.perf_counter() - start
                        )
                    except (ValueError, KeyError, IndexError, TypeError) as error:
                        last_error = f"malformed response body ({type(error).__name__}: {error})"
                elif status in RETRY_STATUSES:
                    last_error = f"HTTP {status}: {response.text[:200]}"
                    retry_after = _retry_after(response.headers.get("retry-after"))
                elif (
                    status == 400
                    and "response_format" in payload
                    and _mentions_format(response.text)
                ):
                    # The server does not do structured output: ask without it from now on.
                    self.structured_output = False
                    last_error = f"HTTP 400 (structured output unsupported): {response.text[:200]}"
                    continue
                elif status in (401, 403):
                    raise BackendError(
                        f"{self.base_url}: authentication failed (HTTP {status}); "
                        f"check the API key: {response.text[:200]}"
                    )
                elif status == 404:
                    raise BackendError(
                        f"{self.base_url}: model {self.model!r} or endpoint not found (HTTP 404): {response.text[:200]}"
                    )
                else:
                    raise BackendError(
                        f"{self.base_url}: request rejected (HTTP {status}): {response.text[:300]}"
                    )
            if attempt <= self.max_retries:
                delay = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
                await asyncio.sleep(
                    min(self.max_backoff_s, retry_after) if retry_after is not None else delay
                )
        return ChatResult(
            "",
            latency_s=time.perf_counter() - start,
            finish_reason="error",
            error=last_error,
            attempts=self.max_retries + 1,
            tag=request.tag,
        )

    def _parse(
        self, body: dict[str, Any], request: ChatRequest, attempt: int, latency: float
    ) -> ChatResult:
        choice = body["choices"][0]
        text = choice["message"]["content"] or ""
        if not isinstance(text, str):
            raise TypeError(f"message content is {type(text).__name__}, not a string")
        usage = body.get("usage") or {}
        return ChatResult(
            text=text,
            usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            latency_s=latency,
            finish_reason=choice.get("finish_reason") or "stop",
            attempts=attempt,
            tag=request.tag,
        )


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _mentions_format(text: str) -> bool:
    lowered = text.lower()
    return "response_format" in lowered or "json_schema" in lowered or "structured" in lowered
