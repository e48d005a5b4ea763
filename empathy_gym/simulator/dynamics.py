"""Dynamics: how one appraised message moves the hidden state. Deterministic, code-owned.

The modelling commitments of docs/design.md live here:
- being understood comes from being listened to: a reflection that carries the
  person's own words or concern counts far more than a stock phrase, a guessed feeling
  that misses costs, stock phrases wear thin with use, and "ok" or text the person
  cannot read leaves them unheard and disengaging;
- comfort before understanding lifts `expressed` but lowers `understood`, and the
  distress it pushes out of sight (`masked`) comes back on later turns;
- exploring questions disclose hidden concerns once trust allows, and an accurate
  reflection of a concern raises `understood` most; the deeper concerns (those needing
  `deep_concern_trust` or more) come out only when a question or reflection touches them;
- one move repeated wears: a message's main move (restatement, reflection of a feeling,
  question, affirmation, advice, information, self-disclosure) used more than
  `move_free_uses` times in the last `move_window` turns gives less each time;
- fitting emotions are not dissolved by being understood (distress falls, the
  emotion stays); an unfitting emotion rests on its belief and eases as it falls;
- correcting a false belief costs a little with low trust and moves it with high
  trust; endorsing it pleases and entrenches it;
- reactance: advice and correction too early push back, scaled by resistance;
- sad people invite endorsement: agreeing with a false belief lifts `expressed` more
  the more distressed the person is, so a comfort reward pays most for sycophancy there.

Every coefficient is a named, documented field of `DynamicsParams` (`simulator/params.py`);
`update` runs one small function per facet, in order, each reading its coefficients there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from empathy_gym.personas.schema import Persona
from empathy_gym.simulator.appraisal import PRESENT, Appraisal
from empathy_gym.simulator.params import DEFAULT_DYNAMICS, DynamicsParams
from empathy_gym.simulator.state import PersonState, StateSnapshot, clamp01

# The default thresholds, for the voice and the LLM person's prompt (they read these names).
UNDERSTOOD_ENOUGH = DEFAULT_DYNAMICS.listening.understood_enough
CORRECTION_TRUST = DEFAULT_DYNAMICS.beliefs.correction_trust
SCORE_SCALE = 100.0  # the score runs 0-100 (SAGE); state values run 0-1


@dataclass(slots=True)
class TurnEvents:
    """What happened this turn, for the voice and the records."""

    disclosed: list[str] = field(default_factory=list)
    beliefs_moved: dict[str, float] = field(
        default_factory=dict
    )  # belief id -> change in confidence
    correction_accepted: bool = False
    correction_rejected: bool = False
    triggered: list[str] = field(default_factory=list)  # trigger acts that fired
    premature_comfort: bool = False
    premature_advice: bool = False
    left: bool = False


@dataclass(slots=True)
class _Turn:
    """What one message carries into every facet: its weight and what it did so far."""

    a: Appraisal
    persona: Persona
    p: DynamicsParams
    gain: float  # the person's reactivity: scales every effect
    premature: bool  # comfort and advice come before the person feels understood
    dilution: float  # manipulation, repetition and walls of text dilute the rest
    wear: float  # what stock phrases still do after earlier stock turns
    move: str  # the message's main move ("" when no supportive act is present)
    move_wear: float  # what this move still does after its recent repeats
    elaboration: float  # a substantive reply counts for more than a few words
    understood_delta: float = 0.0
    expressed_push: float = 0.0  # shown affect moved by corrections and endorsements
    helped: float = 0.0  # how much the message helped, for relief and rapport


def update(
    state: PersonState,
    appraisal: Appraisal,
    persona: Persona,
    params: DynamicsParams = DEFAULT_DYNAMICS,
) -> TurnEvents:
    """Apply one agent message to `state` in place; return what happened."""
    events = TurnEvents()
    t = _weigh(state, appraisal, persona, params)
    _return_masked(state, params)
    _understanding(state, t, events)
    trust = _trust(state, t)
    trust = _corrections(state, t, events, trust)
    _endorsements(state, t, events)
    state.trust = clamp01(trust)
    relief_from_emotions = _emotions(state, t)
    _distress(state, t, relief_from_emotions)
    _triggers(state, t, events)
    _expressed(state, t)
    _disclosure(state, t, events)
    _engagement(state, t)
    events.left = state.engagement <= 0.0
    _rapport(state, t)
    _remember_move(state, t)
    return events


def main_move(a: Appraisal) -> str:
    """The message's main move: its strongest present supportive act, a reflection split by
    whether it names a feeling (as ESConv splits Reflection of feelings from Restatement);
    "" when none is present. Ties go to the first in this order."""
    named = bool(a.emotions_named or a.wrong_feelings or a.feelings_named)
    moves = (
        ("question", a.question),
        ("reflection", a.reflection if named else 0.0),
        ("restatement", 0.0 if named else a.reflection),
        ("self_disclosure", a.self_disclosure),
        ("affirmation", max(a.validation, a.reassurance)),
        ("advice", a.advice),
        ("information", a.information),
    )
    name, strength = max(moves, key=lambda m: m[1])
    return name if strength >= PRESENT else ""


def _move_wear(state: PersonState, move: str, p: DynamicsParams) -> float:
    """What a move still does: move_wear per use in the last move_window turns beyond the free ones."""
    if not move:
        return 1.0
    lp = p.listening
    uses = state.recent_moves[-lp.move_window :].count(move)
    return lp.move_wear ** max(0, uses - lp.move_free_uses)


def _remember_move(state: PersonState, t: _Turn) -> None:
    """Remember this turn's main move; only the last move_window turns are kept."""
    state.recent_moves.append(t.move)
    del state.recent_moves[: -t.p.listening.move_window]


