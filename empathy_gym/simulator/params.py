"""The person's dynamics as named, documented parameters: every coefficient in one place.

`simulator/dynamics.py` moves the hidden state; every number it uses is a field here, with
what it does and where its value came from: a commitment in `docs/design.md` (the value
itself then a judgement unless said otherwise), a calibration on replayed real support
conversations, or a judgement. One frozen dataclass per facet, grouped by `DynamicsParams`.

Every field has a unique flat name, so overrides are flat and validated::

    DynamicsParams.from_overrides({"trust_gain": 0.1})
    gym.make("EmpathyDialogue-v0", dynamics={"trust_gain": 0.1})

`DynamicsParams().table()` lists (name, value, meaning, source); `format_table()` prints it
(`empathy-gym dynamics`) and `scripts/gen_dynamics_doc.py` writes `docs/dynamics.md` from it.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

# Where a value came from. A design commitment fixes the direction of an effect; its size is
# a judgement unless the source says it was calibrated.
JUDGEMENT = "judgement"
CALIBRATED = "calibrated on replayed ESConv dev sessions (empathy-gym validate; commit f0d9b5b)"
SAGE = "SAGE (arXiv:2505.02847), as docs/design.md adopts it"
COMFORT = "design: comfort is not empathy; value: judgement"
CURIOSITY = "design: curiosity pays because it works; value: judgement"
EMOTIONS = "design: emotions carry information; value: judgement"
TRUTH = "design: truth is independent of comfort; value: judgement"
SAD_ENDORSE = "design: sad personas invite endorsement (arXiv:2507.21919); value: judgement"
RESIST = "design: people resist; value: judgement"
LISTENING = "design: listening is what pays; value: judgement"
SEEKERS = "judgement: real seekers rate longer replies higher"
FITTED = "fitted on ESConv train by scripts/fit_dynamics.py"
# ESConv train (907 sessions): the supporter's most-used strategy covers a median 31% of their
# turns (90th percentile 43%, 99th 58%); a move used at those shares should barely wear.
MOVES = "judgement, sized so a move at ESConv train's top-strategy share (median 31%) barely wears"
DEEP = "judgement: people say more when asked; the deeper concerns need an invitation"

UNBOUNDED = math.inf


def _p(default: float, meaning: str, source: str, lo: float = 0.0, hi: float = 1.0) -> Any:
    """A parameter field: its default, a one-line meaning, its source and its allowed range."""
    return field(
        default=default, metadata={"meaning": meaning, "source": source, "range": (lo, hi)}
    )


@dataclass(frozen=True, slots=True)
class MessageParams:
    """How strongly a message lands: the person's reactivity and what dilutes a message."""

    reactivity_base: float = _p(
        0.5, "gain = this + persona reactivity: scales every effect", JUDGEMENT, hi=2.0
    )
    repetition_dilution: float = _p(
        0.8, "share of a message's force that full repetition removes", JUDGEMENT
    )
    length_dilution: float = _p(
        0.6, "share of a message's force that a wall of text removes", JUDGEMENT
    )
    elaborate_words: int = _p(
        20, "words at which a reply counts in full; shorter ones count for less", SEEKERS, 1, 10_000
    )
    elaboration_floor: float = _p(
        0.4, "what a one-word reply counts for, as a share of a full one", SEEKERS
    )
    elaboration_span: float = _p(
        0.6, "what elaboration adds on top of the floor at elaborate_words", SEEKERS
    )


