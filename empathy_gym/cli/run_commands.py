"""The `empathy-gym` command: one parser, one subcommand per job; `empathy-gym --help` lists them.

Hydra runs the config-driven commands (evaluate, rollout, train): `empathy-gym evaluate
--help` lists their config groups and keys. The other commands take ordinary flags.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from empathy_gym.eval.leaderboard import format_leaderboard, leaderboard
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.rewards import make_target
from empathy_gym.rollout.episodes import evaluate, plan_jobs
from empathy_gym.rollout.records import RecordWriter

# Open mappings: any name may be set under them (`simulator.dynamics.trust_gain=0.1`, no `+`);
# the names are validated when the spec is built (`env_spec`), not by Hydra.
OPEN_MAPPINGS = ("simulator.dynamics.",)


def load_config(overrides: list[str]) -> DictConfig:
    """The composed config with `overrides` (`key=value` strings) applied."""
    overrides = [f"++{o}" if o.startswith(OPEN_MAPPINGS) and "=" in o else o for o in overrides]
    with initialize_config_module("empathy_gym.conf", version_base="1.3"):
        return compose("config", overrides=overrides)


def _targets(cfg: DictConfig) -> dict:
    names = list(cfg.target.names)
    if cfg.target.weights is not None:
        return {names[0]: make_target(OmegaConf.to_container(cfg.target.weights))}
    return {name: make_target(name) for name in names}


def _personas(cfg: DictConfig):
    spec = cfg.personas
    return resolve_personas(OmegaConf.to_container(spec) if OmegaConf.is_config(spec) else spec)


def _agents(cfg: DictConfig) -> list:
    """The agents to run: built-in names, and the policy group's own policy first (policy=openai|python|rllib)."""
    agents = (
        list(OmegaConf.to_container(cfg.agents, resolve=False)) if cfg.agents is not None else []
    )
    kind = OmegaConf.select(cfg, "policy.kind")
    if kind is None:
        return agents
    spec = {
        k: v
        for k, v in OmegaConf.to_container(cfg.policy, resolve=False).items()
        if k not in ("agents", "baselines")
    }
    for key in list(spec):
        try:
            spec[key] = OmegaConf.select(cfg, f"policy.{key}", throw_on_missing=True)
        except OmegaConfBaseException:
            raise ValueError(f"policy={kind} needs policy.{key}") from None
    from empathy_gym.agents.policies import with_absolute_paths

    # A relative checkpoint means this directory, also for a Ray worker started elsewhere.
    return [with_absolute_paths(a) for a in [spec, *[a for a in agents if a != spec]]]


