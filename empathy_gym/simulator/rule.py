"""The rule-based simulated person: appraise -> update -> speak, no model, no network."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from empathy_gym.personas.schema import Persona
from empathy_gym.simulator import lexicon as lx
from empathy_gym.simulator import voice
from empathy_gym.simulator.appraisal import Appraisal, appraise, read_text
from empathy_gym.simulator.dynamics import TurnEvents, apply_score_change, score_step, update
from empathy_gym.simulator.state import PersonState, StateSnapshot


@dataclass(slots=True)
class TurnResult:
    """One turn of the person: their reply, how they read the agent, and what changed."""

    message: str
    appraisal: Appraisal
    events: TurnEvents
    before: StateSnapshot
    score_change: float


def _remember_person(state: PersonState, message: str) -> None:
    state.last_person_stems = lx.text_stems(message)


def _remember_agent(state: PersonState, text: str) -> None:
    stems = read_text(text).stems
    if stems:
        state.agent_stem_sets.append(stems)


class RuleSimulator:
    """A simulated person driven by the rule appraiser, the dynamics and the rule voice.

    The random generator only chooses among voice lines; the hidden state moves
    deterministically, so two backends that appraise a message the same way produce
    the same state and rewards.
    """

    def __init__(self, persona: Persona, rng: np.random.Generator):
        self.persona = persona
        self.rng = rng
        self.state = PersonState.initial(persona)

    def open(self) -> str:
        message = voice.opening(self.persona, self.state, self.rng)
        _remember_person(self.state, message)
        return message

    def appraise(self, text: str) -> Appraisal:
        return appraise(text, self.persona, self.state)

    def respond(
        self,
        text: str,
        appraisal: Appraisal | None = None,
        message: str | None = None,
        proposed_score_change: float | None = None,
    ) -> TurnResult:
        """Take the agent's message and reply.

        An LLM simulator passes its own `appraisal` and `message`; the dynamics still move
        the state here, in code. `proposed_score_change` (SAGE mode) replaces the score rule,
        clamped to +-10 and to nothing while the message is manipulation.
        """
        state = self.state
        appraisal = appraisal if appraisal is not None else appraise(text, self.persona, state)
        before = state.snapshot()
        state.turn += 1
        events = update(state, appraisal, self.persona)
        if proposed_score_change is None:
            change = score_step(before, state)
        else:
            change = apply_score_change(state, proposed_score_change * (1.0 - appraisal.manipulation))
        _remember_agent(state, text)
        if message is None or events.left:
            message = voice.speak(self.persona, state, appraisal, events, self.rng)
        _remember_person(state, message)
        return TurnResult(message, appraisal, events, before, change)
