"""Fit a reader to labelled support conversations (ESConv format): thresholds, or a whole head.

Two paths, both fitted on one split and measured on another:

- `calibrate_offsets`: per-act thresholds (logit offsets of the act head) chosen by
  coordinate ascent on support-strategy macro-F1. Fifteen numbers: the shipped reader's
  thresholds were set this way on ESConv's train split (`scripts/calibrate_reader.py`).
- `fit_head`: a new act head trained on the data's own strategy labels, for a user's own
  research on data they may use (`empathy-gym fit-reader`). Heads fitted on
  non-redistributable data must not be shipped; the package ships none.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from empathy_gym.eval.esconv import STRATEGIES, Dialogue
from empathy_gym.eval.stats import macro_f1
from empathy_gym.eval.validate import strategies_from_acts
from empathy_gym.simulator.readers.head import HEAD_LABELS, ActHead, fit
from empathy_gym.simulator.readers.rule import read_text
from empathy_gym.simulator.readers.semantic import (
    CLOSED_QUESTION_WEIGHT,
    SemanticReader,
    unit_matrix,
)
from empathy_gym.text import lexicon as lx

OFFSET_GRID = np.round(np.arange(-3.0, 3.01, 0.25), 2)
# Labels whose thresholds ESConv cannot set: "Affirmation and Reassurance" is one strategy,
# so its data cannot say whether a message reassures or validates, and the dynamics treat
# the two very differently. Their thresholds stay where the project's phrasings put them.
FIXED_LABELS = frozenset({"validation", "reassurance"})
_I = {label: i for i, label in enumerate(HEAD_LABELS)}
FIT_EPOCHS = 400  # head.fit's default: full-batch Adam epochs
CALIBRATION_PASSES = 3  # coordinate-ascent passes over the labels (it stops early when none helps)
# Supporter turns read between two progress updates (~0.1 s with the static encoder).
READ_CHUNK = 500
# ESConv strategy -> head labels it stands for (a Question is open or closed by its form).
STRATEGY_TO_LABELS: dict[str, tuple[str, ...]] = {
    "Restatement or Paraphrasing": ("restatement",),
    "Reflection of feelings": ("reflection_feeling",),
    "Self-disclosure": ("self_disclosure",),
    "Affirmation and Reassurance": ("validation", "reassurance"),
    "Providing Suggestions": ("advice",),
    "Information": ("information",),
    "Others": ("other",),
}


def supporter_turns(dialogues: Sequence[Dialogue]) -> tuple[list[str], list[str]]:
    """The text and strategy label of every supporter turn that has a strategy, in order."""
    texts, strategies = [], []
    for dialogue in dialogues:
        for turn in dialogue.turns:
            if turn.speaker == "supporter" and turn.strategy:
                texts.append(turn.text)
                strategies.append(turn.strategy)
    return texts, strategies


def strategies_from_logits(logits: np.ndarray, named: np.ndarray) -> list[str]:
    """The ESConv strategy of each row of head logits, by `validate.strategies_from_acts`."""
    p = 1.0 / (1.0 + np.exp(-logits))
    return strategies_from_acts(
        np.maximum(p[:, _I["question_open"]], CLOSED_QUESTION_WEIGHT * p[:, _I["question_closed"]]),
        np.maximum(p[:, _I["reflection_feeling"]], p[:, _I["restatement"]]),
        named
        | (
            p[:, _I["reflection_feeling"]] >= p[:, _I["restatement"]]
        ),  # as the semantic reader marks it
        p[:, _I["self_disclosure"]],
        np.maximum(p[:, _I["validation"]], p[:, _I["reassurance"]]),
        p[:, _I["advice"]],
        p[:, _I["information"]],
    )


def _bar(progress: bool, total: int, desc: str, unit: str) -> tqdm:
    """A progress bar on stderr (as `evaluate` shows); a silent one when `progress` is False."""
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not progress)


def read_units(
    encoder, texts: Sequence[str], progress: bool = False, desc: str = "reading turns"
) -> tuple[np.ndarray, list[int]]:
    """`unit_matrix` read in chunks of `READ_CHUNK` texts, with a progress bar; the same result."""
    blocks, owner = [], []
    with _bar(progress, len(texts), desc, "turn") as bar:
        for start in range(0, len(texts), READ_CHUNK):
            chunk = texts[start : start + READ_CHUNK]
            features, chunk_owner = unit_matrix(encoder, chunk)
            blocks.append(features)
            owner.extend(start + i for i in chunk_owner)
            bar.update(len(chunk))
    return np.vstack(blocks), owner


@dataclass(frozen=True)
class ScoredTurns:
    """A reader's uncalibrated head logits for labelled supporter turns: read once, scored at any thresholds."""

    logits: np.ndarray  # (turns, labels), the strongest unit of each turn, offsets not applied
    named: np.ndarray  # does the turn name a feeling the lexicon knows
    truth: list[str]

    @classmethod
    def read(
        cls,
        reader: SemanticReader,
        dialogues: Sequence[Dialogue],
        progress: bool = False,
        desc: str = "reading turns",
    ) -> "ScoredTurns":
        """Read every labelled supporter turn once (a progress bar on stderr with `progress`)."""
        texts, truth = supporter_turns(dialogues)
        if not texts:
            raise ValueError("no supporter turns with a strategy label in the data")
        features, owner = read_units(reader.encoder, texts, progress, desc)
        unit_logits = reader.head.logits(features, calibrated=False)
        best = np.full((len(texts), unit_logits.shape[1]), -np.inf)
        np.maximum.at(best, np.asarray(owner), unit_logits)
        named = np.array([bool(read_text(t).named_families) for t in texts])
        return cls(best, named, truth)

    def f1(self, offsets: np.ndarray) -> float:
        """Strategy macro-F1 with these per-label offsets (thresholds)."""
        return macro_f1(
            self.truth, strategies_from_logits(self.logits + offsets, self.named), labels=STRATEGIES
        )


