"""PPO on EmpathyDialogueStrategy-v0 with RLlib's new API stack (used by `empathy-gym train`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

ENV_ID = "empathy_gym:EmpathyDialogueStrategy-v0"  # the id form: remote env runners register it themselves


def train_ppo(
    target: Any,
    target_name: str,
    persona: Any = "starter",
    max_turns: int = 10,
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
) -> dict[str, Any]:
    """Train, save a checkpoint under `output_dir`, and return the learning curve.

    `turn_limit="terminate"`: the learner sees a session of `max_turns` as complete. With
    "truncate" PPO bootstraps the value of the last state, i.e. optimises a longer talk
    than the one it is scored on (see the README's headline notes).
    """
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig

    config = (
        PPOConfig()
        .environment(
            ENV_ID,
            env_config={
                "target": target,
                "persona": persona,
                "max_turns": max_turns,
                "turn_limit": turn_limit,
            },
        )
        .env_runners(num_env_runners=env_runners)
        .training(
            lr=lr,
            gamma=0.95,
            entropy_coeff=0.01,
            train_batch_size_per_learner=train_batch_size,
            minibatch_size=min(minibatch_size, train_batch_size),
            num_epochs=num_epochs,
        )
        .debugging(seed=seed)
    )
    from empathy_gym.rollout.cluster import connect

    started = connect(num_cpus=max(2, env_runners + 1), address=address)
    algo = config.build_algo()
    history = []
    try:
        for iteration in range(1, iterations + 1):
            result = algo.train()
            mean_return = float(result["env_runners"].get("episode_return_mean", math.nan))
            loss = float(result["learners"]["default_policy"]["total_loss"])
            history.append(
                {"iteration": iteration, "episode_return_mean": mean_return, "total_loss": loss}
            )
            print(
                f"[{target_name}] iteration {iteration}/{iterations}: mean episode return {mean_return:+.3f}",
                flush=True,
            )
        checkpoint = (
            str(algo.save(str(Path(output_dir or ".").resolve() / "checkpoint")))
            if output_dir
            else None
        )
    finally:
        algo.stop()
        if started:
            ray.shutdown()
    return {
        "target": target_name,
        "iterations": iterations,
        "history": history,
        "final_return_mean": history[-1]["episode_return_mean"] if history else math.nan,
        "checkpoint": checkpoint and str(Path(output_dir) / "checkpoint"),
    }