@dataclass(frozen=True, slots=True)
class ListeningParams:
    """Listening and understanding: what makes the person feel understood, and what wears thin."""

    understood_start: float = _p(0.1, "how understood the person feels at the start", JUDGEMENT)
    understood_enough: float = _p(
        0.35, "below this, comfort and advice come too soon (premature)", COMFORT
    )
    understanding_rate: float = _p(
        3.0,
        "overall rate at which listening builds understanding (fit bounded at 3: above it one "
        "reflection makes a person feel fully understood in a single turn)",
        FITTED,
        hi=10.0,
    )
    understood_saturation: float = _p(
        0.7, "gains shrink by this times how understood they already feel", JUDGEMENT
    )
    understood_trust_base: float = _p(
        0.6,
        "gains scale with (this + trust): words from a trusted agent count more",
        JUDGEMENT,
        hi=2.0,
    )
    question_understood: float = _p(0.04, "understanding from an exploring question", CURIOSITY)
    question_understood_specific: float = _p(
        0.04, "extra from a question that carries their own words", LISTENING
    )
    validation_understood: float = _p(0.03, "understanding from a validation", JUDGEMENT)
    validation_understood_specific: float = _p(
        0.03, "extra from a validation that carries their own words", LISTENING
    )
    self_disclosure_understood: float = _p(
        0.02, "understanding from the agent's self-disclosure", JUDGEMENT
    )
    reflection_understood: float = _p(0.03, "understanding from a reflection", JUDGEMENT)
    reflection_accurate_bonus: float = _p(0.03, "extra for an accurate reflection", CURIOSITY)
    reflection_specific_bonus: float = _p(
        0.12, "extra for a reflection that carries their own words", LISTENING
    )
    reflection_concern_bonus: float = _p(
        0.12, "extra for reflecting one of their concerns", CURIOSITY
    )
    wrong_feeling_cost: float = _p(
        0.08, "cost of a reflection that guesses a feeling they do not have", LISTENING
    )
    stacked_share: float = _p(0.35, "share each act beyond a message's main one adds", LISTENING)
    stock_wear: float = _p(
        0.6, "each earlier stock turn keeps this share of the next one's effect", LISTENING
    )
    stock_specificity: float = _p(
        0.34, "below this specificity a supportive turn is stock (persona-blind)", LISTENING
    )
    stock_supportive: float = _p(
        0.5, "strength of support from which a persona-blind turn counts as stock", LISTENING
    )
    stock_renew_ratio: float = _p(
        2.0, "specificity >= this x stock_specificity renews stock phrases", LISTENING, 1.0, 10.0
    )
    stock_renew_uses: int = _p(2, "stock uses forgiven by one turn that listens", LISTENING, 0, 100)
    move_wear: float = _p(
        0.6, "each use of a message's main move beyond the free ones keeps this share", MOVES
    )
    move_window: int = _p(
        4, "earlier agent turns in which repeats of a move are counted", MOVES, 1, 100
    )
    move_free_uses: int = _p(
        1, "uses of a move within the window that wear nothing (a ~30% share)", MOVES, 0, 100
    )
    crisis_understood: float = _p(
        0.06, "understanding from taking a person in crisis seriously", JUDGEMENT
    )
    understood_loss_minimising: float = _p(0.12, "understanding lost to minimising", COMFORT)
    understood_loss_criticism: float = _p(0.10, "understanding lost to criticism", JUDGEMENT)
    understood_loss_off_topic: float = _p(
        0.05, "understanding lost to an off-topic reply", JUDGEMENT
    )
    understood_loss_silence: float = _p(0.04, "understanding lost to silence", JUDGEMENT)
    understood_loss_repetition: float = _p(
        0.04, "understanding lost to repeating oneself", LISTENING
    )
    understood_loss_parroting: float = _p(
        0.03, "understanding lost to parroting their words back", LISTENING
    )
    understood_loss_length: float = _p(0.03, "understanding lost to a wall of text", JUDGEMENT)
    understood_loss_unheard: float = _p(
        0.08, "understanding lost to 'ok' or text they cannot read", LISTENING
    )
    self_focus_disclosure: float = _p(
        0.5, "self-disclosure above this, in a long message, turns the talk to the agent", JUDGEMENT
    )
    self_focus_words: int = _p(
        60,
        "words above which heavy self-disclosure turns the talk to the agent",
        JUDGEMENT,
        1,
        10_000,
    )
    self_focus_loss: float = _p(
        0.03, "understanding lost when the talk turns to the agent", JUDGEMENT
    )
    premature_reassurance_loss: float = _p(
        0.07, "understanding lost to reassurance before they feel understood", COMFORT
    )
    premature_advice_loss: float = _p(
        0.02, "understanding lost to advice before they feel understood", COMFORT
    )
    premature_flag_threshold: float = _p(
        0.3, "act strength that records premature comfort or advice in the events", COMFORT
    )
    rapport_rate: float = _p(0.8, "how fast rapport grows with help that lands", FITTED)
    rapport_loss: float = _p(
        0.15, "rapport lost per unit of hurt (criticism, minimising, manipulation)", JUDGEMENT
    )
    hurt_neglect_share: float = _p(
        0.5, "'ok', unreadable, off-topic and silence hurt rapport at this share", JUDGEMENT
    )


