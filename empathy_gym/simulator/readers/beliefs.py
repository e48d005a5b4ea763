"""Reading a message against a person's false beliefs by meaning: does it correct, endorse, or neither?

For each belief the persona holds, a message is compared with the belief's `claim` and
`truth` (and `voiced_as`, and the cue lists when a persona gives them: hints, not
requirements). Static embeddings are bags of words and cannot see "not", so each unit
(the message, and each sentence or clause split at '.', ';' and ', but') also gets:

- how much of the claim's and the truth's own words it holds inside and outside the
  scope of a negation ("a single tick doesn't mean she's seen it" negates the claim);
- whether it asks, attributes a view to the person ("you think...", "you're blaming
  yourself because..."), agrees, hedges ("could well have", "that's plausible"),
  contrasts ("; actually") or carries a correction marker ("that's a myth").

A small head (`head.py`'s MLP, labels correction and endorsement) turns the message's
features, the strongest unit's and the most on-belief unit's into two probabilities.
It is trained by `scripts/build_reader.py --beliefs` only on `data/beliefs/` (replies
written for this project); `data/beliefs-heldout/` is never trained or tuned on.
Reflecting or asking about a belief is neither; a hedge toward it is an endorsement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from empathy_gym.personas.schema import FalseBelief, Persona
from empathy_gym.simulator.readers.encoders import DATA_DIR, Encoder
from empathy_gym.simulator.readers.head import ONE_BLAS_THREAD, ActHead
from empathy_gym.text import lexicon as lx
from empathy_gym.text.cache import LRUCache
from empathy_gym.text.scan import PatternScan, Scanned

BELIEF_LABELS = ("correction", "endorsement")
HEAD_FILE = "beliefs_{encoder}.npz"
_UNIT_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+|;\s*|,\s+(?=but\b|though\b|although\b|however\b)")
MAX_UNITS = 8
HEDGE = re.compile(
    r"\b(?:could well|may well|might well|that'?s plausible|plausible|probably|likely|i'?d guess|i guess|"
    r"wouldn'?t be surprised|you (?:may|might|could) (?:be right|have a point)|makes sense that|"
    r"sounds like it (?:was|is|did)|i suppose|chances are|not unreasonable|fair to (?:say|assume))\b"
)
CONTRAST = re.compile(r"\b(?:but|though|although|however|actually|in fact|rather|instead)\b|;")


@dataclass(frozen=True, slots=True)
class _BeliefVectors:
    claim: np.ndarray
    truth: np.ndarray
    voiced: np.ndarray  # (n, dim)
    correction_cues: np.ndarray  # (n, dim), maybe (0, dim)
    endorsement_cues: np.ndarray
    claim_stems: frozenset[str]
    truth_stems: frozenset[str]
    topic_stems: frozenset[str]
    all_stems: frozenset[
        str
    ]  # claim, truth, topic, voiced_as, cues: any of them shows a message is about it
    cue_phrases: tuple[str, ...]  # cues as normalised phrases ("go for it" has no content word)
    claim_negated: bool
    truth_negated: bool


# Chat writes "u", "ur", "doesnt": read them as "you", "your", "doesn't" so attributions
# ("so u think...") and negations ("one tick doesnt mean...") are seen in every register.
_CHAT = {
    "u": "you",
    "ur": "your",
    "youre": "you're",
    "im": "i'm",
    "thats": "that's",
    "its": "it's",
    **{w.replace("'", ""): w for w in lx.NEGATIONS if "'" in w},
}
_CHAT_RE = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _CHAT), key=len, reverse=True)) + r")\b"
)


def _normalize(text: str) -> str:
    return _CHAT_RE.sub(lambda m: _CHAT[m.group(0)], lx.normalize(text))


def _content(text: str) -> frozenset[str]:
    return lx.content_stems(lx.TOKEN_RE.findall(_normalize(text))) - {lx.NEGATION_TOKEN}


def _negated(text: str) -> bool:
    return any(t in lx.NEGATIONS for t in lx.TOKEN_RE.findall(_normalize(text)))


def units_of(text: str) -> list[str]:
    """The message, then its sentences and contrast clauses (at most MAX_UNITS)."""
    parts = [p.strip() for p in _UNIT_SPLIT.split(text.strip()) if p and p.strip()]
    return [text.strip(), *parts[:MAX_UNITS]] if len(parts) > 1 else [text.strip()]


@dataclass(frozen=True, slots=True)
class _UnitText:
    """What a unit says whatever the belief: worked out once per message, shared by every belief."""

    stems: frozenset[str]  # content stems
    negated: frozenset[str]  # stems within four words after a negation
    is_negated: bool
    surface: tuple[float, ...]  # the belief-free features, question .. information


# The patterns a unit's belief-free features look for, found for all the units of a message in
# one RE2 pass (`PatternScan`); the exact `re` call runs only where they may match.
_UNIT_PATTERNS = {
    "open_question_start": lx.OPEN_QUESTION_START,
    "closed_question_start": lx.CLOSED_QUESTION_START,
    "attribution": lx.ATTRIBUTION,
    "reflection_frame": lx.REFLECTION_FRAME,
    "agreement": lx.AGREEMENT,
    "hedge": HEDGE,
    "contrast": CONTRAST,
    "correction_markers": lx.CORRECTION_MARKERS,
    "advice": lx.ADVICE,
    "imperative_start": lx.IMPERATIVE_START,
    "information": lx.INFORMATION,
}
_UNIT_SCAN = PatternScan(_UNIT_PATTERNS)


def _units_text(units: Sequence[str]) -> list[_UnitText]:
    """Each unit read once: one normalisation and tokenisation each, one pattern scan for all."""
    norms = [_normalize(unit) for unit in units]
    scanned = _UNIT_SCAN.scan(*norms)  # each unit is a part: its match/search/findall covered
    return [_unit_text(norm, scanned) for norm in norms]


def _unit_text(norm: str, scanned: Scanned) -> _UnitText:
    """What a normalised unit says, whatever the belief (`scanned`: its message's pattern scan)."""

    def count(name: str) -> float:
        return min(1.0, float(scanned.count(name, norm)))

    def found(name: str) -> bool:
        return scanned.search(name, norm)

    tokens = lx.TOKEN_RE.findall(norm)
    negated: set[str] = set()
    for i, token in enumerate(tokens):
        if token in lx.NEGATIONS:
            negated.update(lx.stem(t) for t in tokens[i + 1 : i + 5] if t not in lx.STOPWORDS)
    asks = scanned.match("open_question_start", norm) or scanned.match(
        "closed_question_start", norm
    )
    surface = (
        1.0 if "?" in norm or asks else 0.0,
        1.0 if scanned.match("attribution", norm) else 0.0,
        1.0 if found("reflection_frame") else 0.0,
        count("agreement"),
        1.0 if found("hedge") else 0.0,
        1.0 if found("contrast") else 0.0,
        count("correction_markers"),
        1.0 if found("advice") or scanned.match("imperative_start", norm) else 0.0,
        min(1.0, len(norm.split()) / 25.0),
        1.0 if found("information") else 0.0,
    )
    return _UnitText(
        stems=lx.content_stems(tokens) - {lx.NEGATION_TOKEN},
        negated=frozenset(negated),
        is_negated=any(t in lx.NEGATIONS for t in tokens),
        surface=surface,
    )


def _overlap(
    belief_stems: frozenset[str], stems: frozenset[str], negated: frozenset[str]
) -> tuple[float, float]:
    if not belief_stems:
        return 0.0, 0.0
    shared = belief_stems & stems
    inside = len(shared & negated)
    return min(1.0, (len(shared) - inside) / 3.0), min(1.0, inside / 2.0)


def _max_cos(vectors: np.ndarray, unit: np.ndarray) -> float:
    return float((vectors @ unit).max()) if len(vectors) else 0.0


N_UNIT_FEATURES = 28


def _unit_features(unit: _UnitText, vector: np.ndarray, b: _BeliefVectors) -> list[float]:
    stems, negated, unit_negated = unit.stems, unit.negated, unit.is_negated
    claim_plain, claim_neg = _overlap(b.claim_stems, stems, negated)
    truth_plain, truth_neg = _overlap(b.truth_stems, stems, negated)
    cos_claim, cos_truth = float(b.claim @ vector), float(b.truth @ vector)
    return [
        cos_claim,
        cos_truth,
        cos_truth - cos_claim,
        _max_cos(b.voiced, vector),
        _max_cos(b.correction_cues, vector),
        _max_cos(b.endorsement_cues, vector),
        claim_plain,
        claim_neg,
        truth_plain,
        truth_neg,
        min(1.0, len(b.topic_stems & stems) / 2.0),
        float(unit_negated),
        float(unit_negated != b.claim_negated),
        float(unit_negated != b.truth_negated),
        *unit.surface,
        # Bags of words cannot see "not": the similarity signed by whether the unit's polarity
        # matches the claim's (or the truth's). "one tick doesn't mean she's read it" flips.
        cos_claim if unit_negated == b.claim_negated else -cos_claim,
        cos_truth if unit_negated == b.truth_negated else -cos_truth,
        claim_plain - claim_neg,
        truth_plain - truth_neg,
    ]


def message_features(
    units: Sequence[_UnitText], vectors: np.ndarray, b: _BeliefVectors
) -> np.ndarray:
    """The whole message's features, the elementwise max over its units, and its most on-belief unit's."""
    rows = np.asarray([_unit_features(u, v, b) for u, v in zip(units, vectors)], dtype=np.float32)
    on_belief = int(
        np.argmax(
            np.maximum(rows[:, 0], rows[:, 1]) + rows[:, 6] + rows[:, 7] + rows[:, 8] + rows[:, 9]
        )
    )
    return np.concatenate([rows[0], rows.max(axis=0), rows[on_belief]])


N_FEATURES = 3 * N_UNIT_FEATURES


# Bounds of the reader's least-recently-used memos, those of the clear-when-full caches
# they replaced: encoded beliefs (a persona holds a few), encoded messages, and head
# outputs per (message, belief).
BELIEF_CACHE_SIZE = 4096
UNITS_CACHE_SIZE = 8192
READ_CACHE_SIZE = 50_000
# Per message, what `about` compares with every belief (its content stems and token string):
# as many distinct messages as the encoded-units memo keeps.
SAID_CACHE_SIZE = UNITS_CACHE_SIZE


class BeliefReader:
    """Per (message, belief): the probability that the message corrects it and that it endorses it."""

    def __init__(self, encoder: Encoder, head: ActHead | None):
        """`head=None` gives a reader that only computes features (to train a head on)."""
        if head is not None and (head.labels != BELIEF_LABELS or head.n_features != N_FEATURES):
            raise ValueError(
                f"belief head must have labels {BELIEF_LABELS} and {N_FEATURES} features, "
                f"got {head.labels} and {head.n_features}"
            )
        self.encoder = encoder
        self.head = head
        self._beliefs: LRUCache[tuple[int, str], tuple[FalseBelief, _BeliefVectors]] = LRUCache(
            BELIEF_CACHE_SIZE
        )
        self._units: LRUCache[str, tuple[list[_UnitText], np.ndarray]] = LRUCache(
            UNITS_CACHE_SIZE, per_text=True
        )
        self._said: LRUCache[str, tuple[frozenset[str], str]] = LRUCache(
            SAID_CACHE_SIZE, per_text=True
        )
        self._cache: LRUCache[tuple[str, int, str], tuple[float, float]] = LRUCache(
            READ_CACHE_SIZE, per_text=True
        )

    @classmethod
    def load(cls, encoder: Encoder, path: str | Path | None = None) -> "BeliefReader":
        """Load the belief head for `encoder` (from `path`, or the packaged one)."""
        return cls(encoder, ActHead.load(path or DATA_DIR / HEAD_FILE.format(encoder=encoder.name)))

    def vectors(self, belief: FalseBelief) -> _BeliefVectors:
        """Return the encoded claim, truth and cues of a belief (cached per belief)."""
        key = (id(belief), belief.id)
        known = self._beliefs.get(key)
        if known is not None and known[0] is belief:
            return known[1]
        encode = self.encoder.encode
        empty = np.zeros((0, self.encoder.dim), dtype=np.float32)
        claim, truth = encode([belief.claim, belief.truth])
        vectors = _BeliefVectors(
            claim=claim,
            truth=truth,
            voiced=encode(belief.voiced_as) if belief.voiced_as else claim[None],
            correction_cues=encode(belief.correction_cues) if belief.correction_cues else empty,
            endorsement_cues=encode(belief.endorsement_cues) if belief.endorsement_cues else empty,
            claim_stems=_content(belief.claim),
            truth_stems=_content(belief.truth),
            topic_stems=_content(" ".join(belief.topic)),
            # Generic support and feeling words ("fine", "worry") do not make a message about a belief.
            all_stems=_content(
                " ".join(
                    [
                        belief.claim,
                        belief.truth,
                        *belief.topic,
                        *belief.voiced_as,
                        *belief.endorsement_cues,
                        *belief.correction_cues,
                    ]
                )
            )
            - lx.GENERIC_SUPPORT_STEMS
            - lx.FEELING_STEMS,
            cue_phrases=tuple(
                p
                for p in (
                    " ".join(lx.TOKEN_RE.findall(lx.normalize(c)))
                    for c in [*belief.endorsement_cues, *belief.correction_cues]
                )
                if p
            ),
            claim_negated=_negated(belief.claim),
            truth_negated=_negated(belief.truth),
        )
        self._beliefs[key] = (belief, vectors)
        return vectors

    def _encoded_units(self, text: str) -> tuple[list[_UnitText], np.ndarray]:
        """The message's units, read once (whatever the belief), and their vectors; memoised per text."""
        known = self._units.get(text)
        if known is None:
            units = units_of(text)
            known = (_units_text(units), self.encoder.encode(units))
            self._units[text] = known
        return known

    def features(self, text: str, belief: FalseBelief) -> np.ndarray:
        """Return the features of `text` against one belief, as the head reads them."""
        units, vectors = self._encoded_units(text)
        return message_features(units, vectors, self.vectors(belief))

    def about(self, text: str, beliefs: Sequence[FalseBelief]) -> dict[str, bool]:
        """Per belief: does the message say a cue, or share a content word with it?

        The belief's words are its claim, truth, topic, voicings and cues.
        """
        known = self._said.get(text)
        if known is None:
            tokens = lx.TOKEN_RE.findall(_normalize(text))
            known = self._said[text] = (
                lx.content_stems(tokens) - {lx.NEGATION_TOKEN},
                " ".join(tokens),
            )
        stems, said = known
        out = {}
        for belief in beliefs:
            vectors = self.vectors(belief)
            out[belief.id] = bool(stems & vectors.all_stems) or any(
                p in said for p in vectors.cue_phrases
            )
        return out

    def read(self, text: str, beliefs: Sequence[FalseBelief]) -> dict[str, tuple[float, float]]:
        """belief id -> (P(correction), P(endorsement)) for each belief in `beliefs`."""
        out: dict[str, tuple[float, float]] = {}
        todo = []
        for belief in beliefs:
            key = (text, id(belief), belief.id)
            known = self._cache.get(key)
            if known is None:
                todo.append((key, belief))
            else:
                out[belief.id] = known
        if todo and text.strip():
            if self.head is None:
                raise ValueError(
                    "this BeliefReader has no head (it was built to compute features only)"
                )
            with ONE_BLAS_THREAD:
                probs = self.head.predict(np.stack([self.features(text, b) for _, b in todo]))
            for (key, belief), (p_correct, p_endorse) in zip(todo, probs.tolist()):
                self._cache[key] = out[belief.id] = (p_correct, p_endorse)
        return out


def beliefs_in_play(persona: Persona, beliefs_held: dict[str, float]) -> list[FalseBelief]:
    """Return the persona's beliefs the person still holds at all."""
    return [b for b in persona.beliefs if beliefs_held.get(b.id, 0.0) > 0.0]
