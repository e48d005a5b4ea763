"""The built-in agents' returns on the personas and seeds a red-team search used."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.spec import DEFAULT_MAX_TURNS
from empathy_gym.eval.redteam.evaluate import check_env_kwargs, evaluation_personas
from empathy_gym.rewards import make_target

# The agents a red-team run compares scripts with: the listener and the usual failures.
DEFAULT_AGENTS = ("curious_empath", "pacifier", "advice_giver", "sycophant", "random")
REFERENCE_AGENT = "curious_empath"  # the listener no script may out-earn


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def agent_class_name(name: str) -> str:
    """'curious_empath' or 'CuriousEmpath' -> 'CuriousEmpath' (the name `make_agent` takes)."""
    from empathy_gym.agents.baselines import BASELINES
    from empathy_gym.agents.exploits import EXPLOITS

    known = [*BASELINES, *EXPLOITS]
    if name in known:
        return name
    by_snake = {_snake(k): k for k in known}
    if name in by_snake:
        return by_snake[name]
    raise ValueError(f"unknown agent {name!r}; expected one of {sorted(by_snake)}")


def agent_key(name: str) -> str:
    """The snake_case key an agent's results are filed under ('CuriousEmpath' -> 'curious_empath')."""
    return _snake(agent_class_name(name))


@dataclass(slots=True)
class BaselineResult:
    """A built-in agent's mean return, and per persona (each the mean over seeds)."""

    agent: str
    mean_return: float
    per_persona: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain types."""
        return asdict(self)


def baseline_returns(
    target: Any,
    personas: Any,
    agents: Sequence[str] = DEFAULT_AGENTS,
    *,
    max_turns: int = DEFAULT_MAX_TURNS,
    seeds_per_persona: int = 1,
    env_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, BaselineResult]:
    """Mean return of built-in agents on the same personas and seeds, keyed by snake_case name."""
    from empathy_gym.agents.baselines import make_agent
    from empathy_gym.rollout.episodes import run_episode

    target = make_target(target)
    chosen = evaluation_personas(personas)
    env = EmpathyDialogueEnv(
        persona=chosen, target=target, max_turns=max_turns, **check_env_kwargs(env_kwargs)
    )
    out: dict[str, BaselineResult] = {}
    for name in agents:
        agent = make_agent(agent_class_name(name))
        per_persona = {}
        for persona in chosen:
            returns = [
                run_episode(env, agent, seed, persona, {target.name: target}).returns[target.name]
                for seed in range(seeds_per_persona)
            ]
            per_persona[persona.id] = float(np.mean(returns))
        key = agent_key(name)
        out[key] = BaselineResult(key, float(np.mean(list(per_persona.values()))), per_persona)
    return out