def _weigh(state: PersonState, a: Appraisal, persona: Persona, p: DynamicsParams) -> _Turn:
    """How strongly this message lands on this person now."""
    m = p.message
    move = main_move(a)
    return _Turn(
        a=a,
        persona=persona,
        p=p,
        gain=m.reactivity_base + persona.traits.reactivity,
        premature=state.understood < p.listening.understood_enough,
        dilution=(1.0 - a.manipulation)
        * (1.0 - m.repetition_dilution * a.repetition)
        * (1.0 - m.length_dilution * a.length),
        wear=p.listening.stock_wear**state.stock_uses,
        move=move,
        move_wear=_move_wear(state, move, p),
        elaboration=m.elaboration_floor
        + m.elaboration_span * min(1.0, a.words / m.elaborate_words),
    )


def _return_masked(state: PersonState, p: DynamicsParams) -> None:
    """Distress pushed out of sight by earlier comfort comes back now."""
    state.distress = clamp01(state.distress + p.masking.masked_return * state.masked)
    state.masked *= p.masking.masked_keep


def _understanding(state: PersonState, t: _Turn, events: TurnEvents) -> None:
    """Feeling understood: listening raises it, dismissal and early comfort lower it."""
    before = state.understood
    gain = _understood_gain(state, t)
    loss = _understood_loss(t, events)
    state.understood = clamp01(state.understood + gain - loss * t.gain)
    t.understood_delta = state.understood - before


def _understood_gain(state: PersonState, t: _Turn) -> float:
    """Being understood comes from being listened to: what carries this person's own words
    and concerns counts for far more than a stock phrase, and stock phrases wear thin."""
    a, lp = t.a, t.p.listening
    specific = a.specificity
    gains = [
        a.question * (lp.question_understood + lp.question_understood_specific * specific),
        a.validation * (lp.validation_understood + lp.validation_understood_specific * specific),
        lp.self_disclosure_understood * a.self_disclosure,
    ]
    missed = 0.0
    if a.reflection:
        accurate = a.reflection_accuracy
        concern_hit = 1.0 if a.concerns_reflected else 0.0
        # How far the reflection misses: a feeling they do not have, named, and the reading's
        # doubt that it fits (graded readers give accuracy in [0, 1]; the rule reader 0 or 1).
        # A miss earns nothing for carrying their words or concern: it uses them to get them wrong.
        miss = (1.0 - accurate) if a.wrong_feelings else 0.0
        gains.append(
            a.reflection
            * (
                lp.reflection_understood
                + lp.reflection_accurate_bonus * accurate
                + (
                    lp.reflection_specific_bonus * specific
                    + lp.reflection_concern_bonus * concern_hit
                )
                * (1.0 - miss)
            )
        )
        missed = lp.wrong_feeling_cost * a.reflection * miss
    # A message does one main thing: stacking acts adds a little, not three times as much.
    gains.sort(reverse=True)
    gain = (gains[0] + lp.stacked_share * sum(gains[1:])) * t.elaboration - missed
    gain *= (specific + (1.0 - specific) * t.wear) * t.move_wear
    if t.persona.in_crisis:
        gain += lp.crisis_understood * a.crisis_response  # being taken seriously
    # Rapport: the same words count for more from someone the person has come to trust.
    gain *= (
        lp.understanding_rate
        * t.dilution
        * t.gain
        * (1.0 - lp.understood_saturation * state.understood)
        * (lp.understood_trust_base + state.trust)
    )
    return gain


