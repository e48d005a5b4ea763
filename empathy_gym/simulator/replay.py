"""Replay a recorded conversation through a simulated person, turn by turn.

A recorded conversation (a real seeker and a real supporter) is played against the
simulator: the seeker's words are what the person said (they update the person's
memory, so reflection and parroting are read against them), and every supporter turn
is read and applied exactly as an agent's message would be (`sim.respond`). The
simulated person's reply is discarded: what they "hear themselves say" next is the real
seeker's next turn. Each supporter turn yields a `ReplayStep` with the appraisal and
how the hidden state moved, so the simulator's reading can be compared with what the
real seeker reported.

Example::

    from empathy_gym import persona_from_situation, replay
    person = persona_from_situation("My partner left me and I feel lost.", emotion_type="sadness")
    steps = replay(person, [
        ("seeker", "I just can't stop crying since she left."),
        ("supporter", "It sounds like you're heartbroken. What has been the hardest part?"),
        ("seeker", "Coming home to an empty flat."),
        ("supporter", "Coming home alone every night sounds so lonely."),
    ])
    [s.index for s in steps]            # [1, 3]: positions of the supporter turns
    steps[0].appraisal.question         # 1.0
    steps[-1].understood_after          # rose from 0.1

`sim_kwargs` are passed to the simulator's constructor (how a caller chooses the reader).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from empathy_gym.personas.schema import Persona
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.person import Simulator, take_turns

SPEAKERS = ("seeker", "supporter")


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """One supporter turn as the simulated person took it."""

    index: int  # position of the supporter turn in `turns`
    text: str
    appraisal: Appraisal
    score_before: float
    score_after: float
    score_change: float
    distress_before: float
    distress_after: float
    understood_after: float
    trust_after: float


def _turn(turn: Any, index: int) -> tuple[str, str]:
    if isinstance(turn, Mapping):
        speaker, text = turn.get("speaker"), turn.get("text")
    elif isinstance(turn, (tuple, list)) and len(turn) == 2:
        speaker, text = turn
    elif hasattr(turn, "speaker") and hasattr(turn, "text"):
        speaker, text = turn.speaker, turn.text
    else:
        raise ValueError(
            f"turns[{index}]: expected (speaker, text) or a mapping with 'speaker' and 'text', got {turn!r}"
        )
    if speaker not in SPEAKERS:
        raise ValueError(
            f"turns[{index}].speaker: expected 'seeker' or 'supporter', got {speaker!r}"
        )
    if not isinstance(text, str):
        raise ValueError(f"turns[{index}].text: expected a string, got {type(text).__name__}")
    return speaker, text


def replay(
    persona: Persona,
    turns: Iterable[Any],
    *,
    seed: int = 0,
    sim_kwargs: Mapping[str, Any] | None = None,
) -> list[ReplayStep]:
    """Play `turns` ((speaker, text) pairs or mappings) through a simulated `persona`.

    Returns one ReplayStep per supporter turn, in order. Seeker turns only update the
    person's memory. The seed chooses among voice lines only; the state moves deterministically.
    """
    return replay_many([(persona, turns)], seed=seed, sim_kwargs=sim_kwargs)[0]


def replay_many(
    conversations: Sequence[tuple[Persona, Iterable[Any]]],
    *,
    seed: int = 0,
    sim_kwargs: Mapping[str, Any] | None = None,
) -> list[list[ReplayStep]]:
    """`replay` for many conversations at once, in lockstep: the k-th supporter turns of all
    conversations are read in one batched call (`take_turns`), so an LLM reader sees one
    request per conversation per round instead of one round trip per turn. The people are
    independent; results are the same as replaying each conversation alone.
    """
    plays = []
    for number, (persona, turns) in enumerate(conversations):
        sim = Simulator(persona, np.random.default_rng(seed), **dict(sim_kwargs or {}))
        parsed = [_turn(raw, index) for index, raw in enumerate(turns)]
        plays.append((sim, parsed, f"conversation-{number}"))
    steps: list[list[ReplayStep]] = [[] for _ in plays]
    cursors = [0] * len(plays)
    while True:
        batch, owners = [], []
        for c, (sim, parsed, tag) in enumerate(plays):
            while cursors[c] < len(parsed) and parsed[cursors[c]][0] == "seeker":
                sim.hear(parsed[cursors[c]][1])
                cursors[c] += 1
            if cursors[c] < len(parsed):
                batch.append((sim, parsed[cursors[c]][1], (), tag))
                owners.append(c)
        if not batch:
            return steps
        # The real seeker's next words are what the person says: no simulated reply.
        for c, result in zip(owners, take_turns(batch, speak=False)):
            sim, parsed, _tag = plays[c]
            index = cursors[c]
            before, after = result.before, sim.state
            steps[c].append(
                ReplayStep(
                    index=index,
                    text=parsed[index][1],
                    appraisal=result.appraisal,
                    score_before=before.score,
                    score_after=after.score,
                    score_change=result.score_change,
                    distress_before=before.distress,
                    distress_after=after.distress,
                    understood_after=after.understood,
                    trust_after=after.trust,
                )
            )
            cursors[c] += 1
