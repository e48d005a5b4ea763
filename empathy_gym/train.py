"""PPO on EmpathyDialogueStrategy-v0 with RLlib's new API stack (used by `empathy-gym train`).

With an `output_dir`, a checkpoint is saved to `output_dir/checkpoint` every
`checkpoint_every` iterations and at the end, and a rerun into the same directory resumes
from it: iterations continue from the one it holds and its learning curve is kept. A save
goes to `checkpoint.partial` and is renamed into place only when whole, so Ctrl-C during a
save leaves the previous checkpoint usable.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any, Mapping

from empathy_gym.envs.spec import DEFAULT_MAX_TURNS

ENV_ID = "empathy_gym:EmpathyDialogueStrategy-v0"  # the id form: remote env runners register it themselves

# Iterations between checkpoints unless told otherwise (issue 17: "a checkpoint at least every
# few iterations"); conf/train/ppo.yaml sets the CLI's default to the same value.
CHECKPOINT_EVERY = 5
CHECKPOINT = (
    "checkpoint"  # the directory policy=rllib loads (policy.checkpoint=OUTPUT_DIR/checkpoint)
)
PARTIAL, PREVIOUS = "checkpoint.partial", "checkpoint.previous"  # transient names during a save
PROGRESS_FILE = "empathy_gym_progress.json"  # in a checkpoint: its iteration and learning curve


def has_checkpoint(output_dir: str | Path) -> bool:
    """Whether `output_dir` holds a checkpoint (whole or mid-save) that a rerun would resume."""
    return any((Path(output_dir) / name).exists() for name in (CHECKPOINT, PARTIAL, PREVIOUS))


def latest_checkpoint(output_dir: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest whole checkpoint under `output_dir` and its progress, or None if there is none.

    A save interrupted between its renames leaves the newest one under a transient name; it
    is moved to `output_dir/checkpoint` here, and the older ones removed.
    """
    out = Path(output_dir)
    found = []
    for name in (CHECKPOINT, PARTIAL, PREVIOUS):
        progress = out / name / PROGRESS_FILE
        if progress.is_file():
            found.append((_read_progress(progress), out / name))
        elif name == CHECKPOINT and (out / name).is_dir():
            raise ValueError(
                f"{out / name}: a checkpoint without {PROGRESS_FILE} (from an earlier release, "
                "or not written by `empathy-gym train`): cannot resume from it; choose another "
                "output_dir"
            )
    if not found:
        return None
    progress, newest = max(found, key=lambda item: item[0]["iteration"])
    for _, path in found:
        if path != newest:
            shutil.rmtree(path)
    if newest.name != CHECKPOINT:
        newest.rename(out / CHECKPOINT)
    return out / CHECKPOINT, progress


def _read_progress(path: Path) -> dict[str, Any]:
    try:
        progress = json.loads(path.read_text())
        iteration, history = progress["iteration"], progress["history"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"{path}: not a readable checkpoint progress file ({error!r}); "
            "expected {'iteration': int, 'history': [...]}"
        ) from None
    if isinstance(iteration, bool) or not isinstance(iteration, int) or iteration < 0:
        raise ValueError(f"{path}: iteration={iteration!r}, expected an integer >= 0")
    if not isinstance(history, list):
        raise ValueError(f"{path}: history must be a list, got {type(history).__name__}")
    return progress


def save_checkpoint(algo: Any, output_dir: Path, iteration: int, history: list) -> Path:
    """Save `algo` and its progress as `output_dir/checkpoint`, replacing the earlier one whole."""
    out = Path(output_dir).resolve()
    partial, final, previous = out / PARTIAL, out / CHECKPOINT, out / PREVIOUS
    shutil.rmtree(partial, ignore_errors=True)
    algo.save_to_path(str(partial))
    progress = partial / PROGRESS_FILE
    tmp = progress.with_suffix(".tmp")
    tmp.write_text(json.dumps({"iteration": iteration, "history": history}, indent=2) + "\n")
    tmp.replace(progress)  # the progress file marks the checkpoint whole
    if final.exists():
        shutil.rmtree(previous, ignore_errors=True)
        final.rename(previous)
    partial.rename(final)
    shutil.rmtree(previous, ignore_errors=True)
    return final