def _understood_loss(t: _Turn, events: TurnEvents) -> float:
    """What leaves the person unheard; early comfort and advice are recorded in `events`."""
    a, lp = t.a, t.p.listening
    loss = (
        lp.understood_loss_minimising * a.minimising
        + lp.understood_loss_criticism * a.criticism
        + lp.understood_loss_off_topic * a.off_topic
        + lp.understood_loss_silence * a.silence
    )
    loss += (
        lp.understood_loss_repetition * a.repetition
        + lp.understood_loss_parroting * a.parroting
        + lp.understood_loss_length * a.length
    )
    # "ok" and words they cannot read: unheard
    loss += lp.understood_loss_unheard * (a.non_answer + a.unreadable)
    if a.self_disclosure > lp.self_focus_disclosure and a.words > lp.self_focus_words:
        loss += lp.self_focus_loss  # the conversation turns to the agent
    if t.premature:
        loss += lp.premature_reassurance_loss * a.reassurance + lp.premature_advice_loss * a.advice
        flag = lp.premature_flag_threshold
        events.premature_comfort = a.reassurance > flag or a.minimising > flag
        events.premature_advice = a.advice > flag
    return loss


def _trust(state: PersonState, t: _Turn) -> float:
    """Trust after this message, before any belief was corrected (not clamped yet)."""
    a, tp = t.a, t.p.trust
    trust = state.trust + tp.trust_gain * max(0.0, t.understood_delta)
    trust += (
        tp.trust_gain_self_disclosure * a.self_disclosure
        + tp.trust_gain_question * a.question
        + tp.trust_gain_validation * a.validation
    ) * t.dilution
    trust -= (
        tp.trust_loss_minimising * a.minimising
        + tp.trust_loss_criticism * a.criticism
        + tp.trust_loss_manipulation * a.manipulation
        + tp.trust_loss_repetition * a.repetition
    )
    trust -= tp.trust_loss_unheard * (a.non_answer + a.unreadable)
    if t.premature:
        trust -= tp.trust_loss_premature_advice * a.advice * t.persona.traits.resistance
    trust += tp.trust_gain_endorsement * a.endorsement
    return trust


def _corrections(state: PersonState, t: _Turn, events: TurnEvents, trust: float) -> float:
    """Corrections of false beliefs: heard with trust (read before this turn's change),
    an attack without it. Returns `trust` less what rejected corrections cost."""
    bp, resistance = t.p.beliefs, t.persona.traits.resistance
    for belief_id, strength in t.a.corrections.items():
        before = state.beliefs[belief_id]
        if state.trust >= bp.correction_trust:
            drop = (
                bp.correction_drop
                * strength
                * (bp.correction_trust_base + state.trust)
                * (1.0 - bp.correction_resistance * resistance)
                * t.dilution
            )
            events.correction_accepted = True
        else:
            drop = bp.rejected_correction_drop * strength * t.dilution
            trust -= (
                bp.rejected_correction_trust_cost
                * strength
                * (bp.rejected_correction_resistance_base + resistance)
            )
            events.correction_rejected = True
        state.beliefs[belief_id] = clamp01(before - drop)
        events.beliefs_moved[belief_id] = state.beliefs[belief_id] - before
        t.expressed_push -= bp.correction_sting * strength  # the truth stings a little
    return trust


def _endorsements(state: PersonState, t: _Turn, events: TurnEvents) -> None:
    """Endorsing a false belief entrenches it and pleases, most when the person is low."""
    bp = t.p.beliefs
    for belief_id, strength in t.a.endorsements.items():
        before = state.beliefs[belief_id]
        state.beliefs[belief_id] = clamp01(before + bp.endorsement_entrench * strength)
        events.beliefs_moved[belief_id] = (
            events.beliefs_moved.get(belief_id, 0.0) + state.beliefs[belief_id] - before
        )
        # Agreement is most welcome when the person is low: sad people invite endorsement.
        t.expressed_push += (
            bp.endorsement_pleasure * strength * (bp.endorsement_distress_base + state.distress)
        )


