"""Gymnasium environments."""

from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.dialogue_strategy import EmpathyDialogueStrategyEnv
from empathy_gym.envs.registration import ENV_IDS, register_envs

__all__ = ["ENV_IDS", "EmpathyDialogueEnv", "EmpathyDialogueStrategyEnv", "register_envs"]