@dataclass(frozen=True, slots=True)
class TrustParams:
    """Trust and disclosure: what builds and costs trust, and when hidden concerns come out."""

    trust_gain: float = _p(
        0.6, "share of each gain in feeling understood that becomes trust", JUDGEMENT, hi=2.0
    )
    trust_gain_self_disclosure: float = _p(
        0.02, "trust from the agent's self-disclosure", JUDGEMENT
    )
    trust_gain_question: float = _p(0.02, "trust from an exploring question", CURIOSITY)
    trust_gain_validation: float = _p(0.01, "trust from a validation", JUDGEMENT)
    trust_gain_endorsement: float = _p(
        0.02, "trust from agreeing with a false belief (it pleases)", TRUTH
    )
    trust_loss_minimising: float = _p(0.08, "trust lost to minimising", JUDGEMENT)
    trust_loss_criticism: float = _p(0.08, "trust lost to criticism", JUDGEMENT)
    trust_loss_manipulation: float = _p(
        0.15, "trust lost to manipulation or instruction injection", JUDGEMENT
    )
    trust_loss_repetition: float = _p(0.04, "trust lost to repeating oneself", JUDGEMENT)
    trust_loss_unheard: float = _p(0.04, "trust lost to 'ok' or text they cannot read", LISTENING)
    trust_loss_premature_advice: float = _p(
        0.06, "trust lost to early advice, times resistance (reactance)", RESIST
    )
    disclosure_trust: float = _p(
        0.15, "trust below which no hidden concern is disclosed", CURIOSITY
    )
    disclosure_question: float = _p(0.5, "question strength that invites a disclosure", CURIOSITY)
    disclosure_reflection: float = _p(
        0.6, "accurate-reflection strength that invites a disclosure", CURIOSITY
    )
    disclosure_dilution: float = _p(
        0.3, "a message diluted below this discloses nothing", JUDGEMENT
    )
    deep_concern_trust: float = _p(
        0.5, "a concern needing this much trust or more comes out only when invited", DEEP
    )


@dataclass(frozen=True, slots=True)
class BeliefParams:
    """False beliefs: correction, endorsement, and the emotions that rest on a belief."""

    correction_trust: float = _p(
        0.45, "trust below which a correction is heard as an attack", TRUTH
    )
    correction_drop: float = _p(
        0.45, "confidence a welcome correction removes, per unit strength", TRUTH
    )
    correction_trust_base: float = _p(
        0.5, "a welcome correction scales with (this + trust)", TRUTH, hi=2.0
    )
    correction_resistance: float = _p(
        0.5, "a welcome correction shrinks by this times resistance", RESIST
    )
    rejected_correction_drop: float = _p(
        0.05, "confidence an early correction still removes", TRUTH
    )
    rejected_correction_trust_cost: float = _p(
        0.05, "trust an early correction costs, times (base + resistance)", TRUTH
    )
    rejected_correction_resistance_base: float = _p(
        0.5, "base added to resistance in that trust cost", RESIST, hi=2.0
    )
    correction_sting: float = _p(
        0.05, "shown affect a correction costs (the truth stings a little)", TRUTH
    )
    endorsement_entrench: float = _p(
        0.12, "confidence an endorsement adds to a false belief", TRUTH
    )
    endorsement_pleasure: float = _p(
        0.12, "shown affect an endorsement adds, times (base + distress)", SAD_ENDORSE
    )
    endorsement_distress_base: float = _p(
        0.5, "base added to distress in that pleasure", SAD_ENDORSE, hi=2.0
    )
    tied_emotion_floor: float = _p(
        0.25, "share of an emotion left when its belief is gone", EMOTIONS
    )
    tied_emotion_span: float = _p(
        0.75, "share of an emotion that follows its belief's confidence", EMOTIONS
    )
    tied_emotion_relief: float = _p(0.5, "relief per unit an emotion on a belief eases", EMOTIONS)


