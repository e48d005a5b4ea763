"""Register the environments with Gymnasium (Gymnasium 1.x loads no plugins: importing does it)."""

from __future__ import annotations

import gymnasium as gym

ENV_IDS = {
    "EmpathyDialogue-v0": "empathy_gym.envs.dialogue:EmpathyDialogueEnv",
    "EmpathyDialogueStrategy-v0": "empathy_gym.envs.strategy:EmpathyDialogueStrategyEnv",
}


def register_envs() -> None:
    for env_id, entry_point in ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, max_episode_steps=None)