FREE_LABELS = [i for i, label in enumerate(HEAD_LABELS) if label not in FIXED_LABELS]


def calibrate_offsets(
    turns: ScoredTurns,
    passes: int = CALIBRATION_PASSES,
    on_label: Callable[[], None] | None = None,
) -> np.ndarray:
    """Per-label logit offsets maximising strategy macro-F1 on `turns` (coordinate ascent).

    `on_label` is called after each label of each pass (a progress bar's update).
    """
    offsets = np.zeros(len(HEAD_LABELS))
    best = turns.f1(offsets)
    for _ in range(passes):
        improved = False
        for i in FREE_LABELS:
            for value in OFFSET_GRID:
                trial = offsets.copy()
                trial[i] = value
                score = turns.f1(trial)
                if score > best + 1e-6:
                    best, offsets, improved = score, trial, True
            if on_label is not None:
                on_label()
        if not improved:
            break
    return offsets


def strategy_targets(texts: Sequence[str], strategies: Sequence[str]) -> np.ndarray:
    """Multi-hot head targets for each text from its ESConv strategy (a Question is open or closed
    by its form); raises ValueError on an unknown strategy.
    """
    targets = np.zeros((len(texts), len(HEAD_LABELS)), dtype=np.float32)
    for row, (text, strategy) in enumerate(zip(texts, strategies)):
        if strategy == "Question":
            opens = read_text(text).question >= 0.9 or bool(
                lx.OPEN_QUESTION_START.match(lx.normalize(text))
            )
            labels = ("question_open",) if opens else ("question_closed",)
        else:
            labels = STRATEGY_TO_LABELS.get(strategy)
            if labels is None:
                raise ValueError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")
        for label in labels:
            targets[row, _I[label]] = 1.0
    return targets


def fit_head(
    reader: SemanticReader,
    dialogues: Sequence[Dialogue],
    *,
    hidden: int = 64,
    seed: int = 0,
    progress: bool = False,
) -> ActHead:
    """A new act head trained on the data's strategy labels (message level), offsets calibrated on the same data.

    With `progress`, each slow phase (reading, fitting, reading again with the new head,
    calibrating thresholds) shows a progress bar on stderr.
    """
    texts, strategies = supporter_turns(dialogues)
    if not texts:
        raise ValueError("fit: no supporter turns with a strategy label in the data")
    features, owner = read_units(reader.encoder, texts, progress, "reading turns")
    first = np.unique(np.asarray(owner), return_index=True)[1]
    with _bar(progress, FIT_EPOCHS, "fitting the act head", "epoch") as bar:
        head = fit(
            features[first],
            strategy_targets(texts, strategies),
            hidden=hidden,
            lr=0.01,
            seed=seed,
            encoder=reader.encoder.name,
            epochs=FIT_EPOCHS,
            on_epoch=bar.update,
        )
    fitted = SemanticReader(reader.encoder, head, reader.beliefs)
    scored = ScoredTurns.read(fitted, dialogues, progress, "reading with the new head")
    total = CALIBRATION_PASSES * len(FREE_LABELS)
    with _bar(progress, total, "calibrating thresholds", "label") as bar:
        head.offsets = calibrate_offsets(scored, on_label=bar.update)
    return head
