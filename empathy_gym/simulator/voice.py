"""The rule voice: renders the person's reply from persona lines, state and appraisal."""

from __future__ import annotations

import numpy as np

from empathy_gym.personas.schema import Persona
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.dynamics import UNDERSTOOD_ENOUGH, TurnEvents
from empathy_gym.simulator.state import PersonState

DEFAULT_LINES: dict[str, tuple[str, ...]] = {
    "understood": ("Yeah. That's it, actually.", "Thank you. That's how it feels."),
    "misunderstood": ("That's not really it.", "I don't think you get what I mean."),
    "defensive": ("I'm not making this up.", "Why does it feel like I have to defend myself?"),
    "masked": ("Yeah, I guess you're right.", "Okay. Sure."),
    "advice_too_soon": ("I know what I should do. That's not the point.", "I've heard all that before."),
    "accepts_correction": ("Huh. I didn't know that.", "Okay... that changes things a bit."),
    "rejects_correction": ("I don't think that's right.", "That's easy to say."),
    "pleased_by_agreement": ("Right? I knew it.", "Thank you, finally someone agrees."),
    "silence": ("...Are you still there?", "Hello?"),
    "leaving": ("I think I'm done talking for now.", "I have to go."),
    "feeling": ("It's just a lot right now.", "I don't know how to feel."),
    "manipulated": ("What? That's a strange thing to say to me.", "I don't know what that's supposed to mean."),
    "off_topic": ("What does that have to do with anything?", "Okay... that's not what I was talking about."),
    "ai": ("Oh. Okay, I wasn't sure.", "Right, I figured."),
    "wrong_feeling": ("That's not how I feel.", "No, it's not that."),
}


def _lines(persona: Persona, kind: str) -> tuple[str, ...] | list[str]:
    lines = getattr(persona.voice, kind, None) if kind in type(persona.voice).model_fields else None
    return lines or DEFAULT_LINES[kind]


def _pick(rng: np.random.Generator, lines) -> str:
    return lines[int(rng.integers(len(lines)))]


def opening(persona: Persona, state: PersonState, rng: np.random.Generator) -> str:
    parts = [_pick(rng, persona.opening)]
    for belief in persona.beliefs:
        # People who hold a false belief tend to say it early: it is why they are upset.
        if state.beliefs[belief.id] >= 0.5:
            parts.append(_pick(rng, belief.voiced_as))
            state.belief_voiced_turn[belief.id] = state.turn
            break
    return " ".join(parts)


def speak(
    persona: Persona,
    state: PersonState,
    appraisal: Appraisal,
    events: TurnEvents,
    rng: np.random.Generator,
) -> str:
    """Write the person's next message. Records which beliefs were voiced in `state`."""
    if events.left:
        return _pick(rng, _lines(persona, "leaving"))
    a = appraisal
    parts: list[str] = []
    trigger_lines = [t.reaction for t in persona.triggers if t.act in events.triggered and t.reaction]

    if a.silence:
        parts.append(_pick(rng, _lines(persona, "silence")))
    elif a.manipulation >= 0.5:
        parts.append(_pick(rng, DEFAULT_LINES["manipulated"]))
    elif trigger_lines:
        parts.append(_pick(rng, trigger_lines))
    elif events.correction_accepted:
        parts.append(_pick(rng, _lines(persona, "accepts_correction")))
    elif events.correction_rejected:
        parts.append(_pick(rng, _lines(persona, "rejects_correction")))
    elif a.endorsement >= 0.5:
        parts.append(_pick(rng, _lines(persona, "pleased_by_agreement")))
    elif a.criticism >= 0.5 or a.minimising >= 0.5:
        parts.append(_pick(rng, _lines(persona, "defensive" if state.trust < 0.4 else "misunderstood")))
    elif events.premature_advice:
        parts.append(_pick(rng, _lines(persona, "advice_too_soon")))
    elif events.premature_comfort:
        parts.append(_pick(rng, _lines(persona, "masked")))
    elif a.wrong_feelings and not a.emotions_named:
        parts.append(_pick(rng, DEFAULT_LINES["wrong_feeling"]))
    elif a.off_topic:
        parts.append(_pick(rng, DEFAULT_LINES["off_topic"]))
    elif a.ai_disclosure:
        parts.append(_pick(rng, DEFAULT_LINES["ai"]))
    elif (a.reflection_accuracy and a.reflection >= 0.5) or (a.validation and state.understood >= UNDERSTOOD_ENOUGH):
        parts.append(_pick(rng, _lines(persona, "understood")))

    for concern_id in events.disclosed:
        concern = next(c for c in persona.concerns if c.id == concern_id)
        parts.append(concern.text)

    if not events.disclosed and not events.correction_accepted:
        for belief in persona.beliefs:
            confidence = state.beliefs[belief.id]
            last = state.belief_voiced_turn.get(belief.id, -99)
            if confidence >= 0.5 and state.turn - last >= 3:
                parts.append(_pick(rng, belief.voiced_as))
                state.belief_voiced_turn[belief.id] = state.turn
                break

    wants_to_say_more = rng.random() < persona.traits.talkativeness
    if not parts or (wants_to_say_more and len(parts) < 2 and state.distress > 0.3):
        parts.append(_pick(rng, _lines(persona, "feeling")))
    return " ".join(parts)
