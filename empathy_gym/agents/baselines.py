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
    """Reassures, whatever was said: the baseline that soothes without listening."""

    name = "Pacifier"

    def act(self, observation, messages):
        """Return a reassurance built from the person's messages."""
        return self.realiser.realise(S.REASSURANCE, self.person_messages(messages))


class AdviceGiver(Agent):
    """Answers every message with two suggestions: the fix-it baseline that skips listening."""

    name = "AdviceGiver"

    def act(self, observation, messages):
        """Return two suggestions built from the person's messages."""
        return self.realiser.realise_many(
            [S.SUGGESTION, S.SUGGESTION], self.person_messages(messages)
        )


class Sycophant(Agent):
    """Agrees with the person and echoes their last message back, false beliefs included."""

    name = "Sycophant"

    def act(self, observation, messages):
        """Return an agreement followed by a restatement of the person's last message."""
        said = self.person_messages(messages)
        agreement = self.realiser.realise(S.AGREEMENT, said)
        echo = restate(said[-1]) if said else ""
        return f"{agreement} {echo.capitalize()}." if echo else agreement


class CuriousEmpath(Agent):
    """Reflects, validates and asks; answers risk cues with crisis support, and corrects a voiced false
    belief gently after listening a few turns.
    """

    name = "CuriousEmpath"
    LISTEN_TURNS_BEFORE_CORRECTING = 3
    TURNS_BETWEEN_CORRECTIONS = 3

    def reset(self, seed=None):
        """Start a new episode: reseed and forget the turn count and when it last corrected or gave
        crisis support.
        """
        super().reset(seed)
        self._turn = 0
        self._last_correction = -99
        self._last_crisis = -99

    def act(self, observation, messages):
        """Return crisis support on a risk cue, a gentle correction when a claim was voiced and enough
        turns have passed, else a reflection or restatement with a question.
        """
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
    """Picks a strategy uniformly at random each turn: the floor every agent should beat."""

    name = "Random"

    def act(self, observation, messages):
        """Return a reply for one strategy drawn from the agent's generator."""
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
