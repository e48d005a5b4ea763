"""The person as a reward function: judge one reply to a conversation so far.

`judge(persona, history, reply)` plays `history` (OpenAI-style messages, the person's as
`"user"`, the agent's as `"assistant"`, the person's first) through the simulated person,
then reads `reply` and returns what the env would on that step: the reward under the
target, every reward component, the appraisal, the hidden state after, and the person's
answer. It drives an `EmpathyDialogueEnv` itself, so the rewards come from the env's own
code path (`finish_step`), never a copy of it.

How the history is played: the env is reset with `seed` (so the person's voice draws
what it would in an episode with that seed), and each agent message is a real `step`.
The person's lines are the ones given: where a given line differs from what the
simulated person wrote, the person's memory of that turn is rebuilt from the given words
(what they heard themselves say, the sentences they have said, and which false beliefs
they voiced: a belief counts as voiced when the line holds one of its `voiced_as` lines).
A history recorded from the env with the same seed therefore replays bit for bit, and
`judge` on it equals the env's step (tested).

Example::

    from empathy_gym import judge
    result = judge("lena_antibiotics_cold",
                   [{"role": "user", "content": "My daughter has a cold and the GP won't give antibiotics."}],
                   "That sounds worrying. What are you most afraid might happen?")
    result.reward, result.components["understood_delta"], result.person_reply

An empty `reply` is allowed: it is silence, and the person reacts to it as in the env.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.spec import DEFAULT_MAX_TURNS
from empathy_gym.personas.loader import PersonaError
from empathy_gym.personas.schema import Persona
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.simulator.person import Simulator
from empathy_gym.simulator.readers import Reader
from empathy_gym.simulator.state import PersonState
from empathy_gym.simulator.voice import normalise
from empathy_gym.text import lexicon as lx

PERSON, AGENT = "user", "assistant"  # OpenAI roles, as in the env's info["messages"]
ROLES = (PERSON, AGENT)


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the person made of one reply: the env's step, as plain values.

    `reward` is the target's weighted sum of `components` (every registered component, as
    in the env's `info["reward_components"]`); `appraisal` is how the reply was read;
    `state` is the hidden state after it (analysis only); `person_reply` is what the
    person says back; `episode_over` is True where the env would end the episode here
    (the person left, the score hit 0 or 100, or the turn limit).
    """

    reward: float
    components: dict[str, float]
    appraisal: dict[str, Any]
    state: dict[str, Any]
    person_reply: str
    episode_over: bool


@dataclass(frozen=True, slots=True)
class _Memory:
    """The part of the person's state that records what they said (the voice writes it)."""

    heard_stems: frozenset[str]
    said: frozenset[str]
    belief_voiced_turn: Mapping[str, int]

    @classmethod
    def of(cls, state: PersonState) -> "_Memory":
        return cls(
            frozenset(state.heard_stems), frozenset(state.said), dict(state.belief_voiced_turn)
        )


def check_history(history: object) -> list[str]:
    """The contents of `history`'s messages, after checking its shape; raises naming the bad message.

    Expected: a non-empty list of `{"role": "user" | "assistant", "content": str}`, the
    person's first, the roles alternating, the last the person's (the reply answers it).
    """
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        raise TypeError(
            f"history: expected a list of {{'role', 'content'}} messages, got {type(history).__name__}"
        )
    if not history:
        raise ValueError(
            "history is empty; it needs at least the person's first message (role 'user')"
        )
    contents = []
    for index, message in enumerate(history):
        if not isinstance(message, Mapping) or "role" not in message or "content" not in message:
            raise TypeError(
                f"history[{index}]: expected a mapping with 'role' and 'content', got {message!r}"
            )
        role, content = message["role"], message["content"]
        if role not in ROLES:
            raise ValueError(
                f"history[{index}].role: expected 'user' (the person) or 'assistant' (the agent), "
                f"got {role!r}"
            )
        if not isinstance(content, str):
            raise TypeError(
                f"history[{index}].content: expected a string, got {type(content).__name__}"
            )
        expected = ROLES[index % 2]
        if role != expected:
            where = "the person speaks first" if index == 0 else "the roles alternate"
            raise ValueError(
                f"history[{index}].role: expected {expected!r} ({where}), got {role!r}"
            )
        contents.append(content)
    if history[-1]["role"] != PERSON:
        raise ValueError(
            f"history[{len(history) - 1}] is the agent's ('assistant'); the reply answers the "
            "person, so the history must end with a 'user' message"
        )
    return contents


