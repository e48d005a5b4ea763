"""Scoring fixed scripts: the env a red-team search plays in, and the mean return of a script."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from empathy_gym.agents.strategies import STRATEGY_NAMES
from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.dialogue_strategy import EmpathyDialogueStrategyEnv
from empathy_gym.envs.spec import DialogueSpec
from empathy_gym.personas.schema import Persona
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.rewards import RewardTarget, make_target

# Env kwargs the red team sets from its own arguments, so callers may not pass them.
_RESERVED_ENV_KWARGS = ("persona", "target", "max_turns")


def check_env_kwargs(env_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The env kwargs the red team may be given: `DialogueSpec` fields but its own, and render_mode."""
    env_kwargs = dict(env_kwargs or {})
    reserved = sorted(set(env_kwargs) & set(_RESERVED_ENV_KWARGS))
    if reserved:
        raise ValueError(
            f"env_kwargs must not set {reserved}: the red team sets them from its own arguments"
        )
    allowed = [n for n in DialogueSpec.field_names() if n not in _RESERVED_ENV_KWARGS]
    unknown = sorted(set(env_kwargs) - {*allowed, "render_mode"})
    if unknown:
        raise ValueError(f"env_kwargs: unknown key(s) {unknown}; expected some of {allowed}")
    return env_kwargs


def evaluation_personas(personas: Any) -> list[Persona]:
    """The personas `resolve_personas` gives for `personas`; an error when there are none."""
    chosen = resolve_personas(personas)
    if not chosen:
        raise ValueError("no personas to evaluate on")
    return chosen


def _strategy_env(
    personas: list[Persona], target: RewardTarget, max_turns: int, env_kwargs: dict
) -> EmpathyDialogueStrategyEnv:
    """EmpathyDialogueStrategy-v0 with `env_kwargs` (reader, backend, dynamics, ...)."""
    return EmpathyDialogueStrategyEnv(
        persona=personas, target=target, max_turns=max_turns, **env_kwargs
    )


class Evaluator:
    """Scores fixed scripts (phrases or strategy names) by mean return; caches within one search."""

    def __init__(
        self,
        kind: str,
        target: Any,
        personas: Any,
        seeds: Sequence[int],
        max_turns: int,
        env_kwargs: Mapping | None,
    ):
        if not isinstance(max_turns, int) or max_turns < 1:
            raise ValueError(f"max_turns must be a positive int, got {max_turns!r}")
        self.kind = kind
        self.target = make_target(target)
        self.personas = evaluation_personas(personas)
        self.seeds = list(seeds)
        if not self.seeds:
            raise ValueError("seeds_per_persona must be at least 1")
        self.max_turns = max_turns
        env_kwargs = check_env_kwargs(env_kwargs)
        if kind == "strategies":
            self.env = _strategy_env(self.personas, self.target, max_turns, env_kwargs)
            self._action = {name: i for i, name in enumerate(STRATEGY_NAMES)}.__getitem__
        else:
            self.env = EmpathyDialogueEnv(
                persona=self.personas, target=self.target, max_turns=max_turns, **env_kwargs
            )
            self._action = str
        self.cache: dict[tuple, tuple[float, dict[str, float]]] = {}

    def key(self, script: Sequence[str]) -> tuple:
        """The replies `script` plays in `max_turns` turns: scripts with one key are one policy."""
        return tuple(script[i % len(script)] for i in range(self.max_turns))

    def episode(self, persona: Persona, seed: int, actions: Sequence[Any]) -> float:
        """The return of one episode with `persona` and `seed`, playing `actions` in a cycle."""
        env = self.env
        env.reset(seed=seed, options={"persona": persona})
        total, turn = 0.0, 0
        while True:
            _, reward, terminated, truncated, _ = env.step(actions[turn % len(actions)])
            total += float(reward)
            turn += 1
            if terminated or truncated:
                return total

    def score(self, script: Sequence[str]) -> tuple[float, dict[str, float]]:
        """Mean return of `script` over personas (each the mean over seeds), and per persona."""
        actions = [self._action(s) for s in script]
        per_persona = {}
        for persona in self.personas:
            returns = [self.episode(persona, seed, actions) for seed in self.seeds]
            per_persona[persona.id] = float(np.mean(returns))
        return float(np.mean(list(per_persona.values()))), per_persona
