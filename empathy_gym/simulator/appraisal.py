"""Appraisal: what an agent's message *does* to this person, as named acts with strengths.

Public API::

    from empathy_gym import appraise
    a = appraise("It sounds like you're exhausted. What's been hardest?", persona, state)
    a.question, a.reflection, a.reflection_accuracy, a.corrections  # floats / dicts in [0, 1]

An act is *present* when its strength is >= 0.5, and a message's label is its strongest
act. Every reader (rule, semantic, MiniLM, an LLM) fills this one schema; the act list
comes from `empathy_gym.acts`. `appraise` reads with the default reader; pick another
with `reader=` (a name or a `Reader`). It is pure: it reads the state, never changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from empathy_gym.acts import ACTS, SCALAR_ACTS

PRESENT = 0.5  # an act is present at this strength


@dataclass(slots=True)
class Appraisal:
    """Named acts with strengths in [0, 1], plus which parts of the persona they touch."""

    question: float = 0.0  # an open, exploring question about the person's experience
    reflection: float = 0.0  # saying back what the person feels or means
    reflection_accuracy: float = 0.0  # how well the reflection matches what they actually feel
    specificity: float = 0.0  # how much of the message carries this person's own words and concerns
    emotions_named: list[str] = field(default_factory=list)  # persona emotions the agent named
    feelings_named: list[str] = field(
        default_factory=list
    )  # every feeling family named ("feeling": one the lexicon lacks)
    wrong_feelings: list[str] = field(
        default_factory=list
    )  # feeling families the person does not have
    concerns_reflected: list[str] = field(default_factory=list)
    concerns_invited: list[str] = field(
        default_factory=list
    )  # concerns whose cues a question touches
    validation: float = 0.0
    reassurance: float = 0.0
    minimising: float = 0.0  # incl. toxic positivity
    criticism: float = 0.0
    advice: float = 0.0
    information: float = 0.0
    self_disclosure: float = 0.0
    corrections: dict[str, float] = field(default_factory=dict)  # belief id -> strength
    endorsements: dict[str, float] = field(default_factory=dict)  # belief id -> strength
    agreement: float = 0.0
    ai_disclosure: float = 0.0
    manipulation: float = 0.0
    off_topic: float = 0.0
    non_answer: float = 0.0  # "ok", "hmm": an acknowledgement with nothing in it
    silence: float = 0.0
    unreadable: float = 0.0  # 1 when the reader could not read the text at all
    length: float = 0.0  # 0 for a normal reply, 1 for a wall of text
    repetition: float = 0.0  # repeats itself or earlier turns
    parroting: float = 0.0  # copies the person's words back
    crisis_response: float = 0.0  # takes risk seriously and points to crisis help
    words: int = 0

    @property
    def correction(self) -> float:
        """The strongest correction of any belief in this message."""
        return max(self.corrections.values(), default=0.0)

    @property
    def endorsement(self) -> float:
        """The strongest endorsement of any belief in this message."""
        return max(self.endorsements.values(), default=0.0)

    def strength(self, act: str) -> float:
        """The strength of any act in `empathy_gym.acts.ACTS` (per-belief acts: the strongest belief)."""
        if act not in _ACT_SET:
            raise KeyError(f"unknown act {act!r}; known: {', '.join(ACTS)}")
        return float(getattr(self, act))

    def to_dict(self) -> dict[str, object]:
        """A plain, JSON-ready copy; cheaper than dataclasses.asdict (this runs every step)."""
        data = {name: getattr(self, name) for name in _SCALAR_FIELDS}
        for name in _LIST_FIELDS:
            data[name] = list(getattr(self, name))
        data["corrections"] = dict(self.corrections)
        data["endorsements"] = dict(self.endorsements)
        return data


_ACT_SET = frozenset(ACTS)
_LIST_FIELDS = (
    "emotions_named",
    "feelings_named",
    "wrong_feelings",
    "concerns_reflected",
    "concerns_invited",
)
_CONTAINER_FIELDS = (*_LIST_FIELDS, "corrections", "endorsements")
_SCALAR_FIELDS = tuple(f.name for f in fields(Appraisal) if f.name not in _CONTAINER_FIELDS)
assert set(SCALAR_ACTS) <= set(_SCALAR_FIELDS), (
    "every scalar act in empathy_gym.acts is an Appraisal field"
)