def one_persona(spec: object) -> Persona:
    """The one persona `spec` names (an id, a YAML path or a Persona); raises PersonaError otherwise."""
    try:
        chosen = resolve_personas(spec)
    except PersonaError as error:
        raise PersonaError(f"persona {spec!r}: {error}") from None
    if len(chosen) != 1:
        raise PersonaError(
            f"persona {spec!r} names {len(chosen)} personas; expected one (an id, a YAML path or a Persona)"
        )
    return chosen[0]


def _voiced_beliefs(persona: Persona, message: str) -> list[str]:
    """The false beliefs `message` voices: those one of whose `voiced_as` lines it holds."""
    said = f" {normalise(message)} "
    return [
        belief.id
        for belief in persona.beliefs
        if any(f" {normalise(line)} " in said for line in belief.voiced_as if normalise(line))
    ]


def _person_said(env: EmpathyDialogueEnv, message: str, before: _Memory) -> None:
    """The person's last line in `env` is `message`: where the simulator wrote otherwise, rebuild the memory."""
    if env.messages[-1]["content"] == message:
        return  # the simulated person said exactly this: their memory is already right
    simulator = env.simulator
    state = simulator.state
    state.heard_stems = before.heard_stems
    sentences = [s for s in lx.SENTENCE_SPLIT_RE.split(message) if normalise(s)]
    state.said = set(before.said) | {normalise(s) for s in sentences} | {normalise(message)}
    state.belief_voiced_turn = dict(before.belief_voiced_turn)
    for belief_id in _voiced_beliefs(simulator.persona, message):
        state.belief_voiced_turn[belief_id] = state.turn
    simulator.hear(message)
    env.messages[-1] = {"role": PERSON, "content": message}


def _why_it_ended(env: EmpathyDialogueEnv, info: Mapping[str, Any]) -> str:
    if info["reward_components"]["walked_away"] < 0:
        return "the simulated person left (their engagement ran out)"
    score = info["hidden_state"]["score"]
    if score <= 0.0 or score >= 100.0:
        return f"the person's score reached {score:.0f}"
    return f"the turn limit max_turns={env.max_turns} was reached (pass a larger max_turns)"


def _check_reply(text: object, where: str, limit: int) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{where}: expected a str (the agent's reply), got {type(text).__name__}")
    if len(text) > limit:
        raise ValueError(f"{where} is {len(text)} characters long; the limit is {limit}")


def replay_history(env: EmpathyDialogueEnv, contents: Sequence[str], seed: int) -> None:
    """Reset `env` with `seed` and play a checked history (`check_history`) through it, step by step."""
    env.reset(seed=seed)
    # What the person remembers before their first line: a fresh person's memory.
    fresh = Simulator(env.persona, np.random.default_rng(seed), env.reader, env.dynamics)
    _person_said(env, contents[0], _Memory.of(fresh.state))
    for index in range(1, len(contents), 2):
        _check_reply(contents[index], f"history[{index}].content", env.max_reply_chars)
        before = _Memory.of(env.simulator.state)
        _, _, terminated, truncated, info = env.step(contents[index])
        if terminated or truncated:
            raise ValueError(
                f"history[{index}]: the episode ends after this agent message "
                f"({_why_it_ended(env, info)}); the env could not go on to history[{index + 1}]"
            )
        _person_said(env, contents[index + 1], before)


def judge(
    persona: str | Persona,
    history: Sequence[Mapping[str, str]],
    reply: str,
    target: Any = "genuine",
    seed: int = 0,
    reader: str | Reader | None = None,
    dynamics: Any = None,
    *,
    max_turns: int = DEFAULT_MAX_TURNS,
) -> Judgement:
    """Judge `reply` to the conversation `history` as the simulated `persona` takes it.

    `persona`: an id, a path to a persona YAML file, or a Persona. `history`: the
    conversation so far as OpenAI-style messages (`check_history` says what is accepted).
    `reply`: the agent's next message ("" is silence, read as in the env). `target`,
    `reader`, `dynamics` and `max_turns` are the env's arguments of the same names. The
    same arguments give the same Judgement; on a history recorded from the env with the
    same seed it equals the env's step. Raises PersonaError, TypeError or ValueError naming
    the bad argument or message (and ValueError where the env's episode would have ended
    inside the history).
    """
    contents = check_history(history)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed: expected an int, got {seed!r}")
    env = EmpathyDialogueEnv(
        persona=one_persona(persona),
        target=target,
        max_turns=max_turns,
        reader=reader,
        dynamics=dynamics,
    )
    _check_reply(reply, "reply", env.max_reply_chars)
    replay_history(env, contents, int(seed))
    observation, reward, terminated, truncated, info = env.step(reply)
    return Judgement(
        reward=float(reward),
        components=dict(info["reward_components"]),
        appraisal=info["appraisal"],
        state=info["hidden_state"],
        person_reply=observation["message"],
        episode_over=bool(terminated or truncated),
    )
