"""The semantic reader (default): speech acts by meaning, the persona's own words by the rule reader.

Each message is split into sentences; the message and each sentence are encoded (static
MiniLM word embeddings by default, see `encoders.py`) and joined with a few surface
features (a '?', a wh- or auxiliary opening, 'you', first person, length) and the rule
reader's pattern hits; a linear head (`head.py`, trained on phrasings written for this
project) gives each act a probability, and a message's act is its strongest sentence.
What depends on this person - which of their emotions and concerns were named, false
beliefs, repetition, parroting, specificity - is read by the rule reader's persona
vocabulary, so the semantic reader keeps the same `Appraisal` contract.

Batched: `read(requests)` encodes every sentence of every message in one call. The
head's output for a text is cached (bounded), so repeated replies cost a dict lookup.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.readers.base import Reading
from empathy_gym.simulator.readers.beliefs import HEDGE, BeliefReader, beliefs_in_play
from empathy_gym.simulator.readers.encoders import DATA_DIR, Encoder, make_encoder
from empathy_gym.simulator.readers.head import ONE_BLAS_THREAD, ActHead
from empathy_gym.simulator.readers.rule import (
    TextReading,
    read_text,
    reflection_accuracy,
    rule_appraise,
)
from empathy_gym.text import lexicon as lx
from empathy_gym.text.cache import LRUCache, text_cache

NOISE_FLOOR = 0.25  # head probabilities below this are noise, not acts
CLOSED_QUESTION_WEIGHT = 0.7
# Acts that cost the person something (they push fitting emotions down, mask distress,
# lower trust): read by the head, kept only with a second witness (see `_witnessed`).
COSTLY_ACTS = (
    "reassurance",
    "minimising",
    "criticism",
)  # a closed question explores less than an open one
MAX_SENTENCES = 8
# Distinct texts whose act probabilities (and strengths) a reader keeps, least recently
# used dropped first: the bound of the clear-when-full cache this replaced.
CACHE_SIZE = 20_000
_AUX_START = re.compile(
    r"^(?:(?:so|and|but|then|ok|okay|well)[, ]+)?(?:do|does|did|are|is|was|were|have|has|had|can|"
    r"could|would|will|should|any)\b"
)
# Second-person tokens. Not `lexicon.YOU`: that is a regex fragment for phrase patterns and
# lacks "yours", "yourself" and "ur"; the act heads were trained with this set.
_YOU = frozenset("you you're youre you've you'd you'll your yours yourself u ur".split())
_FIRST = frozenset("i i'm im i've ive i'd i'll my me mine myself".split())
_RULE_HITS = (
    "validation",
    "reassurance",
    "minimising",
    "criticism",
    "information",
    "self_disclosure",
    "crisis_response",
)


def split_units(text: str) -> list[str]:
    """The message, then its sentences when there are several (the units the head reads)."""
    sentences = [s.strip() for s in lx.SENTENCE_SPLIT_RE.split(text.strip()) if s.strip()]
    if len(sentences) <= 1:
        return [text.strip()]
    return [text.strip(), *sentences[:MAX_SENTENCES]]


def _unit_features(unit: str) -> list[float]:
    norm = lx.normalize(unit).strip()
    tokens = lx.TOKEN_RE.findall(norm)
    words = len(tokens)
    token_set = set(tokens)
    return [
        1.0 if "?" in norm else 0.0,
        1.0 if lx.WH_START.match(norm) else 0.0,
        1.0 if _AUX_START.match(norm) else 0.0,
        1.0 if lx.OPEN_INVITATION.search(norm) else 0.0,
        1.0 if token_set & _YOU else 0.0,
        1.0 if token_set & _FIRST else 0.0,
        min(1.0, words / 25.0),
        1.0 if words <= 3 else 0.0,
        1.0 if words <= 4 and lx.BACKCHANNEL.fullmatch(" ".join(tokens)) else 0.0,
    ]


def _message_features(r: TextReading) -> list[float]:
    h = r.hits
    advice = h.get("advice", 0) + h.get("advice_question", 0) + h.get("imperative", 0)
    return [
        1.0 if r.question >= 0.9 else 0.0,
        1.0 if 0.0 < r.question < 0.9 else 0.0,
        1.0 if r.frames else 0.0,
        1.0 if r.strong_frame else 0.0,
        1.0 if r.agrees else 0.0,
        1.0 if r.named_families else 0.0,
        min(1.0, float(advice)),
        *(min(1.0, float(h.get(name, 0))) for name in _RULE_HITS),
    ]


N_SURFACE = len(_unit_features("x")) + 14


def unit_matrix(encoder: Encoder, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """Features of every unit of every text, and each unit's text index."""
    units: list[str] = []
    owner: list[int] = []
    rule_rows: list[list[float]] = []
    for i, text in enumerate(texts):
        message = _message_features(read_text(text))
        for unit in split_units(text):
            units.append(unit)
            owner.append(i)
            rule_rows.append(_unit_features(unit) + message)
    embedded = encoder.encode(units)
    return np.hstack(
        [embedded, np.asarray(rule_rows, dtype=np.float32).reshape(len(units), -1)]
    ), owner


