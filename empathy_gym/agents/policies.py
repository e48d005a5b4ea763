"""Any policy as an agent, from a plain spec (what the CLI's `policy=` group and Ray workers pass).

A spec is one of:
- a built-in name: `"CuriousEmpath"`, `"Pacifier"`, ... (`baselines.BASELINES`, `exploits.EXPLOITS`);
- `{"kind": "python", "path": "pkg.module:Class"}`: your `Agent` subclass (or any class
  with `reset(seed)` and `act(observation, messages) -> str`), built as `Class(seed=...)`;
- `{"kind": "openai", "model": ..., "base_url": ..., "temperature": 0.7, "max_tokens": 200,
  "seed": 0}`: an LLM behind any OpenAI-compatible server (`vllm serve` included); each
  turn samples with a seed drawn from the episode seed and `seed`, so a rerun is the same;
- `{"kind": "rllib", "checkpoint": PATH}`: a policy trained on `EmpathyDialogueStrategy-v0`
  (`empathy-gym train`), acting greedily on the observable features; the realiser writes
  the words for its strategy. A relative PATH is resolved against the current directory.
Every spec may carry `"name"`, the agent's name in records and leaderboards.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from empathy_gym.agents.base import Agent
from empathy_gym.agents.baselines import BASELINES
from empathy_gym.agents.exploits import EXPLOITS
from empathy_gym.agents.features import observable_features
from empathy_gym.agents.strategies import Strategy

KINDS = ("python", "openai", "rllib")


def agent_name(spec: str | Mapping[str, Any]) -> str:
    """The name records carry for this spec."""
    if isinstance(spec, str):
        return spec
    _check(spec)
    if spec.get("name"):
        return str(spec["name"])
    if spec["kind"] == "python":
        return spec["path"].rpartition(":")[2]
    if spec["kind"] == "openai":
        return f"openai:{spec['model']}"
    return f"rllib:{Path(spec['checkpoint']).name}"


def _check(spec: Mapping[str, Any]) -> None:
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"policy spec {dict(spec)!r}: kind must be one of {KINDS}")
    needed = {"python": "path", "openai": "model", "rllib": "checkpoint"}[kind]
    if not spec.get(needed) or spec.get(needed) == "???":
        raise ValueError(
            f"policy={kind} needs policy.{needed} (e.g. policy.{needed}="
            + {
                "path": "my_pkg.agents:MyAgent",
                "model": "my-model",
                "checkpoint": "runs/ppo/checkpoint",
            }[needed]
            + ")"
        )


def with_absolute_paths(spec: str | Mapping[str, Any]) -> str | Mapping[str, Any]:
    """The spec with a relative `checkpoint` resolved against the current directory.

    A relative path means the user's directory; a Ray worker (possibly on another
    machine, in another directory) must get the path the user meant.
    """
    if isinstance(spec, str) or spec.get("kind") != "rllib" or not spec.get("checkpoint"):
        return spec
    return {**spec, "checkpoint": str(Path(str(spec["checkpoint"])).expanduser().resolve())}


def make_agent(spec: str | Mapping[str, Any], seed: int | None = None) -> Agent:
    """An agent for a spec (see the module docstring)."""
    if isinstance(spec, str):
        known = {**BASELINES, **EXPLOITS}
        if spec not in known:
            raise ValueError(
                f"unknown agent {spec!r}; expected one of {sorted(known)}, or a policy spec "
                f"(policy=openai, policy=python, policy=rllib)"
            )
        return known[spec](seed=seed)
    _check(spec)
    kind = spec["kind"]
    if kind == "python":
        return _python_agent(spec["path"], seed)
    if kind == "openai":
        return OpenAIAgent(spec, seed)
    return RLlibStrategyAgent(
        spec["checkpoint"], seed, name=agent_name(spec), max_turns=int(spec.get("max_turns", 10))
    )


def _python_agent(path: str, seed: int | None) -> Agent:
    module_name, _, class_name = path.partition(":")
    if not class_name:
        raise ValueError(f"policy.path={path!r}: expected 'package.module:Class'")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"policy.path={path!r}: cannot import it ({error})") from None
    agent = cls(seed=seed)
    if not (callable(getattr(agent, "act", None)) and callable(getattr(agent, "reset", None))):
        raise ValueError(
            f"policy.path={path!r}: {class_name} needs reset(seed) and act(observation, messages)"
        )
    if not getattr(agent, "name", None) or agent.name == "agent":
        agent.name = class_name
    return agent


class OpenAIAgent(Agent):
    """An LLM policy behind an OpenAI-compatible server; per-turn sampling seeds from the episode seed."""

    def __init__(self, spec: Mapping[str, Any], seed: int | None = None):
        from empathy_gym.agents.llm_policy import LLMPolicy
        from empathy_gym.llm import SamplingParams, make_backend

        backend = make_backend(
            "openai",
            base_url=spec.get("base_url"),
            model=spec["model"],
            **({"api_key": spec["api_key"]} if spec.get("api_key") else {}),
        )
        backend.check()
        self.name = agent_name(spec)
        self.base_seed = int(spec.get("seed") or 0)
        self.policy = LLMPolicy(
            backend,
            sampling=SamplingParams(
                max_tokens=int(spec.get("max_tokens", 200)),
                temperature=float(spec.get("temperature", 0.7)),
            ),
        )
        super().__init__(seed)

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode: reseed the per-turn sampling seeds from the base seed and this seed."""
        super().reset(seed)
        self._seeds = np.random.default_rng([self.base_seed, 0 if seed is None else seed])

    def act(self, observation, messages):
        """Return the served model's reply, sampled with the next seed of this episode."""
        return self.policy.act_batch(
            [observation], [messages], seeds=[int(self._seeds.integers(2**31))]
        )[0]