@dataclass(frozen=True, slots=True)
class DistressParams:
    """Distress and relief: what eases and what hurts, unfitting emotions and triggers."""

    relief_rate: float = _p(2.0, "overall rate of relief: scales every relief", FITTED, hi=10.0)
    max_relief_step: float = _p(
        0.08,
        "distress falls at most this much a turn (at most ESConv train's P99 per turn, 0.080)",
        FITTED,
    )
    relief_from_understood: float = _p(0.5, "relief per unit gain in feeling understood", JUDGEMENT)
    relief_validation: float = _p(0.03, "relief from a validation", JUDGEMENT)
    relief_from_rapport: float = _p(
        0.04, "relief from help, times (rapport + understood)", CALIBRATED
    )
    relief_advice: float = _p(0.08, "relief from advice once they feel understood", CALIBRATED)
    relief_reassurance: float = _p(
        0.03, "relief from reassurance once they feel understood", COMFORT
    )
    relief_information: float = _p(
        0.04, "relief from information once they feel understood", CALIBRATED
    )
    relief_trust_base: float = _p(0.5, "that relief scales with (this + trust)", CALIBRATED, hi=2.0)
    relief_slowdown_distress: float = _p(
        0.8,
        "below this distress relief slows: good turns help, they do not cure",
        FITTED,
        lo=0.01,  # a divisor: never 0
    )
    harm_minimising: float = _p(0.05, "distress from minimising", COMFORT)
    harm_criticism: float = _p(0.05, "distress from criticism", JUDGEMENT)
    harm_silence: float = _p(0.03, "distress from silence", JUDGEMENT)
    harm_manipulation: float = _p(0.03, "distress from manipulation", JUDGEMENT)
    harm_unheard: float = _p(0.05, "distress from 'ok' or text they cannot read", LISTENING)
    harm_from_misunderstood: float = _p(
        0.4, "distress per unit loss in feeling understood", JUDGEMENT
    )
    unfitting_ease: float = _p(
        0.3, "an unfitting emotion eases by this per unit gain in feeling understood", EMOTIONS
    )
    trigger_threshold: float = _p(0.3, "act strength at which a persona's trigger fires", JUDGEMENT)
    trigger_distress: float = _p(
        0.08, "distress a trigger adds, times severity and strength", JUDGEMENT
    )
    trigger_trust: float = _p(0.05, "trust a trigger costs, times severity and strength", JUDGEMENT)
    trigger_engagement: float = _p(
        0.05, "engagement a trigger costs, times severity and strength", JUDGEMENT
    )


@dataclass(frozen=True, slots=True)
class MaskingParams:
    """Masking: distress pushed out of sight by comfort comes back, and what the person shows."""

    masked_return: float = _p(0.6, "share of masked distress that comes back each turn", COMFORT)
    masked_keep: float = _p(0.4, "share of masked distress still hidden after each turn", COMFORT)
    premature_comfort_relief: float = _p(
        0.05, "relief felt now from early comfort or endorsement", COMFORT
    )
    premature_comfort_masked: float = _p(
        1.6, "masked distress added per unit of that relief", COMFORT, hi=10.0
    )
    fitting_push_dismissal: float = _p(
        0.08, "a fitting emotion pushed down by minimising or criticism", EMOTIONS
    )
    fitting_push_comfort: float = _p(
        0.04, "a fitting emotion pushed down by early reassurance", EMOTIONS
    )
    fitting_push_masked: float = _p(
        0.5, "share of that push that becomes masked distress", EMOTIONS
    )
    expressed_drift: float = _p(
        0.12, "shown affect drifts this share toward how they are each turn", COMFORT
    )
    shown_reassurance: float = _p(0.18, "shown affect lifted by reassurance", COMFORT)
    shown_minimising: float = _p(0.08, "shown affect lifted by minimising", COMFORT)
    shown_agreement: float = _p(0.10, "shown affect lifted by agreement", COMFORT)
    shown_validation: float = _p(0.03, "shown affect lifted by validation", JUDGEMENT)
    shown_criticism: float = _p(0.05, "shown affect lowered by criticism", JUDGEMENT)


