"""The reader interface: requests in, readings out (kept apart so readers import it, not the registry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

from empathy_gym.personas.schema import Persona
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.state import PersonState


@dataclass(slots=True)
class ReadRequest:
    """One message to read: who hears it, in which state, and (for LLM readers) the chat so far."""

    text: str
    persona: Persona
    state: PersonState
    history: Sequence[dict[str, str]] = ()
    tag: str = ""  # routes a batched result back to its episode; never matched by position
    seed: int | None = None  # an LLM reader samples with this seed (drawn from the episode's seed)


@dataclass(slots=True)
class Reading:
    """A reader's answer: the appraisal, and what an LLM person also said and spent."""

    appraisal: Appraisal
    reply: str | None = None  # None: the rule voice speaks
    score_change: float | None = None  # SAGE mode: the LLM's proposed score change
    usage: dict[str, Any] = field(default_factory=dict)  # LLM accounting for this turn


@runtime_checkable
class Reader(Protocol):
    """What reads an agent's message for the person: `read(requests) -> readings`, in order."""

    name: str

    def read(self, requests: Sequence[ReadRequest]) -> list[Reading]:
        """Read every request; results in request order."""
        ...
