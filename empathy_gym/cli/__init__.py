"""The `empathy-gym` command: one parser, one subcommand per job; `empathy-gym --help` lists them.

Hydra runs the config-driven commands (evaluate, rollout, train; `run_commands.py`):
`empathy-gym evaluate --help` lists their config groups and keys. The other commands take
ordinary flags, parsed here in the cli layer (`tools.py`, `evals.py`, `personas.py`,
`redteam.py`); the library below owns no command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from empathy_gym.cli.run_commands import (
    build_env_kwargs,
    env_spec,
    evaluate_command,
    load_config,
    rollout_command,
    train_command,
)
from empathy_gym.llm.base import BackendError
from empathy_gym.personas.loader import PersonaError

__all__ = ["main", "load_config", "env_spec", "build_env_kwargs", "ALL_COMMANDS", "HYDRA_COMMANDS"]

HYDRA_COMMANDS: dict[str, tuple[Callable[[DictConfig], int], str]] = {
    "evaluate": (
        evaluate_command,
        "every agent over the personas under every target: a leaderboard (the default command)",
    ),
    "rollout": (
        rollout_command,
        "the same episodes as records only, locally or in Ray actors (rollout=ray); resumable",
    ),
    "train": (train_command, "PPO (RLlib) on EmpathyDialogueStrategy-v0 under one target"),
}
# Commands with their own flags: (module, function, one-line summary). Each takes argv.
TOOL_COMMANDS: dict[str, tuple[str, str, str]] = {
    "personas": (
        "empathy_gym.cli.personas",
        "main",
        "list | show ID | validate [PATHS] | new PATH | schema | splits | check [PATHS]",
    ),
    "report": ("empathy_gym.cli.tools", "report_command", "RUN_DIR: one static HTML report"),
    "compare": (
        "empathy_gym.cli.tools",
        "compare_command",
        "RUN_A RUN_B: which metrics moved, with 95%% intervals",
    ),
    "validate": (
        "empathy_gym.cli.evals",
        "validate_command",
        "--data ESCONV.jsonl: the simulated person's fidelity on real conversations",
    ),
    "fit-reader": (
        "empathy_gym.cli.evals",
        "fit_reader_command",
        "--data ESCONV.jsonl --output HEAD.npz: an act head fitted on your own data",
    ),
    "serve": (
        "empathy_gym.cli.tools",
        "serve_command",
        "the env as an OpenEnv server (many sessions)",
    ),
    "voice-report": (
        "empathy_gym.cli.evals",
        "voice_report_command",
        "does the simulated person talk like a person (repeats, sentiment)",
    ),
    "beliefs-eval": (
        "empathy_gym.cli.evals",
        "beliefs_eval_command",
        "PATH: how a reader reads replies to false beliefs (labelled JSONL)",
    ),
    "judge-eval": (
        "empathy_gym.cli.tools",
        "judge_eval_command",
        "CASES.jsonl: does the env pay the better of two first replies more (turn judgements)",
    ),
    "dynamics": (
        "empathy_gym.cli.tools",
        "dynamics_command",
        "the person's dynamics: every parameter, its value, meaning and source",
    ),
    "redteam": (
        "empathy_gym.cli.redteam",
        "redteam_command",
        "can a fixed generic script out-earn CuriousEmpath? exit 0 no, 1 yes, 2 bad input",
    ),
}
ALL_COMMANDS: tuple[str, ...] = (*HYDRA_COMMANDS, *TOOL_COMMANDS)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell convention for Ctrl-C
HELP_FLAGS = ("-h", "--help")


def build_parser() -> argparse.ArgumentParser:
    """One parser for every subcommand; `empathy-gym COMMAND --help` works for each."""
    parser = argparse.ArgumentParser(
        prog="empathy-gym",
        description="Gymnasium dialogue environments with simulated people and named empathy rewards.",
        epilog="With no command, `empathy-gym [key=value ...]` runs evaluate.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, summary) in HYDRA_COMMANDS.items():
        # Hydra parses the overrides; `--help` is answered from the config tree itself.
        cmd = sub.add_parser(name, help=summary, add_help=False)
        cmd.add_argument("overrides", nargs=argparse.REMAINDER)
    for name, (_, _, summary) in TOOL_COMMANDS.items():
        cmd = sub.add_parser(name, help=summary, add_help=False)
        cmd.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def config_help(command: str) -> str:
    """Usage of a Hydra command: its config groups with their options, and every key's default."""
    import importlib.resources

    conf = importlib.resources.files("empathy_gym.conf")
    defaults = OmegaConf.load(str(conf / "config.yaml")).defaults
    chosen = {k: v for d in defaults if isinstance(d, DictConfig) for k, v in d.items()}
    lines = [
        f"usage: empathy-gym {command} [group=option ...] [key=value ...]",
        "",
        HYDRA_COMMANDS[command][1],
        "",
        "config groups (pick one option; * = default):",
    ]
    for group in sorted(p.name for p in conf.iterdir() if p.is_dir() and p.name[0] != "_"):
        options = sorted(f.name[:-5] for f in (conf / group).iterdir() if f.name.endswith(".yaml"))
        marked = [f"{o}*" if o == chosen.get(group) else o for o in options]
        lines.append(f"  {group:<12} {', '.join(marked)}")
    lines += ["", "keys (override with key=value; defaults shown):"]
    flat = _flatten(OmegaConf.to_container(load_config([]), resolve=False))
    lines += [f"  {key}={value}" for key, value in flat]
    lines += [
        "",
        "examples:",
        "  empathy-gym evaluate target=comfort env.max_turns=6 seeds=2 personas=[maria_lost_mother]",
        "  empathy-gym rollout rollout=ray rollout.workers=2 persona_set=test",
        "  empathy-gym train target=genuine train.iterations=20",
        "Every run writes its resolved config.yaml beside its records.",
    ]
    return "\n".join(lines)


