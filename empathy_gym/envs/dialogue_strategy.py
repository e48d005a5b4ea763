"""EmpathyDialogueStrategy-v0: choose an empathic strategy; a realiser writes the words.

### Description
The same conversation as `EmpathyDialogue-v0`, for policies that pick *what to do*
rather than *what to say*: RLlib can train it on CPUs. Each action is a strategy
(ESConv's eight, validation, gentle correction, and the two anti-patterns agreement
and minimising); the `Realiser` turns it into a reply from what the agent has seen.

### Observation
`Box(0, 1, (N_FEATURES,), float32)` of observable features only (`FEATURE_NAMES`): turn
fraction, length of the person's message, whether they asked a question, whether they
voiced a known misconception now or earlier, signs of trust in their words (sounding
heard, for how many turns; pushing back), the feeling words they used (by family), and
the agent's own strategy history. No hidden state leaks in (tested). When to correct a
misconception is learnable from these: a correction lands once the person trusts the
agent, and they show it by sounding heard.

### Action
`Discrete(13)`: see `empathy_gym.agents.strategies.Strategy`.

### Reward, starting state, episode end
As `EmpathyDialogue-v0`; `info` also carries `strategy` and `reply` (the realised text).

### Seeding
As `EmpathyDialogue-v0`: `reset(seed=s)` seeds the inner dialogue's generator (the person)
and this env's own `np_random` with the same `s`; the realiser draws the wording of each
strategy from the latter. Same seed and actions, same episode.

### Arguments
Every field of `DialogueSpec` (`persona`, `target`, `max_turns`, `turn_limit`,
`max_reply_chars`, `reader`, `dynamics`, `backend`, `llm_config`) and `render_mode`, as
`EmpathyDialogue-v0`: they go to the inner dialogue (an LLM may play the person while the
policy picks strategies).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from empathy_gym.agents.features import N_FEATURES, observable_features
from empathy_gym.agents.strategies import STRATEGY_NAMES, Realiser, Strategy, default_factbook
from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.spec import DEFAULT_MAX_REPLY_CHARS, DEFAULT_MAX_TURNS, DEFAULT_TURN_LIMIT


class EmpathyDialogueStrategyEnv(gym.Env[np.ndarray, int]):
    """EmpathyDialogueStrategy-v0 (see the module docstring): strategies in, a realiser's words out."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        persona: Any = None,
        target: Any = None,
        max_turns: int = DEFAULT_MAX_TURNS,
        render_mode: str | None = None,
        reader: Any = None,
        turn_limit: str = DEFAULT_TURN_LIMIT,
        dynamics: Any = None,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
        backend: Any = None,
        llm_config: Any = None,
    ):
        self.dialogue = EmpathyDialogueEnv(
            persona=persona,
            target=target,
            max_turns=max_turns,
            render_mode=render_mode,
            reader=reader,
            turn_limit=turn_limit,
            dynamics=dynamics,
            max_reply_chars=max_reply_chars,
            backend=backend,
            llm_config=llm_config,
        )
        self.render_mode = render_mode
        self.max_turns = max_turns
        self.action_space = spaces.Discrete(len(Strategy))
        self.observation_space = spaces.Box(0.0, 1.0, shape=(N_FEATURES,), dtype=np.float32)
        self.factbook = default_factbook()
        self._realiser: Realiser | None = None
        self._person_messages: list[str] = []
        self._strategies: list[int] = []

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode; return the feature vector of the opening message and the info."""
        super().reset(seed=seed)
        observation, info = self.dialogue.reset(seed=seed, options=options)
        self._realiser = Realiser(self.np_random, self.factbook)
        self._person_messages = [observation["message"]]
        self._strategies = []
        return self._features(observation["message"], 0), info

    def step(self, action):
        """Realise the chosen strategy as a reply and deliver it; return the features, reward, flags
        and info.
        """
        if self._realiser is None:
            raise RuntimeError("EmpathyDialogueStrategyEnv.step() called before reset()")
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an int in [0, {len(Strategy) - 1}], got {action!r}")
        strategy = Strategy(int(action))
        reply = self._realiser.realise(strategy, self._person_messages)
        observation, reward, terminated, truncated, info = self.dialogue.step(reply)
        self._person_messages.append(observation["message"])
        self._strategies.append(int(strategy))
        info["strategy"] = STRATEGY_NAMES[strategy]
        info["reply"] = reply
        return (
            self._features(observation["message"], len(self._strategies)),
            reward,
            terminated,
            truncated,
            info,
        )

    def render(self):
        """Return the underlying dialogue's rendering."""
        return self.dialogue.render()

    def _features(self, message: str, turn: int) -> np.ndarray:
        return observable_features(
            message,
            self._strategies,
            turn,
            self.max_turns,
            self.factbook,
            earlier_messages=self._person_messages[:-1],
        )
