"""EmpathyDialogueVectorEnv: N dialogues stepped together, one backend call per step for all people.

### Description
A `gymnasium.vector.VectorEnv` over N `EmpathyDialogue-v0` sub-envs. With an LLM
backend, every step sends the turns of all running dialogues in **one** batched call;
with the rule simulator it simply steps them in a loop (no call to batch).

### Observation, action
Batched `EmpathyDialogue-v0` spaces: `{"message": (str, ...), "persona_card": (str, ...)}`
in, a sequence of N reply strings out.

### Reward, start, end
As `EmpathyDialogue-v0`, per sub-env. Dialogues end at different turns; autoreset is
Gymnasium's `NEXT_STEP` mode: the step after a sub-env's episode ended resets that
sub-env (its action is ignored, its reward is 0) and returns the new opening.

### Info
`infos["dialogue_tag"]`, `infos["reward_components"]`, `infos["hidden_state"]`
(analysis only), `infos["messages"]`: object arrays of length N, each with its `_key`
mask. Per-episode state lives in the sub-env that owns the episode and backend results
are routed by episode id, never by batch position.

### Arguments
`num_envs`, and every field of `DialogueSpec`, as `EmpathyDialogue-v0`: `persona` (shared
by all sub-envs, or `persona_per_env` for one each), `target`, `max_turns`, `turn_limit`,
`max_reply_chars`, `reader`, `dynamics`, `backend`, `llm_config`.

### Determinism
`reset(seed=s)` seeds sub-env i with `s + i`; the same seed gives the same episodes
whatever the batch composition or the order a backend answers in.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.spec import (
    DEFAULT_MAX_REPLY_CHARS,
    DEFAULT_MAX_TURNS,
    DEFAULT_TURN_LIMIT,
    DialogueSpec,
)
from empathy_gym.simulator.person import take_turns
from empathy_gym.simulator.readers import Reader


class EmpathyDialogueVectorEnv(VectorEnv):
    """N `EmpathyDialogue-v0` dialogues stepped together (see the module docstring)."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int,
        persona: Any = None,
        target: Any = None,
        max_turns: int = DEFAULT_MAX_TURNS,
        backend: Any = None,
        llm_config: Any = None,
        persona_per_env: Sequence[Any] | None = None,
        reader: str | Reader | None = None,
        turn_limit: str = DEFAULT_TURN_LIMIT,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
        dynamics: Any = None,
    ):
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if persona_per_env is not None and len(persona_per_env) != num_envs:
            raise ValueError(
                f"persona_per_env has {len(persona_per_env)} entries for {num_envs} envs"
            )
        spec = DialogueSpec(
            persona=persona,
            target=target,
            max_turns=max_turns,
            turn_limit=turn_limit,
            max_reply_chars=max_reply_chars,
            reader=reader,
            dynamics=dynamics,
            backend=backend,
            llm_config=llm_config,
        )
        self.num_envs = num_envs
        self.llm_config = spec.llm_settings()
        # One reader for all dialogues, so that `take_turns` reads the whole batch in one call.
        shared = spec.person_reader()
        self.backend = shared.backend if backend is not None else None
        self.envs = [
            EmpathyDialogueEnv(
                **spec.replace(
                    persona=persona if persona_per_env is None else persona_per_env[i],
                    reader=shared,
                    backend=self.backend,
                    llm_config=self.llm_config,
                ).env_kwargs()
            )
            for i in range(num_envs)
        ]
        self.single_observation_space = self.envs[0].observation_space
        self.single_action_space = self.envs[0].action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._needs_reset = np.zeros(num_envs, dtype=bool)

    def reset(self, *, seed: int | Sequence[int] | None = None, options: dict | None = None):
        """Reset every sub-env (one seed each, derived from `seed`); return the batched observations
        and infos.
        """
        seeds = self._seeds(seed)
        results = [env.reset(seed=s, options=options) for env, s in zip(self.envs, seeds)]
        self._needs_reset[:] = False
        infos = self._infos([info for _, info in results], [env.dialogue_tag for env in self.envs])
        return self._batch([obs for obs, _ in results]), infos

    def step(self, actions: Sequence[str]):
        """Step every sub-env with its action, the person turns taken in one batch; return batched
        results.
        """
        if len(actions) != self.num_envs:
            raise ValueError(f"expected {self.num_envs} actions, got {len(actions)}")
        observations: list[dict | None] = [None] * self.num_envs
        infos: list[dict | None] = [None] * self.num_envs
        rewards = np.zeros(self.num_envs, dtype=np.float64)
        terminations = np.zeros(self.num_envs, dtype=bool)
        truncations = np.zeros(self.num_envs, dtype=bool)

        stepping = []
        for i, (env, action) in enumerate(zip(self.envs, actions)):
            if self._needs_reset[i]:
                observations[i], infos[i] = env.reset()
            else:
                env.check_action(action)
                stepping.append(i)
        episode_ids = [env.dialogue_tag for env in self.envs]

        # One batched read for every dialogue still running (one backend call with an LLM person).
        stepped = take_turns([self.envs[i].turn(actions[i]) for i in stepping]) if stepping else []
        results = dict(zip(stepping, stepped))

        for i in stepping:
            obs, reward, terminated, truncated, info = self.envs[i].finish_step(
                actions[i], results[i]
            )
            observations[i], infos[i] = obs, info
            rewards[i], terminations[i], truncations[i] = reward, terminated, truncated
        self._needs_reset = terminations | truncations
        return (
            self._batch(observations),
            rewards,
            terminations,
            truncations,
            self._infos(infos, episode_ids),
        )

    def close_extras(self, **kwargs: Any) -> None:
        """Close every sub-env."""
        for env in self.envs:
            env.close()

    # --- helpers -----------------------------------------------------------------------------

    def _seeds(self, seed: int | Sequence[int] | None) -> list[int | None]:
        if seed is None:
            return [None] * self.num_envs
        if isinstance(seed, (int, np.integer)):
            return [int(seed) + i for i in range(self.num_envs)]
        seeds = list(seed)
        if len(seeds) != self.num_envs:
            raise ValueError(f"expected {self.num_envs} seeds, got {len(seeds)}")
        return seeds

    def _batch(self, observations: list[dict]) -> dict[str, tuple[str, ...]]:
        return {key: tuple(obs[key] for obs in observations) for key in ("message", "persona_card")}

    def _infos(self, infos: list[dict], episode_ids: list[str]) -> dict[str, Any]:
        batched: dict[str, Any] = {"dialogue_tag": np.array(episode_ids, dtype=object)}
        for key in ("reward_components", "hidden_state", "messages", "turn", "persona_id", "llm"):
            if key in infos[0]:
                values = np.empty(self.num_envs, dtype=object)
                for i, info in enumerate(infos):
                    values[i] = info.get(key)
                batched[key] = values
        for key in list(batched):
            batched[f"_{key}"] = np.ones(self.num_envs, dtype=bool)
        return batched
