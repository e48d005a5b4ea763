"""The small commands: serve, report, compare, dynamics, judge-eval."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from empathy_gym.personas.loader import PersonaError
from empathy_gym.simulator.readers import DEFAULT_READER


def serve_command(argv: list[str]) -> int:
    """`empathy-gym serve`: serve EmpathyDialogue-v0 as an OpenEnv websocket app until stopped;
    2 without the openenv extra or on a bad persona, target or reader.
    """
    import argparse

    from empathy_gym.envs.spec import DEFAULT_MAX_TURNS

    parser = argparse.ArgumentParser(
        prog="empathy-gym serve", description="EmpathyDialogue-v0 as an OpenEnv server"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max-sessions", type=int, default=64)
    parser.add_argument("--target", default="genuine")
    parser.add_argument(
        "--persona", default="all", help="a persona id or set (all, starter, tag:..., split:test)"
    )
    parser.add_argument("--reader", default=DEFAULT_READER)
    parser.add_argument("--max-turns", type=int, default=DEFAULT_MAX_TURNS)
    ns = parser.parse_args(argv)
    try:
        import uvicorn

        from empathy_gym.serve.openenv import UVICORN_OPTIONS, create_app
    except ImportError as error:
        print(
            f"empathy-gym serve needs the openenv extra: pip install -c constraints-cpu.txt -e '.[openenv]' ({error})",
            file=sys.stderr,
        )
        return 2
    try:
        app = create_app(
            {
                "persona": ns.persona,
                "target": ns.target,
                "reader": ns.reader,
                "max_turns": ns.max_turns,
            },
            max_sessions=ns.max_sessions,
        )
    except (ValueError, PersonaError) as error:
        print(f"empathy-gym serve: {error}", file=sys.stderr)
        return 2
    print(
        f"serving EmpathyDialogue-v0 (OpenEnv) on ws://{ns.host}:{ns.port}/ws, up to {ns.max_sessions} sessions",
        file=sys.stderr,
    )
    uvicorn.run(app, host=ns.host, port=ns.port, log_level="warning", **UVICORN_OPTIONS)
    return 0


def report_command(argv: list[str]) -> int:
    """`empathy-gym report RUN_DIR [--output FILE]`: one static HTML report of a run."""
    parser = argparse.ArgumentParser(
        prog="empathy-gym report",
        description="One static HTML report: leaderboard, trajectories, episode viewer.",
    )
    parser.add_argument("run_dir")
    parser.add_argument("--output", help="default: RUN_DIR/report.html")
    ns = parser.parse_args(argv)
    from empathy_gym.eval.report import build_report

    return _guarded("report", lambda: print(build_report(ns.run_dir, ns.output)))


def compare_command(argv: list[str]) -> int:
    """`empathy-gym compare RUN_A RUN_B`: which metrics moved between two runs."""
    parser = argparse.ArgumentParser(
        prog="empathy-gym compare", description="Which metrics moved, with 95%% intervals."
    )
    parser.add_argument("run_a")
    parser.add_argument("run_b")
    ns = parser.parse_args(argv)
    from empathy_gym.eval.compare import compare_runs, format_deltas

    return _guarded("compare", lambda: print(format_deltas(compare_runs(ns.run_a, ns.run_b))))


def _guarded(command: str, work) -> int:
    """Run `work`; a missing run or bad records is exit 2 with one line naming the problem."""
    try:
        work()
    except (FileNotFoundError, ValueError, ImportError) as error:
        print(f"empathy-gym {command}: {error}", file=sys.stderr)
        return 2
    return 0


def dynamics_command(argv: list[str]) -> int:
    """`empathy-gym dynamics [--set NAME=VALUE ...]`: the dynamics' parameter table."""
    parser = argparse.ArgumentParser(
        prog="empathy-gym dynamics",
        description="Every coefficient of how the person's state moves: name, value, meaning, "
        "source. Override one in a run with simulator.dynamics.NAME=VALUE or "
        "gym.make(..., dynamics={NAME: VALUE}).",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="show with overrides"
    )
    ns = parser.parse_args(argv)
    from empathy_gym.simulator.params import DynamicsParams

    try:
        overrides = {}
        for item in ns.set:
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--set {item!r}: expected NAME=VALUE")
            overrides[name] = yaml_value(value)
        params = DynamicsParams.from_overrides(overrides)
    except (KeyError, TypeError, ValueError) as error:
        print(f"empathy-gym dynamics: {error.args[0]}", file=sys.stderr)
        return 2
    print(params.format_table())
    return 0


def yaml_value(text: str) -> Any:
    """A command-line value as YAML reads it (0.1 -> float, 3 -> int), as Hydra does."""
    import yaml

    return yaml.safe_load(text)


def judge_eval_command(argv: list[str]) -> int:
    """`empathy-gym judge-eval CASES.jsonl`: accuracy on turn judgements, and the misses."""
    parser = argparse.ArgumentParser(
        prog="empathy-gym judge-eval",
        description="On the first turn, same seed: does the env pay the better reply more? "
        "Prints accuracy overall, per kind and per difficulty beside the word-overlap floor, "
        "and the misses with their appraisals (not for --part measure: that part is only measured).",
    )
    parser.add_argument("cases", help="turn judgements, JSON lines (see empathy_gym/eval/judge.py)")
    parser.add_argument(
        "--reader", default=DEFAULT_READER, help=f"how the person reads (default {DEFAULT_READER})"
    )
    parser.add_argument("--target", default="genuine", help="the reward target (default genuine)")
    parser.add_argument(
        "--part",
        choices=("all", "study", "measure"),
        default="all",
        help="the cases of the study or measure personas (a fixed split by persona id)",
    )
    parser.add_argument("--json", help="also write the summary and every case's rewards here")
    ns = parser.parse_args(argv)
    from empathy_gym.eval import judge

    try:
        cases = judge.select_part(judge.load_cases(ns.cases), ns.part)
        results = judge.judge_cases(cases, ns.reader, ns.target, progress=True)
    except (FileNotFoundError, ValueError, PersonaError) as error:
        print(f"empathy-gym judge-eval: {error}", file=sys.stderr)
        return 2
    summary = judge.summarize(results)
    print(judge.format_report(summary, results, show_misses=ns.part != "measure"))
    if ns.json:
        rows = [
            {"id": r.case.id, "score": r.score, "reward_a": r.reward_a, "reward_b": r.reward_b}
            for r in results
        ]
        Path(ns.json).write_text(json.dumps({"summary": summary, "cases": rows}, indent=1) + "\n")
    return 0
