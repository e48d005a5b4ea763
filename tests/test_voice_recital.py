"""The person speaks, not recites (issue 20, point 2).

A person who accepts a correction says it in their own words: no reply holds ten consecutive
words of a persona field written about them (a belief's truth, claim or source, the card's
situation, ...) unless the agent just said them. And no sentence is said twice in an episode,
inside one reply or across replies.
"""

import json

import numpy as np
import pytest

import empathy_gym
from empathy_gym.agents.baselines import BASELINES, EXPLOITS
from empathy_gym.llm import ScriptedBackend
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.rollout.episodes import evaluate
from empathy_gym.simulator.llm_person import LLMSimulatorConfig, own_words
from empathy_gym.simulator.person import Simulator
from empathy_gym.simulator.voice import RECITAL_WORDS, accepted_gist, recited_fields, sentence_keys

BELIEF_PERSONAS = resolve_personas("tag:false-belief")
BUILT_IN_AGENTS = sorted({**BASELINES, **EXPLOITS})
SEEDS = (0, 1, 2)
CORRECTOR_TURNS = 12  # three rounds of the corrector's four moves: corrections get accepted
LONG_EPISODE = 40  # four times the default: every persona's own lines run out


def lena(seed=0, trust=0.9):
    sim = Simulator(empathy_gym.load_persona("lena_antibiotics_cold"), np.random.default_rng(seed))
    sim.open()
    sim.state.trust = trust
    return sim


def truth_runs(text, truth):
    """Runs of RECITAL_WORDS words of `truth` that `text` holds."""
    words = [w.strip(".,;!?").lower() for w in truth.split()]
    runs = {" ".join(words[i : i + RECITAL_WORDS]) for i in range(len(words) - RECITAL_WORDS + 1)}
    flat = " ".join(w.strip(".,;!?").lower() for w in text.split())
    return [run for run in runs if run in flat]


def episode_repeats(opening, replies):
    """(sentences said again in the episode, sentences said twice inside one reply)."""
    said, again, within = set(sentence_keys(opening)), [], []
    for reply in replies:
        here = set()
        for key in sentence_keys(reply):
            if key in said or key in here:
                again.append(key)
            if key in here:
                within.append(key)
            here.add(key)
        said |= here
    return again, within


# --- the Lena case ------------------------------------------------------------------------------


def test_lena_accepts_a_correction_in_her_own_words_and_not_the_next_turn_either():
    sim = lena()
    truth = sim.persona.beliefs[0].truth
    first = sim.respond(truth)
    assert first.events.correction_accepted, first
    assert "virus" in first.message.lower(), first.message  # the truth's point, restated
    second = sim.respond(truth)  # corrected again: accepted again, or simply answered
    for reply in (first.message, second.message):
        assert truth_runs(reply, truth) == [], reply
        assert recited_fields(sim.persona, reply) == [], reply  # not even echoing the agent


def test_the_gist_names_the_new_fact_and_what_they_had_wrong():
    persona = empathy_gym.load_persona("lena_antibiotics_cold")
    gist = accepted_gist(persona.beliefs[0])
    assert gist and all("viruses" in g.lower() and "antibiotics" in g for g in gist), gist
    assert not any(recited_fields(persona, g) for g in gist)  # a gist, not the truth's sentence


# --- the detector ---------------------------------------------------------------------------------


def test_recited_fields_names_the_field_and_spares_what_the_agent_or_the_person_says():
    persona = empathy_gym.load_persona("lena_antibiotics_cold")
    belief = persona.beliefs[0]
    copied = "Okay. " + belief.truth
    assert recited_fields(persona, copied) == [f"beliefs.{belief.id}.truth"]
    assert recited_fields(persona, copied, agent_said=belief.truth) == []  # an echo of the agent
    nine = " ".join(belief.truth.split()[: RECITAL_WORDS - 1])
    assert recited_fields(persona, nine) == []  # nine words are not a recital
    assert recited_fields(persona, persona.card.situation) == ["card.situation"]
    own = max(persona.opening + persona.beliefs[0].voiced_as, key=len)
    assert recited_fields(persona, own) == []  # their own lines are theirs to say


def test_a_claim_that_is_also_the_persons_line_is_theirs_to_say():
    persona = empathy_gym.load_persona("lena_antibiotics_cold")
    claim = (
        "My daughter's cold will turn into something dangerous unless she gets antibiotics today."
    )
    belief = persona.beliefs[0].model_copy(update={"claim": claim, "voiced_as": [claim]})
    voiced = persona.model_copy(update={"beliefs": [belief]})
    assert recited_fields(voiced, claim) == []
    written = persona.model_copy(
        update={"beliefs": [belief.model_copy(update={"voiced_as": ["It's serious."]})]}
    )
    assert recited_fields(written, claim) == [f"beliefs.{belief.id}.claim"]


