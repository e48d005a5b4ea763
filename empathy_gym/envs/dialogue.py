"""EmpathyDialogue-v0: an agent talks with a simulated person who has a hidden emotional state.

### Description
Each episode pairs the agent with one persona: a person with emotions (each with a
function and a flag for whether it fits the facts), values, hidden concerns and
sometimes false beliefs. Every agent message is appraised into named acts, the
hidden state moves by deterministic dynamics, and the person replies.

### Observation
`Dict` of two `Text` spaces:
- `message`: the person's latest message (at most 2,000 characters).
- `persona_card`: the public card: name, age and the situation the agent may know.
Characters outside the observation charset are replaced with `?`.

### Action
`ReplySpace` (a `Text`): the agent's reply, any unicode string up to `max_reply_chars`
(default 4,000); `action_space.contains` accepts exactly what `step` accepts. A
non-string raises `TypeError`; an over-long string raises `ValueError`; the empty string
is silence, and the person reacts to it; text the reader cannot read (emoji only,
another script) is flagged in `info["unreadable"]` and read as not understood.
`action_space.sample()` draws from a few human replies (`SAMPLE_REPLIES`).

### Reward
The weighted sum of named components chosen by the reward target (`genuine` by
default; `comfort`, `rlver`, `attuned`, `truthful`, or a weights mapping). All
components are reported every step in `info["reward_components"]`, so
`reward == sum(weights[k] * info["reward_components"][k])`.

### Starting state
A persona is chosen (fixed, or sampled with the env's `np_random` from a set), its
state starts from the persona's initial values (score 40, as in SAGE), and the
person opens the conversation.

### Episode end
Terminated when the person leaves (engagement runs out) or the score reaches 0 or
100. After `max_turns` agent messages (default 10): truncated (`turn_limit="truncate"`,
Gymnasium's time-limit convention: the talk could have gone on, and a learner that
bootstraps values counts what would have come next), or terminated
(`turn_limit="terminate"`: a session of fixed length, whose return is all there is).

### Info
- `messages`: the chat so far in OpenAI format (person = "user", agent = "assistant").
- `turn`, `persona_id`, `target`, `reward_components`, `appraisal`.
- `unreadable`: True when the reader could not read the agent's last message (another
  script, emoji only); the person treats it as not being understood, never as nothing.
- `hidden_state`: the person's hidden state. **Analysis only**: a policy that reads
  it is cheating; it is there for logging, plots and research.

### Seeding
`reset(seed=s)` seeds the env's one generator (`np_random`). Everything random in an
episode draws from it: the persona chosen from a set, the person's voice, and (through a
child spawned from it, so the voice's stream is untouched) an LLM person's sampling seed
per turn. `reset()` without a seed continues the stream. The action space has its own
generator (`action_space.seed`).

### Arguments
The fields of `empathy_gym.envs.spec.DialogueSpec` (each default lives there; every env
takes them), and `render_mode` (`"ansi"`): `persona` (id, path to a persona YAML file,
Persona, a list of these, a set spec, or None for the whole library), `target`, `max_turns`, `turn_limit`,
`max_reply_chars`, `reader` (how the person reads the agent: `"semantic"` by default,
`"rule"`, `"minilm"`, `"pair"`, or a `Reader`), `backend` (an `empathy_gym.llm.Backend` or
plain data `{"kind": ...}`: an LLM plays the person, and `reader` guards it and stands in
for failed turns), `llm_config`, and `dynamics` (the person's dynamics: a `DynamicsParams`
or flat overrides such as `{"trust_gain": 0.1}`, validated; see `empathy-gym dynamics` and
docs/dynamics.md). With a backend, `info["llm"]` counts calls, repairs, retries and
fallbacks to the rule simulator.
Options to `reset`: `{"persona": id, YAML path or Persona}` picks the persona for that episode.
"""

from __future__ import annotations

import copy
import functools
import itertools
import re
import string
from typing import Any, Mapping

import gymnasium as gym
from gymnasium import spaces

