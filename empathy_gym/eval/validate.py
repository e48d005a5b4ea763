"""`empathy-gym validate`: how faithfully a simulated person reads real support conversations.

Every dialogue (ESConv format, `empathy_gym.eval.esconv`) is replayed through a simulated
person built from its situation (`persona_from_situation`: emotion type, problem type and
initial intensity); the real supporter's turns are what the person reads, the real
seeker's turns what they said (`empathy_gym.simulator.replay`). The simulator's readings
are then set against what the data says:

a. strategy: the supporter's labelled strategy vs one predicted from the Appraisal (an
   act is present at strength >= 0.5; the strongest present act wins, ties in the order
   below; none present: Others). Question = question; Reflection of feelings = reflection
   naming a feeling (emotions_named, wrong_feelings or feelings_named non-empty);
   Restatement or Paraphrasing = reflection naming none; Self-disclosure =
   self_disclosure; Affirmation and Reassurance = max(validation, reassurance); Providing
   Suggestions = advice; Information = information. Macro-F1 over the eight labels,
   per-label F1 and the confusion matrix.
b. ratings: for every rated seeker turn, the simulated score change summed over the
   supporter turns since the previous rated turn (or the start) vs the 1-5 rating;
   Spearman overall, and within dialogue (values centred on the dialogue's mean, over
   dialogues with >= 2 rated turns). A rated turn with no supporter turn before it is skipped.
   Seekers' ratings rise with position, so beside these: the simulated score LEVEL after
   the rated window vs the rating, as a partial Spearman controlling for the turn index
   (`rating_level_partial_spearman`: Pearson correlation of the residuals of the ranks of
   each on the rank of the turn index). Its floors are partial on the turn index too; the
   turn index's own floor is 0 by construction, so any positive value is information
   beyond position.
c. relief: simulated distress (start - end) vs reported intensity (initial - final).
d. success: AUC of the simulated final score separating successful sessions (final
   intensity < initial) from failed ones (final >= initial). ESConv's dev data has no
   failed session, so d is undefined there; `large_relief_auc` (reported relief >= 2 vs
   <= 1, same score) is reported beside it.

Each measure has floors computed the same way from trivial features of the supporter's
text (a '?', word counts, turn counts, the majority class): a reader is informative only
where it beats them. c and d also have the reported initial intensity as a floor: the
persona starts from it, and reported relief (initial - final) grows with it on its own.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from empathy_gym.eval.esconv import STRATEGIES, Dialogue, parse_dialogue
from empathy_gym.eval.stats import (
    auc,
    confusion_matrix,
    f1_scores,
    macro_f1,
    rankdata,
    spearman,
)
from empathy_gym.personas.from_situation import persona_from_situation
from empathy_gym.simulator.appraisal import PRESENT, Appraisal
from empathy_gym.simulator.replay import replay_many
from empathy_gym.simulator.state import SCORE_START


def reader_kwargs(name: str, backend: str | None = None, **backend_kwargs: Any) -> dict[str, Any]:
    """Simulator kwargs that choose the reader called `name` (`simulator.readers.reader_names()`).

    `llm` needs a `backend` kind (`openai`, `vllm`, `transformers`, or `scripted` for tests)
    and its kwargs; the LLM reads every supporter turn and the default reader guards it.
    Built through the one door, `simulator.readers.get_reader`.
    """
    from empathy_gym.simulator.readers import LLM_READER, get_reader, reader_names

    if name == LLM_READER:
        if backend is None:
            raise ValueError("reader llm needs --backend (openai, vllm, transformers or scripted)")
        return {"reader": get_reader(LLM_READER, backend={"kind": backend, **backend_kwargs})}
    if name not in reader_names():
        raise ValueError(f"reader: unknown reader {name!r}; expected one of {reader_names()}")
    return {"reader": name}


STRATEGY_COLUMNS = (
    "Question",
    "Reflection of feelings",
    "Restatement or Paraphrasing",
    "Self-disclosure",
    "Affirmation and Reassurance",
    "Providing Suggestions",
    "Information",
)


def strategies_from_acts(
    question, reflection, feeling, self_disclosure, affirmation, advice, information
) -> list[str]:
    """The ESConv strategy of each turn, from arrays of act strengths (see the module docstring).

    The strongest present act wins (first in `STRATEGY_COLUMNS` on ties); none present: Others.
    `feeling`: whether a reflection names a feeling (Reflection of feelings) or not (Restatement).
    """
    feeling = np.asarray(feeling, dtype=bool)
    reflection = np.asarray(reflection, dtype=float)
    columns = np.stack(
        [
            np.asarray(question, dtype=float),
            np.where(feeling, reflection, 0.0),
            np.where(feeling, 0.0, reflection),
            np.asarray(self_disclosure, dtype=float),
            np.asarray(affirmation, dtype=float),
            np.asarray(advice, dtype=float),
            np.asarray(information, dtype=float),
        ],
        axis=-1,
    )
    best = columns.argmax(axis=-1)
    present = columns.max(axis=-1) >= PRESENT
    return [
        STRATEGY_COLUMNS[b] if ok else "Others"
        for b, ok in zip(np.atleast_1d(best), np.atleast_1d(present))
    ]


def predict_strategy(appraisal: Appraisal) -> str:
    """The ESConv strategy label the appraisal implies (see the module docstring)."""
    a = appraisal
    named = bool(a.emotions_named or a.wrong_feelings or a.feelings_named)
    return strategies_from_acts(
        [a.question],
        [a.reflection],
        [named],
        [a.self_disclosure],
        [max(a.validation, a.reassurance)],
        [a.advice],
        [a.information],
    )[0]


def question_rule(text: str) -> str:
    """The '?' baseline: Question when the text has a question mark, else Others."""
    return "Question" if "?" in text else "Others"


def _words(text: str) -> int:
    return len(text.split())


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def _slug(dialogue_id: str) -> str:
    slug = re.sub(r"[^a-z0-9_\-]+", "-", dialogue_id.lower()).strip("-_")
    return slug if slug and slug[0].isalnum() else f"d-{slug}"


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


@dataclass(slots=True)
class Measure:
    """One fidelity measure, the trivial floors beside it and how many items it rests on."""

    name: str
    value: float
    n: int
    floors: dict[str, float]
    description: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain types, nan as null."""
        return _clean(
            {
                "name": self.name,
                "value": self.value,
                "n": self.n,
                "floors": dict(self.floors),
                "description": self.description,
                "note": self.note,
            }
        )


