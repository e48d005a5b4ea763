"""One way to build the dialogue env from a plain spec, for the local path and every Ray worker.

A spec is plain data (picklable, JSON-able), so a driver can ship it to workers that build
their own backend (and take their own GPU):

    {"max_turns": 10, "max_reply_chars": 2000, "reader": "semantic",
     "backend": {"kind": "openai", "model": "m", "base_url": "http://..."} | None,
     "llm": {"max_tokens": 400, "temperature": 0.0, "max_retries": 1, "on_failure": "fallback",
             "sage_mode": False}}

The backend is checked (one tiny request) when it is built, so a wrong URL or model fails
before the first episode, naming what failed; `"check_backend": False` skips that.
Any other key (persona, target, render_mode, ...) passes through to the env unchanged.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

_LLM_KEYS = ("max_tokens", "temperature", "top_p", "seed", "max_retries", "on_failure", "sage_mode")


def env_kwargs_from_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`EmpathyDialogueEnv` keyword arguments for a spec (builds the LLM backend, if any, here)."""
    kwargs = {k: v for k, v in spec.items() if k not in ("backend", "llm", "check_backend")}
    backend = spec.get("backend")
    llm = dict(spec.get("llm") or {})
    unknown = sorted(set(llm) - set(_LLM_KEYS))
    if unknown:
        raise ValueError(
            f"env spec: unknown llm setting(s) {unknown}; expected some of {list(_LLM_KEYS)}"
        )
    if backend is None:
        if llm:
            raise ValueError("env spec: llm settings given without a backend (set backend.kind)")
        return kwargs
    from empathy_gym.llm import make_backend
    from empathy_gym.simulator.llm_person import LLMSimulatorConfig, scripted_person_reply

    backend = dict(backend)
    kind = backend.pop("kind", None)
    if kind is None:
        raise ValueError("env spec: backend needs a kind (openai, vllm, transformers or scripted)")
    if kind == "scripted":
        backend = {"script": scripted_person_reply}
    kwargs["backend"] = made = make_backend(kind, **backend)
    if spec.get("check_backend", True):
        made.check()  # a wrong URL or model fails here, named, before any episode
    sampling = {k: llm.pop(k) for k in ("max_tokens", "temperature", "top_p", "seed") if k in llm}
    kwargs["llm_config"] = LLMSimulatorConfig(
        sampling=replace(LLMSimulatorConfig().sampling, **sampling), **llm
    )
    return kwargs
