"""The `empathy-gym` command: `empathy-gym [COMMAND] [hydra overrides...]`.

Commands:
  evaluate   run every baseline over the personas under every target (default)
  personas   list | show ID | validate [PATHS] | new PATH | schema | check [PATHS]
Configuration lives in empathy_gym/conf (Hydra); override with key=value.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable

from hydra import compose, initialize_config_module
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from empathy_gym.eval.leaderboard import format_leaderboard, leaderboard
from empathy_gym.eval.runner import evaluate
from empathy_gym.personas.loader import PersonaError, resolve_personas
from empathy_gym.rewards import make_target
from empathy_gym.rollout.records import RecordWriter


def load_config(overrides: list[str]) -> DictConfig:
    with initialize_config_module("empathy_gym.conf", version_base="1.3"):
        return compose("config", overrides=overrides)


def _targets(cfg: DictConfig) -> dict:
    names = list(cfg.target.names)
    if cfg.target.weights is not None:
        weights = OmegaConf.to_container(cfg.target.weights)
        return {names[0]: make_target(weights)}
    return {name: make_target(name) for name in names}


def _output_dir(cfg: DictConfig, command: str) -> Path:
    if cfg.output_dir:
        return Path(cfg.output_dir)
    return Path("runs") / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}"


def evaluate_command(cfg: DictConfig) -> int:
    personas = resolve_personas(OmegaConf.to_container(cfg.personas) if not isinstance(cfg.personas, str) else cfg.personas)
    targets = _targets(cfg)
    seeds = list(range(cfg.seed_offset, cfg.seed_offset + cfg.seeds))
    out = _output_dir(cfg, "evaluate")
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    print(
        f"evaluating {len(cfg.agents)} agents x {len(personas)} personas x {len(seeds)} seeds "
        f"({len(cfg.agents) * len(personas) * len(seeds)} episodes, max {cfg.env.max_turns} turns)",
        file=sys.stderr,
    )
    with RecordWriter(out / "episodes.jsonl") as writer:
        records = evaluate(
            list(cfg.agents),
            personas,
            seeds,
            max_turns=cfg.env.max_turns,
            targets=targets,
            on_record=writer.write,
            progress=cfg.progress,
        )
    boards = [format_leaderboard(leaderboard(records, name), name) for name in targets]
    text = "\n\n".join(boards)
    (out / "leaderboard.txt").write_text(text + "\n")
    print(text)
    print(f"\nwrote {len(records)} episode records to {out / 'episodes.jsonl'}", file=sys.stderr)
    return 0


COMMANDS: dict[str, Callable[[DictConfig], int]] = {"evaluate": evaluate_command}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = "evaluate"
    if args and args[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    if args and args[0] == "personas":
        from empathy_gym.personas.cli import main as personas_main

        return personas_main(args[1:])
    if args and "=" not in args[0]:
        command = args.pop(0)
        if command not in COMMANDS:
            print(f"empathy-gym: unknown command {command!r}; expected one of {sorted(COMMANDS)}", file=sys.stderr)
            return 2
    try:
        cfg = load_config(args)
        return COMMANDS[command](cfg)
    except (HydraException, OmegaConfBaseException) as error:
        print(f"empathy-gym: invalid configuration: {error}", file=sys.stderr)
        return 2
    except (PersonaError, ValueError) as error:
        print(f"empathy-gym: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
