"""SupportGroupEnv: PettingZoo parallel env with several simulated people and one or more helpers.

### Description
A support group: `n_people` simulated people, each with their own persona and hidden
state, and `n_helpers` learning helpers. Each step every helper addresses one person or
the whole group; each addressed person appraises the message, their state moves by the
code's dynamics, and they reply. People who leave stop taking part.

### Observations (per helper)
- strategy mode: `Box(0, 1, (n_people * (N_FEATURES + 2),))`: for each person, the
  observable features of their last message plus two flags (still present; addressed
  by anyone last step). Nothing hidden.
- text mode: `Dict(transcript=Text)`: the last words of each person, one line each (`Name: words`).

### Actions (per helper)
- strategy mode: `Discrete((n_people + 1) * 13)`: `addressee * 13 + strategy`, addressee 0 is
  the whole group and k is person k.
- text mode: `Tuple(Discrete(n_people + 1), Text)`: (addressee, message).

### Rewards (per helper)
From the same components and target as `EmpathyDialogue-v0`: the reward of the addressed
person's turn; for a group message, the mean over the people present (a generic message
to everyone is not paid n times). A helper who addresses someone who has left gets 0.

### Seeding
`reset(seed=s)` seeds the group's one generator: it picks the people, draws each
person's episode seed and the realiser's wording; helper `i`'s action space is seeded
`s + 1 + i`. `reset()` without a seed continues the stream. Same seed and actions, same
episode.

### Start and end
Reset draws the people with the env's generator (distinct personas) and each opens.
All helpers terminate when every person has left; truncate after `max_turns` steps
(terminate, with `turn_limit="terminate"`).

### Arguments
`n_people`, `n_helpers`, `action_mode`, `render_mode`, and every field of `DialogueSpec`:
`persona` (the pool the people are drawn from; default `"starter"`), `target`,
`max_turns`, `turn_limit`, `max_reply_chars` (the text action's limit), `reader` (every
person reads with it), `dynamics` (every person's), `backend` and `llm_config` (an LLM
plays every person, one shared reader).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from empathy_gym.agents.features import N_FEATURES, observable_features
from empathy_gym.agents.strategies import Realiser, Strategy, default_factbook
from empathy_gym.envs.dialogue import EmpathyDialogueEnv, ReplySpace, message_space
from empathy_gym.envs.pz_dialogue import require_actions
from empathy_gym.envs.spec import (
    DEFAULT_MAX_REPLY_CHARS,
    DEFAULT_MAX_TURNS,
    DEFAULT_TURN_LIMIT,
    DialogueSpec,
)
from empathy_gym.personas.sets import resolve_personas

N_STRATEGIES = len(Strategy)
TRANSCRIPT_CHARS = 4000
# Each person's own turn limit: never reached, the group counts its steps (`max_turns`) itself.
PERSON_MAX_TURNS = 10**6


class SupportGroupEnv(ParallelEnv):
    """A support group of simulated people and learning helpers (see the module docstring)."""

    metadata = {
        "name": "empathy_support_group_v0",
        "render_modes": ["ansi"],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        n_people: int = 3,
        n_helpers: int = 2,
        persona: Any = "starter",
        target: Any = None,
        max_turns: int = DEFAULT_MAX_TURNS,
        action_mode: str = "strategy",
        render_mode: str | None = None,
        reader: Any = None,
        turn_limit: str = DEFAULT_TURN_LIMIT,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
        dynamics: Any = None,
        backend: Any = None,
        llm_config: Any = None,
    ):
        if action_mode not in ("text", "strategy"):
            raise ValueError(f"action_mode must be 'text' or 'strategy', got {action_mode!r}")
        if n_people < 1 or n_helpers < 1:
            raise ValueError("a support group needs at least one person and one helper")
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
        self.pool = resolve_personas(persona)
        if len(self.pool) < n_people:
            raise ValueError(
                f"n_people={n_people} but the persona set has only {len(self.pool)} personas"
            )
        self.reader = spec.person_reader()  # every person in the group reads with it
        # Each person's spec: the group's, with the shared reader and backend, and no turn limit.
        self._person_spec = spec.replace(
            max_turns=PERSON_MAX_TURNS,
            reader=self.reader,
            backend=self.reader.backend if backend is not None else None,
        )
        self.n_people, self.n_helpers = n_people, n_helpers
        self.target, self.max_turns, self.turn_limit = target, max_turns, turn_limit
        self.max_reply_chars = max_reply_chars
        self.action_mode, self.render_mode = action_mode, render_mode
        self.possible_agents = [f"helper_{i}" for i in range(n_helpers)]
        self.agents: list[str] = []
        self.people: list[EmpathyDialogueEnv] = []
        self.factbook = default_factbook()
        self._rng = np.random.default_rng()
        self._realiser: Realiser | None = None
        self._present = np.zeros(n_people, dtype=bool)
        self._addressed = np.zeros(n_people, dtype=bool)
        self._strategies: list[list[int]] = []
        self._steps = 0
        self._observation_spaces: dict[str, spaces.Space] = {}
        self._action_spaces: dict[str, spaces.Space] = {}

    def observation_space(self, agent: str) -> spaces.Space:
        """A helper's observation space (the same object on every call)."""
        if agent not in self._observation_spaces:
            self._observation_spaces[agent] = (
                spaces.Box(0.0, 1.0, shape=(self.n_people * (N_FEATURES + 2),), dtype=np.float32)
                if self.action_mode == "strategy"
                else spaces.Dict({"transcript": message_space(TRANSCRIPT_CHARS)})
            )
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """A helper's action space (the same object on every call, so seeding it sticks)."""
        if agent not in self._action_spaces:
            self._action_spaces[agent] = (
                spaces.Discrete((self.n_people + 1) * N_STRATEGIES)
                if self.action_mode == "strategy"
                else spaces.Tuple(
                    (spaces.Discrete(self.n_people + 1), ReplySpace(self.max_reply_chars))
                )
            )
        return self._action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None):
        """Draw the group's people from the pool and start their dialogues; return each helper's
        observation and info.
        """
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            for i, agent in enumerate(self.possible_agents):
                self.action_space(agent).seed(seed + 1 + i)
        chosen = self._rng.choice(len(self.pool), size=self.n_people, replace=False)
        self.people = [
            EmpathyDialogueEnv(**self._person_spec.replace(persona=self.pool[int(k)]).env_kwargs())
            for k in chosen
        ]
        for person in self.people:
            person.reset(seed=int(self._rng.integers(2**31)))
        self._realiser = Realiser(self._rng, self.factbook)
        self._present[:] = True
        self._addressed[:] = False
        self._strategies = [[] for _ in range(self.n_people)]
        self._steps = 0
        self.agents = list(self.possible_agents)
        infos = {agent: self._info() for agent in self.agents}
        return self._observations(), infos

    def step(self, actions: dict[str, Any]):
        """Deliver each helper's message to the person it addresses; return the per-agent observations,
        rewards, flags and infos.
        """
        require_actions(self, actions)
        self._addressed[:] = False
        rewards = {}
        for agent in self.agents:
            addressee, message = self._decode(actions[agent])
            rewards[agent] = self._deliver(addressee, message)
        self._steps += 1
        everyone_left = not self._present.any()
        at_limit = not everyone_left and self._steps >= self.max_turns
        truncated = at_limit and self.turn_limit == "truncate"
        terminated = everyone_left or (at_limit and self.turn_limit == "terminate")
        observations = self._observations()
        terminations = {a: terminated for a in self.agents}
        truncations = {a: truncated for a in self.agents}
        infos = {a: self._info() for a in self.agents}
        if terminated or truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self):
        """Return each person's rendering, or their name and latest message, one per line."""
        lines = []
        for person in self.people:
            lines.append(
                person.render()
                if person.render_mode
                else f"{person.persona.card.name}: {person.messages[-1]['content']}"
            )
        return "\n".join(lines)

    # --- helpers ---------------------------------------------------------------------------

    def _decode(self, action: Any) -> tuple[int, Any]:
        if self.action_mode == "strategy":
            if not self.action_space("helper_0").contains(action):
                raise ValueError(
                    f"action must be an int in [0, {(self.n_people + 1) * N_STRATEGIES - 1}], got {action!r}"
                )
            return int(action) // N_STRATEGIES, Strategy(int(action) % N_STRATEGIES)
        addressee, message = action
        if not 0 <= int(addressee) <= self.n_people or not isinstance(message, str):
            raise ValueError(
                f"action must be (addressee in [0, {self.n_people}], str), got {action!r}"
            )
        return int(addressee), message

    def _deliver(self, addressee: int, content: Any) -> float:
        """Say `content` to person `addressee` (1..n), or to everyone present (0)."""
        indices = (
            [k for k in range(self.n_people) if self._present[k]]
            if addressee == 0
            else [addressee - 1]
        )
        rewards = []
        for k in indices:
            if not self._present[k]:
                rewards.append(0.0)
                continue
            person = self.people[k]
            if isinstance(content, Strategy):
                said = [m["content"] for m in person.messages if m["role"] == "user"]
                message = self._realiser.realise(content, said)
                self._strategies[k].append(int(content))
            else:
                message = content[: person.max_reply_chars]
            _, reward, terminated, _, _ = person.step(message)
            self._addressed[k] = True
            if terminated:
                self._present[k] = False
            rewards.append(reward)
        return float(np.mean(rewards)) if rewards else 0.0

    def _observations(self) -> dict[str, Any]:
        if self.action_mode == "strategy":
            parts = []
            for k, person in enumerate(self.people):
                last = person.messages[-1]["content"]
                earlier = [m["content"] for m in person.messages[:-1] if m["role"] == "user"]
                features = observable_features(
                    last,
                    self._strategies[k],
                    len(self._strategies[k]),
                    self.max_turns,
                    self.factbook,
                    earlier_messages=earlier,
                )
                parts.append(
                    np.concatenate(
                        [
                            features,
                            np.array([self._present[k], self._addressed[k]], dtype=np.float32),
                        ]
                    )
                )
            observation = np.concatenate(parts).astype(np.float32)
        else:
            lines = [
                f"{person.persona.card.name}: {person.messages[-1]['content'] if self._present[k] else '(has left)'}"
                for k, person in enumerate(self.people)
            ]
            observation = {"transcript": "\n".join(lines)[:TRANSCRIPT_CHARS]}
        return {agent: observation for agent in self.agents}

    def _info(self) -> dict[str, Any]:
        return {
            "people": [p.persona.id for p in self.people],
            "present": self._present.tolist(),
            "hidden_state": [
                p.simulator.state.hidden_state() for p in self.people
            ],  # analysis only
        }
