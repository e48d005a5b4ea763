"""Register the environments with Gymnasium (Gymnasium 1.x loads no plugins: importing does it)."""

from __future__ import annotations

import gymnasium as gym

ENV_IDS = {
    "EmpathyDialogue-v0": "empathy_gym.envs.dialogue:EmpathyDialogueEnv",
    "EmpathyDialogueStrategy-v0": "empathy_gym.envs.dialogue_strategy:EmpathyDialogueStrategyEnv",
}


# gym.make_vec(..., vectorization_mode="vector_entry_point") builds these: one batched turn for all envs.
VECTOR_ENTRY_POINTS = {"EmpathyDialogue-v0": "empathy_gym.envs.vector:EmpathyDialogueVectorEnv"}


def register_envs() -> None:
    """Register the package's env ids with Gymnasium (ids already registered are left alone)."""
    for env_id, entry_point in ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(
                id=env_id,
                entry_point=entry_point,
                max_episode_steps=None,
                vector_entry_point=VECTOR_ENTRY_POINTS.get(env_id),
            )