from empathy_gym.envs.spec import (
    DEFAULT_MAX_REPLY_CHARS,
    DEFAULT_MAX_TURNS,
    DEFAULT_TURN_LIMIT,
    DialogueSpec,
)
from empathy_gym.llm.base import Backend
from empathy_gym.personas.schema import Persona
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.rewards import RewardContext, compute_components, make_target, resolve_component
from empathy_gym.simulator.llm_person import LLMSimulatorConfig, LLMTurnStats
from empathy_gym.simulator.params import DynamicsParams
from empathy_gym.simulator.person import Simulator, TurnResult, take_turns
from empathy_gym.simulator.readers import LLM_READER, Reader

_ENV_UIDS = itertools.count(1)
MAX_MESSAGE_CHARS = 2000
# Printable ASCII plus the Latin-1 letters and the typographic punctuation personas use.
CHARSET = (
    frozenset(string.printable)
    | frozenset(chr(c) for c in range(0xA0, 0x180))
    | frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2026")
)
_OUTSIDE_CHARSET = re.compile("[^" + re.escape("".join(sorted(CHARSET))) + "]")


# What `action_space.sample()` says: replies a person could write, in several registers.
SAMPLE_REPLIES = (
    "That sounds really hard. What has been the worst part of it?",
    "so ur saying nobody noticed how much u were carrying",
    "I hear how tired you are.",
    "Have you thought about talking to someone about it?",
    "ok",
    "You're right, they should have known better.",
    "Honestly, it could be worse. At least you have your health.",
    "What do you think would help most right now?",
    "Mm. Take your time.",
    "It makes sense that you feel this way after everything that happened.",
    "When my dad died I didn't know what to do with myself either.",
    "",
)


# Gymnasium's `Text` builds a set, a tuple, a sorted string and a dict of numpy ints of its
# charset in every instance: ~18 KiB for CHARSET, three spaces per env, 53 of an env's 56 KiB
# (tracemalloc, issue 21). `SharedText` spaces of one charset share these tables. The names
# are gymnasium 1.2's `Text.__init__` attributes; tests/test_perf_habits.py checks they are shared.
_CHARSET_TABLES = ("_char_set", "_char_list", "_char_index", "_char_str")
# Distinct charsets whose tables are kept: the project uses one; a user's few more fit.
CHARSET_TABLES_CACHE_SIZE = 32


@functools.lru_cache(maxsize=CHARSET_TABLES_CACHE_SIZE)
def _charset_tables(chars: tuple[str, ...]) -> dict[str, Any]:
    """The lookup tables `Text` builds for a charset, built once per charset (in its order)."""
    built = spaces.Text(1, min_length=0, charset=chars)
    return {name: vars(built)[name] for name in _CHARSET_TABLES if name in vars(built)}


class SharedText(spaces.Text):
    """A `Text` space whose charset tables are shared with every `SharedText` of the same charset.

    It samples, checks `contains` and compares exactly as `Text`: only the memory differs
    (the tables are never written after construction). `deepcopy` (as `batch_space` does
    for a vector env) shares them too; the length bounds and generator are copied.
    """

    def __init__(
        self,
        max_length: int,
        *,
        min_length: int = 1,
        charset: frozenset[str] | str = spaces.text.alphanumeric,
        seed: int | None = None,
    ):
        super().__init__(max_length, min_length=min_length, charset=charset, seed=seed)
        vars(self).update(_charset_tables(self._char_list))

    def __deepcopy__(self, memo: dict[int, Any]) -> "SharedText":
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        for name, value in vars(self).items():
            shared = name in _CHARSET_TABLES
            vars(clone)[name] = value if shared else copy.deepcopy(value, memo)
        return clone


def message_space(max_length: int = MAX_MESSAGE_CHARS) -> SharedText:
    """An observation's text: at most `max_length` characters of CHARSET, empty allowed."""
    return SharedText(max_length, min_length=0, charset=CHARSET)