@dataclass(slots=True)
class ValidationReport:
    """What `validate` found: the fidelity measures, strategy F1 and confusion, and the counts
    they rest on.
    """

    reader: str
    dialogues: int
    supporter_turns: int
    rated_turns: int
    seconds: float
    measures: dict[str, Measure]
    strategy_f1: dict[str, float]
    labels: list[str]
    confusion: list[list[int]]  # [true][predicted], in `labels` order
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain types, nan as null."""
        return _clean(
            {
                "reader": self.reader,
                "dialogues": self.dialogues,
                "supporter_turns": self.supporter_turns,
                "rated_turns": self.rated_turns,
                "seconds": self.seconds,
                "measures": {name: m.to_dict() for name, m in self.measures.items()},
                "strategy_f1": dict(self.strategy_f1),
                "confusion": {
                    "labels": list(self.labels),
                    "matrix": [list(r) for r in self.confusion],
                },
                "counts": dict(self.counts),
            }
        )


@dataclass(slots=True)
class _Window:
    dialogue: int
    rating: int
    simulated: float
    level: float  # the simulated score after the window's last supporter turn
    turn_index: int
    mean_words: float
    question_share: float


@dataclass(slots=True)
class _Session:
    supporter_turns: int
    mean_words: float
    question_share: float
    simulated_relief: float
    final_score: float
    initial: int | None
    final: int | None


def _persona(dialogue: Dialogue):
    situation = dialogue.situation.strip() or dialogue.problem_type.strip() or "no situation given"
    return persona_from_situation(
        situation,
        emotion_type=dialogue.emotion_type,
        problem_type=dialogue.problem_type,
        persona_id=_slug(dialogue.id),
        intensity=dialogue.initial_intensity,
    )


def _score_dialogue(
    dialogue: Dialogue,
    persona,
    steps,
    index: int,
    truth: list[str],
    pred: list[str],
    texts: list[str],
    windows: list[_Window],
) -> _Session:
    by_index = {s.index: s for s in steps}
    window: list[int] = []
    supporter_so_far = 0
    for i, turn in enumerate(dialogue.turns):
        if turn.speaker == "supporter":
            truth.append(turn.strategy)
            pred.append(predict_strategy(by_index[i].appraisal))
            texts.append(turn.text)
            window.append(i)
            supporter_so_far += 1
        elif turn.rating is not None:
            if window:
                window_texts = [dialogue.turns[j].text for j in window]
                windows.append(
                    _Window(
                        dialogue=index,
                        rating=turn.rating,
                        simulated=sum(by_index[j].score_change for j in window),
                        level=by_index[window[-1]].score_after,
                        turn_index=supporter_so_far,
                        mean_words=_mean([_words(t) for t in window_texts]),
                        question_share=_mean([1.0 if "?" in t else 0.0 for t in window_texts]),
                    )
                )
            window = []
    supporter_texts = [t.text for t in dialogue.turns if t.speaker == "supporter"]
    start = persona.initial_distress
    return _Session(
        supporter_turns=len(supporter_texts),
        mean_words=_mean([_words(t) for t in supporter_texts]),
        question_share=_mean([1.0 if "?" in t else 0.0 for t in supporter_texts]),
        simulated_relief=start - (steps[-1].distress_after if steps else start),
        final_score=steps[-1].score_after if steps else SCORE_START,
        initial=dialogue.initial_intensity,
        final=dialogue.final_intensity,
    )


def _within(windows: list[_Window], key: str) -> tuple[list[float], list[float]]:
    """Values and ratings centred on their dialogue's means, for dialogues with >= 2 rated turns."""
    groups: dict[int, list[_Window]] = {}
    for w in windows:
        groups.setdefault(w.dialogue, []).append(w)
    xs: list[float] = []
    ys: list[float] = []
    for group in groups.values():
        if len(group) < 2:
            continue
        x = np.array([getattr(w, key) for w in group], dtype=float)
        y = np.array([w.rating for w in group], dtype=float)
        xs.extend((x - x.mean()).tolist())
        ys.extend((y - y.mean()).tolist())
    return xs, ys


