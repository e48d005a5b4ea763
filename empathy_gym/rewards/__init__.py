"""Reward components and targets."""

from empathy_gym.rewards.components import (
    COMPONENTS,
    RewardContext,
    compute_components,
    register_component,
    resolve_component,
)
from empathy_gym.rewards.targets import DEFAULT_TARGET, PRESETS, RewardTarget, make_target

__all__ = [
    "COMPONENTS",
    "DEFAULT_TARGET",
    "PRESETS",
    "RewardContext",
    "RewardTarget",
    "compute_components",
    "make_target",
    "register_component",
    "resolve_component",
]
