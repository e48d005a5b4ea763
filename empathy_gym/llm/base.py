"""One batched interface to every LLM: a batch of chat requests in, a batch of results out.

Backends know nothing of empathy: they turn chats into text and count what it cost.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Sequence


class BackendError(RuntimeError):
    """A backend call that cannot succeed (bad model name, bad key, retries exhausted)."""


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """How to sample a completion: token limit, temperature, nucleus, seed and stop strings."""

    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat to complete. `json_schema` asks for structured output where the backend supports it."""

    messages: tuple[dict[str, str], ...]
    params: SamplingParams = SamplingParams()
    json_schema: dict[str, Any] | None = None
    schema_name: str = "response"
    tag: str = ""  # caller's key for routing the result (e.g. an episode id); backends ignore it

    @classmethod
    def of(cls, messages: Sequence[dict[str, str]], **kwargs: Any) -> "ChatRequest":
        """Build a request from chat messages (copied), with the other fields as keywords."""
        return cls(tuple(dict(m) for m in messages), **kwargs)


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a request spent; instances add up."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


@dataclass(frozen=True, slots=True)
class ChatResult:
    """The text (empty on error), what it cost, and what went wrong if anything did."""

    text: str
    usage: Usage = Usage()
    latency_s: float = 0.0
    finish_reason: str = "stop"
    error: str | None = None
    attempts: int = 1
    tag: str = ""

    @property
    def ok(self) -> bool:
        """Whether the request succeeded (no error)."""
        return self.error is None


@dataclass(slots=True)
class UsageMeter:
    """Sums calls, tokens and latency; the env keeps one per episode."""

    calls: int = 0
    requests: int = 0
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    errors: int = 0

    def add(self, results: Sequence[ChatResult], wall_s: float) -> None:
        """Count one `generate` call: its requests, tokens, errors and wall time."""
        self.calls += 1
        self.requests += len(results)
        self.latency_s += wall_s
        for result in results:
            self.usage = self.usage + result.usage
            self.errors += result.error is not None

    def to_dict(self) -> dict[str, float]:
        """Return the counts as a plain dict."""
        return {
            "calls": self.calls,
            "requests": self.requests,
            "prompt_tokens": self.usage.prompt_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "latency_s": round(self.latency_s, 6),
            "errors": self.errors,
        }


class Backend(ABC):
    """`generate(requests) -> results`, same length and order. Never raises for one bad
    request: its result carries `error`. Raises `BackendError` only for failures that
    no retry can fix (bad model name, bad key)."""

    name = "backend"

    def __init__(self) -> None:
        self.meter = UsageMeter()

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        """Complete every request; results in request order, with usage and latency recorded in the
        meter.
        """
        if not requests:
            return []
        start = time.perf_counter()
        results = self._generate(list(requests))
        if len(results) != len(requests):  # pragma: no cover - a backend bug
            raise BackendError(
                f"{self.name}: returned {len(results)} results for {len(requests)} requests"
            )
        results = [r if r.tag == q.tag else _retag(r, q.tag) for r, q in zip(results, requests)]
        self.meter.add(results, time.perf_counter() - start)
        return results

    @abstractmethod
    def _generate(self, requests: list[ChatRequest]) -> list[ChatResult]:
        """Complete every request, in order."""

    def check(self) -> None:
        """Raise `BackendError` naming what is wrong if this backend cannot answer (before a run starts).

        The default sends one tiny request; a result with an error fails the check.
        """
        [result] = self.generate(
            [
                ChatRequest.of(
                    [{"role": "user", "content": "Say ok."}],
                    params=SamplingParams(max_tokens=4, temperature=0.0, seed=0),
                )
            ]
        )
        if result.error:
            raise BackendError(f"{self.describe()}: the check request failed: {result.error}")

    def describe(self) -> str:
        """Where this backend is, for error messages."""
        return self.name

    # A deliberate no-op default, not a forgotten @abstractmethod: backends holding nothing need
    # not override it.
    def close(self) -> None:  # noqa: B027
        """Release connections or engines."""


def _retag(result: ChatResult, tag: str) -> ChatResult:
    return ChatResult(
        result.text,
        result.usage,
        result.latency_s,
        result.finish_reason,
        result.error,
        result.attempts,
        tag,
    )