# The trivial features each measure's floors are computed from: floor name -> attribute.
_RATING_FLOORS = {
    "turn index": "turn_index",
    "mean words": "mean_words",
    "'?' share": "question_share",
}
# The reported relief and the persona's starting distress both follow the initial intensity,
# so the initial intensity alone is a floor too (the simulator is told it).
_SESSION_FLOORS = {
    "supporter turns": "supporter_turns",
    "mean words": "mean_words",
    "'?' share": "question_share",
    "initial intensity": "initial",
}
_AUC_FLOORS = {
    "mean words": "mean_words",
    "supporter turns": "supporter_turns",
    "initial intensity": "initial",
}
# Reported relief (initial - final intensity) that counts as large; ESConv's 1-5 intensity
# scale, a judgement (the module docstring: relief >= 2 vs <= 1).
LARGE_RELIEF = 2


def validate(
    dialogues: Iterable[Dialogue | Mapping[str, Any]],
    *,
    sim_kwargs: Mapping[str, Any] | None = None,
    reader_name: str = "default",
) -> ValidationReport:
    """Replay every dialogue and measure the simulator against the data (module docstring)."""
    started = time.perf_counter()
    items = _parse_dialogues(dialogues)
    kwargs = dict(sim_kwargs or {})
    truth: list[str] = []
    pred: list[str] = []
    texts: list[str] = []
    windows: list[_Window] = []
    personas = [_persona(d) for d in items]
    # All dialogues in lockstep: one batched read per round (an LLM reader gets one call per round).
    replays = replay_many(list(zip(personas, [d.turns for d in items])), seed=0, sim_kwargs=kwargs)
    sessions = [
        _score_dialogue(d, p, steps, i, truth, pred, texts, windows)
        for i, (d, p, steps) in enumerate(zip(items, personas, replays))
    ]
    labels = list(STRATEGIES)
    reported = [s for s in sessions if s.initial is not None and s.final is not None]
    measures = {
        "strategy_macro_f1": _strategy_measure(truth, pred, texts, labels),
        **_rating_measures(windows),
        "relief_spearman": _relief_measure(reported),
        **_success_measures(reported),
    }
    n_success = sum(s.final < s.initial for s in reported)
    matrix = confusion_matrix(truth, pred, labels)
    return ValidationReport(
        reader=reader_name,
        dialogues=len(items),
        supporter_turns=len(truth),
        rated_turns=len(windows),
        seconds=time.perf_counter() - started,
        measures=measures,
        strategy_f1=f1_scores(truth, pred, labels),
        labels=labels,
        confusion=matrix.tolist(),
        counts={
            "sessions_with_intensities": len(reported),
            "successful": n_success,
            "failed": len(reported) - n_success,
            "large_relief": sum(s.initial - s.final >= LARGE_RELIEF for s in reported),
        },
    )


