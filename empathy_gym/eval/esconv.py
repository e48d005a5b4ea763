"""The ESConv conversation format (Liu et al., 2021), validated strictly at the edge.

One dialogue a line (JSONL)::

    {"id": "valid-0", "split": "valid", "emotion_type": "anxiety", "problem_type": "job crisis",
     "situation": "...", "initial_intensity": 4, "final_intensity": 2, "empathy": 5, "relevance": 5,
     "turns": [{"speaker": "seeker", "text": "..."},
               {"speaker": "supporter", "text": "...", "strategy": "Question"},
               {"speaker": "seeker", "text": "...", "rating": 4}, ...]}

Intensities are 1-5 (lower is better) or null; `empathy` and `relevance` are the seeker's
end-of-chat ratings (1-5 or null). Supporter turns carry one of the eight `STRATEGIES`;
seeker turns may carry a 1-5 `rating` of the supporter turns since the previous rating.
Unknown fields, wrong types (no coercion: "3" is not 3) and out-of-range values are errors:
`load_dialogues` raises `ESConvError` (a ValueError) naming the file, the line, the field
and what was expected.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

STRATEGIES = (
    "Question",
    "Restatement or Paraphrasing",
    "Reflection of feelings",
    "Self-disclosure",
    "Affirmation and Reassurance",
    "Providing Suggestions",
    "Information",
    "Others",
)
Strategy = Literal[STRATEGIES]  # type: ignore[valid-type]
OneToFive = Field(default=None, ge=1, le=5)


class ESConvError(ValueError):
    """A file that is not valid ESConv: the message names file, line, field and what was expected."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Turn(_Strict):
    """One ESConv turn: who spoke, the text, the supporter's strategy or the seeker's rating."""

    speaker: Literal["seeker", "supporter"]
    text: str
    strategy: Strategy | None = None
    rating: int | None = OneToFive

    @model_validator(mode="after")
    def _by_speaker(self) -> "Turn":
        if self.speaker == "supporter":
            if self.strategy is None:
                raise ValueError(
                    "strategy: a supporter turn needs a strategy (one of "
                    + ", ".join(STRATEGIES)
                    + ")"
                )
            if self.rating is not None:
                raise ValueError("rating: only seeker turns carry a rating")
        elif self.strategy is not None:
            raise ValueError("strategy: only supporter turns carry a strategy")
        return self


class Dialogue(_Strict):
    """One ESConv dialogue: its split, the seeker's emotion, problem and situation, intensities and
    turns.
    """

    id: str = Field(min_length=1)
    split: str = Field(min_length=1)  # ESConv has "train" and "valid"; data may name any split
    emotion_type: str
    problem_type: str
    situation: str
    initial_intensity: int | None = OneToFive
    final_intensity: int | None = OneToFive
    empathy: int | None = OneToFive
    relevance: int | None = OneToFive
    turns: list[Turn] = Field(min_length=1)

    @property
    def supporter_turns(self) -> list[Turn]:
        """The turns spoken by the supporter, in order."""
        return [t for t in self.turns if t.speaker == "supporter"]

    @property
    def relief(self) -> int | None:
        """Reported relief: initial - final intensity (None unless both were reported)."""
        if self.initial_intensity is None or self.final_intensity is None:
            return None
        return self.initial_intensity - self.final_intensity


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "(line)"
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            parts.append(f"{loc}: missing (required field)")
        elif item["type"] == "extra_forbidden":
            parts.append(f"{loc}: unknown field")
        elif item["type"] == "value_error" and re.match(r"^[a-z_]+: ", msg):
            # A cross-field check ("strategy: ...") raised on the turn or dialogue: name the field.
            field, _, detail = msg.partition(": ")
            parts.append(f"{loc + '.' if loc != '(line)' else ''}{field}: {detail}")
        else:
            parts.append(f"{loc}: {msg} (got {item.get('input')!r:.80})")
    return "; ".join(parts)


def parse_dialogue(obj: object, *, where: str = "<dialogue>") -> Dialogue:
    """Validate one decoded JSON object as a Dialogue; errors are ESConvError prefixed by `where`."""
    if not isinstance(obj, dict):
        raise ESConvError(
            f"{where}: expected a JSON object (one dialogue), got {type(obj).__name__}"
        )
    try:
        return Dialogue.model_validate(obj)
    except ValidationError as error:
        raise ESConvError(f"{where}: {_describe(error)}") from None


def load_dialogues(
    path: str | Path, split: str | None = None, limit: int | None = None
) -> list[Dialogue]:
    """Read an ESConv JSONL file: every dialogue, or those of `split` (a split the file holds; 'all'/None: all).

    `limit` keeps the first N dialogues of the split (and stops reading there). Blank lines
    are skipped; a missing file is FileNotFoundError; a split the file does not hold is a
    ValueError listing the splits it has; anything else wrong is ESConvError.
    """
    if split in (None, "all"):
        split = None
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit: expected a non-negative integer, got {limit!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    dialogues: list[Dialogue] = []
    seen: dict[str, int] = {}
    splits: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if limit is not None and len(dialogues) >= limit:
                break
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                raise ESConvError(
                    f"{where}: not valid JSON ({error.msg} at column {error.colno})"
                ) from None
            dialogue = parse_dialogue(obj, where=where)
            if dialogue.id in seen:
                raise ESConvError(
                    f"{where}: id: {dialogue.id!r} already used on line {seen[dialogue.id]}"
                )
            seen[dialogue.id] = number
            splits.add(dialogue.split)
            if split is None or dialogue.split == split:
                dialogues.append(dialogue)
    if split is not None and not dialogues and limit != 0:
        held = ", ".join(repr(name) for name in sorted(splits)) or "none (no dialogues)"
        raise ValueError(f"split {split!r}: not in {path}; the splits it holds: {held}")
    return dialogues
