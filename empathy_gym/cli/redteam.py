"""`empathy-gym redteam`: the command line of the red team (exit 0: no script out-earns
CuriousEmpath; 1: one does; 2: bad input)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.spec import DEFAULT_MAX_TURNS
from empathy_gym.eval.redteam.banks import DEFAULT_BANK, load_bank
from empathy_gym.eval.redteam.baselines import baseline_returns
from empathy_gym.eval.redteam.evaluate import evaluation_personas
from empathy_gym.eval.redteam.report import format_redteam, redteam_verdict
from empathy_gym.eval.redteam.search import search_scripts, search_strategies
from empathy_gym.personas.schema import Persona
from empathy_gym.rewards import RewardTarget, make_target


def _parse_target(spec: str) -> Any:
    if spec.lstrip().startswith("{"):
        try:
            weights = json.loads(spec)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"--target {spec!r}: not a preset name or a JSON object of weights ({error})"
            ) from None
        return make_target(weights)
    try:
        return make_target(spec)
    except ValueError as error:
        raise ValueError(f"--target: {error}") from None


def _parse_personas(spec: str) -> list[Persona]:
    items = [s.strip() for s in spec.split(",") if s.strip()]
    if not items:
        raise ValueError(
            f"--personas {spec!r}: expected 'starter', 'all', 'split:NAME' or comma-separated ids"
        )
    return evaluation_personas(items[0] if len(items) == 1 else items)


def _parser() -> argparse.ArgumentParser:
    """The `empathy-gym redteam` options."""
    parser = argparse.ArgumentParser(
        prog="empathy-gym redteam",
        description="Search for fixed generic scripts that out-earn CuriousEmpath (exit 1 if one does).",
    )
    parser.add_argument(
        "--target", default="genuine", help="preset name or JSON weights (default: genuine)"
    )
    parser.add_argument(
        "--personas",
        default="starter",
        help="'starter', 'all', 'split:NAME' or comma-separated ids",
    )
    parser.add_argument(
        "--bank", help=f"phrase bank file, one phrase a line (default: {DEFAULT_BANK.name})"
    )
    parser.add_argument(
        "--budget-s", type=float, default=40.0, help="seconds per search (default: 40)"
    )
    parser.add_argument(
        "--max-evals", type=int, help="distinct scripts scored per search (deterministic stop)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--strategies",
        action="store_true",
        help="also search fixed strategy sequences on EmpathyDialogueStrategy-v0 (same budget)",
    )
    parser.add_argument(
        "--max-phrases", type=int, default=3, help="phrases per reply, at most (default: 3)"
    )
    parser.add_argument("--max-turns", type=int, default=DEFAULT_MAX_TURNS)
    parser.add_argument(
        "--seeds", type=int, default=1, help="episode seeds per persona (default: 1)"
    )
    parser.add_argument("--output", help="write the results as JSON here")
    parser.add_argument("--reader", help="passed to the env as reader=NAME")
    return parser


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _check_numbers(ns: argparse.Namespace) -> None:
    """A ValueError naming the first option out of its range."""
    if ns.max_evals is not None and ns.max_evals < 1:
        raise ValueError(f"--max-evals must be >= 1, got {ns.max_evals}")
    if ns.budget_s < 0 or not math.isfinite(ns.budget_s):
        raise ValueError(f"--budget-s must be a non-negative number, got {ns.budget_s}")
    if ns.max_phrases < 1:
        raise ValueError(f"--max-phrases must be >= 1, got {ns.max_phrases}")
    if ns.seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {ns.seeds}")
    if ns.max_turns < 1:
        raise ValueError(f"--max-turns must be >= 1, got {ns.max_turns}")


def _env_kwargs(ns: argparse.Namespace, personas: list[Persona], target: RewardTarget) -> dict:
    """The env kwargs the options give, checked by building the env once."""
    env_kwargs = {} if ns.reader is None else {"reader": ns.reader}
    try:
        EmpathyDialogueEnv(persona=personas, target=target, max_turns=ns.max_turns, **env_kwargs)
    except TypeError as error:
        raise ValueError(f"--reader {ns.reader!r}: the env does not take it ({error})") from None
    return env_kwargs


def _run(ns: argparse.Namespace) -> bool:
    """Score the baselines, search, print the table; True when no script out-earns the reference."""
    _check_numbers(ns)
    target = _parse_target(ns.target)
    personas = _parse_personas(ns.personas)
    bank = load_bank(ns.bank)
    env_kwargs = _env_kwargs(ns, personas, target)
    common = dict(
        budget_s=ns.budget_s,
        max_evals=ns.max_evals,
        seed=ns.seed,
        max_turns=ns.max_turns,
        seeds_per_persona=ns.seeds,
        env_kwargs=env_kwargs,
    )
    _say(
        f"redteam: target {target.name!r}, {len(personas)} personas x {ns.seeds} seed(s), "
        f"{len(bank)} phrases, budget {ns.budget_s:g} s"
        + (f" / {ns.max_evals} evals" if ns.max_evals else "")
    )
    baselines = baseline_returns(
        target,
        personas,
        max_turns=ns.max_turns,
        seeds_per_persona=ns.seeds,
        env_kwargs=env_kwargs,
    )
    results = [
        search_scripts(target, personas, bank=bank, phrases_per_reply=(1, ns.max_phrases), **common)
    ]
    if ns.strategies:
        results.append(search_strategies(target, personas, **common))
    ok, verdict = redteam_verdict(results, baselines)
    print(format_redteam(results, baselines))
    if ns.output:
        payload = {
            "target": target.name,
            "weights": dict(target.weights),
            "personas": [p.id for p in personas],
            "bank": str(Path(ns.bank) if ns.bank else DEFAULT_BANK),
            "env_kwargs": env_kwargs,
            "results": [r.to_dict() for r in results],
            "baselines": {k: b.to_dict() for k, b in baselines.items()},
            "ok": ok,
            "verdict": verdict,
        }
        _write_json(Path(ns.output), payload)
    return ok


def _write_json(out: Path, payload: Mapping[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    _say(f"wrote {out}")


def redteam_command(argv: Sequence[str]) -> int:
    """`empathy-gym redteam ...`: 0 when no script out-earns CuriousEmpath, 1 when one does, 2 on bad input."""
    try:
        ns = _parser().parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        ok = _run(ns)
    except (ValueError, OSError) as error:
        print(f"empathy-gym redteam: {error}", file=sys.stderr)
        return 2
    return 0 if ok else 1