def _parse_dialogues(dialogues: Iterable[Dialogue | Mapping[str, Any]]) -> list[Dialogue]:
    """Dialogues as given, mappings parsed; an error when there are none."""
    items = [
        d if isinstance(d, Dialogue) else parse_dialogue(d, where=f"dialogues[{i}]")
        for i, d in enumerate(dialogues)
    ]
    if not items:
        raise ValueError("validate: no dialogues to validate")
    return items


def _strategy_measure(
    truth: list[str], pred: list[str], texts: list[str], labels: list[str]
) -> Measure:
    """a. Macro-F1 of the strategy read from the appraisal, beside the '?' rule and the majority."""
    majority = Counter(truth).most_common(1)[0][0] if truth else "Others"
    return Measure(
        "strategy_macro_f1",
        macro_f1(truth, pred, labels) if truth else math.nan,
        len(truth),
        {
            "'?' rule": macro_f1(truth, [question_rule(t) for t in texts], labels)
            if truth
            else math.nan,
            f"majority ({majority})": macro_f1(truth, [majority] * len(truth), labels)
            if truth
            else math.nan,
        },
        "macro-F1 of the strategy read from the appraisal, over all supporter turns",
    )


def _rating_measures(windows: list[_Window]) -> dict[str, Measure]:
    """b. Spearman of the simulated score change vs the seeker's rating: overall and within dialogue."""
    ratings = [w.rating for w in windows]
    overall = Measure(
        "rating_spearman",
        spearman([w.simulated for w in windows], ratings),
        len(windows),
        {
            name: spearman([getattr(w, key) for w in windows], ratings)
            for name, key in _RATING_FLOORS.items()
        },
        "Spearman: simulated score change over the rated window vs the seeker's 1-5 rating",
    )
    xs, ys = _within(windows, "simulated")
    within = Measure(
        "rating_spearman_within",
        spearman(xs, ys),
        len(xs),
        {name: spearman(*_within(windows, key)) for name, key in _RATING_FLOORS.items()},
        "the same, centred on each dialogue's means (dialogues with >= 2 rated turns)",
    )
    turn = [w.turn_index for w in windows]
    level = Measure(
        "rating_level_partial_spearman",
        partial_spearman([w.level for w in windows], ratings, turn),
        len(windows),
        {
            name: partial_spearman([getattr(w, key) for w in windows], ratings, turn)
            for name, key in _RATING_FLOORS.items()
        },
        "partial Spearman: simulated score level after the rated window vs the seeker's rating,"
        " controlling for turn index (the turn index floor is 0 by construction)",
    )
    return {overall.name: overall, within.name: within, level.name: level}


# |rank correlation| above 1 - this counts as fully explained (float round-off in np.corrcoef).
EXPLAINED_TOLERANCE = 1e-9


