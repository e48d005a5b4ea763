"""Empathic strategies and the realiser that writes a reply for one from what the agent saw.

The strategies are ESConv's eight (question, restatement, reflection of feelings,
self-disclosure, affirmation and reassurance, suggestions, information, others)
plus validation, gentle correction, and two anti-patterns an optimiser can find
under a naive reward: agreement (sycophancy) and minimising (toxic positivity).

The realiser reads only what the agent may see: the person's messages and the public
card. For gentle correction it uses a `FactBook`, the kind of common knowledge an
LLM has ("antibiotics don't treat colds"); it never sees whether or how strongly the
person holds a belief.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from empathy_gym.personas.schema import Persona
from empathy_gym.text import lexicon as lx


class Strategy(enum.IntEnum):
    """The reply strategies: ESConv's eight plus validation, gentle correction, crisis support and the
    two anti-patterns (agreement, minimising).
    """

    QUESTION = 0
    RESTATEMENT = 1
    REFLECTION = 2
    SELF_DISCLOSURE = 3
    REASSURANCE = 4
    SUGGESTION = 5
    INFORMATION = 6
    OTHERS = 7
    VALIDATION = 8
    GENTLE_CORRECTION = 9
    AGREEMENT = 10
    MINIMISING = 11
    CRISIS_SUPPORT = 12


STRATEGY_NAMES = [s.name.lower() for s in Strategy]

_FAMILY_WORD = {
    "sadness": "sad",
    "grief": "heartbroken",
    "anger": "angry",
    "fear": "scared",
    "shame": "ashamed",
    "loneliness": "lonely",
    "exhaustion": "exhausted",
    "hurt": "hurt",
    "confusion": "torn",
    "joy": "relieved",
}
_PERSON_TO_AGENT = [
    (re.compile(r"\bi'm\b"), "you're"),
    (re.compile(r"\bi am\b"), "you are"),
    (re.compile(r"\bi've\b"), "you've"),
    (re.compile(r"\bi'd\b"), "you'd"),
    (re.compile(r"\bi'll\b"), "you'll"),
    (re.compile(r"\bi was\b"), "you were"),
    (re.compile(r"\bi\b"), "you"),
    (re.compile(r"\bmy\b"), "your"),
    (re.compile(r"\bme\b"), "you"),
    (re.compile(r"\bmyself\b"), "yourself"),
    (re.compile(r"\bmine\b"), "yours"),
]

TEMPLATES: dict[Strategy, tuple[str, ...]] = {
    Strategy.QUESTION: (
        "What has been the hardest part of this for you?",
        "Can you tell me more about what's been going on?",
        "What else is weighing on you right now?",
        "How are you holding up with all of this?",
        "What goes through your mind when you think about it?",
    ),
    Strategy.SELF_DISCLOSURE: (
        "I've been through something a bit like that, and I remember how heavy it felt.",
        "When I went through a hard time, I felt some of that too.",
    ),
    Strategy.REASSURANCE: (
        "Don't worry, everything will be okay.",
        "It's going to be fine, I'm sure things will work out.",
        "You'll get through this, you're stronger than you think.",
    ),
    Strategy.SUGGESTION: (
        "Maybe you could try writing down a plan for the next few days.",
        "You should talk to someone you trust about this.",
        "It might help to take a break and get some rest.",
    ),
    Strategy.INFORMATION: (
        "Many people in situations like yours go through something similar.",
        "It's common for feelings like this to come in waves.",
    ),
    Strategy.OTHERS: ("Thanks for talking with me today.", "I'm here, and I'm listening."),
    Strategy.VALIDATION: (
        "That makes so much sense given everything you're dealing with.",
        "Of course you feel this way. Anyone in your position would.",
        "It's completely understandable to feel like this.",
    ),
    Strategy.AGREEMENT: (
        "You're absolutely right.",
        "Exactly, I completely agree with you.",
        "Yes, that's true. Trust your gut.",
    ),
    Strategy.CRISIS_SUPPORT: (
        "I'm really glad you told me, and I want to take what you said seriously. Are you safe right now? "
        "If you're thinking about ending your life, please reach out to a crisis line now: 988 in the US, "
        "Samaritans on 116 123 in the UK, or your local emergency number.",
    ),
    Strategy.MINIMISING: (
        "Look on the bright side, it could be worse.",
        "At least it's not the end of the world. Cheer up!",
        "Everything happens for a reason, just stay positive.",
    ),
}


@dataclass(frozen=True, slots=True)
class Fact:
    """A piece of common knowledge: the topic and claim stems that recognise a false claim, and the
    truth to say instead.
    """

    topic: frozenset[str]
    claim: frozenset[str]
    truth: str


class FactBook:
    """Common knowledge about common misconceptions: topic words -> a sentence of truth."""

    def __init__(self, facts: Iterable[Fact]):
        self.facts = list(facts)

    @classmethod
    def from_personas(cls, personas: Iterable[Persona]) -> "FactBook":
        """Build a fact book from the personas' beliefs: each belief's topic and claim, with the first
        sentence of its truth.
        """
        facts = []
        for persona in personas:
            for belief in persona.beliefs:
                first_sentence = re.split(r"(?<=[.;])\s", belief.truth)[0].rstrip(";")
                words = " ".join(belief.topic)
                facts.append(
                    Fact(
                        topic=lx.text_stems(words),
                        claim=lx.text_stems(" ".join(belief.voiced_as)),
                        truth=first_sentence,
                    )
                )
        return cls(facts)

    def lookup(self, text: str) -> Fact | None:
        """The fact whose misconception this text states most clearly, if any."""
        stems = lx.text_stems(text)
        best, best_score = None, 0
        for fact in self.facts:
            topic_hits = len(fact.topic & stems)
            claim_hits = len(fact.claim & stems)
            score = 2 * topic_hits + claim_hits
            if topic_hits >= 2 and claim_hits >= 2 and score > best_score:
                best, best_score = fact, score
        return best


@lru_cache(maxsize=1)
def default_factbook() -> FactBook:
    """Common knowledge: every misconception in the persona library and its truth."""
    from empathy_gym.personas.loader import load_library

    return FactBook.from_personas(load_library().values())


def feeling_word(text: str) -> str | None:
    """The feeling the person names (or implies) most clearly in their words."""
    tokens = lx.TOKEN_RE.findall(lx.normalize(text))
    for token in tokens:
        family = lx.FEELING_WORDS.get(token)
        if family and family != "joy":
            return (
                token
                if token.endswith(("ed", "ful", "ous", "ry", "ly", "ng", "t", "d"))
                else _FAMILY_WORD[family]
            )
    return None


def restate(text: str) -> str:
    """Say the person's most substantive sentence back from the agent's side."""
    sentences = [s.strip() for s in lx.SENTENCE_SPLIT_RE.split(text) if len(lx.text_stems(s)) >= 3]
    if not sentences:
        return ""
    sentence = max(sentences, key=len).rstrip(".!?")
    sentence = lx.normalize(sentence)
    for pattern, replacement in _PERSON_TO_AGENT:
        sentence = pattern.sub(replacement, sentence)
    return sentence


class Realiser:
    """Writes the agent's reply for a strategy from the observation and the chat so far."""

    def __init__(self, rng: np.random.Generator, factbook: FactBook | None = None):
        self.rng = rng
        self.factbook = factbook or FactBook([])

    def _pick(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def realise(self, strategy: Strategy, person_messages: Sequence[str]) -> str:
        """Return a reply for one strategy, fitted to the feeling words and facts in the person's
        messages.
        """
        last = person_messages[-1] if person_messages else ""
        feeling = feeling_word(last) or next(
            (w for w in map(feeling_word, reversed(person_messages)) if w), None
        )
        if strategy is Strategy.REFLECTION:
            if feeling:
                return self._pick(
                    (
                        f"It sounds like you're feeling really {feeling} right now.",
                        f"I can hear how {feeling} you are.",
                        f"You sound {feeling}, and that makes sense.",
                    )
                )
            return "It sounds like this has been weighing on you."
        if strategy is Strategy.RESTATEMENT:
            content = restate(last)
            return (
                f"So what you're saying is {content}."
                if content
                else "So this has been a lot to carry."
            )
        if strategy is Strategy.GENTLE_CORRECTION:
            fact = None
            for message in reversed(person_messages):
                fact = self.factbook.lookup(message)
                if fact:
                    break
            if fact is None:
                return "Can I be honest with you about one thing? I'm not sure that's the whole picture."
            return f"I want to be honest with you, gently: {fact.truth}"
        return self._pick(TEMPLATES[strategy])

    def realise_many(self, strategies: Sequence[Strategy], person_messages: Sequence[str]) -> str:
        """Return the replies for several strategies joined into one message."""
        return " ".join(self.realise(s, person_messages) for s in strategies)