def _env_config(
    target: Any, persona: Any, max_turns: int, turn_limit: str, dialogue: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The strategy env's plain `DialogueSpec` data for the env runners, validated here."""
    from empathy_gym.envs.build import spec_from_plain
    from empathy_gym.personas.sets import absolute_persona_paths

    dialogue = dict(dialogue or {})
    own = sorted(set(dialogue) & {"target", "persona", "max_turns", "turn_limit"})
    if own:
        raise ValueError(f"train_ppo: give {own} as train_ppo's own arguments, not in dialogue")
    config = {
        **dialogue,
        "target": target,
        "persona": absolute_persona_paths(persona),  # env runners may run elsewhere
        "max_turns": max_turns,
        "turn_limit": turn_limit,
    }
    spec_from_plain(config)  # a bad value fails here, named, before Ray starts
    return config


def _ppo_config(env_config, env_runners, lr, batch, minibatch, epochs, seed):
    from ray.rllib.algorithms.ppo import PPOConfig

    return (
        PPOConfig()
        .environment(ENV_ID, env_config=env_config)
        .env_runners(num_env_runners=env_runners)
        .training(
            lr=lr,
            gamma=0.95,
            entropy_coeff=0.01,
            train_batch_size_per_learner=batch,
            minibatch_size=min(minibatch, batch),
            num_epochs=epochs,
        )
        .debugging(seed=seed)
    )


def train_ppo(
    target: Any,
    target_name: str,
    persona: Any = "starter",
    max_turns: int = DEFAULT_MAX_TURNS,
    iterations: int = 10,
    train_batch_size: int = 4000,
    minibatch_size: int = 256,
    num_epochs: int = 6,
    lr: float = 3e-4,
    env_runners: int = 1,
    output_dir: str | Path | None = None,
    seed: int = 0,
    address: str | None = None,
    turn_limit: str = "terminate",
    checkpoint_every: int = CHECKPOINT_EVERY,
    dialogue: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Train (resuming from `output_dir`'s checkpoint if any), checkpoint, return the learning curve.

    `turn_limit="terminate"`: the learner sees a session of `max_turns` as complete. With
    "truncate" PPO bootstraps the value of the last state, i.e. optimises a longer talk
    than the one it is scored on (see docs/results.md, the headline notes). `address`: a Ray
    cluster to join; None starts a local Ray (see `empathy_gym.rollout.cluster.connect`).
    `dialogue`: the strategy env's other `DialogueSpec` fields as plain data (`reader`,
    `dynamics`, `max_reply_chars`, `backend`, `llm_config`), e.g. `{"dynamics": {"trust_gain":
    0.1}}`; validated before Ray starts.
    """
    if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int):
        raise ValueError(f"train.checkpoint_every={checkpoint_every!r}: expected an integer >= 1")
    if checkpoint_every < 1:
        raise ValueError(f"train.checkpoint_every={checkpoint_every!r}: expected an integer >= 1")
    import ray

    from empathy_gym.rollout.cluster import connect

    resume = latest_checkpoint(output_dir) if output_dir else None
    start, history = (resume[1]["iteration"], list(resume[1]["history"])) if resume else (0, [])
    env_config = _env_config(target, persona, max_turns, turn_limit, dialogue)
    config = _ppo_config(
        env_config, env_runners, lr, train_batch_size, minibatch_size, num_epochs, seed
    )
    started = connect(num_cpus=max(2, env_runners + 1), address=address)
    try:
        algo = config.build_algo()
        try:
            if resume:
                algo.restore_from_path(str(resume[0].resolve()))
                print(f"[{target_name}] resumed from iteration {start} ({resume[0]})", flush=True)
            for iteration in range(start + 1, iterations + 1):
                history.append(_train_once(algo, iteration, iterations, target_name))
                if output_dir and (iteration % checkpoint_every == 0 or iteration == iterations):
                    save_checkpoint(algo, Path(output_dir), iteration, history)
        finally:
            algo.stop()
    finally:
        if started:
            ray.shutdown()
    return {
        "target": target_name,
        "iterations": max(iterations, start),
        "resumed_from": start if resume else None,
        "history": history,
        "final_return_mean": history[-1]["episode_return_mean"] if history else math.nan,
        "checkpoint": str(Path(output_dir) / CHECKPOINT)
        if output_dir and (Path(output_dir) / CHECKPOINT).is_dir()
        else None,
    }


def _train_once(algo: Any, iteration: int, iterations: int, target_name: str) -> dict[str, Any]:
    result = algo.train()
    mean_return = float(result["env_runners"].get("episode_return_mean", math.nan))
    loss = float(result["learners"]["default_policy"]["total_loss"])
    print(
        f"[{target_name}] iteration {iteration}/{iterations}: mean episode return {mean_return:+.3f}",
        flush=True,
    )
    return {"iteration": iteration, "episode_return_mean": mean_return, "total_loss": loss}
