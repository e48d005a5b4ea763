"""Observable features of a dialogue: what a strategy policy may see. Nothing hidden."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from empathy_gym.agents.strategies import FactBook, Strategy
from empathy_gym.simulator import lexicon as lx

FAMILIES = list(lx.FEELING_FAMILIES)
N_STRATEGIES = len(Strategy)
FEATURE_NAMES = (
    ["turn_fraction", "message_words", "person_asked", "claim_voiced"]
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
) -> np.ndarray:
    """A vector in [0, 1]^N_FEATURES from the person's words and the agent's own past choices."""
    features = np.zeros(N_FEATURES, dtype=np.float32)
    tokens = lx.TOKEN_RE.findall(lx.normalize(person_message))
    features[0] = min(1.0, turn / max_turns)
    features[1] = min(1.0, len(tokens) / 80.0)
    features[2] = 1.0 if "?" in person_message else 0.0
    features[3] = 1.0 if factbook.lookup(person_message) is not None else 0.0
    offset = 4
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
