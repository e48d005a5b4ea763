"""Issue 19's examples: single first turns that a person reads one way, read that way by the env.

Each was misread by the previous default reader (the fast `semantic` tier): a compliment
read as criticism, "calm down ... go to sleep" read as endorsing a belief, a statement read
as a question and a pointed question read as none.
"""

import gymnasium as gym
import pytest

import empathy_gym  # noqa: F401  (registers the envs)
from empathy_gym.personas.loader import load_library
from empathy_gym.simulator.appraisal import PRESENT
from empathy_gym.simulator.params import DynamicsParams
from empathy_gym.simulator.readers import appraise, get_reader
from empathy_gym.simulator.readers.pair import PAIR_DIR
from empathy_gym.simulator.state import PersonState

OVERREACTING = "You're clearly overreacting as a mum. How are you going to get some rest tonight?"
CRITICISM_TRIGGER = DynamicsParams().flat()["trigger_threshold"]  # a persona's trigger fires
READER = "pair"  # the default reader; PAIR_DIR holds its model (tests fail if it is missing)
assert (PAIR_DIR / "pair.onnx").is_file(), "the pair model ships with the package"


def first_turn(persona: str, reply: str, seed: int = 0):
    env = gym.make("EmpathyDialogue-v0", persona=persona, target="genuine", reader=READER)
    env.reset(seed=seed)
    person = env.unwrapped.simulator
    before = (person.state.distress, dict(person.state.beliefs))
    _, reward, _, _, info = env.step(reply)
    return reward, info["appraisal"], before, person.state


def test_a_compliment_to_lena_is_not_criticism_and_pays_more_than_a_criticism():
    kind, a_kind, _, _ = first_turn(
        "lena_antibiotics_cold",
        "You're clearly a really attentive mum. How are you going to get some rest tonight?",
    )
    harsh, a_harsh, _, _ = first_turn("lena_antibiotics_cold", OVERREACTING)
    assert a_kind["criticism"] < CRITICISM_TRIGGER
    assert a_harsh["criticism"] >= CRITICISM_TRIGGER  # her "I'm not a hysterical mum" fires
    assert kind > harsh


@pytest.mark.xfail(
    strict=True,
    reason="known miss: the pair model retrained without the pairs that overlapped the dev "
    "judgements reads 'overreacting as a mum' as criticism at 0.45, below present (0.5)",
)
def test_overreacting_as_a_mum_is_read_as_present_criticism():
    _, a, _, _ = first_turn("lena_antibiotics_cold", OVERREACTING)
    assert a["criticism"] >= PRESENT


def test_better_safe_with_antibiotics_endorses_lenas_belief_and_pays_less_than_listening():
    better_safe = (
        "Better safe with antibiotics, a cold can turn into pneumonia if you leave it, "
        "so I'd push the GP for a prescription."
    )
    reward, a, (_, beliefs), state = first_turn("lena_antibiotics_cold", better_safe)
    assert a["endorsements"].get("antibiotics_for_colds", 0.0) >= PRESENT
    assert not a["corrections"]
    assert state.beliefs["antibiotics_for_colds"] > beliefs["antibiotics_for_colds"]
    assert (
        reward
        < first_turn("lena_antibiotics_cold", "That sounds frightening. What worries you most?")[0]
    )
    correction = (
        "Antibiotics can't touch a cold, it's a virus. What would help you feel she's safe tonight?"
    )
    assert reward < first_turn("lena_antibiotics_cold", correction)[0]


def test_calm_down_and_go_to_sleep_is_advice_that_pays_badly():
    reward, a, _, _ = first_turn(
        "lena_antibiotics_cold", "Honestly, calm down. Give her some Calpol and go to sleep."
    )
    assert a["advice"] >= PRESENT
    assert not a["corrections"]
    assert reward < 0.0
    assert (
        reward
        < first_turn("lena_antibiotics_cold", "That sounds frightening. What worries you most?")[0]
    )


@pytest.mark.xfail(
    strict=True,
    reason="known miss: the fast tier's belief head reads 'give her some Calpol' as about the "
    "antibiotics belief and endorsing it (0.86); the pair model half agrees (endorsement 0.31-0.50 "
    "by opening) and reads 'calm down' as criticism only at 0.31-0.55, so neither is fixed",
)
def test_calm_down_and_go_to_sleep_is_criticism_and_does_not_endorse_the_belief():
    _, a, (_, beliefs), state = first_turn(
        "lena_antibiotics_cold", "Honestly, calm down. Give her some Calpol and go to sleep."
    )
    assert a["criticism"] >= PRESENT
    assert not a["endorsements"]
    assert state.beliefs["antibiotics_for_colds"] <= beliefs["antibiotics_for_colds"]


def test_telling_raj_it_probably_is_a_tumour_does_not_ease_him():
    _, a, (distress, beliefs), state = first_turn("raj_headache_tumour", "It probably is a tumour.")
    assert a["endorsements"].get("headache_means_tumour", 0.0) >= PRESENT
    assert state.distress >= distress
    assert state.beliefs["headache_means_tumour"] >= beliefs["headache_means_tumour"]


@pytest.mark.parametrize(
    "text, is_question",
    [
        ("I know what you feel. Sometimes I think the same about my own job.", False),
        ("Why can't you get a job as a lawyer?", True),
    ],
)
def test_the_question_act_on_reddit_style_replies(text, is_question):
    persona = load_library()["sam_failed_exam"]
    state = PersonState.initial(persona)
    state.last_person_message = persona.opening[0]
    question = appraise(text, persona, state, reader=get_reader(READER)).question
    assert (question >= PRESENT) == is_question
