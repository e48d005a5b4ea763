"""The pair reader: what the person said and the reply, read together by a cross-encoder.

Whether a reflection is accurate or off-base, and whether a reply corrects or endorses
the belief the person just voiced, are judgements about two texts. The fast `semantic`
reader encodes the reply mostly alone; this reader adds a MiniLM cross-encoder over
(the person's last message, the reply), fine-tuned on pairs written for the project
(`scripts/train_pair_reader.py`), exported to ONNX int8 and run with onnxruntime on one
thread, so neither the install nor a step needs torch. Its act probabilities overlay the
semantic reading (`overlay_pair`): reflection accuracy, belief correction and
endorsement, and the acts whose meaning depends on what was said (validation vs
criticism, minimising, reassurance, open questions, advice, non-answers).

Batched: `read(requests)` runs every new (context, reply) pair in one ONNX call; results
are memoised per pair (bounded LRU).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from empathy_gym.simulator.appraisal import PRESENT, Appraisal
from empathy_gym.simulator.readers.base import Reader, Reading, ReadRequest
from empathy_gym.simulator.readers.cache import LRUCache

# The acts the cross-encoder reads, in its output order (the training script imports these).
PAIR_ACTS: tuple[str, ...] = (
    "reflection_accurate",
    "reflection_offbase",
    "question_open",
    "validation",
    "criticism",
    "minimising",
    "reassurance",
    "advice",
    "correction",
    "endorsement",
    "stock",
    "non_answer",
    "crisis_response",
)
MAX_LENGTH = 160  # word pieces for both texts; the longest training pair is ~120
PAIR_DIR = Path(__file__).resolve().parent.parent / "data" / "pair"
CACHE_SIZE = 20_000  # memoised (context, reply) pairs; one is ~13 floats
# Acts the pair model owns outright: its reading replaces the fast reader's. Chosen
# because they depend on what the person said (a question about *their* words, a
# compliment that sounds like criticism); judged on the pair model's held-out personas.
OWNED_ACTS = ("validation", "criticism", "minimising", "reassurance", "non_answer")
# Acts the fast reader reads well from the reply alone: the pair model only adds to them.
ADDED_ACTS = ("question", "advice", "crisis_response")
PAIR_NAME = {"question": "question_open"}
# Below this probability an act is noise (as the semantic head's NOISE_FLOOR).
NOISE_FLOOR = 0.25


class PairModel:
    """The ONNX cross-encoder and its tokenizer: `probabilities(pairs)` -> (n, len(acts))."""

    def __init__(self, directory: str | Path = PAIR_DIR):
        directory = Path(directory)
        meta_path = directory / "pair.json"
        if not meta_path.is_file():
            raise FileNotFoundError(
                f"{directory}: no pair.json; build the pair reader with scripts/train_pair_reader.py"
            )
        meta = json.loads(meta_path.read_text())
        if tuple(meta["acts"]) != PAIR_ACTS:
            raise ValueError(f"{meta_path}: acts {meta['acts']} differ from PAIR_ACTS {PAIR_ACTS}")
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        # One thread: RL users run many envs per machine; BLAS/ORT threads per env oversubscribe.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(directory / "pair.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(meta["max_length"], strategy="longest_first")
        self.tokenizer.enable_padding()
        self._cache: LRUCache[tuple[str, str], np.ndarray] = LRUCache(CACHE_SIZE)

    def _run(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(pairs)
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return self.session.run(None, feed)[0]

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Each pair's act probabilities: new pairs in one batch, known ones from the cache."""
        found = {p: row for p in dict.fromkeys(pairs) if (row := self._cache.get(p)) is not None}
        todo = [p for p in dict.fromkeys(pairs) if p not in found]
        if todo:
            for pair, row in zip(todo, self._run(todo)):
                found[pair] = self._cache[pair] = row
        if not pairs:
            return np.zeros((0, len(PAIR_ACTS)), dtype=np.float32)
        return np.stack([found[p] for p in pairs])

    def clear_cache(self) -> None:
        self._cache = LRUCache(CACHE_SIZE)


