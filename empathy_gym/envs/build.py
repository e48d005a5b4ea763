"""One way to build the dialogue env from a plain spec, for the local path and every Ray worker.

A spec is `DialogueSpec` as plain data (picklable, JSON-able), so a driver can ship it to
workers that build their own backend (and take their own GPU):

    {"max_turns": 10, "turn_limit": "truncate", "max_reply_chars": 2000, "reader": "semantic",
     "dynamics": {"trust_gain": 0.1},
     "backend": {"kind": "openai", "model": "m", "base_url": "http://..."} | None,
     "llm_config": {"max_tokens": 400, "temperature": 0.0, "max_retries": 1,
                    "on_failure": "fallback", "sage_mode": False}}

The backend is built through `llm_person.person_backend` (the one place `scripted` gets its
script) and checked (one tiny request) here, so a wrong URL or model fails before the first
episode, naming what failed; `"check_backend": False` skips that. `render_mode` may be
given too; any other key is an error naming it.
"""

from __future__ import annotations

from typing import Any, Mapping

from empathy_gym.envs.spec import DialogueSpec

# Keys a plain spec may hold besides DialogueSpec's fields.
EXTRA_KEYS = ("check_backend", "render_mode")


def spec_from_plain(spec: Mapping[str, Any]) -> DialogueSpec:
    """The `DialogueSpec` of a plain spec (without `EXTRA_KEYS`), validated."""
    return DialogueSpec.from_plain({k: v for k, v in spec.items() if k not in EXTRA_KEYS})


def env_kwargs_from_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`EmpathyDialogueEnv` keyword arguments for the keys a spec sets (the env's defaults for
    the rest, so a caller may add `persona` or `target`); builds the LLM backend, if any, here."""
    dialogue = spec_from_plain(spec)
    kwargs = {k: v for k, v in spec.items() if k != "check_backend"}
    if dialogue.backend is None:
        return kwargs
    from empathy_gym.simulator.llm_person import person_backend

    kwargs["backend"] = made = person_backend(dialogue.backend)
    if spec.get("check_backend", True):
        made.check()  # a wrong URL or model fails here, named, before any episode
    kwargs["llm_config"] = dialogue.llm_settings()
    return kwargs