class RLlibStrategyAgent(Agent):
    """A strategy policy from an RLlib checkpoint: observable features in, a strategy, the realiser's words out."""

    def __init__(
        self,
        checkpoint: str | Path,
        seed: int | None = None,
        name: str | None = None,
        max_turns: int = 10,
    ):
        try:
            import torch
            from ray.rllib.core.rl_module.rl_module import RLModule
        except ImportError as error:
            raise ValueError(
                f"policy=rllib needs the rllib extra: pip install -e '.[rllib]' ({error})"
            ) from None
        # Relative paths mean the current directory; RLlib reads a relative one as a URI.
        path = Path(checkpoint).expanduser().resolve()
        module_dir = path / "learner_group" / "learner" / "rl_module" / "default_policy"
        if not module_dir.is_dir():
            raise ValueError(
                f"policy.checkpoint={str(checkpoint)!r}: no RLModule at {module_dir} "
                "(expected a checkpoint written by `empathy-gym train`)"
            )
        self.module = RLModule.from_checkpoint(str(module_dir))
        self.torch = torch
        self.name = name or f"rllib:{path.name}"
        self._strategies: list[int] = []
        self.max_turns = (
            max_turns  # the episode length it was trained with (its turn-fraction feature)
        )
        super().__init__(seed)

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode: forget the strategies chosen so far."""
        super().reset(seed)
        self._strategies = []

    def act(self, observation, messages: Sequence[Mapping[str, str]]):
        """Return the reply for the strategy the trained RLlib module picks from the observable
        features.
        """
        from ray.rllib.core.columns import Columns

        said = self.person_messages(messages)
        features = observable_features(
            said[-1] if said else "",
            self._strategies,
            len(self._strategies),
            self.max_turns,
            self.factbook,
            earlier_messages=said[:-1],
        )
        with self.torch.no_grad():
            out = self.module.forward_inference({Columns.OBS: self.torch.as_tensor(features[None])})
        strategy = Strategy(int(self.torch.argmax(out[Columns.ACTION_DIST_INPUTS], dim=-1)[0]))
        self._strategies.append(int(strategy))
        return self.realiser.realise(strategy, said)
