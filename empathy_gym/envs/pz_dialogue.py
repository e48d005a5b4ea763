"""HelperPersonEnv: PettingZoo parallel env where a helper and a person are both agents.

### Description
The `EmpathyDialogue-v0` conversation as a multi-agent game. The person is either the
simulator (then the only agent is `helper`) or a learning agent (`learning_person=True`:
agents `helper` and `person`). Moves are simultaneous: each step the helper sends a
message and the person sends theirs, each answering what the other said last step. The
hidden state always moves by the code's dynamics from the helper's message; a learning
person only supplies the words.

### Observations
- `helper`: text mode `Dict(message=Text, persona_card=Text)` as `EmpathyDialogue-v0`;
  strategy mode the observable feature `Box` of `EmpathyDialogueStrategy-v0`.
- `person` (learning): `Dict(message=Text, persona_card=Text)`: the helper's last message
  and the person's own card.

### Actions
- `helper`: `Text` (text mode) or `Discrete(13)` strategies (strategy mode).
- `person`: `Text`, what they say.

### Rewards
`helper`: the reward target's weighted components (default `genuine`) for the turn.
`person`: `score_delta`, how much better the person feels (0 before the first turn).

### Seeding
`reset(seed=s)` seeds the inner dialogue's generator, from which the person, the persona
choice and the strategy realiser all draw; agent `i`'s action space is seeded `s + 1 + i`.
`reset()` without a seed continues the streams. Same seed and actions, same episode.

### Start and end
Reset picks the persona with the env's generator and the person opens. All agents
terminate when the person leaves or the score hits 0 or 100, and truncate at `max_turns`
(terminate, with `turn_limit="terminate"`).

### Arguments
Every field of `DialogueSpec` (`persona`, `target`, `max_turns`, `turn_limit`,
`max_reply_chars`, `reader`, `dynamics`, `backend`, `llm_config`), as `EmpathyDialogue-v0`,
and `learning_person`, `action_mode`, `render_mode`. The helper's text action space is
`ReplySpace(max_reply_chars)`: what `step` accepts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from empathy_gym.agents.features import N_FEATURES, observable_features
from empathy_gym.agents.strategies import STRATEGY_NAMES, Realiser, Strategy, default_factbook
from empathy_gym.envs.dialogue import MAX_MESSAGE_CHARS, EmpathyDialogueEnv, ReplySpace, to_charset
from empathy_gym.envs.spec import DEFAULT_MAX_REPLY_CHARS, DEFAULT_MAX_TURNS, DEFAULT_TURN_LIMIT
from empathy_gym.simulator.person import take_turns


def require_actions(env: ParallelEnv, actions: dict) -> None:
    """Raise unless the episode is running and every live agent has an action."""
    if not env.agents:
        raise RuntimeError(
            f"{type(env).__name__}.step() called after the episode ended; call reset()"
        )
    missing = [a for a in env.agents if a not in actions]
    if missing:
        raise ValueError(f"missing actions for agent(s) {missing}")


class HelperPersonEnv(ParallelEnv):
    """A helper and a person as PettingZoo agents (see the module docstring)."""

    metadata = {
        "name": "empathy_helper_person_v0",
        "render_modes": ["ansi"],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        persona: Any = None,
        target: Any = None,
        max_turns: int = DEFAULT_MAX_TURNS,
        learning_person: bool = False,
        action_mode: str = "text",
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
        self.dialogue = EmpathyDialogueEnv(
            persona=persona,
            target=target,
            max_turns=max_turns,
            render_mode=render_mode,
            reader=reader,
            turn_limit=turn_limit,
            max_reply_chars=max_reply_chars,
            dynamics=dynamics,
            backend=backend,
            llm_config=llm_config,
        )
        self.action_mode = action_mode
        self.learning_person = learning_person
        self.render_mode = render_mode
        self.max_turns = max_turns
        self.possible_agents = ["helper", "person"] if learning_person else ["helper"]
        self.agents: list[str] = []
        self.factbook = default_factbook()
        self._realiser: Realiser | None = None
        self._strategies: list[int] = []
        self._person_said = ""
        self._helper_said = ""
        self._observation_spaces: dict[str, spaces.Space] = {}
        self._action_spaces: dict[str, spaces.Space] = {}

    def observation_space(self, agent: str) -> spaces.Space:
        """The agent's observation space (the same object on every call)."""
        if agent not in self._observation_spaces:
            self._observation_spaces[agent] = (
                spaces.Box(0.0, 1.0, shape=(N_FEATURES,), dtype=np.float32)
                if agent == "helper" and self.action_mode == "strategy"
                else self.dialogue.observation_space
            )
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """The agent's action space (the same object on every call, so seeding it sticks)."""
        if agent not in self._action_spaces:
            if agent == "helper" and self.action_mode == "strategy":
                space = spaces.Discrete(len(Strategy))
            elif agent == "helper":
                space = ReplySpace(self.dialogue.max_reply_chars)  # what `step` accepts
            else:
                space = ReplySpace(MAX_MESSAGE_CHARS)  # the person's words, whole in an observation
            self._action_spaces[agent] = space
        return self._action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None):
        """Start an episode; return each agent's observation and info."""
        observation, info = self.dialogue.reset(seed=seed, options=options)
        self._realiser = Realiser(self.dialogue.np_random, self.factbook)
        self._strategies = []
        self._person_said = observation["message"]
        self._helper_said = ""
        self.agents = list(self.possible_agents)
        if seed is not None:
            for i, agent in enumerate(self.possible_agents):
                self.action_space(agent).seed(seed + 1 + i)
        return self._observations(), {agent: self._info(info) for agent in self.agents}

    def step(self, actions: dict[str, Any]):
        """Deliver the helper's message and the person's reply (learned or simulated); return the per-
        agent observations, rewards, flags and infos.
        """
        require_actions(self, actions)
        message = self._helper_message(actions["helper"])
        simulator = self.dialogue.simulator
        self.dialogue.check_action(message)
        if self.learning_person:
            words = actions["person"]
            if not isinstance(words, str):
                raise TypeError(f"person action must be a str, got {type(words).__name__}")
            result = simulator.respond(message, message=to_charset(words) or "...")
        else:
            result = take_turns([self.dialogue.turn(message)])[0]
        observation, reward, terminated, truncated, info = self.dialogue.finish_step(
            message, result
        )
        self._person_said = observation["message"]
        self._helper_said = message
        rewards = {"helper": float(reward)}
        if self.learning_person:
            rewards["person"] = float(info["reward_components"]["score_delta"])
        observations = self._observations()
        terminations = {a: bool(terminated) for a in self.agents}
        truncations = {a: bool(truncated) for a in self.agents}
        infos = {a: self._info(info) for a in self.agents}
        if terminated or truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self):
        """Return the underlying dialogue's rendering."""
        return self.dialogue.render()

    def close(self) -> None:
        """Close the underlying dialogue env."""
        self.dialogue.close()

    # --- helpers ---------------------------------------------------------------------------

    def _helper_message(self, action: Any) -> str:
        if self.action_mode == "text":
            return action
        if not self.action_space("helper").contains(action):
            raise ValueError(
                f"helper action must be an int in [0, {len(Strategy) - 1}], got {action!r}"
            )
        self._strategies.append(int(action))
        said = [m["content"] for m in self.dialogue.messages if m["role"] == "user"]
        return self._realiser.realise(Strategy(int(action)), said)

    def _observations(self) -> dict[str, Any]:
        card = to_charset(self.dialogue.persona.public_card_text())
        observations: dict[str, Any] = {}
        if self.action_mode == "strategy":
            turn = len(self._strategies)
            earlier = [m["content"] for m in self.dialogue.messages[:-1] if m["role"] == "user"]
            observations["helper"] = observable_features(
                self._person_said,
                self._strategies,
                turn,
                self.max_turns,
                self.factbook,
                earlier_messages=earlier,
            )
        else:
            observations["helper"] = {"message": self._person_said, "persona_card": card}
        if self.learning_person:
            observations["person"] = {
                "message": to_charset(self._helper_said),
                "persona_card": card,
            }
        return {a: observations[a] for a in self.agents}

    def _info(self, info: dict) -> dict:
        extra = {"strategy": STRATEGY_NAMES[self._strategies[-1]]} if self._strategies else {}
        return {**info, **extra}
