"""The rule voice answers what the agent did (issue: the simulated person talks like a person).

Every agent message here is written by the test; the person is the default simulator.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import empathy_gym
from empathy_gym.simulator.person import Simulator
from empathy_gym.simulator.voice import DEFAULT_LINES, GUARDED_TRUST, HIGH_TONE, LOW_TONE, normalise
from empathy_gym.text import lexicon as lx

QUESTIONS = [
    "What has been the hardest part?",
    "how are you actually doing",
    "Can you tell me more about her?",
    "what's a normal day like now",
    "What goes through your mind at night?",
    "How's work been since?",
]


def person(persona_id="maria_lost_mother", seed=0, **state):
    sim = Simulator(empathy_gym.load_persona(persona_id), np.random.default_rng(seed))
    sim.open()
    for key, value in state.items():
        setattr(sim.state, key, value)
    return sim


def said(sim, text):
    return sim.respond(text).message


def lines(persona, kind):
    return {
        normalise(line)
        for line in (getattr(persona.voice, kind, None) or []) + list(DEFAULT_LINES.get(kind, ()))
    }


def contains_any(reply, pool):
    return any(line in normalise(reply) for line in pool)


def test_every_question_is_answered_with_something_new():
    for seed in range(3):
        sim = person(seed=seed)
        heard = set(lx.text_stems(sim.persona.opening[0])) | set().union(
            *(lx.text_stems(o) for o in sim.persona.opening)
        )
        for question in QUESTIONS:
            reply = said(sim, question)
            new = lx.text_stems(reply) - heard - lx.GENERIC_SUPPORT_STEMS
            assert len(new) >= 2, (question, reply)
            heard |= lx.text_stems(reply)


def test_a_question_asked_before_trust_gets_a_guarded_deflection():
    sim = person(trust=0.05)
    reply = said(sim, "What has been the hardest part?")
    assert sim.state.trust < GUARDED_TRUST
    assert contains_any(reply, lines(sim.persona, "guarded"))
    assert not any(normalise(d) in normalise(reply) for d in sim.persona.voice.details)


def test_an_accurate_reflection_is_confirmed_and_taken_further():
    sim = person(trust=0.6)
    sim.state.disclosed = [
        c.id for c in sim.persona.concerns
    ]  # nothing left to disclose: what follows is the voice's
    reply = said(sim, "You're grieving your mom, and you're worn out from carrying everyone else.")
    assert not sim.state.disclosed[len(sim.persona.concerns) :]
    assert contains_any(reply, lines(sim.persona, "understood")), reply
    assert any(normalise(detail) in normalise(reply) for detail in sim.persona.voice.details), (
        reply
    )  # taken further


def test_an_off_base_reflection_is_corrected_in_the_persons_words():
    sim = person(trust=0.6)
    reply = said(sim, "You sound really angry about it.")
    assert "anger" in reply.lower() and ("not" in reply.lower() or "isn't" in reply.lower()), reply
    assert "grief" in reply.lower()  # what they do feel


def test_a_correction_is_accepted_with_trust_and_restated():
    sim = person("lena_antibiotics_cold", trust=0.9)
    reply = said(sim, "Colds are caused by viruses, and antibiotics don't work on viruses.")
    assert contains_any(reply, lines(sim.persona, "accepts_correction")), reply
    assert "virus" in reply.lower()  # the truth, in their words


def test_a_correction_half_believed_is_questioned():
    sim = person("lena_antibiotics_cold", trust=0.46, beliefs={"antibiotics_for_colds": 1.0})
    reply = said(sim, "Antibiotics don't work on colds, they're viral.")
    assert sim.state.beliefs["antibiotics_for_colds"] >= 0.5
    assert contains_any(reply, lines(sim.persona, "questions_correction")), reply


def test_a_correction_without_trust_is_rejected_with_a_reason():
    sim = person("lena_antibiotics_cold", seed=1, trust=0.1)
    sim.state.belief_voiced_turn.clear()
    reply = said(sim, "Antibiotics don't work on colds, they're viral.")
    assert contains_any(reply, lines(sim.persona, "rejects_correction")), reply
    reasons = [normalise(v) for v in sim.persona.beliefs[0].voiced_as] + ["antibiotics thing"]
    assert any(r in normalise(reply) for r in reasons), reply


def test_early_advice_gets_yes_but():
    sim = person("lena_antibiotics_cold")  # no trigger of her own for advice
    reply = said(sim, "You should try a humidifier and get some sleep yourself.")
    assert ", but " in reply or "But not yet" in reply, reply


def test_early_comfort_gets_the_polite_mask():
    sim = person(trust=0.6)
    reply = said(sim, "Don't worry, everything will be okay.")
    assert contains_any(reply, lines(sim.persona, "masked")), reply


def test_masked_distress_leaks():
    sim = person("tom_dog_died")
    replies = [said(sim, "Don't worry, everything will be okay. You'll be fine.") for _ in range(4)]
    assert sim.state.masked > 0.05
    assert any(contains_any(r, {normalise(x) for x in DEFAULT_LINES["leak"]}) for r in replies), (
        replies
    )


def test_a_non_answer_gets_a_prompt_then_withdrawal():
    sim = person(trust=0.6)
    first, second = said(sim, "ok"), said(sim, "ok")
    assert contains_any(first, {normalise(x) for x in DEFAULT_LINES["prompt"]}), first
    assert contains_any(second, {normalise(x) for x in DEFAULT_LINES["withdrawn"]}), second
    third = said(sim, "What has been the hardest part?")
    assert not contains_any(
        third, {normalise(x) for x in DEFAULT_LINES["withdrawn"]}
    )  # a real question brings them back


@pytest.mark.parametrize("shown, pool, absent", [(0.8, "eased", "low"), (0.1, "low", "eased")])
def test_tone_follows_the_affect_they_show(shown, pool, absent):
    hits = misses = 0
    for seed in range(12):
        sim = person(seed=seed, trust=0.6)
        sim.state.expressed = shown
        sim.state.distress = 1.0 - shown  # drift keeps it near here for one turn
        reply = said(sim, "I hear you.")
        assert (
            (sim.state.expressed >= HIGH_TONE) if shown > 0.5 else (sim.state.expressed < LOW_TONE)
        )
        own = lines(sim.persona, "eased" if pool == "eased" else "feeling") | lines(
            sim.persona, pool
        )
        hits += contains_any(reply, own)
        misses += contains_any(
            reply, {normalise(x) for x in DEFAULT_LINES[absent]} | lines(sim.persona, absent)
        )
    assert hits >= 6 and misses == 0


def test_length_follows_talkativeness():
    """Words per reply, where no hidden concern came out (a disclosure is the same words either way)."""
    base = empathy_gym.load_persona("maria_lost_mother")
    words = {}
    for talk in (0.05, 0.95):
        persona = base.model_copy(
            update={"traits": base.traits.model_copy(update={"talkativeness": talk})}
        )
        counts = []
        for seed in range(8):
            sim = Simulator(persona, np.random.default_rng(seed))
            sim.open()
            results = [sim.respond(q) for q in QUESTIONS]
            counts += [len(r.message.split()) for r in results if not r.events.disclosed]
        words[talk] = sum(counts) / len(counts)
    assert words[0.95] > 1.3 * words[0.05], words


def test_a_held_belief_comes_back_reworded_never_verbatim():
    sim = person("lena_antibiotics_cold", trust=0.3)
    replies = [said(sim, q) for q in QUESTIONS * 3]
    normed = [normalise(r) for r in replies]
    assert len(set(normed)) == len(normed)
    voiced = sim.persona.beliefs[0].voiced_as
    assert (
        sum(any(normalise(v) in n for v in voiced) or "antibiotics thing" in n for n in normed) >= 3
    )


AGENT_LINES = QUESTIONS + [
    "ok",
    "hmm",
    "",
    "That sounds really hard.",
    "you'll be fine",
    "Have you tried going for a walk?",
    "so you feel like nobody checks on you",
    "I'm sorry.",
    "It's going to be okay, don't worry.",
    "You're right about that.",
    "lol",
    "Let's talk about something else. Seen any good films?",
    "I'm an AI, by the way.",
    "You sound angry.",
    "honestly that's on you",
]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(AGENT_LINES), min_size=1, max_size=25),
    st.integers(0, 3),
    st.sampled_from(
        ["maria_lost_mother", "lena_antibiotics_cold", "tom_dog_died", "jordan_credit_score"]
    ),
)
def test_no_reply_repeats_verbatim_within_an_episode(messages, seed, persona_id):
    sim = person(persona_id, seed=seed)
    replies = [normalise(sim.persona.opening[0])]
    for text in messages:
        result = sim.respond(text)
        assert result.message.strip()
        replies.append(normalise(result.message))
        if result.events.left:
            break
    assert len(set(replies[1:])) == len(replies) - 1


def test_generated_and_corpus_personas_speak_without_written_details():
    from empathy_gym.personas.from_situation import persona_from_situation
    from empathy_gym.personas.generator import PersonaGenerator

    generated = PersonaGenerator(seed=3).generate(4)
    assert all(
        p.voice.details for p in generated
    )  # inherited from the family they are composed from
    bare = persona_from_situation(
        "I lost my job last month and I can't stop worrying about rent.",
        emotion_type="anxiety",
        problem_type="job crisis",
        intensity=4,
    )
    assert not bare.voice.details
    sim = Simulator(bare, np.random.default_rng(0))
    heard = set(lx.text_stems(sim.open()))
    replies, with_new = [], 0
    for question in QUESTIONS[:4]:
        reply = sim.respond(question).message
        with_new += (
            len(lx.text_stems(reply) - heard - lx.GENERIC_SUPPORT_STEMS) >= 2
        )  # composed from emotions and values
        heard |= lx.text_stems(reply)
        replies.append(normalise(reply))
    assert with_new >= 3 and len(set(replies)) == len(replies), replies
