"""LLM backends behind one batched interface. Backends know nothing of empathy."""

from empathy_gym.llm.base import (
    Backend,
    BackendError,
    ChatRequest,
    ChatResult,
    SamplingParams,
    Usage,
    UsageMeter,
)
from empathy_gym.llm.scripted import ScriptedBackend


def make_backend(kind: str, **kwargs) -> Backend:
    """`scripted`, `openai`, `transformers` or `vllm`; heavy imports happen only for the one asked for."""
    if kind == "scripted":
        return ScriptedBackend(**kwargs)
    if kind == "openai":
        from empathy_gym.llm.openai_compat import OpenAICompatibleBackend

        return OpenAICompatibleBackend(**kwargs)
    if kind == "transformers":
        from empathy_gym.llm.transformers_backend import TransformersBackend

        return TransformersBackend(**kwargs)
    if kind == "vllm":
        from empathy_gym.llm.vllm_backend import VLLMBackend

        return VLLMBackend(**kwargs)
    raise ValueError(f"unknown backend {kind!r}; expected scripted, openai, transformers or vllm")


__all__ = [
    "Backend",
    "BackendError",
    "ChatRequest",
    "ChatResult",
    "SamplingParams",
    "Usage",
    "UsageMeter",
    "ScriptedBackend",
    "make_backend",
]
