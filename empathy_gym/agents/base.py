"""The agent interface: a policy over text that sees only the observation and the public chat."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Mapping, Sequence

import numpy as np

from empathy_gym.agents.strategies import FactBook, Realiser, default_factbook


class Agent(ABC):
    """A policy over text: `act(observation, messages) -> reply`."""

    name = "agent"

    def __init__(self, seed: int | None = None, factbook: FactBook | None = None):
        self.factbook = factbook or default_factbook()
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode: reseed the agent's generator and give it a fresh realiser."""
        self.rng = np.random.default_rng(seed)
        self.realiser = Realiser(self.rng, self.factbook)

    @staticmethod
    def person_messages(messages: Sequence[Mapping[str, str]]) -> list[str]:
        """Return what the person said so far (the "user" messages), oldest first."""
        return [m["content"] for m in messages if m["role"] == "user"]

    @abstractmethod
    def act(self, observation: Mapping[str, str], messages: Sequence[Mapping[str, str]]) -> str:
        """The agent's next reply."""