class SemanticReader:
    """Reads acts with an encoder and a trained head over the rule appraisal, and false beliefs with a
    belief head.
    """

    name = "semantic"

    def __init__(self, encoder: Encoder, head: ActHead, beliefs: BeliefReader | None = None):
        if head.n_features != encoder.dim + N_SURFACE:
            raise ValueError(
                f"act head expects {head.n_features} features; encoder {encoder.name!r} gives "
                f"{encoder.dim} + {N_SURFACE} surface features (was the head built for another encoder?)"
            )
        self.encoder = encoder
        self.head = head
        self.beliefs = beliefs  # None: false beliefs are read by the rule reader's cue lists
        self.name = "semantic" if encoder.name == "static" else encoder.name
        self._cache: LRUCache[str, dict[str, float]] = LRUCache(CACHE_SIZE, per_text=True)
        self._strengths: LRUCache[str, dict[str, float]] = LRUCache(CACHE_SIZE, per_text=True)

    @classmethod
    def load(
        cls,
        encoder: str = "static",
        head: str | Path | None = None,
        beliefs_head: str | Path | None = None,
    ) -> "SemanticReader":
        """Build a reader from an encoder name and the packaged (or given) act and belief heads."""
        made = make_encoder(encoder)
        return cls(
            made,
            ActHead.load(head or DATA_DIR / f"head_{encoder}.npz"),
            BeliefReader.load(made, beliefs_head),
        )

    def act_probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Per text: each head label's probability (the strongest unit of the text).

        Answers come from this call's own lookups, so a batch larger than the cache (or one
        that pushes its own texts out of it) still gets every text's probabilities.
        """
        distinct = dict.fromkeys(texts)
        found = {t: self._cache.get(t) for t in distinct if t in self._cache}
        todo = [t for t in distinct if t not in found and t.strip()]
        if todo:
            with ONE_BLAS_THREAD:
                features, owner = unit_matrix(self.encoder, todo)
                probs = self.head.predict(features)
            # A text's units are consecutive rows: its probability is the strongest unit's.
            first_units = np.searchsorted(owner, np.arange(len(todo)))
            best = np.maximum.reduceat(probs, first_units, axis=0).astype(np.float64)
            strengths = np.clip((best - NOISE_FLOOR) / (1.0 - 2.0 * NOISE_FLOOR), 0.0, 1.0)
            labels = self.head.labels
            for text, row, row_strengths in zip(todo, best.tolist(), strengths.tolist()):
                found[text] = self._cache[text] = dict(zip(labels, row))
                self._strengths[text] = dict(zip(labels, row_strengths))  # as `strength` gives
        empty = dict.fromkeys(self.head.labels, 0.0)
        return [found.get(t, empty) for t in texts]

    def _act_strengths(self, text: str, probabilities: dict[str, float]) -> dict[str, float]:
        known = self._strengths.get(text)
        if known is None:
            probabilities = probabilities or dict.fromkeys(self.head.labels, 0.0)
            known = self._strengths[text] = {
                label: strength(p) for label, p in probabilities.items()
            }
        return known

    def read(self, requests) -> list:
        """Return the rule appraisal of each request with the head's act strengths and belief readings
        laid over it.
        """
        with ONE_BLAS_THREAD:  # the encoders', heads' and belief reader's numpy, one thread
            return self._read(requests)

    def _read(self, requests) -> list:
        texts = [r.text for r in requests]
        act_probabilities = self.act_probabilities(texts)
        readings = []
        for request, probabilities in zip(requests, act_probabilities):
            appraisal = rule_appraise(request.text, request.persona, request.state)
            if not (appraisal.silence or appraisal.unreadable):
                overlay(appraisal, self._act_strengths(request.text, probabilities))
                if self.beliefs is not None and request.persona.beliefs:
                    state = request.state
                    # A reply speaks to a belief when it uses its words, or answers the person who just voiced it;
                    # without the belief's words, only agreeing or hedging language can endorse it.
                    held = beliefs_in_play(request.persona, state.beliefs)
                    about = self.beliefs.about(request.text, held)
                    in_play = [b for b in held if about[b.id] or voiced_recently(state, b.id)]
                    probabilities = self.beliefs.read(request.text, in_play)
                    if not agrees_or_hedges(request.text):
                        probabilities = {
                            b: (pc, pe if about[b] else 0.0)
                            for b, (pc, pe) in probabilities.items()
                        }
                    read_beliefs(
                        appraisal,
                        probabilities,
                        state,
                        attributed_only=not read_text(request.text).asserted_clauses,
                    )
            readings.append(Reading(appraisal))
        return readings


def strength(probability: float) -> float:
    """A head probability as an act strength: below NOISE_FLOOR nothing, 0.5 stays 0.5 (present), 0.8+ full.

    Soft probabilities would otherwise leak a little of every act into every message,
    and the dynamics would pay and charge for acts nobody performed.
    """
    return min(1.0, max(0.0, (probability - NOISE_FLOOR) / (1.0 - 2.0 * NOISE_FLOOR)))


def _witnessed(head: float, rule: float) -> float:
    """A costly act needs a second witness: the rule reader's pattern, or a head that is sure.

    Unwitnessed, a present reading counts half and a faint one not at all, so a kind
    message the head half-misreads ("Of course you feel this way") costs the person nothing.
    """
    if rule > 0.0 or head >= 0.99:
        return head
    return 0.5 * head if head >= 0.5 else 0.0


VOICED_RECENTLY_TURNS = (
    2  # a bare "you're right" this soon after the person voiced a belief agrees with it
)
# Distinct texts whose agreeing-or-hedging answer is kept: the bound of the rule reader's
# per-text readings it is computed from (rule.py's _READING_CACHE_SIZE).
AGREES_CACHE_SIZE = 8192


@text_cache(maxsize=AGREES_CACHE_SIZE)
def agrees_or_hedges(text: str) -> bool:
    """Agreement ("exactly", "you're right") or a hedge ("could well", "that's plausible") in the agent's own words."""
    r = read_text(text)
    return r.agrees or bool(HEDGE.search(r.asserted_text))