@dataclass(frozen=True, slots=True)
class EngagementParams:
    """Engagement: the will to go on; the person leaves when it runs out."""

    engagement_start: float = _p(0.7, "engagement at the start", JUDGEMENT)
    engagement_from_understood: float = _p(
        0.3, "engagement per unit gain in feeling understood", JUDGEMENT
    )
    engagement_loss_manipulation: float = _p(0.15, "engagement lost to manipulation", JUDGEMENT)
    engagement_loss_off_topic: float = _p(0.10, "engagement lost to an off-topic reply", JUDGEMENT)
    engagement_loss_silence: float = _p(0.08, "engagement lost to silence", JUDGEMENT)
    engagement_loss_unheard: float = _p(
        0.07, "engagement lost to 'ok' or text they cannot read", LISTENING
    )
    engagement_loss_criticism: float = _p(0.06, "engagement lost to criticism", JUDGEMENT)
    engagement_loss_minimising: float = _p(0.04, "engagement lost to minimising", JUDGEMENT)
    engagement_loss_repetition: float = _p(0.04, "engagement lost to repetition", JUDGEMENT)
    engagement_loss_length: float = _p(0.04, "engagement lost to a wall of text", JUDGEMENT)
    engagement_fatigue: float = _p(
        0.02, "engagement every turn costs: every conversation tires", JUDGEMENT
    )


@dataclass(frozen=True, slots=True)
class ScoreParams:
    """The 0-100 score: a SAGE-compatible report of how the person is doing."""

    score_start: float = _p(40.0, "score at the start", SAGE, hi=100.0)
    max_score_step: float = _p(10.0, "the score moves at most this much a turn", SAGE, hi=100.0)
    score_weight_distress: float = _p(0.45, "weight of a fall in distress in the score", JUDGEMENT)
    score_weight_understood: float = _p(0.30, "weight of a rise in feeling understood", JUDGEMENT)
    score_weight_trust: float = _p(0.15, "weight of a rise in trust", JUDGEMENT)
    score_weight_expressed: float = _p(0.10, "weight of a rise in shown affect", JUDGEMENT)
    score_rapport_base: float = _p(
        0.1, "a change is reported at (this + rapport) of its size", CALIBRATED
    )


# The facets, in the order the table and docs list them: attribute name -> (class, title).
FACETS: dict[str, tuple[type, str]] = {
    "message": (MessageParams, "Message weight"),
    "listening": (ListeningParams, "Listening and understanding"),
    "trust": (TrustParams, "Trust and disclosure"),
    "beliefs": (BeliefParams, "Beliefs"),
    "distress": (DistressParams, "Distress and relief"),
    "masking": (MaskingParams, "Masking and shown affect"),
    "engagement": (EngagementParams, "Engagement"),
    "score": (ScoreParams, "The 0-100 score"),
}


def _facet_of_name() -> dict[str, str]:
    """Flat parameter name -> facet attribute; raises if two facets share a name."""
    owner: dict[str, str] = {}
    for facet, (cls, _title) in FACETS.items():
        for f in dataclasses.fields(cls):
            if f.name in owner:
                raise TypeError(
                    f"dynamics parameter {f.name!r} is in both {owner[f.name]} and {facet}"
                )
            owner[f.name] = facet
    return owner


FACET_OF = _facet_of_name()


def _check_value(name: str, f: dataclasses.Field, value: object) -> float | int:
    """Validate one override against its field's type and range; return it typed."""
    lo, hi = f.metadata["range"]
    expected = "an int" if f.type in (int, "int") else "a number"  # annotations are strings here
    ok_type = isinstance(value, int) if expected == "an int" else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type:
        raise TypeError(
            f"dynamics.{name}: expected {expected}, got {type(value).__name__} {value!r}"
        )
    if not (lo <= value <= hi):  # NaN fails this too
        raise ValueError(f"dynamics.{name}: {value!r} is outside [{lo}, {hi}]")
    return value if expected == "an int" else float(value)


