"""A deterministic backend for tests and examples: a function (or a list) decides each reply."""

from __future__ import annotations

import time
from typing import Callable, Sequence

from empathy_gym.llm.base import Backend, ChatRequest, ChatResult, Usage


class ScriptedBackend(Backend):
    """Replies with `script(request)`; or cycles through a list of strings.

    `latency_s` sleeps once per *call* (not per request), which is how a batched server
    behaves: it lets benchmarks show what batching buys.
    """

    name = "scripted"

    def __init__(
        self, script: Callable[[ChatRequest], str] | Sequence[str], latency_s: float = 0.0
    ):
        super().__init__()
        if callable(script):
            self._script = script
        else:
            replies = list(script)
            if not replies:
                raise ValueError("ScriptedBackend needs at least one reply")
            self._index = 0

            def cycle(_request: ChatRequest) -> str:
                reply = replies[self._index % len(replies)]
                self._index += 1
                return reply

            self._script = cycle
        self.latency_s = latency_s

    def check(self) -> None:
        """Nothing to reach; and a check must not consume a scripted reply."""

    def _generate(self, requests: list[ChatRequest]) -> list[ChatResult]:
        if self.latency_s:
            time.sleep(self.latency_s)
        results = []
        for request in requests:
            text = self._script(request)
            prompt_tokens = sum(len(m["content"].split()) for m in request.messages)
            results.append(
                ChatResult(
                    text, Usage(prompt_tokens, len(text.split())), self.latency_s, tag=request.tag
                )
            )
        return results
