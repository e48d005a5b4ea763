"""False beliefs read by meaning: correction, endorsement, or neither (issue: beliefs by meaning)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import empathy_gym
from empathy_gym.cli import main
from empathy_gym.eval.beliefs import (
    evaluate_beliefs,
    load_belief_replies,
    read_as,
    state_after_voicing,
)
from empathy_gym.personas.loader import load_library
from empathy_gym.simulator.readers import appraise
from empathy_gym.simulator.state import PersonState

HELDOUT = "data/beliefs-heldout"


def reads(persona_id: str, text: str, reader=None) -> str:
    persona = empathy_gym.load_persona(persona_id)
    belief = persona.beliefs[0].id
    return read_as(appraise(text, persona, state_after_voicing(persona, belief), reader), belief)


# Written for this test (not in data/): the phrasings the issue reports as misread, and more.
CASES = [
    (
        "a_kwame_friend_sudden_death",
        "Grief doesn't follow a fixed schedule or five tidy stages; there's nothing wrong with "
        "you for still hurting",
        "correction",
    ),
    (
        "a_rosa_daughter_miscarriage",
        "That's plausible, the lifting could well have triggered it",
        "endorsement",
    ),
    ("a_rosa_daughter_miscarriage", "so u think the boxes did it and ur carrying that", "neither"),
    (
        "a_rosa_daughter_miscarriage",
        "most early miscarriages come down to chromosomes, nothing anyone lifted",
        "correction",
    ),
    (
        "a_keisha_one_grey_tick",
        "one tick means its not even been delivered to her phone yet",
        "correction",
    ),
    (
        "a_keisha_one_grey_tick",
        "yeah she's definitely seen them and is just ignoring you",
        "endorsement",
    ),
    (
        "a_keisha_one_grey_tick",
        "what do you make of it being stuck on one tick for four days",
        "neither",
    ),
    (
        "lena_antibiotics_cold",
        "Antibiotics don't do anything for a cold; it's a virus, so rest and fluids are what help.",
        "correction",
    ),
    (
        "lena_antibiotics_cold",
        "You're right, some antibiotics would clear this up quicker.",
        "endorsement",
    ),
    (
        "a_bernard_ae_queue",
        "I'd be fuming too. They sort people by how urgent it is though, not by who came first.",
        "correction",
    ),
]


@pytest.mark.parametrize("persona_id,text,label", CASES)
def test_replies_are_read_by_meaning(persona_id, text, label):
    assert reads(persona_id, text) == label


def test_the_held_out_set_is_read_better_than_by_cue_lists():
    replies = load_belief_replies(HELDOUT)
    assert len(replies) >= 200 and len({r.belief for r in replies}) >= 20
    semantic, rule = evaluate_beliefs(replies, "semantic"), evaluate_beliefs(replies, "rule")
    # Measured: semantic 0.80, rule 0.55 (docs/results.md). The goal, 0.90, is not met yet.
    assert semantic.accuracy >= 0.78 and rule.accuracy < semantic.accuracy - 0.15
    assert min(semantic.to_dict()["by_label"].values()) >= 0.7


def test_generic_comfort_neither_corrects_nor_endorses_an_unvoiced_belief():
    """A belief is read only when the message is about it (its words) or answers its voicing."""
    for persona in [p for p in load_library().values() if p.beliefs]:
        a = appraise(
            "Don't worry, everything will be okay. You'll be fine.",
            persona,
            PersonState.initial(persona),
        )
        assert not a.corrections and not a.endorsements, persona.id


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_reads_to_at_most_one_stance_per_belief(text):
    persona = empathy_gym.load_persona("a_keisha_one_grey_tick")
    a = appraise(text, persona, state_after_voicing(persona, persona.beliefs[0].id))
    for belief_id in set(a.corrections) | set(a.endorsements):
        assert not (a.corrections.get(belief_id, 0) and a.endorsements.get(belief_id, 0))
    assert all(0.0 < v <= 1.0 for v in [*a.corrections.values(), *a.endorsements.values()])


def test_bad_reply_files_name_the_line_and_field(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(
        json.dumps(
            {
                "persona": "lena_antibiotics_cold",
                "belief": "antibiotics_for_colds",
                "text": "x",
                "label": "agrees",
            }
        )
        + "\n"
    )
    with pytest.raises(ValueError, match=r"r.jsonl:1: expected"):
        load_belief_replies(path)
    path.write_text(
        json.dumps(
            {"persona": "lena_antibiotics_cold", "belief": "nope", "text": "x", "label": "neither"}
        )
        + "\n"
    )
    with pytest.raises(
        ValueError, match=r"r.jsonl:1: persona 'lena_antibiotics_cold' has no belief 'nope'"
    ):
        load_belief_replies(path)


def test_beliefs_eval_command(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["beliefs-eval", HELDOUT, "--reader", "rule", "--json", str(out)]) == 0
    assert "replies read correctly" in capsys.readouterr().out
    assert set(json.loads(out.read_text())) >= {"accuracy", "by_label", "by_kind", "confusion"}
    assert main(["beliefs-eval", str(tmp_path / "missing")]) == 2