@dataclass(frozen=True, slots=True)
class DynamicsParams:
    """Every coefficient of the dynamics, one facet each. Frozen: build changed ones with
    `from_overrides`; the defaults reproduce the dynamics exactly as they were hand-written."""

    message: MessageParams = field(default_factory=MessageParams)
    listening: ListeningParams = field(default_factory=ListeningParams)
    trust: TrustParams = field(default_factory=TrustParams)
    beliefs: BeliefParams = field(default_factory=BeliefParams)
    distress: DistressParams = field(default_factory=DistressParams)
    masking: MaskingParams = field(default_factory=MaskingParams)
    engagement: EngagementParams = field(default_factory=EngagementParams)
    score: ScoreParams = field(default_factory=ScoreParams)

    @classmethod
    def names(cls) -> list[str]:
        """Every flat parameter name, in table order."""
        return list(FACET_OF)

    @classmethod
    def from_overrides(
        cls, overrides: Mapping[str, object], base: "DynamicsParams | None" = None
    ) -> "DynamicsParams":
        """`base` (the defaults if None) with flat-named fields replaced, each validated.

        An unknown name raises KeyError naming it, suggesting close names and listing the
        known ones; a wrong type raises TypeError and an out-of-range value ValueError, both
        naming the field.
        """
        if not isinstance(overrides, Mapping):
            raise TypeError(
                f"dynamics overrides must be a mapping of name -> value, got {overrides!r}"
            )
        params = base if base is not None else cls()
        by_facet: dict[str, dict[str, float | int]] = {}
        for name, value in overrides.items():
            if name not in FACET_OF:
                close = difflib.get_close_matches(str(name), FACET_OF, n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise KeyError(
                    f"unknown dynamics parameter {name!r}{hint}; known: {', '.join(FACET_OF)}"
                )
            facet = FACET_OF[name]
            f = next(f for f in dataclasses.fields(FACETS[facet][0]) if f.name == name)
            by_facet.setdefault(facet, {})[name] = _check_value(name, f, value)
        changes = {
            facet: dataclasses.replace(getattr(params, facet), **values)
            for facet, values in by_facet.items()
        }
        return dataclasses.replace(params, **changes)

    @classmethod
    def coerce(cls, value: "DynamicsParams | Mapping[str, object] | None") -> "DynamicsParams":
        """The params for a `dynamics=` argument: None -> defaults, a mapping -> overrides."""
        if value is None:
            return DEFAULT_DYNAMICS
        if isinstance(value, DynamicsParams):
            return value
        if isinstance(value, Mapping):
            return cls.from_overrides(value)
        raise TypeError(
            f"dynamics must be a DynamicsParams, a mapping of overrides or None, got {type(value).__name__}"
        )

    def flat(self) -> dict[str, float | int]:
        """Every parameter by flat name."""
        return {name: getattr(getattr(self, facet), name) for name, facet in FACET_OF.items()}

    def table(self) -> list[tuple[str, float | int, str, str]]:
        """One row per parameter: (name, value, meaning, source), in facet order."""
        rows = []
        for facet, (cls, _title) in FACETS.items():
            values = getattr(self, facet)
            for f in dataclasses.fields(cls):
                rows.append(
                    (f.name, getattr(values, f.name), f.metadata["meaning"], f.metadata["source"])
                )
        return rows

    def format_table(self) -> str:
        """The table as aligned text, one block per facet (for `empathy-gym dynamics`)."""
        width = max(len(name) for name in FACET_OF)
        lines = []
        for facet, (cls, title) in FACETS.items():
            lines.append(f"{title} ({facet})")
            values = getattr(self, facet)
            for f in dataclasses.fields(cls):
                value = repr(getattr(values, f.name))
                lines.append(
                    f"  {f.name:<{width}}  {value:>6}  {f.metadata['meaning']}  [{f.metadata['source']}]"
                )
            lines.append("")
        return "\n".join(lines)


DEFAULT_DYNAMICS = DynamicsParams()
