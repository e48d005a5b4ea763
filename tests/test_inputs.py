"""Input the person cannot read (issue 17): walls of one character, keyboard mash, consonant
strings and over-long tokens are unreadable, leave the person unheard and pay less than an
ordinary reply; ordinary text, short chat included, reads as before."""

from __future__ import annotations

import string

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import empathy_gym  # noqa: F401  (registers the envs)
from empathy_gym.personas.loader import load_library
from empathy_gym.simulator.readers.rule import (
    LONG_REPLY_WORDS,
    VERY_LONG_REPLY_WORDS,
    read_text,
    reply_length,
)

STARTER = sorted(pid for pid, p in load_library().items() if "starter" in p.tags)
# A plain supporter turn, neither especially good nor bad.
ORDINARY_REPLY = "I'm sorry to hear that. How long have you been feeling this way?"
# Ordinary supporter lines (ESConv-style: greeting, sympathy, a suggestion, self-disclosure),
# cycled over an episode. Before the fix a wall of "aaaa" earned more than these (-0.30
# against -0.58 per episode, the mean over the starter personas).
ORDINARY_MIX = [
    "Hello, how are you doing today?",
    "I'm sorry to hear that.",
    "Have you considered talking to a counselor?",
    "I understand, I've been through something similar.",
    "Maybe you could try to find a new hobby.",
    "I hope things get better for you.",
]
CONSONANTS = "bcdfghjklmnpqrstvwxz"  # no vowels, no 'y'

walls = st.builds(
    lambda ch, n, spaced: (ch + " ") * n if spaced else ch * n,
    st.sampled_from(string.ascii_letters + string.digits),
    st.integers(50, 2000),
    st.booleans(),
)
consonant_strings = st.one_of(
    st.text(alphabet=CONSONANTS, min_size=50, max_size=2000),
    st.lists(st.text(alphabet=CONSONANTS, min_size=4, max_size=12), min_size=11, max_size=60).map(
        " ".join
    ),
)


def _first_step(text: str, persona: str, seed: int):
    env = gym.make("EmpathyDialogue-v0", persona=persona, target="genuine")
    env.reset(seed=seed)
    _, reward, _, _, info = env.step(text)
    return reward, info


def _episode_return(lines: list[str], persona: str, seed: int = 0, turns: int = 10) -> float:
    env = gym.make("EmpathyDialogue-v0", persona=persona, target="genuine", max_turns=turns)
    env.reset(seed=seed)
    total = 0.0
    for turn in range(turns):
        _, reward, terminated, truncated, _ = env.step(lines[turn % len(lines)])
        total += reward
        if terminated or truncated:
            break
    return total


def test_a_wall_of_one_character_is_unreadable_too_long_and_costs():
    reward, info = _first_step("x" * 4000, "maria_lost_mother", 0)
    assert info["unreadable"] is True and info["appraisal"]["unreadable"] == 1.0
    assert info["appraisal"]["length"] == 1.0
    assert info["reward_components"]["checklist/concise"] == -1.0
    assert info["reward_components"]["understood_delta"] < 0.0
    assert reward < 0.0


@pytest.mark.parametrize(
    "text",
    ["asdfghjkl", "asdf asdf asdf", "jkfdsla fjdksal", "z" * 300, "a a a a a a a a a a"],
)
def test_keyboard_mash_and_runs_of_one_letter_are_unreadable(text):
    assert read_text(text).unreadable


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(walls, consonant_strings),
    persona=st.sampled_from(STARTER),
    seed=st.integers(0, 10**6),
)
def test_garbage_is_unreadable_and_pays_less_than_an_ordinary_reply(text, persona, seed):
    reward, info = _first_step(text, persona, seed)
    assert info["unreadable"] is True and info["appraisal"]["unreadable"] == 1.0
    ordinary_reward, ordinary_info = _first_step(ORDINARY_REPLY, persona, seed)
    assert ordinary_info["unreadable"] is False
    assert reward < ordinary_reward, (reward, ordinary_reward)


@pytest.mark.parametrize(
    "text",
    [
        "ok so what happened",
        "idk what to say tbh",
        "lol same",
        "that sucks",
        "wanna talk about it",
        "whats going on",
        "u ok?",
        "hmm",
        "hmmmm",
        "yeahhh",
        "oops",
        "Oh no.",
        "I'm here.",
        "Call 988 if you need to.",
        "GP? what's a GP?",
        "Have you talked to Priya about it?",
        "I am D-I-S-G-U-S-T-E-D to the Nth degree.",
        "What was your mum like?",
        "ok",
        "aaa",
        ORDINARY_REPLY,
        *ORDINARY_MIX,
    ],
)
def test_ordinary_replies_and_short_chat_are_readable(text):
    _, info = _first_step(text, "maria_lost_mother", 0)
    assert info["unreadable"] is False and info["appraisal"]["unreadable"] == 0.0


def test_ordinary_text_is_measured_by_its_words_as_before():
    words = 200
    text = " ".join(["support"] * words)  # 8 characters a word with its space: prose-like at most
    expected = (words - LONG_REPLY_WORDS) / (VERY_LONG_REPLY_WORDS - LONG_REPLY_WORDS)
    assert reply_length(words, len(text)) == pytest.approx(expected)
    assert reply_length(10, 60) == 0.0
    assert reply_length(1, 4000) == 1.0  # one token of 4000 characters: a wall


@pytest.mark.parametrize("persona", STARTER)
@pytest.mark.parametrize("garbage", ["aaaa", "aaaa " * 200, "x" * 4000])
def test_over_an_episode_garbage_earns_less_than_ordinary_lines(persona, garbage):
    garbage_return = _episode_return([garbage], persona)
    ordinary_return = _episode_return(ORDINARY_MIX, persona)
    assert garbage_return < ordinary_return, (garbage_return, ordinary_return)