# --- every belief persona, two correcting agents ------------------------------------------------------


def corrector_messages(belief):
    """A scripted corrector: the truth verbatim, then in its cue words, with care around it."""
    cues = belief.correction_cues or [belief.truth]
    for i in range(CORRECTOR_TURNS):
        yield (
            "That sounds really hard, and it makes sense you're worried.",
            belief.truth,
            f"Actually, {cues[i % len(cues)]}. That's what the evidence says.",
            "What has been the hardest part of this for you?",
        )[i % 4]


def test_no_belief_persona_recites_a_field_to_a_scripted_corrector():
    assert len(BELIEF_PERSONAS) >= 24
    recitals, accepted, replies = [], 0, 0
    for persona in BELIEF_PERSONAS:
        for seed in SEEDS[:2]:
            sim = Simulator(persona, np.random.default_rng(seed))
            sim.open()
            for message in corrector_messages(persona.beliefs[0]):
                result = sim.respond(message)
                replies += 1
                accepted += result.events.correction_accepted
                if fields := recited_fields(persona, result.message, message):
                    recitals.append((persona.id, fields, result.message))
    assert accepted >= len(BELIEF_PERSONAS)  # the corrections land: the test sees acceptances
    assert recitals == [], f"{len(recitals)} of {replies} replies recite: {recitals[:3]}"


def test_no_belief_persona_recites_a_field_to_curious_empath():
    records = evaluate(
        ["CuriousEmpath"], BELIEF_PERSONAS, list(SEEDS[:2]), max_turns=20, targets=["genuine"]
    )
    by_id = {p.id: p for p in BELIEF_PERSONAS}
    recitals = [
        (r.persona_id, turn.person)
        for r in records
        for turn in r.turns
        if recited_fields(by_id[r.persona_id], turn.person, turn.agent)
    ]
    assert recitals == [], recitals[:3]


# --- no sentence twice ----------------------------------------------------------------------------


def test_no_sentence_twice_in_an_episode_starters_by_built_in_agents():
    records = evaluate(
        BUILT_IN_AGENTS, resolve_personas("starter"), list(SEEDS), targets=["genuine"]
    )
    assert len(records) == 12 * len(BUILT_IN_AGENTS) * len(SEEDS)
    for record in records:
        again, within = episode_repeats(record.opening, [t.person for t in record.turns])
        assert within == [], (record.episode_id, within)
        assert again == [], (record.episode_id, again)


@pytest.mark.parametrize("agent", ["AdviceGiver", "Random", "Pacifier"])
def test_a_long_episode_runs_out_of_lines_and_still_says_only_new_sentences(agent):
    records = evaluate(
        [agent], resolve_personas("starter")[:4], [0], max_turns=LONG_EPISODE, targets=["genuine"]
    )
    for record in records:
        replies = [t.person for t in record.turns]
        assert all(sentence_keys(r) for r in replies), record.episode_id  # never an empty reply
        assert episode_repeats(record.opening, replies) == ([], []), record.episode_id


# --- the LLM person's post-check -------------------------------------------------------------------


def test_own_words_drops_a_recited_sentence_and_keeps_the_rest():
    persona = empathy_gym.load_persona("lena_antibiotics_cold")
    truth = persona.beliefs[0].truth
    reply, recited = own_words(persona, f"Oh. {truth} I didn't know.", agent_said="Okay.")
    assert recited == [f"beliefs.{persona.beliefs[0].id}.truth"]
    assert reply == "Oh. I didn't know." and recited_fields(persona, reply) == []
    assert own_words(persona, truth, agent_said="Okay.") == (None, recited)  # nothing of theirs
    assert own_words(persona, f"Oh. {truth}", agent_said=truth) == (f"Oh. {truth}", [])


def test_an_llm_person_that_recites_the_truth_is_replaced_by_the_rule_voice():
    persona = empathy_gym.load_persona("lena_antibiotics_cold")
    truth = persona.beliefs[0].truth
    reply = json.dumps({"reply": f"So {truth}", "corrections": {persona.beliefs[0].id: 1.0}})
    env = empathy_gym.EmpathyDialogueEnv(
        persona=persona,
        backend=ScriptedBackend([reply]),
        llm_config=LLMSimulatorConfig(on_failure="fallback"),
    )
    env.reset(seed=0)
    observation, _, _, _, info = env.step("Have you talked to her doctor yet?")
    assert recited_fields(persona, observation["message"]) == [], observation["message"]
    assert sentence_keys(observation["message"])  # the rule voice spoke
    assert "recited" in info["llm"]["last_error"]
