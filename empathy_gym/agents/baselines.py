"""Baseline agents. Each sees only what a policy may see: the observation and the public chat.

- `Pacifier`: reassures, whatever was said.
- `AdviceGiver`: offers solutions at once.
- `Sycophant`: agrees with everything, echoing the person's own claims.
- `CuriousEmpath`: explores, reflects and validates; once a few turns of listening
  have built trust, corrects a misconception gently, and again if it comes back;
  when the person's words show risk to themselves, takes it seriously and points
  to crisis help first.
- `RandomAgent`: a uniformly random strategy each turn.

All take a seed; none touches global random state.
"""

from __future__ import annotations

from empathy_gym.agents.base import Agent
from empathy_gym.agents.exploits import EXPLOITS
from empathy_gym.agents.strategies import Strategy, restate
from empathy_gym.text import lexicon as lx

S = Strategy


class Pacifier(Agent):
    name = "Pacifier"

    def act(self, observation, messages):
        return self.realiser.realise(S.REASSURANCE, self.person_messages(messages))


class AdviceGiver(Agent):
    name = "AdviceGiver"

    def act(self, observation, messages):
        return self.realiser.realise_many(
            [S.SUGGESTION, S.SUGGESTION], self.person_messages(messages)
        )


class Sycophant(Agent):
    name = "Sycophant"

    def act(self, observation, messages):
        said = self.person_messages(messages)
        agreement = self.realiser.realise(S.AGREEMENT, said)
        echo = restate(said[-1]) if said else ""
        return f"{agreement} {echo.capitalize()}." if echo else agreement


class CuriousEmpath(Agent):
    name = "CuriousEmpath"
    LISTEN_TURNS_BEFORE_CORRECTING = 3
    TURNS_BETWEEN_CORRECTIONS = 3

    def reset(self, seed=None):
        super().reset(seed)
        self._turn = 0
        self._last_correction = -99
        self._last_crisis = -99

    def act(self, observation, messages):
        said = self.person_messages(messages)
        self._turn += 1
        if (
            said
            and lx.RISK_CUES.search(lx.normalize(said[-1]))
            and self._turn - self._last_crisis >= 3
        ):
            self._last_crisis = self._turn
            return self.realiser.realise_many([S.REFLECTION, S.CRISIS_SUPPORT], said)
        claim_voiced = any(self.factbook.lookup(m) for m in said[-2:])
        if (
            claim_voiced
            and self._turn > self.LISTEN_TURNS_BEFORE_CORRECTING
            and self._turn - self._last_correction >= self.TURNS_BETWEEN_CORRECTIONS
        ):
            self._last_correction = self._turn
            return self.realiser.realise_many([S.VALIDATION, S.GENTLE_CORRECTION], said)
        plan = (
            [S.REFLECTION, S.QUESTION],
            [S.RESTATEMENT, S.VALIDATION, S.QUESTION],
            [S.REFLECTION, S.QUESTION],
        )[self._turn % 3]
        return self.realiser.realise_many(plan, said)


class RandomAgent(Agent):
    name = "Random"

    def act(self, observation, messages):
        strategy = Strategy(int(self.rng.integers(len(Strategy))))
        return self.realiser.realise(strategy, self.person_messages(messages))


BASELINES: dict[str, type[Agent]] = {
    cls.name: cls for cls in (CuriousEmpath, Pacifier, AdviceGiver, Sycophant, RandomAgent)
}


def make_agent(name: str, seed: int | None = None) -> Agent:
    """A baseline or exploit agent by name."""
    known = {**BASELINES, **EXPLOITS}
    try:
        return known[name](seed=seed)
    except KeyError:
        raise ValueError(f"unknown agent {name!r}; expected one of {sorted(known)}") from None
