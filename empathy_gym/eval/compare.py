"""`empathy-gym compare RUN_A RUN_B`: which metrics moved between two runs, with 95% intervals.

For every agent in both runs: the difference (B - A) of the mean return under each target
and of the outcome metrics, with a Welch 95% interval; a metric "moved" when the interval
excludes zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from empathy_gym.eval.leaderboard import outcome
from empathy_gym.eval.stats import welch
from empathy_gym.rollout.records import EpisodeRecord, read_unique_records

OUTCOMES = ("final_score", "understood", "distress", "expressed", "endorsements")


@dataclass(frozen=True, slots=True)
class Delta:
    """One agent's metric in two runs: both means, B - A, and the 95% half-width of the difference."""

    agent: str
    metric: str
    a: float
    b: float
    diff: float
    half_width: float

    @property
    def moved(self) -> bool:
        """Whether the difference lies outside its 95% interval around zero."""
        return abs(self.diff) > self.half_width


def _metrics(records: Sequence[EpisodeRecord]) -> dict[str, dict[str, list[float]]]:
    by_agent: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        values = by_agent[r.agent]
        for target, ret in r.returns.items():
            values[f"return/{target}"].append(ret)
        o = outcome(r)
        for name in OUTCOMES:
            values[name].append(float(getattr(o, name)))
    return by_agent


def compare_records(a: Sequence[EpisodeRecord], b: Sequence[EpisodeRecord]) -> list[Delta]:
    """Return a delta for every metric of every agent present in both record sets."""
    metrics_a, metrics_b = _metrics(a), _metrics(b)
    deltas = []
    for agent in sorted(set(metrics_a) & set(metrics_b)):
        for metric in sorted(set(metrics_a[agent]) & set(metrics_b[agent])):
            xs, ys = metrics_a[agent][metric], metrics_b[agent][metric]
            diff, half = welch(xs, ys)
            deltas.append(Delta(agent, metric, sum(xs) / len(xs), sum(ys) / len(ys), diff, half))
    return deltas


def compare_runs(run_a: str | Path, run_b: str | Path) -> list[Delta]:
    """Compare the episodes.jsonl of two run directories that share at least one agent."""
    records = []
    for run in (run_a, run_b):
        path = Path(run) / "episodes.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{run}: no episodes.jsonl (is this a run directory?)")
        records.append(read_unique_records(path))  # duplicates: warned about, first kept
    if not {r.agent for r in records[0]} & {r.agent for r in records[1]}:
        raise ValueError(f"{run_a} and {run_b} share no agent to compare")
    return compare_records(*records)


def format_deltas(deltas: Sequence[Delta]) -> str:
    """Return the deltas as a text table, marking the ones that moved."""
    lines = [f"{'agent':<15}{'metric':<26}{'A':>9}{'B':>9}{'B - A (95% CI)':>24}  moved"]
    for d in deltas:
        interval = f"{d.diff:+.3f} ± {d.half_width:.3f}"
        lines.append(
            f"{d.agent:<15}{d.metric:<26}{d.a:>9.3f}{d.b:>9.3f}{interval:>24}  "
            f"{'yes' if d.moved else ''}"
        )
    return "\n".join(lines)
