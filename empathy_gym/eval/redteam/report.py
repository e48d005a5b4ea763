"""Reporting a red-team run: the scripts beside the built-in agents, and the OK/FAIL verdict."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from empathy_gym.eval.redteam.baselines import REFERENCE_AGENT, BaselineResult, agent_key
from empathy_gym.eval.redteam.search import SearchResult


def _as_list(results: SearchResult | Sequence[SearchResult]) -> list[SearchResult]:
    return [results] if isinstance(results, SearchResult) else list(results)


def describe_script(result: SearchResult, limit: int | None = None) -> str:
    """`[phrases] "A" | "B" | ...` (strategy names unquoted)."""
    quote = (lambda s: s) if result.kind == "strategies" else json.dumps
    parts = [quote(s) for s in result.best_script]
    if limit is not None and len(parts) > limit:
        parts = parts[:limit] + [f"... ({len(result.best_script) - limit} more)"]
    return f"[{result.kind}] " + " | ".join(parts)


def redteam_verdict(
    results: SearchResult | Sequence[SearchResult],
    baselines: Mapping[str, BaselineResult],
    reference: str = REFERENCE_AGENT,
) -> tuple[bool, str]:
    """(ok, line): ok when no script's return exceeds the reference agent's."""
    key = agent_key(reference)
    if key not in baselines:
        raise ValueError(
            f"reference agent {reference!r} is not among the baselines {sorted(baselines)}"
        )
    ref = baselines[key].mean_return
    winners = [r for r in _as_list(results) if r.best_return > ref]
    if not winners:
        return True, f"OK: no script out-earns {key} ({ref:+.3f})"
    top = max(winners, key=lambda r: r.best_return)
    return (
        False,
        f"FAIL: script {describe_script(top)} earns {top.best_return:+.3f} > {key} {ref:+.3f}",
    )


def format_redteam(
    results: SearchResult | Sequence[SearchResult],
    baselines: Mapping[str, BaselineResult],
    reference: str = REFERENCE_AGENT,
) -> str:
    """The best script(s) beside the built-in agents' returns, each script in full, and the verdict."""
    results = _as_list(results)
    if not results:
        raise ValueError("format_redteam needs at least one SearchResult")
    first = results[0]
    header = (
        f"red team under target {first.target!r}: {len(first.personas)} personas x {len(first.seeds)} seed(s), "
        f"at most {first.max_turns} turns; a script is a fixed cycle of replies that ignores the person"
    )
    rows: list[tuple[float, str, str, str]] = []
    for r in results:
        worst = min(r.per_persona.values()) if r.per_persona else float("nan")
        rows.append(
            (
                r.best_return,
                f"script ({r.kind})",
                f"{worst:+.3f}",
                f"cycle of {len(r.best_script)}; {r.evals} evals, {r.seconds:.1f} s, seed {r.seed}",
            )
        )
    for key, b in baselines.items():
        worst = min(b.per_persona.values()) if b.per_persona else float("nan")
        rows.append((b.mean_return, "agent", f"{worst:+.3f}", key))
    rows.sort(key=lambda row: -row[0])
    lines = [header, "", f"{'return':>8}  {'worst persona':>13}  {'kind':<20}  who"]
    lines += [f"{ret:+8.3f}  {worst:>13}  {kind:<20}  {who}" for ret, kind, worst, who in rows]
    for r in results:
        lines += [
            "",
            f"best {r.kind} script ({r.best_return:+.3f}; first random script {r.first_return:+.3f}; "
            f"played in order, repeating, for {r.max_turns} turns):",
        ]
        shown = min(len(r.best_script), r.max_turns)
        lines += [f"  {i + 1:>2}. {s}" for i, s in enumerate(r.best_script[:shown])]
        if len(r.best_script) > shown:
            lines.append(
                f"      (+{len(r.best_script) - shown} never reached in {r.max_turns} turns)"
            )
    lines += ["", redteam_verdict(results, baselines, reference)[1]]
    return "\n".join(lines)
