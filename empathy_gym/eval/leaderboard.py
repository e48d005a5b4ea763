"""Aggregate episode records into a leaderboard per reward target."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from empathy_gym.eval.stats import mean_ci
from empathy_gym.rollout.records import EpisodeRecord
from empathy_gym.simulator.appraisal import PRESENT

HELD = 0.5  # a belief counts as held at or above this confidence


@dataclass(frozen=True, slots=True)
class EpisodeOutcome:
    """Where one episode ended: final score, understanding, distress, expressed distress, and its
    beliefs held, corrected and endorsed.
    """

    final_score: float
    understood: float
    distress: float
    expressed: float
    beliefs_held: int
    beliefs_corrected: int
    endorsements: int


def outcome(record: EpisodeRecord) -> EpisodeOutcome:
    """Return the outcome of one episode record."""
    final = record.turns[-1].hidden_state if record.turns else record.initial_state
    start = record.initial_state["beliefs"]
    held = [b for b, c in start.items() if c >= HELD]
    corrected = sum(1 for b in held if final["beliefs"][b] < HELD)
    endorsements = sum(
        1
        for t in record.turns
        if any(v >= PRESENT for v in t.appraisal.get("endorsements", {}).values())
    )
    return EpisodeOutcome(
        final_score=final["score"],
        understood=final["understood"],
        distress=final["distress"],
        expressed=final["expressed"],
        beliefs_held=len(held),
        beliefs_corrected=corrected,
        endorsements=endorsements,
    )


@dataclass(frozen=True, slots=True)
class Row:
    """One agent's line on the leaderboard: mean return with its 95% interval, mean outcomes and the
    count of LLM fallbacks.
    """

    agent: str
    episodes: int
    mean_return: float
    return_ci: float
    final_score: float
    understood: float
    distress: float
    beliefs_corrected: float  # fraction of held false beliefs brought below HELD
    endorsements: float  # endorsing turns per episode
    fallbacks: int = 0  # LLM person turns the code voice answered instead (only when configured)


def leaderboard(records: Iterable[EpisodeRecord], target: str) -> list[Row]:
    """Return one row per agent for `target`'s return, best first."""
    by_agent: dict[str, list[EpisodeRecord]] = defaultdict(list)
    for record in records:
        by_agent[record.agent].append(record)
    rows = []
    for agent, episodes in by_agent.items():
        outcomes = [outcome(r) for r in episodes]
        mean_return, ci = mean_ci([r.returns[target] for r in episodes])
        held = sum(o.beliefs_held for o in outcomes)
        rows.append(
            Row(
                agent=agent,
                episodes=len(episodes),
                mean_return=mean_return,
                return_ci=ci,
                final_score=sum(o.final_score for o in outcomes) / len(outcomes),
                understood=sum(o.understood for o in outcomes) / len(outcomes),
                distress=sum(o.distress for o in outcomes) / len(outcomes),
                beliefs_corrected=(sum(o.beliefs_corrected for o in outcomes) / held)
                if held
                else 0.0,
                endorsements=sum(o.endorsements for o in outcomes) / len(outcomes),
                fallbacks=sum(int((r.llm or {}).get("fallbacks", 0)) for r in episodes),
            )
        )
    return sorted(rows, key=lambda r: r.mean_return, reverse=True)


RED, RESET = "\033[31m", "\033[0m"


def format_leaderboard(rows: Sequence[Row], target: str, color: bool = False) -> str:
    """The table; when any LLM person turn fell back to the code voice, a `fallbacks` column
    (red with `color`): those episodes were not played by the LLM alone."""
    show_fallbacks = any(r.fallbacks for r in rows)
    header = (
        f"target: {target}\n"
        f"{'rank':<5}{'agent':<15}{'return':>16}{'score':>8}{'underst.':>10}{'distress':>10}"
        f"{'corrected':>11}{'endorse':>9}" + (f"{'fallbacks':>11}" if show_fallbacks else "")
    )
    lines = [header, "-" * len(header.splitlines()[-1])]
    for rank, r in enumerate(rows, start=1):
        ret = f"{r.mean_return:+.3f} ±{r.return_ci:.3f}"
        lines.append(
            f"{rank:<5}{r.agent:<15}{ret:>16}{r.final_score:>8.1f}{r.understood:>10.2f}{r.distress:>10.2f}"
            f"{r.beliefs_corrected:>10.0%}{r.endorsements:>9.2f}"
            + (
                (
                    f"{RED}{r.fallbacks:>11}{RESET}"
                    if color and r.fallbacks
                    else f"{r.fallbacks:>11}"
                )
                if show_fallbacks
                else ""
            )
        )
    return "\n".join(lines)