def _int(cfg: DictConfig, key: str, minimum: int) -> int:
    value = OmegaConf.select(cfg, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{key}={value!r}: expected an integer >= {minimum}")
    return value


def _seeds(cfg: DictConfig) -> list[int]:
    count, offset = _int(cfg, "seeds", 1), _int(cfg, "seed_offset", 0)
    return list(range(offset, offset + count))


def _require_extra(module: str, extra: str, what: str) -> None:
    """Fail before a run directory is made when an optional dependency is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ValueError(
            f"{what} needs the {extra} extra: pip install -c constraints-cpu.txt -e '.[{extra}]' "
            f"(no module named {module!r})"
        )


def backend_config(cfg: DictConfig) -> dict[str, Any] | None:
    """The backend that plays the person as plain data (`{"kind": ..., ...}`; None: the rule voice).

    The reader is not built here: `envs.build` builds it from the spec, through the one door
    (`simulator.readers.get_reader`).
    """
    if cfg.simulator.kind == "rule":
        return None
    if cfg.backend.kind is None:
        raise ValueError(
            "simulator=llm needs a backend: add backend=openai, backend=vllm, backend=transformers or backend=scripted"
        )
    return OmegaConf.to_container(cfg.backend, resolve=True)


def env_spec(cfg: DictConfig) -> dict[str, Any]:
    """The env as plain `DialogueSpec` data (see `envs/build.py`), validated: the local path and
    Ray workers build from the same spec. A bad value raises ValueError naming its config key."""
    from empathy_gym.envs.spec import DialogueSpec

    sim = cfg.simulator
    dynamics = OmegaConf.to_container(sim.dynamics, resolve=True) if "dynamics" in sim else {}
    spec: dict[str, Any] = {
        "max_turns": cfg.env.max_turns,
        "turn_limit": cfg.env.turn_limit,
        "max_reply_chars": cfg.env.max_reply_chars,
        "reader": sim.reader,
        "dynamics": dynamics,
    }
    backend = backend_config(cfg)
    if backend is not None:
        spec["backend"] = backend
        keys = ("max_tokens", "temperature", "max_retries", "on_failure", "sage_mode")
        spec["llm_config"] = {key: sim[key] for key in keys}
    try:
        DialogueSpec.from_plain(spec)
    except (KeyError, TypeError) as error:  # dynamics: KeyError/TypeError naming the parameter
        message = error.args[0] if error.args else str(error)
        raise ValueError(f"simulator.dynamics: {message}") from None
    return spec


def build_env_kwargs(cfg: DictConfig) -> dict[str, Any]:
    """`EmpathyDialogueEnv` keyword arguments for the config (the backend built and checked)."""
    from empathy_gym.envs.build import env_kwargs_from_spec

    return env_kwargs_from_spec(env_spec(cfg))


def _build_agents_once(agents: list) -> None:
    """Build every agent before a run dir exists: a bad path, model or checkpoint fails here, named."""
    from empathy_gym.agents.policies import make_agent

    for spec in agents:
        make_agent(spec, seed=0)


def _output_dir(cfg: DictConfig, command: str, targets: dict | None = None) -> Path:
    """The run directory, with its resolved config.yaml and the weights of every target (targets.json)."""
    out = (
        Path(cfg.output_dir)
        if cfg.output_dir
        else Path("runs") / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    if targets is not None:
        (out / "targets.json").write_text(
            json.dumps({n: dict(t.weights) for n, t in targets.items()}, indent=2) + "\n"
        )
    return out


def evaluate_command(cfg: DictConfig) -> int:
    """`empathy-gym evaluate`: run every agent x persona x seed episode not already in the output's
    episodes.jsonl, write and print the leaderboard of each target; 0, 130 on Ctrl-C.
    """
    from empathy_gym.rollout.pool import existing_episode_ids
    from empathy_gym.rollout.records import read_unique_records
    from empathy_gym.rollout.resume import RECORD_KEYS, check_same_setup, interrupted

    out = path = None
    try:
        personas, targets, seeds, agents = _personas(cfg), _targets(cfg), _seeds(cfg), _agents(cfg)
        env_kwargs = build_env_kwargs(cfg)
        _build_agents_once(agents)
        if cfg.output_dir and (Path(cfg.output_dir) / "episodes.jsonl").is_file():
            setup = OmegaConf.to_container(cfg, resolve=True)
            check_same_setup(Path(cfg.output_dir), setup, RECORD_KEYS)
        out = _output_dir(cfg, "evaluate", targets)
        path = out / "episodes.jsonl"
        jobs = plan_jobs(agents, personas, seeds)
        done = existing_episode_ids(path)  # a rerun resumes: whole records are kept, not redone
        todo = [job for job in jobs if job.episode_id not in done]
        print(
            f"evaluating {len(agents)} agents x {len(personas)} personas x {len(seeds)} seeds "
            f"({len(jobs)} episodes, max {cfg.env.max_turns} turns)"
            + (f"; {len(jobs) - len(todo)} already in {path}, resuming" if done else ""),
            file=sys.stderr,
        )
        with RecordWriter(path) as writer:
            new = evaluate(
                [],
                [],
                [],
                targets=targets,
                on_record=writer.write,
                progress=cfg.progress,
                env_kwargs=env_kwargs,
                jobs=todo,
            )
    except KeyboardInterrupt:
        kept = f"{len(existing_episode_ids(path))} episode records in {path}" if path else None
        return interrupted("evaluate", kept, out)
    records = read_unique_records(path)  # the leaderboard covers every record in the file
    boards = [leaderboard(records, name) for name in targets]
    (out / "leaderboard.txt").write_text(
        "\n\n".join(format_leaderboard(b, n) for b, n in zip(boards, targets)) + "\n"
    )
    color = sys.stdout.isatty() or bool(os.environ.get("FORCE_COLOR"))
    print("\n\n".join(format_leaderboard(b, n, color=color) for b, n in zip(boards, targets)))
    print(
        f"\nwrote {len(new)} new episode records, kept {len(records) - len(new)} from an "
        f"earlier run, in {path}",
        file=sys.stderr,
    )
    return 0


def rollout_command(cfg: DictConfig) -> int:
    """`empathy-gym rollout`: write the planned episodes to episodes.jsonl, in process or over Ray
    workers (`rollout.workers`), and a rollout_summary.json; 0, 130 on Ctrl-C.
    """
    from empathy_gym.rollout.pool import existing_episode_ids
    from empathy_gym.rollout.resume import RECORD_KEYS, check_same_setup, interrupted

    out = path = None
    try:
        personas, targets, seeds, agents = _personas(cfg), _targets(cfg), _seeds(cfg), _agents(cfg)
        _build_agents_once(agents)
        spec = env_spec(cfg)
        use_ray = cfg.rollout.workers == "auto" or _int(cfg, "rollout.workers", 0) > 0
        if use_ray:
            _require_extra("ray", "rllib", "rollout=ray")
            if spec.get("backend", {}).get("kind") == "openai":
                # a server is cheap to check here; engines load in workers
                from empathy_gym.llm import make_backend

                probe = dict(spec["backend"])
                checked = make_backend(probe.pop("kind"), **probe)
                checked.check()
                checked.close()
        else:
            from empathy_gym.envs.build import env_kwargs_from_spec

            # builds and checks the backend before a run dir exists
            local_env_kwargs = env_kwargs_from_spec(spec)
        if cfg.output_dir and (Path(cfg.output_dir) / "episodes.jsonl").is_file():
            setup = OmegaConf.to_container(cfg, resolve=True)
            check_same_setup(Path(cfg.output_dir), setup, RECORD_KEYS)
        out = _output_dir(cfg, "rollout", targets)
        path = out / "episodes.jsonl"
        jobs = plan_jobs(agents, personas, seeds)
        if not use_ray:
            done = existing_episode_ids(path)
            todo = [j for j in jobs if j.episode_id not in done]
            with RecordWriter(path) as writer:
                evaluate(
                    [],
                    [],
                    [],
                    targets=targets,
                    env_kwargs=local_env_kwargs,
                    jobs=todo,
                    on_record=writer.write,
                    progress=cfg.progress,
                )
            summary = {
                "written": len(todo),
                "skipped": len(jobs) - len(todo),
                "existing_before": len(done),
            }
            if cfg.rollout.parquet:
                from empathy_gym.rollout.pool import write_parquet

                summary["parquet"] = str(write_parquet(path, path.with_suffix(".parquet")))
        else:
            from empathy_gym.rollout.pool import RolloutPool

            pool = RolloutPool(
                workers=cfg.rollout.workers,
                env_spec=spec,
                targets=targets,
                address=cfg.rollout.address,
                chunk_size=cfg.rollout.chunk_size,
                gpus_per_worker=cfg.rollout.gpus_per_worker,
            )
            result = pool.run(jobs, path, parquet=cfg.rollout.parquet)
            pool.shutdown()
            keys = ("written", "skipped", "reruns", "seconds", "episodes_per_second", "parquet")
            summary = {k: getattr(result, k) for k in keys}
    except KeyboardInterrupt:
        kept = f"{len(existing_episode_ids(path))} episode records in {path}" if path else None
        return interrupted("rollout", kept, out)
    (out / "rollout_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    return 0


def train_command(cfg: DictConfig) -> int:
    """`empathy-gym train`: PPO under the one reward target, resuming from the output's checkpoint;
    writes and prints the train summary; 0, 130 on Ctrl-C.
    """
    for module in ("ray", "torch"):
        _require_extra(module, "rllib", "train")
    from empathy_gym.rollout.resume import TRAIN_FREE, TRAIN_KEYS, check_same_setup, interrupted
    from empathy_gym.train import has_checkpoint, latest_checkpoint, train_ppo

    targets = _targets(cfg)
    if len(targets) != 1:
        raise ValueError(
            f"train needs one reward target (e.g. target=genuine), got {sorted(targets)}"
        )
    ((name, target),) = targets.items()
    spec = env_spec(cfg)
    if cfg.output_dir and has_checkpoint(cfg.output_dir):
        setup = OmegaConf.to_container(cfg, resolve=True)
        check_same_setup(Path(cfg.output_dir), setup, TRAIN_KEYS, ignore=TRAIN_FREE)
    out = _output_dir(cfg, "train")
    try:
        summary = train_ppo(
            target=dict(target.weights),
            target_name=name,
            persona=OmegaConf.to_container(cfg.personas)
            if OmegaConf.is_config(cfg.personas)
            else cfg.personas,
            max_turns=cfg.env.max_turns,
            output_dir=out,
            # the spec's other fields (reader, dynamics, ...); train.turn_limit is train's own
            dialogue={k: v for k, v in spec.items() if k not in ("max_turns", "turn_limit")},
            **OmegaConf.to_container(cfg.train),
        )
    except KeyboardInterrupt:
        found = latest_checkpoint(out)
        kept = (
            f"the checkpoint of iteration {found[1]['iteration']} in {found[0]}"
            if found
            else f"no checkpoint yet (one every train.checkpoint_every={cfg.train.checkpoint_every} "
            "iterations)"
        )
        return interrupted("train", kept, out)
    (out / "train_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}, indent=2))
    return 0
