"""DialogueSpec: one typed description of a dialogue, and the one home of each of its defaults.

Every env takes each field of `DialogueSpec` as a keyword argument of the same name
(`EmpathyDialogue-v0`, `EmpathyDialogueStrategy-v0`, the vector env, both PettingZoo envs)
and validates it here, so a spec builds any of them::

    spec = DialogueSpec(persona="starter", max_turns=6, dynamics={"trust_gain": 0.1})
    env = EmpathyDialogueEnv(**spec.env_kwargs())

The plain-data form (`from_plain`: JSON-able, so a driver can ship it to Ray workers that
build their own backend) has the same keys; `backend` is then
`{"kind": "openai" | "vllm" | "transformers" | "scripted", ...}` and `llm_config` flat
settings such as `{"temperature": 0.0, "on_failure": "fallback"}`. The CLI, the Ray pool,
`train`, `redteam` and the OpenEnv server all build from it (see `envs/build.py`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from empathy_gym.llm.base import Backend
from empathy_gym.simulator.llm_person import LLMSimulatorConfig
from empathy_gym.simulator.params import DynamicsParams
from empathy_gym.simulator.readers import Reader, person_reader, reader_names

# Agent messages in an episode: design.md's starting point (SAGE's 10-turn sessions).
DEFAULT_MAX_TURNS = 10
# The longest reply `step` takes: room for a long, careful message (a judgement).
DEFAULT_MAX_REPLY_CHARS = 4000
# What reaching `max_turns` means: Gymnasium's time-limit convention (design.md, "Episode end").
TURN_LIMITS = ("truncate", "terminate")
DEFAULT_TURN_LIMIT = "truncate"


def _positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


@dataclass(frozen=True)
class DialogueSpec:
    """Everything that decides a dialogue, typed and validated on construction.

    - `persona`: an id, a path, a `Persona`, a list of those, or a set spec (`"starter"`,
      `"split:test"`, `"tag:..."`); None: the whole library.
    - `target`: the reward target (a preset name, a weights mapping, a `RewardTarget`);
      None: `genuine`.
    - `max_turns`, `turn_limit` ("truncate" or "terminate"), `max_reply_chars`.
    - `reader`: how the person reads the agent (a name from `reader_names()` or a `Reader`);
      None: the default reader. With a `backend` it guards the LLM person.
    - `dynamics`: a `DynamicsParams` or flat overrides such as `{"trust_gain": 0.1}`.
    - `backend`: None (the rule voice), a `Backend`, or plain data `{"kind": ..., ...}`.
    - `llm_config`: an `LLMSimulatorConfig` or flat settings; only with a backend.
    """

    persona: Any = None
    target: Any = None
    max_turns: int = DEFAULT_MAX_TURNS
    turn_limit: str = DEFAULT_TURN_LIMIT
    max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS
    reader: str | Reader | None = None
    dynamics: DynamicsParams | Mapping[str, Any] | None = None
    backend: Backend | Mapping[str, Any] | None = None
    llm_config: LLMSimulatorConfig | Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        _positive_int("max_turns", self.max_turns)
        _positive_int("max_reply_chars", self.max_reply_chars)
        if self.turn_limit not in TURN_LIMITS:
            raise ValueError(
                f"turn_limit must be 'truncate' or 'terminate', got {self.turn_limit!r}"
            )
        if isinstance(self.reader, str) and self.reader not in reader_names():
            raise ValueError(f"unknown reader {self.reader!r}; expected one of {reader_names()}")
        if self.reader is not None and not isinstance(self.reader, (str, Reader)):
            raise TypeError(
                f"reader must be a name or a Reader (with .name and .read), got "
                f"{type(self.reader).__name__}"
            )
        DynamicsParams.coerce(self.dynamics)  # an unknown name: KeyError naming it
        if self.backend is not None and not isinstance(self.backend, (Backend, Mapping)):
            raise TypeError(
                f"backend must be a Backend, a mapping with a kind or None, got "
                f"{type(self.backend).__name__}"
            )
        if isinstance(self.backend, Mapping) and "kind" not in self.backend:
            raise ValueError("backend needs a kind (openai, vllm, transformers or scripted)")
        LLMSimulatorConfig.coerce(self.llm_config)

    @classmethod
    def field_names(cls) -> list[str]:
        """The spec's fields, in order: every env takes each as a keyword argument."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_plain(cls, data: Mapping[str, Any], source: str = "env spec") -> "DialogueSpec":
        """A spec from plain data with the field names as keys; an unknown key is an error."""
        if not isinstance(data, Mapping):
            raise TypeError(f"{source}: expected a mapping, got {type(data).__name__}")
        unknown = sorted(set(data) - set(cls.field_names()))
        if unknown:
            raise ValueError(
                f"{source}: unknown key(s) {unknown}; expected some of {cls.field_names()}"
            )
        if data.get("llm_config") and data.get("backend") is None:
            raise ValueError(f"{source}: llm_config given without a backend (set backend.kind)")
        return cls(**data)

    def replace(self, **changes: Any) -> "DialogueSpec":
        """This spec with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def env_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for any env: one per field."""
        return {name: getattr(self, name) for name in self.field_names()}

    def dynamics_params(self) -> DynamicsParams:
        """The person's dynamics: the defaults with this spec's overrides."""
        return DynamicsParams.coerce(self.dynamics)

    def llm_settings(self) -> LLMSimulatorConfig:
        """The LLM person's config (the defaults when none was given)."""
        return LLMSimulatorConfig.coerce(self.llm_config)

    def person_reader(self) -> Reader:
        """The person's reader, through the one door (`simulator.readers.person_reader`)."""
        return person_reader(self.reader, self.backend, self.llm_config)
