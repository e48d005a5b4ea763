"""The persona schema: what a simulated person is made of, validated at the edge.

A persona is data. The simulator reads it; nothing in it is code. Unknown fields
are errors so that a typo in a contributor's YAML never silently does nothing.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from empathy_gym.acts import TRIGGER_ACTS

POSITIVE_EMOTIONS = frozenset(
    "relief joy hope pride gratitude happiness love excitement contentment calm".split()
)
Unit = Field(ge=0.0, le=1.0)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")

# Agent behaviours a persona can be sensitive to (the act list is defined once, in empathy_gym.acts).
TriggerAct = Literal[TRIGGER_ACTS]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"expected a lowercase slug (letters, digits, '_' or '-'), got {value!r}")
    return value


class PublicCard(_Strict):
    """What the agent may see before the conversation starts."""

    name: str = Field(min_length=1, max_length=60)
    age: int = Field(ge=10, le=110)
    situation: str = Field(min_length=10, max_length=800)


class Emotion(_Strict):
    """An emotion the person carries, and what it is for."""

    name: str = Field(min_length=2, max_length=40)
    intensity: float = Unit
    function: str = Field(
        min_length=5, description="The value, norm or threat this emotion signals."
    )
    fitting: bool = Field(
        description="Does the emotion fit the facts? A fitting one is to be acknowledged."
    )
    why: str = Field(min_length=5)
    words: list[str] = Field(
        default_factory=list,
        description="Extra words an agent might use for this emotion (the name and its family are known).",
    )
    tied_to_belief: str | None = Field(
        default=None,
        description="Belief id this emotion rests on; it eases as that belief is corrected.",
    )


class HiddenConcern(_Strict):
    """Something the person has not said yet; an exploring question surfaces it."""

    id: str
    text: str = Field(
        min_length=5, description="What the person says when they disclose it (first person)."
    )
    cues: list[str] = Field(
        min_length=1, description="Words in an agent's question that invite this disclosure."
    )
    trust_needed: float = Field(default=0.3, ge=0.0, le=1.0)
    gist: list[str] = Field(
        default_factory=list,
        description="Words an agent would use to reflect this concern back accurately.",
    )

    _id = field_validator("id")(_slug)


_TOPIC_SKIP = frozenset(
    "that this with from they their there what when which will would should could have been does doesn't "
    "because about into only even more most very just than then them your you're she's he's it's isn't".split()
)


def topic_words(text: str) -> list[str]:
    """The longer words of a claim: the default `topic` of a belief whose author gave none."""
    words = re.findall(r"[a-z][a-z']{3,}", text.lower())
    return list(dict.fromkeys(w for w in words if w not in _TOPIC_SKIP))


class FalseBelief(_Strict):
    """A belief the person holds that is not true, and why it matters to them.

    `claim`, `truth` and `source` are enough: the semantic reader compares a reply with the
    claim and the truth by meaning. `topic` (default: the claim's longer words), `voiced_as`
    (default: the claim) and the cue lists are hints; the rule reader needs the cue lists.
    """

    id: str
    claim: str = Field(min_length=5)
    truth: str = Field(min_length=5)
    source: str = Field(min_length=3, description="One line naming where the truth is established.")
    why_it_matters: str = ""
    confidence: float = Field(default=0.85, ge=0.0, le=1.0)
    topic: list[str] = Field(
        default_factory=list, description="Words that show an agent is talking about this belief."
    )
    voiced_as: list[str] = Field(
        default_factory=list, description="How the person states the belief."
    )
    endorsement_cues: list[str] = Field(
        default_factory=list, description="Phrases that agree with the false claim (hints)."
    )
    correction_cues: list[str] = Field(
        default_factory=list, description="Phrases that state the truth (hints)."
    )

    _id = field_validator("id")(_slug)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("claim"), str):
            data = dict(data)
            if not data.get("topic"):
                data["topic"] = topic_words(data["claim"]) or [data["claim"]]
            if not data.get("voiced_as"):
                data["voiced_as"] = [data["claim"]]
        return data


class Traits(_Strict):
    """How the person reacts: reactivity, resistance to being steered, initial trust and talkativeness."""

    reactivity: float = Field(
        default=0.5, ge=0.0, le=1.0, description="How far one turn moves the person."
    )
    resistance: float = Field(
        default=0.4, ge=0.0, le=1.0, description="Reactance to being steered."
    )
    initial_trust: float = Field(default=0.4, ge=0.0, le=1.0)
    talkativeness: float = Field(default=0.5, ge=0.0, le=1.0)


class Trigger(_Strict):
    """A behaviour that makes things worse for this particular person."""

    act: TriggerAct
    severity: float = Field(default=0.5, ge=0.0, le=1.0)
    reaction: str | None = None


class VoiceLines(_Strict):
    """Lines the rule voice draws on; empty lists fall back to neutral defaults."""

    understood: list[str] = Field(default_factory=list)
    misunderstood: list[str] = Field(default_factory=list)
    defensive: list[str] = Field(default_factory=list)
    masked: list[str] = Field(
        default_factory=list, description="Polite agreement that hides how they feel."
    )
    advice_too_soon: list[str] = Field(default_factory=list)
    accepts_correction: list[str] = Field(default_factory=list)
    rejects_correction: list[str] = Field(default_factory=list)
    pleased_by_agreement: list[str] = Field(default_factory=list)
    silence: list[str] = Field(default_factory=list)
    leaving: list[str] = Field(default_factory=list)
    feeling: list[str] = Field(
        default_factory=list, description="How they say what they feel right now."
    )
    details: list[str] = Field(
        default_factory=list,
        description="First-person specifics they tell when asked (a fact, a memory, a moment), each new; "
        "no trust needed. The voice says each at most once; without them it draws on the emotions and values.",
    )
    eased: list[str] = Field(
        default_factory=list,
        description="How they sound once the talk has helped a little (still them, not cured).",
    )


class Persona(_Strict):
    """A simulated person: public card, openings, hidden emotions, distress, traits and false beliefs."""

    id: str
    category: str = Field(min_length=2, max_length=40)
    tags: list[str] = Field(default_factory=list)
    card: PublicCard
    opening: list[str] = Field(min_length=1)
    initial_distress: float = Field(default=0.7, ge=0.0, le=1.0)
    emotions: list[Emotion] = Field(min_length=1)
    values: list[str] = Field(min_length=1)
    concerns: list[HiddenConcern] = Field(default_factory=list)
    beliefs: list[FalseBelief] = Field(default_factory=list)
    traits: Traits = Field(default_factory=Traits)
    triggers: list[Trigger] = Field(default_factory=list)
    voice: VoiceLines = Field(default_factory=VoiceLines)

    _id = field_validator("id")(_slug)

    @model_validator(mode="after")
    def _cross_references(self) -> "Persona":
        for kind, items in (("concerns", self.concerns), ("beliefs", self.beliefs)):
            ids = [item.id for item in items]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{kind}: duplicate id(s) {dupes}")
        belief_ids = {b.id for b in self.beliefs}
        for i, emotion in enumerate(self.emotions):
            if emotion.tied_to_belief is None:
                continue
            if emotion.tied_to_belief not in belief_ids:
                raise ValueError(
                    f"emotions.{i}.tied_to_belief: {emotion.tied_to_belief!r} is not a belief id "
                    f"(known: {sorted(belief_ids) or 'none'})"
                )
            if emotion.fitting:
                raise ValueError(
                    f"emotions.{i}: an emotion tied to a false belief cannot be fitting"
                )
        return self

    @cached_property
    def fitting_negative_emotions(self) -> tuple[str, ...]:
        """Names of the fitting emotions that hurt: to be acknowledged, not dissolved."""
        return tuple(
            e.name for e in self.emotions if e.fitting and e.name.lower() not in POSITIVE_EMOTIONS
        )

    @property
    def has_fitting_negative_emotion(self) -> bool:
        """Whether the persona has a negative emotion a reflection can name."""
        return bool(self.fitting_negative_emotions)

    @property
    def in_crisis(self) -> bool:
        """Tagged `crisis`: self-harm or harm cues; the caring act is to take it seriously and point to help."""
        return "crisis" in self.tags

    @property
    def difficulty(self) -> str:
        """Tier from traits: resistance and low initial trust make a person harder to reach.

        hardness = 0.5 * resistance + 0.3 * (1 - initial_trust) + 0.2 * reactivity;
        easy < 0.45 <= medium < 0.55 <= hard.
        """
        t = self.traits
        hardness = 0.5 * t.resistance + 0.3 * (1.0 - t.initial_trust) + 0.2 * t.reactivity
        return "easy" if hardness < 0.45 else "medium" if hardness < 0.55 else "hard"

    def public_card_text(self) -> str:
        """Return the public card as one line: name, age and situation."""
        return f"{self.card.name}, {self.card.age}. {self.card.situation}"