class ReplySpace(SharedText):
    """The agent's reply: any str of at most `max_length` characters (emoji and other scripts included).

    `step` reads every str; text the reader cannot read is flagged in `info["unreadable"]`,
    not rejected, so `contains` agrees with `step`. `sample()` draws a reply from
    `SAMPLE_REPLIES` with the space's own seeded generator (a random-character string says
    nothing a person would); with a `mask` or `probability` it samples characters as `Text` does.
    """

    def __init__(self, max_length: int, seed: int | None = None):
        super().__init__(max_length, min_length=0, charset=CHARSET, seed=seed)

    def contains(self, x: object) -> bool:
        """Return whether `x` is a string no longer than the space's maximum length."""
        return isinstance(x, str) and len(x) <= self.max_length

    def sample(self, mask=None, probability=None) -> str:
        """Return a sample reply, cut to the maximum length (masks and probabilities go to the text
        space).
        """
        if mask is not None or probability is not None:
            return super().sample(mask=mask, probability=probability)
        return SAMPLE_REPLIES[int(self.np_random.integers(len(SAMPLE_REPLIES)))][: self.max_length]

    def __repr__(self) -> str:
        return f"ReplySpace(max_length={self.max_length})"


def to_charset(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Fit text into the observation space: unknown characters become '?', long text is cut."""
    return _OUTSIDE_CHARSET.sub("?", text[:limit])


class EmpathyDialogueEnv(gym.Env[dict, str]):
    """EmpathyDialogue-v0 (see the module docstring); its arguments are `DialogueSpec`'s fields."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        persona: Any = None,
        target: Any = None,
        max_turns: int = DEFAULT_MAX_TURNS,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
        render_mode: str | None = None,
        backend: Backend | Mapping[str, Any] | None = None,
        llm_config: LLMSimulatorConfig | Mapping[str, Any] | None = None,
        reader: str | Reader | None = None,
        turn_limit: str = DEFAULT_TURN_LIMIT,
        dynamics: DynamicsParams | Mapping[str, Any] | None = None,
    ):
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
        )  # validated now, not at the first reset
        self.dialogue_spec = spec  # `spec` is Gymnasium's EnvSpec
        self.turn_limit = turn_limit
        self.dynamics = spec.dynamics_params()
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        self.personas: list[Persona] = resolve_personas(persona)
        self.target = make_target(target)
        for name in self.target.weights:  # a target built in another process: import its components
            resolve_component(name)
        self.max_turns = max_turns
        self.max_reply_chars = max_reply_chars
        self.render_mode = render_mode
        self.observation_space = spaces.Dict(
            {
                "message": message_space(),
                "persona_card": message_space(),
            }
        )
        self.action_space = ReplySpace(max_reply_chars)
        self.llm_config = spec.llm_settings()
        # The one door: the code reader alone, or with a backend the LLM person it guards.
        self.reader: Reader = spec.person_reader()
        # None: a code reader and the rule voice; else the Backend the LLM person plays through.
        self.backend = self.reader.backend if backend is not None else None
        self.llm_stats = LLMTurnStats()
        self.dialogue_tag = (
            ""  # routes this dialogue's reads in a batched turn; not a record's episode_id
        )
        self._episodes_started = 0
        self._uid = next(_ENV_UIDS)
        self.simulator: Simulator | None = None
        self.messages: list[dict[str, str]] = []
        self._card = ""
        self._last: TurnResult | None = None
        self._done = False
        self._last_components: dict[str, float] = {}

    # --- gymnasium API ---------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode with a persona (chosen, or `options["persona"]`); return the opening
        observation and info.
        """
        super().reset(seed=seed)
        persona = self._choose_persona(options)
        self._episodes_started += 1
        self.dialogue_tag = f"env{self._uid}-ep{self._episodes_started}"
        self.llm_stats = LLMTurnStats()
        self.simulator = Simulator(persona, self.np_random, self.reader, self.dynamics)
        opening = to_charset(self.simulator.open())
        self._card = to_charset(persona.public_card_text())
        self.messages = [{"role": "user", "content": opening}]
        self._last = None
        self._done = False
        self._last_components = {}
        observation = {"message": opening, "persona_card": self._card}
        return observation, self._info()

    def step(self, action: str):
        """Deliver the agent's reply; return (observation, reward, terminated, truncated, info)."""
        self.check_action(action)
        return self.finish_step(action, take_turns([self.turn(action)])[0])

    def turn(self, action: str) -> tuple:
        """This dialogue's entry for `simulator.person.take_turns` (the vector env batches these)."""
        return (self.simulator, action, self.messages, self.dialogue_tag)

    def check_action(self, action: object) -> None:
        """Raise if `action` cannot be stepped now (used by the vector env before batching)."""
        if self.simulator is None:
            raise RuntimeError("EmpathyDialogueEnv.step() called before reset()")
        if self._done:
            raise RuntimeError(
                "EmpathyDialogueEnv.step() called after the episode ended; call reset()"
            )
        if not isinstance(action, str):
            raise TypeError(
                f"action must be a str (the agent's reply), got {type(action).__name__}"
            )
        if len(action) > self.max_reply_chars:
            raise ValueError(
                f"action is {len(action)} characters long; the limit is max_reply_chars={self.max_reply_chars}"
            )

    def finish_step(self, action: str, result: TurnResult):
        """Rewards, episode end and bookkeeping for a turn the simulator has taken."""
        simulator = self.simulator
        state = simulator.state
        if result.usage:
            self.llm_stats.add(result.usage)
        terminated = result.events.left or state.score <= 0.0 or state.score >= 100.0
        at_limit = not terminated and state.turn >= self.max_turns
        terminated = terminated or (at_limit and self.turn_limit == "terminate")
        truncated = at_limit and self.turn_limit == "truncate"
        self._done = terminated or truncated
        context = RewardContext(
            simulator.persona, result.before, state, result.appraisal, result.events, self._done
        )
        components = compute_components(context)
        reward = self.target.reward(components)
        message = to_charset(result.message)
        self.messages.append({"role": "assistant", "content": action})
        self.messages.append({"role": "user", "content": message})
        self._last = result
        self._last_components = components
        observation = {"message": message, "persona_card": self._card}
        return observation, reward, terminated, truncated, self._info()

    def render(self) -> str | None:
        """Return the dialogue as text in "ansi" render mode, else None."""
        if self.render_mode != "ansi":
            return None
        lines = []
        if self.simulator is not None:
            lines.append(f"[{self.simulator.persona.id}] {self._card}")
        for message in self.messages:
            speaker = "PERSON" if message["role"] == "user" else "AGENT "
            lines.append(f"{speaker}: {message['content']}")
        if self.simulator is not None:
            s = self.simulator.state
            lines.append(
                f"-- turn {s.turn}/{self.max_turns} score {s.score:.0f} distress {s.distress:.2f} "
                f"understood {s.understood:.2f} trust {s.trust:.2f} expressed {s.expressed:.2f}"
            )
        return "\n".join(lines) + "\n"

    # --- helpers ------------------------------------------------------------------------------

    @property
    def persona(self) -> Persona | None:
        """The persona of the current episode, or None before the first reset."""
        return None if self.simulator is None else self.simulator.persona

    def _choose_persona(self, options: dict | None) -> Persona:
        if options and options.get("persona") is not None:
            chosen = resolve_personas(options["persona"])
            if len(chosen) != 1:
                raise ValueError("reset(options={'persona': ...}) takes one persona id or Persona")
            return chosen[0]
        if len(self.personas) == 1:
            return self.personas[0]
        return self.personas[int(self.np_random.integers(len(self.personas)))]

    def _info(self) -> dict[str, Any]:
        simulator = self.simulator
        assert simulator is not None
        return {
            "messages": list(self.messages),
            "turn": simulator.state.turn,
            "persona_id": simulator.persona.id,
            "target": self.target.name,
            "reward_components": self._last_components,
            "appraisal": self._last.appraisal.to_dict() if self._last else {},
            # The reader could not read the agent's text (another script, emoji only): read as not understood.
            "unreadable": bool(self._last and self._last.appraisal.unreadable),
            "hidden_state": simulator.state.hidden_state(),  # analysis only: never feed this to a policy
            **({"llm": self.llm_stats.to_dict()} if self.reader.name == LLM_READER else {}),
        }