def partial_spearman(x: Sequence[float], y: Sequence[float], z: Sequence[float]) -> float:
    """Spearman correlation of x and y controlling for z: the partial Pearson correlation of
    their ranks, r_xy.z = (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2)).

    0 when x is a monotone function of z (it carries nothing beyond z: the turn index's own
    floor); nan when there are fewer than 3 items, or y or z is constant or y follows z.
    """
    if not (len(x) == len(y) == len(z)):
        raise ValueError(f"partial_spearman: lengths differ ({len(x)}, {len(y)}, {len(z)})")
    if len(x) < 3:
        return math.nan
    rx, ry, rz = (rankdata(v) for v in (x, y, z))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(np.stack([rx, ry, rz]))
    r_xy, r_xz, r_yz = r[0, 1], r[0, 2], r[1, 2]
    if abs(r_xz) > 1.0 - EXPLAINED_TOLERANCE:
        return 0.0
    denominator = math.sqrt(max(0.0, (1.0 - r_xz**2) * (1.0 - r_yz**2)))
    if not denominator or math.isnan(r_xy):
        return math.nan
    return float((r_xy - r_xz * r_yz) / denominator)


def _relief_measure(reported: list[_Session]) -> Measure:
    """c. Spearman of the simulated distress relief vs the reported one (initial - final)."""
    relief = [s.initial - s.final for s in reported]
    return Measure(
        "relief_spearman",
        spearman([s.simulated_relief for s in reported], relief),
        len(reported),
        {
            name: spearman([getattr(s, key) for s in reported], relief)
            for name, key in _SESSION_FLOORS.items()
        },
        "Spearman: simulated distress relief vs reported (initial - final intensity)",
    )


def _success_measures(reported: list[_Session]) -> dict[str, Measure]:
    """d. AUC of the simulated final score for success, and for large reported relief beside it."""
    success = [s.final < s.initial for s in reported]
    n_success = sum(success)
    success_auc = Measure(
        "success_auc",
        auc([s.final_score for s in reported], success),
        len(reported),
        {
            name: auc([getattr(s, key) for s in reported], success)
            for name, key in _AUC_FLOORS.items()
        },
        "AUC of the simulated final score: successful (final < initial intensity) vs failed sessions",
        note=""
        if 0 < n_success < len(reported)
        else f"undefined: {n_success} successful and {len(reported) - n_success} failed sessions",
    )
    large = [s.initial - s.final >= LARGE_RELIEF for s in reported]
    large_auc = Measure(
        "large_relief_auc",
        auc([s.final_score for s in reported], large),
        len(reported),
        {
            name: auc([getattr(s, key) for s in reported], large)
            for name, key in _AUC_FLOORS.items()
        },
        "AUC of the simulated final score: reported relief >= 2 vs <= 1",
        note=""
        if 0 < sum(large) < len(reported)
        else f"undefined: {sum(large)} of {len(reported)} with relief >= 2",
    )
    return {success_auc.name: success_auc, large_auc.name: large_auc}


_SHORT = {
    "Question": "Qu",
    "Restatement or Paraphrasing": "Re",
    "Reflection of feelings": "Rf",
    "Self-disclosure": "SD",
    "Affirmation and Reassurance": "AR",
    "Providing Suggestions": "PS",
    "Information": "In",
    "Others": "Ot",
}


def _fmt(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def format_report(report: ValidationReport) -> str:
    """A plain text table (measure | value | floors | n), then per-strategy F1 and the confusion matrix."""
    lines = [
        f"reader {report.reader}: {report.dialogues} dialogues, {report.supporter_turns} supporter turns, "
        f"{report.rated_turns} rated windows ({report.seconds:.1f} s)",
        "",
    ]
    rows = [("measure", "value", "floors", "n")]
    for m in report.measures.values():
        floors = ", ".join(f"{name} {_fmt(v)}" for name, v in m.floors.items())
        value = _fmt(m.value) + (f" ({m.note})" if m.note else "")
        rows.append((m.name, value, floors, str(m.n)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for k, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if k == 0:
            lines.append("-+-".join("-" * w for w in widths))
    lines += [
        "",
        "strategy F1: "
        + ", ".join(f"{label} {_fmt(v)}" for label, v in report.strategy_f1.items()),
    ]
    lines += ["", "confusion (rows: labelled, columns: read)"]
    short = [_SHORT.get(label, label[:2]) for label in report.labels]
    lines.append("      " + " ".join(f"{s:>5}" for s in short))
    for s, row in zip(short, report.confusion):
        lines.append(f"{s:>5} " + " ".join(f"{v:>5}" for v in row))
    lines.append("  " + ", ".join(f"{s} = {label}" for s, label in zip(short, report.labels)))
    return "\n".join(lines)
