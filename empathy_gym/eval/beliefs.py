"""How well a reader reads replies to false beliefs: correction, endorsement, or neither.

    empathy-gym beliefs-eval data/beliefs-heldout/        # the held-out set; any reader

A labelled file is JSON lines `{"persona", "belief", "text", "label", "kind", "register"}`
(label: correction | endorsement | neither). Each reply is read as the person's answer
right after they voiced the belief (so a bare "you're right" agrees with it), with the
public meaning of `Appraisal`: a belief is corrected (endorsed) when its strength is >= 0.5.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from empathy_gym.personas.loader import load_library
from empathy_gym.personas.schema import Persona
from empathy_gym.simulator.appraisal import PRESENT, Appraisal
from empathy_gym.simulator.readers import Reader, appraise, get_reader
from empathy_gym.simulator.state import PersonState

BeliefLabel = Literal["correction", "endorsement", "neither"]


class BeliefReply(BaseModel):
    """One labelled reply to a voiced false belief: a line of a belief-replies file."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    persona: str
    belief: str
    text: str
    label: BeliefLabel
    kind: str = ""
    register_: str = Field("", alias="register")  # chat | spoken | forum | peer


def load_belief_replies(
    path: str | Path, library: dict[str, Persona] | None = None
) -> list[BeliefReply]:
    """Every `*.jsonl` under `path` (or the file), checked against the persona library."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise FileNotFoundError(f"{path}: no *.jsonl belief replies here")
    library = library if library is not None else load_library()
    replies = []
    for file in files:
        for number, line in enumerate(file.read_text().splitlines(), 1):
            if not line.strip():
                continue
            where = f"{file}:{number}"
            try:
                reply = BeliefReply.model_validate(json.loads(line))
            except (ValueError, ValidationError) as error:
                raise ValueError(
                    f"{where}: expected {{persona, belief, text, label: correction|endorsement|neither}} "
                    f"({str(error).splitlines()[0]})"
                ) from None
            persona = library.get(reply.persona)
            if persona is None:
                raise ValueError(f"{where}: persona {reply.persona!r} is not in the library")
            if reply.belief not in {b.id for b in persona.beliefs}:
                raise ValueError(
                    f"{where}: persona {reply.persona!r} has no belief {reply.belief!r} "
                    f"(it has {[b.id for b in persona.beliefs]})"
                )
            replies.append(reply)
    return replies


def read_as(appraisal: Appraisal, belief_id: str) -> BeliefLabel | Literal["both"]:
    """How the appraisal reads the reply to `belief_id`: correction, endorsement, both or neither
    (each at strength >= PRESENT).
    """
    corrected = appraisal.corrections.get(belief_id, 0.0) >= PRESENT
    endorsed = appraisal.endorsements.get(belief_id, 0.0) >= PRESENT
    return (
        "both"
        if corrected and endorsed
        else "correction"
        if corrected
        else "endorsement"
        if endorsed
        else "neither"
    )


def state_after_voicing(persona: Persona, belief_id: str) -> PersonState:
    """The persona's initial state right after it voiced `belief_id` (its first `voiced_as` line)."""
    state = PersonState.initial(persona)
    state.belief_voiced_turn[belief_id] = state.turn
    belief = next(b for b in persona.beliefs if b.id == belief_id)
    state.last_person_message = belief.voiced_as[0]  # what a pair reader reads the reply against
    return state


@dataclass(slots=True)
class BeliefReport:
    """Accuracy of a reader on belief replies: overall, per gold label and per kind, with the
    confusion counts and the misread replies.
    """

    total: int = 0
    correct: int = 0
    by_label: dict[str, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )  # label -> [right, n]
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    confusion: Counter = field(default_factory=Counter)  # (gold, read) -> n
    misses: list[tuple[BeliefReply, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """The share of replies read as labelled (0.0 with none)."""
        return self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict:
        """JSON-ready summary: accuracy, n, per-label and per-kind accuracy, confusion as "gold->read"."""
        return {
            "accuracy": self.accuracy,
            "n": self.total,
            "by_label": {k: v[0] / v[1] for k, v in sorted(self.by_label.items())},
            "by_kind": {k: v[0] / v[1] for k, v in sorted(self.by_kind.items())},
            "confusion": {
                f"{gold}->{read}": n for (gold, read), n in sorted(self.confusion.items())
            },
        }


def evaluate_beliefs(
    replies: Sequence[BeliefReply],
    reader: Reader | str = "semantic",
    library: dict[str, Persona] | None = None,
) -> BeliefReport:
    """Read each reply with `reader` as the answer to its persona's just-voiced belief; the report."""
    library = library if library is not None else load_library()
    reader = get_reader(reader) if isinstance(reader, str) else reader
    report = BeliefReport()
    for reply in replies:
        persona = library[reply.persona]
        read = read_as(
            appraise(reply.text, persona, state_after_voicing(persona, reply.belief), reader),
            reply.belief,
        )
        right = read == reply.label
        report.total += 1
        report.correct += right
        for table, key in ((report.by_label, reply.label), (report.by_kind, reply.kind or "-")):
            table[key][0] += right
            table[key][1] += 1
        report.confusion[(reply.label, read)] += 1
        if not right:
            report.misses.append((reply, read))
    return report