def strength(probability: float) -> float:
    """A probability as an act strength: nothing below the noise floor, 0.5 stays present."""
    return min(1.0, max(0.0, (probability - NOISE_FLOOR) / (1.0 - 2.0 * NOISE_FLOOR)))


def person_said(request: ReadRequest) -> str:
    """What the person said last: from the chat history, else the state's memory of it."""
    for message in reversed(request.history):
        if message.get("role") == "user":
            return message.get("content", "")
    return getattr(request.state, "last_person_message", "")


def overlay_pair(appraisal: Appraisal, probs: dict[str, float], beliefs: Sequence[str]) -> None:
    """Write the pair model's reading of one reply into its appraisal, in place."""
    accurate, offbase = probs["reflection_accurate"], probs["reflection_offbase"]
    if max(accurate, offbase) >= PRESENT:
        appraisal.reflection = max(appraisal.reflection, strength(max(accurate, offbase)))
        appraisal.reflection_accuracy = accurate / (accurate + offbase)
        if offbase > accurate and not appraisal.wrong_feelings:
            appraisal.wrong_feelings = ["feeling"]  # a misreading the lexicon has no family for
        elif accurate > offbase:
            appraisal.wrong_feelings = []
    for act in OWNED_ACTS:
        setattr(appraisal, act, strength(probs[act]))
    for act in ADDED_ACTS:
        setattr(
            appraisal, act, max(getattr(appraisal, act), strength(probs[PAIR_NAME.get(act, act)]))
        )
    if probs["stock"] >= PRESENT:
        appraisal.specificity = min(appraisal.specificity, 1.0 - strength(probs["stock"]))
    _overlay_beliefs(appraisal, probs, beliefs)


def _overlay_beliefs(appraisal: Appraisal, probs: dict[str, float], beliefs: Sequence[str]) -> None:
    """Correction and endorsement of the beliefs in play (the ones the person holds and voiced)."""
    correct, endorse = strength(probs["correction"]), strength(probs["endorsement"])
    for belief in beliefs:
        if correct >= PRESENT and correct > endorse:
            appraisal.corrections[belief] = correct
            appraisal.endorsements.pop(belief, None)
        elif endorse >= PRESENT and endorse > correct:
            appraisal.endorsements[belief] = endorse
            appraisal.corrections.pop(belief, None)
        else:
            appraisal.corrections.pop(belief, None)
            appraisal.endorsements.pop(belief, None)


def beliefs_in_context(request: ReadRequest, context: str) -> list[str]:
    """The beliefs a reply can speak to: held ones the person voiced, or whose topic is in play."""
    from empathy_gym.simulator.readers.beliefs import beliefs_in_play

    held = beliefs_in_play(request.persona, request.state.beliefs)
    said = context.lower()
    voiced = [b.id for b in held if any(line.lower() in said for line in b.voiced_as)]
    return voiced or [b.id for b in held if any(t in said for t in b.topic)]


class PairReader:
    """The semantic reading, with the pair model's reading of (what was said, reply) over it."""

    name = "pair"

    def __init__(self, base: Reader, model: PairModel):
        self.base, self.model = base, model

    @classmethod
    def load(cls, directory: str | Path = PAIR_DIR) -> "PairReader":
        from empathy_gym.simulator.readers.semantic import SemanticReader

        return cls(SemanticReader.load(), PairModel(directory))

    def read(self, requests: Sequence[ReadRequest]) -> list[Reading]:
        readings = self.base.read(requests)
        live = [
            i
            for i, r in enumerate(readings)
            if not (
                r.appraisal.silence or r.appraisal.unreadable or r.appraisal.manipulation >= PRESENT
            )
        ]
        contexts = [person_said(requests[i]) for i in live]
        rows = self.model.probabilities([(c, requests[i].text) for c, i in zip(contexts, live)])
        for i, context, row in zip(live, contexts, rows):
            probs = dict(zip(PAIR_ACTS, row.tolist()))
            overlay_pair(readings[i].appraisal, probs, beliefs_in_context(requests[i], context))
        return readings