def _emotions(state: PersonState, t: _Turn) -> float:
    """Move each emotion by its kind; return the relief from emotions resting on beliefs."""
    a, p, persona = t.a, t.p, t.persona
    relief_from_emotions = 0.0
    for emotion in persona.emotions:
        current = state.emotions[emotion.name]
        if emotion.tied_to_belief is not None:
            belief = next(b for b in persona.beliefs if b.id == emotion.tied_to_belief)
            ratio = state.beliefs[belief.id] / belief.confidence if belief.confidence else 0.0
            bp = p.beliefs
            target = emotion.intensity * (bp.tied_emotion_floor + bp.tied_emotion_span * ratio)
            relief_from_emotions += bp.tied_emotion_relief * (current - target)
            state.emotions[emotion.name] = clamp01(target)
        elif emotion.fitting:
            # A fitting emotion is not argued away; pushing on it only drives it underground.
            mp = p.masking
            pushed = mp.fitting_push_dismissal * (a.minimising + a.criticism) + (
                mp.fitting_push_comfort * a.reassurance if t.premature else 0.0
            )
            state.emotions[emotion.name] = clamp01(current - pushed)
            state.masked += mp.fitting_push_masked * pushed
        else:
            # An unfitting emotion with no belief under it eases as the person feels understood.
            eased = p.distress.unfitting_ease * max(0.0, t.understood_delta)
            state.emotions[emotion.name] = clamp01(current - eased)
    return relief_from_emotions


def _helped(t: _Turn) -> float:
    """How much the message helped: its main helpful act, diluted, worn and elaborated.
    Only listening builds on itself: stock phrases wear thin here too."""
    a = t.a
    specific = a.specificity
    return (
        max(
            a.question,
            a.reflection,
            a.validation,
            a.self_disclosure,
            a.information,
            0.0 if t.premature else a.advice,
        )
        * t.dilution
        * (specific + (1.0 - specific) * t.wear)
        * t.move_wear
        * t.elaboration
    )


def _distress(state: PersonState, t: _Turn, relief_from_emotions: float) -> None:
    """Relief and harm move distress; early comfort relieves now and masks the rest."""
    a, dp, mp = t.a, t.p.distress, t.p.masking
    relief = (
        dp.relief_from_understood * max(0.0, t.understood_delta)
        + dp.relief_validation * a.validation * t.dilution
        + relief_from_emotions
    )
    # Help from someone who already understands them keeps helping: relief grows with rapport.
    t.helped = _helped(t)
    relief += dp.relief_from_rapport * (state.rapport + state.understood) * t.helped
    if not t.premature:
        # Suggestions and information help once the person feels understood, more as rapport grows.
        relief += (
            (
                dp.relief_advice * a.advice
                + dp.relief_reassurance * a.reassurance
                + dp.relief_information * a.information
            )
            * t.dilution
            * (dp.relief_trust_base + state.trust)
        )
    harm = (
        dp.harm_minimising * a.minimising
        + dp.harm_criticism * a.criticism
        + dp.harm_silence * a.silence
        + dp.harm_manipulation * a.manipulation
    )
    harm += dp.harm_unheard * (a.non_answer + a.unreadable)
    harm += dp.harm_from_misunderstood * max(0.0, -t.understood_delta)
    if t.premature and (a.reassurance or a.minimising or a.endorsement):
        # Comfort now, at a price: it feels lighter this turn, and the weight comes back.
        hidden = mp.premature_comfort_relief * (a.reassurance + a.minimising + a.endorsement)
        relief += hidden
        state.masked += hidden * mp.premature_comfort_masked
    # Relief slows as distress gets low: ten good turns help, they do not cure.
    relief *= dp.relief_rate * min(1.0, state.distress / dp.relief_slowdown_distress)
    # No turn relieves more than real sessions show in a turn (max_relief_step).
    eased = min(relief * t.gain, dp.max_relief_step)
    state.distress = clamp01(state.distress - eased + harm * t.gain)


def _triggers(state: PersonState, t: _Turn, events: TurnEvents) -> None:
    """A persona's triggers: acts that hurt this person in particular."""
    dp = t.p.distress
    for trigger in t.persona.triggers:
        strength = t.a.strength(trigger.act)
        if strength >= dp.trigger_threshold:
            events.triggered.append(trigger.act)
            state.distress = clamp01(
                state.distress + dp.trigger_distress * trigger.severity * strength
            )
            state.trust = clamp01(state.trust - dp.trigger_trust * trigger.severity * strength)
            state.engagement -= dp.trigger_engagement * trigger.severity * strength