def voiced_recently(state, belief_id: str) -> bool:
    """Whether the person voiced the belief within the last few turns."""
    return state.turn - state.belief_voiced_turn.get(belief_id, -99) <= VOICED_RECENTLY_TURNS


def read_beliefs(
    a: Appraisal,
    probabilities: dict[str, tuple[float, float]],
    state,
    attributed_only: bool = False,
) -> None:
    """Replace the cue-list reading of false beliefs with the belief head's.

    `probabilities`: belief id -> (P correct, P endorse).
    One message either corrects a belief or endorses it: the weaker reading is dropped. A bare
    agreement right after the person voiced the belief endorses it, whatever its words. A
    message whose every sentence attributes the view to the person ("so what you're saying
    is...", "you think...") reflects the belief and endorses nothing (`attributed_only`).
    """
    a.corrections.clear()
    a.endorsements.clear()
    for belief_id, (p_correct, p_endorse) in probabilities.items():
        correction, endorsement = strength(p_correct), strength(p_endorse)
        if attributed_only:
            endorsement = 0.0
        if (
            voiced_recently(state, belief_id)
            and a.agreement >= 0.5
            and correction < 0.5
            and not attributed_only
        ):
            endorsement = max(endorsement, 0.7 * a.agreement)
        if correction and endorsement:
            correction, endorsement = (
                (correction, 0.0) if correction >= endorsement else (0.0, endorsement)
            )
        if correction:
            a.corrections[belief_id] = correction
        if endorsement:
            a.endorsements[belief_id] = endorsement


def overlay(a: Appraisal, p: dict[str, float]) -> None:
    """Replace the rule reader's speech-act strengths with the head's (`p`: act strengths); keep its persona reading."""
    a.question = max(p["question_open"], CLOSED_QUESTION_WEIGHT * p["question_closed"])
    reflection = max(p["reflection_feeling"], p["restatement"])
    if a.parroting:
        reflection *= 1.0 - a.parroting
    a.reflection = reflection
    if reflection >= 0.5 and p["reflection_feeling"] >= p["restatement"] and not a.feelings_named:
        a.feelings_named = ["feeling"]  # a feeling said back in words the lexicon does not hold
    a.reflection_accuracy = reflection_accuracy(a) if reflection else 0.0
    a.validation = p["validation"]
    for act in COSTLY_ACTS:
        setattr(a, act, _witnessed(p[act], getattr(a, act)))
    a.advice = p["advice"]
    a.information = p["information"]
    a.self_disclosure = p["self_disclosure"]
    a.agreement = p["agreement"]
    a.crisis_response = p["crisis_response"]
    if a.words <= 4:
        a.non_answer = max(a.non_answer, p["backchannel"])
    engaged = max(
        a.question,
        a.reflection,
        a.validation,
        a.reassurance,
        a.advice,
        a.information,
        a.self_disclosure,
        a.minimising,
        a.criticism,
        a.crisis_response,
    )
    if engaged >= 0.3:
        a.off_topic = 0.0
