"""The simulated person: read -> update -> speak. The reader is pluggable; the dynamics are code.

`Simulator(persona, rng, reader=..., dynamics=...)` is one person. `take_turns(...)` is the one batched
turn interface every env uses: it groups the turns of many people by reader, reads all
their messages in one call per reader, and routes each reading back by position in the
request list that it built itself (LLM readers route by tag), so dialogues that end at
different times never receive each other's replies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from empathy_gym.personas.schema import Persona
from empathy_gym.simulator import voice
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.dynamics import TurnEvents, apply_score_change, score_step, update
from empathy_gym.simulator.params import DynamicsParams
from empathy_gym.simulator.readers import Reader, Reading, ReadRequest, get_reader
from empathy_gym.simulator.readers.rule import read_text
from empathy_gym.simulator.state import PersonState, StateSnapshot
from empathy_gym.text import lexicon as lx


@dataclass(slots=True)
class TurnResult:
    """One turn of the person: their reply, how they read the agent, and what changed."""

    message: str
    appraisal: Appraisal
    events: TurnEvents
    before: StateSnapshot
    score_change: float
    usage: dict | None = None  # LLM accounting for this turn, when an LLM read it


class Simulator:
    """A simulated person: a reader, the dynamics and the rule voice (or an LLM's words).

    The random generator only chooses among voice lines; the hidden state moves
    deterministically, so two readers that appraise a message the same way produce
    the same state and rewards.
    """

    def __init__(
        self,
        persona: Persona,
        rng: np.random.Generator,
        reader: str | Reader | None = None,
        dynamics: DynamicsParams | Mapping[str, object] | None = None,
    ):
        self.persona = persona
        self.rng = rng
        self.reader = get_reader(reader)
        # The dynamics' coefficients: the defaults, a DynamicsParams, or flat overrides (validated).
        self.dynamics = DynamicsParams.coerce(dynamics)
        self.state = PersonState.initial(persona, self.dynamics)
        self.state.heard_stems = lx.text_stems(persona.card.situation)
        # Seeds for an LLM reader's sampling: a child of the episode's seed, so the voice's stream
        # is untouched and the same seed gives the same LLM turns.
        seed_seq = getattr(rng.bit_generator, "seed_seq", None)
        self._sampling_rng = np.random.default_rng(
            seed_seq.spawn(1)[0] if seed_seq is not None else rng.integers(2**32)
        )

    def open(self) -> str:
        """Return the person's opening message and remember it."""
        message = voice.opening(self.persona, self.state, self.rng)
        self.hear(message)
        return message

    def hear(self, message: str) -> None:
        """Remember what the person (simulated or real, in a replay) just said."""
        stems = lx.text_stems(message)
        self.state.last_person_stems = stems
        self.state.last_person_message = message
        self.state.heard_stems = self.state.heard_stems | stems

    def request(
        self, text: str, history: Sequence[dict[str, str]] = (), tag: str = ""
    ) -> ReadRequest:
        """Return a read request for `text` in the current state, seeded from the episode."""
        return ReadRequest(
            text,
            self.persona,
            self.state,
            history,
            tag,
            seed=int(self._sampling_rng.integers(2**31)),
        )

    def appraise(self, text: str) -> Appraisal:
        """Return how the person's reader appraises `text` now, without changing state."""
        return self.reader.read([self.request(text)])[0].appraisal

    def respond(
        self,
        text: str,
        appraisal: Appraisal | None = None,
        message: str | None = None,
        proposed_score_change: float | None = None,
        speak: bool = True,
    ) -> TurnResult:
        """Take the agent's message and reply.

        An LLM reader passes its own `appraisal` and `message`; the dynamics still move
        the state here, in code. `proposed_score_change` (SAGE mode) replaces the score rule,
        clamped to +-10 and to nothing while the message is manipulation. `speak=False`
        (replays of recorded conversations) moves the state and writes no reply.
        """
        state = self.state
        appraisal = appraisal if appraisal is not None else self.appraise(text)
        before = state.snapshot()
        state.turn += 1
        events = update(state, appraisal, self.persona, self.dynamics)
        if proposed_score_change is None:
            change = score_step(before, state, self.dynamics)
        else:
            change = apply_score_change(
                state, proposed_score_change * (1.0 - appraisal.manipulation), self.dynamics
            )
        # Not a second appraisal: the person's memory of the agent's words, which every reader's
        # code-measured acts (repetition across turns; the LLM person's guards too) compare the
        # next message with. It must be the rule reader's stems, whatever reader is set, so that
        # repetition means the same for every reader; `read_text` is cached, so the rule reader
        # pays nothing twice.
        stems = read_text(text).stems
        if stems:
            state.agent_stem_sets.append(stems)
        if not speak:
            return TurnResult("", appraisal, events, before, change)
        if message is None or events.left:
            message = voice.speak(self.persona, state, appraisal, events, self.rng)
        self.hear(message)
        return TurnResult(message, appraisal, events, before, change)


def take_turns(
    turns: Sequence[tuple[Simulator, str, Sequence[dict[str, str]], str]], speak: bool = True
) -> list[TurnResult]:
    """Step many people at once: (simulator, agent text, chat history, episode tag) each.

    One `read` call per distinct reader for the whole batch; results in input order.
    `speak=False` moves the states and writes no replies (replays of recorded conversations).
    """
    groups: dict[int, list[int]] = {}
    for i, (sim, _text, _history, _tag) in enumerate(turns):
        groups.setdefault(id(sim.reader), []).append(i)
    readings: list[Reading | None] = [None] * len(turns)
    for indices in groups.values():
        reader = turns[indices[0]][0].reader
        requests = [turns[i][0].request(turns[i][1], turns[i][2], turns[i][3]) for i in indices]
        results = reader.read(requests)
        if len(results) != len(requests):
            raise RuntimeError(
                f"reader {reader.name!r} returned {len(results)} readings for {len(requests)} messages"
            )
        for i, reading in zip(indices, results):
            readings[i] = reading
    out = []
    for (sim, text, _history, _tag), reading in zip(turns, readings):
        assert reading is not None
        result = sim.respond(
            text, reading.appraisal, reading.reply, reading.score_change, speak=speak
        )
        result.usage = reading.usage or None
        out.append(result)
    return out
