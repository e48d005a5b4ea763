"""Observable features of a dialogue: what a strategy policy may see. Nothing hidden."""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from empathy_gym.agents.strategies import FactBook, Strategy
from empathy_gym.text import lexicon as lx

FAMILIES = list(lx.FEELING_FAMILIES)
N_STRATEGIES = len(Strategy)
# Signs of trust a person shows in their words (what a human supporter watches for before
# correcting someone): feeling heard, and pushing back.
FELT_HEARD = re.compile(
    r"\b(?:that's it|thats it|exactly|you get it|you get me|thank you|thanks|yeah|yes|that's how it feels|"
    r"that's right|that's true|it helps|that helps|i hadn't thought)\b"
)
PUSHED_BACK = re.compile(
    r"\b(?:that's not (?:really )?(?:it|what)|you don't (?:get|understand)|i don't think you get|not making this up|"
    r"defend|whatever|i'm not stupid|easy for you)\b"
)
FEATURE_NAMES = (
    [
        "turn_fraction",
        "message_words",
        "person_asked",
        "claim_voiced",
        "claim_voiced_before",
        "felt_heard",
        "pushed_back",
        "felt_heard_turns",
    ]
    + [f"feeling/{f}" for f in FAMILIES]
    + [f"used/{s.name.lower()}" for s in Strategy]
    + [f"last/{s.name.lower()}" for s in Strategy]
)
N_FEATURES = len(FEATURE_NAMES)


def observable_features(
    person_message: str,
    strategies_used: Sequence[int],
    turn: int,
    max_turns: int,
    factbook: FactBook,
    earlier_messages: Sequence[str] = (),
) -> np.ndarray:
    """A vector in [0, 1]^N_FEATURES from the person's words and the agent's own past choices.

    `earlier_messages`: what the person said before `person_message` (whether a misconception
    was voiced earlier, and for how many turns they have sounded heard).
    """
    features = np.zeros(N_FEATURES, dtype=np.float32)
    tokens = lx.TOKEN_RE.findall(lx.normalize(person_message))
    features[0] = min(1.0, turn / max_turns)
    features[1] = min(1.0, len(tokens) / 80.0)
    features[2] = 1.0 if "?" in person_message else 0.0
    features[3] = 1.0 if factbook.lookup(person_message) is not None else 0.0
    features[4] = 1.0 if any(factbook.lookup(m) is not None for m in earlier_messages) else 0.0
    norm = lx.normalize(person_message)
    features[5] = 1.0 if FELT_HEARD.search(norm) else 0.0
    features[6] = 1.0 if PUSHED_BACK.search(norm) else 0.0
    heard = sum(
        1 for m in (*earlier_messages, person_message) if FELT_HEARD.search(lx.normalize(m))
    )
    features[7] = min(1.0, heard / 3.0)
    offset = 8
    for token in tokens:
        family = lx.FEELING_WORDS.get(token)
        if family is not None:
            index = offset + FAMILIES.index(family)
            features[index] = min(1.0, features[index] + 0.5)
    offset += len(FAMILIES)
    for strategy in strategies_used:
        features[offset + strategy] = min(1.0, features[offset + strategy] + 1.0 / max_turns)
    offset += N_STRATEGIES
    if strategies_used:
        features[offset + strategies_used[-1]] = 1.0
    return features