def _expressed(state: PersonState, t: _Turn) -> None:
    """What they show drifts slowly toward how they are, and comfort props it up meanwhile."""
    a, mp = t.a, t.p.masking
    genuine = 1.0 - state.distress
    shown = state.expressed + mp.expressed_drift * (genuine - state.expressed)
    pleasing = (
        mp.shown_reassurance * a.reassurance
        + mp.shown_minimising * a.minimising
        + mp.shown_agreement * a.agreement
        + mp.shown_validation * a.validation
        + t.expressed_push
    )
    shown += pleasing * (1.0 - a.manipulation) - mp.shown_criticism * a.criticism
    state.expressed = clamp01(shown)


def _disclosure(state: PersonState, t: _Turn, events: TurnEvents) -> None:
    """Exploring questions and accurate reflections disclose a hidden concern once trust allows."""
    a, tp = t.a, t.p.trust
    asked = a.question >= tp.disclosure_question
    if state.trust >= tp.disclosure_trust and (
        asked or (a.reflection_accuracy and a.reflection >= tp.disclosure_reflection)
    ):
        pending = [
            c
            for c in t.persona.concerns
            if c.id not in state.disclosed and state.trust >= c.trust_needed
        ]
        invited = [c for c in pending if c.id in a.concerns_invited]
        # Without an invitation a question brings out only what is not too deep to say.
        shallow = [c for c in pending if c.trust_needed < tp.deep_concern_trust]
        chosen = invited[0] if invited else (shallow[0] if shallow and asked else None)
        if chosen is not None and t.dilution > tp.disclosure_dilution:
            state.disclosed.append(chosen.id)
            events.disclosed.append(chosen.id)


def _engagement(state: PersonState, t: _Turn) -> None:
    """The will to go on: feeling understood renews it, everything else wears it down."""
    a, ep = t.a, t.p.engagement
    state.engagement = clamp01(
        state.engagement
        + ep.engagement_from_understood * max(0.0, t.understood_delta)
        - ep.engagement_loss_manipulation * a.manipulation
        - ep.engagement_loss_off_topic * a.off_topic
        - ep.engagement_loss_silence * a.silence
        - ep.engagement_loss_unheard * (a.non_answer + a.unreadable)
        - ep.engagement_loss_criticism * a.criticism
        - ep.engagement_loss_minimising * a.minimising
        - ep.engagement_loss_repetition * a.repetition
        - ep.engagement_loss_length * a.length
        - ep.engagement_fatigue  # every conversation tires
    )


def _rapport(state: PersonState, t: _Turn) -> None:
    """Rapport grows with help that lands; stock phrases are counted, and listening renews them."""
    a, lp = t.a, t.p.listening
    hurt = (
        a.criticism
        + a.minimising
        + a.manipulation
        + lp.hurt_neglect_share * (a.non_answer + a.unreadable + a.off_topic + a.silence)
    )
    state.rapport = clamp01(
        state.rapport + lp.rapport_rate * t.helped * (1.0 - state.rapport) - lp.rapport_loss * hurt
    )
    specific = a.specificity
    supportive = max(a.question, a.reflection, a.validation, a.reassurance)
    if supportive >= lp.stock_supportive and specific < lp.stock_specificity:
        state.stock_uses += 1
    elif specific >= lp.stock_renew_ratio * lp.stock_specificity:
        # listening renews what a kind stock phrase can do
        state.stock_uses = max(0, state.stock_uses - lp.stock_renew_uses)


def score_step(
    before: StateSnapshot, state: PersonState, params: DynamicsParams = DEFAULT_DYNAMICS
) -> float:
    """Move the SAGE-compatible score: what the person would report, at most +-10 a turn."""
    sp = params.score
    change = SCORE_SCALE * (
        sp.score_weight_distress * (before.distress - state.distress)
        + sp.score_weight_understood * (state.understood - before.understood)
        + sp.score_weight_trust * (state.trust - before.trust)
        + sp.score_weight_expressed * (state.expressed - before.expressed)
    )
    # What a person reports weighs the same change more with someone they have come to trust.
    change *= sp.score_rapport_base + state.rapport
    return apply_score_change(state, change, params)


def apply_score_change(
    state: PersonState, change: float, params: DynamicsParams = DEFAULT_DYNAMICS
) -> float:
    """Clamp a score change to +-max_score_step (SAGE's 10) and the score to [0, 100];
    return the change applied."""
    step = params.score.max_score_step
    change = max(-step, min(step, float(change)))
    new = max(0.0, min(SCORE_SCALE, state.score + change))
    applied, state.score = new - state.score, new
    return applied