def _flatten(tree: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if not isinstance(tree, dict):
        return [(prefix, json.dumps(tree) if not isinstance(tree, str) else tree)]
    rows: list[tuple[str, Any]] = []
    for key, value in tree.items():
        rows += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    return rows


def unknown_command(name: str) -> str:
    """The error line for an unknown command `name`: the closest command as a hint, and the full list."""
    import difflib

    close = difflib.get_close_matches(name, ALL_COMMANDS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"empathy-gym: unknown command {name!r}{hint}; the commands are: "
        f"{', '.join(ALL_COMMANDS)}. See `empathy-gym --help`."
    )


def _run_tool(name: str, argv: list[str]) -> int:
    import importlib

    module, function, _ = TOOL_COMMANDS[name]
    run = getattr(importlib.import_module(module), function)
    try:
        return run(argv)
    except SystemExit as done:  # argparse's --help and usage errors: keep main() returning a code
        return done.code if isinstance(done.code, int) else 2


def _run_hydra(name: str, overrides: list[str]) -> int:
    if any(flag in overrides for flag in HELP_FLAGS):
        print(config_help(name))
        return 0
    try:
        cfg = load_config(overrides)
        return HYDRA_COMMANDS[name][0](cfg)
    except (HydraException, OmegaConfBaseException) as error:
        print(f"empathy-gym: invalid configuration: {error}", file=sys.stderr)
        return 2
    except (PersonaError, ValueError, BackendError) as error:
        print(f"empathy-gym: {error}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    """The `empathy-gym` entry point: `empathy-gym [COMMAND] [args ...]` (default: evaluate)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "help":
        args[0] = "--help"
    if not args or "=" in args[0]:
        args.insert(0, "evaluate")
    if args[0] not in ALL_COMMANDS and args[0] not in HELP_FLAGS:
        print(unknown_command(args[0]), file=sys.stderr)
        return 2
    try:
        ns = build_parser().parse_args(args[:1])
    except SystemExit as done:  # `empathy-gym --help`
        return done.code if isinstance(done.code, int) else 2
    try:
        if ns.command in HYDRA_COMMANDS:
            return _run_hydra(ns.command, args[1:])
        return _run_tool(ns.command, args[1:])
    except KeyboardInterrupt:  # the run commands say what they kept; anything else kept nothing
        print(f"empathy-gym {ns.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
