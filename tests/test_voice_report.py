"""The voice report measures what the person says back (issue: the person talks like a person)."""

import json

import pytest

pytest.importorskip("vaderSentiment", reason="the dev extra is not installed")

import empathy_gym  # noqa: E402
from empathy_gym.cli import main  # noqa: E402
from empathy_gym.eval.voice import measure  # noqa: E402
from empathy_gym.personas.loader import PersonaError  # noqa: E402
from empathy_gym.rollout.records import EpisodeRecord, TurnRecord  # noqa: E402


def record(persona, opening, turns):
    """turns: (person's reply, open question asked?, expressed, distress[, trust[, agent's text]])"""
    return EpisodeRecord(
        episode_id=f"a/{persona}/0",
        agent="a",
        persona_id=persona,
        category="c",
        seed=0,
        target="genuine",
        opening=opening,
        initial_state={},
        turns=[
            TurnRecord(
                turn=i + 1,
                agent=rest[1] if len(rest) > 1 else "...",
                person=text,
                reward=0.0,
                reward_components={},
                appraisal={"question": 1.0 if asked else 0.0},
                hidden_state={
                    "expressed": shown,
                    "distress": distress,
                    "trust": rest[0] if rest else 0.5,
                },
            )
            for i, (text, asked, shown, distress, *rest) in enumerate(turns)
        ],
    )


MARIA = "maria_lost_mother"  # a library persona: the recital measure reads its fields


def test_repeats_new_content_and_sentiment_are_measured_on_replies_we_wrote():
    records = [
        record(
            MARIA,
            "My mum died last month. Nobody gets it.",
            [
                ("I feel awful. Everything is terrible.", True, 0.1, 0.9),
                # a sentence of the opening again, in other case: one repeat of nine sentences
                ("Thanks. my mum died last month! I keep forgetting.", False, 0.2, 0.8),
                ("She taught me to bake bread on Sundays, and I keep the recipes.", True, 0.5, 0.5),
                ("Thanks, that actually helps. I feel a bit lighter, happy even.", False, 0.9, 0.2),
                # asked while trust is too low: a deflection, not counted
                ("I'd rather not.", True, 0.6, 0.3, 0.1),
            ],
        ),
    ]
    report = measure(records)
    assert report.replies == 5 and report.sentences == 9
    assert report.sentence_repeat_rate == pytest.approx(1 / 9) and report.repeats_within_reply == 0
    assert report.recited_fields == 0 and report.recited_share == 0.0
    assert report.open_questions == 2 and report.new_content_after_open_question == pytest.approx(
        1.0
    )
    assert report.guarded_questions == 1
    assert (
        report.sentiment_vs_shown > 0.5
    )  # the happier the words, the higher the shown affect here
    assert 0.0 < report.distinct_2 <= 1.0


def test_repeats_are_counted_by_sentence_inside_one_reply_too():
    # Whole replies never repeat here: the old reply-level measure read 0% on these.
    replies = [
        ("I'm tired. It's a lot. I'm tired!", False, 0.3, 0.7),
        ("It's a lot, honestly. Work was fine.", False, 0.3, 0.7),
        ("Work was fine. Nobody asked.", False, 0.3, 0.7),
    ]
    report = measure([record(MARIA, "Hi.", replies)])
    assert report.sentences == 7 and report.repeats_within_reply == 1
    assert report.sentence_repeat_rate == pytest.approx(2 / 7)  # "I'm tired", "Work was fine"


def test_recited_fields_counts_replies_that_copy_a_field_the_agent_did_not_say():
    situation = empathy_gym.load_persona(MARIA).card.situation
    replies = [
        (f"Well. {situation}", False, 0.3, 0.7),  # the card, word for word: a recital
        (f"Well. {situation}", False, 0.3, 0.7, 0.5, situation),  # the agent said it: an echo
        ("My mom died five weeks ago.", False, 0.3, 0.7),
    ]
    report = measure([record(MARIA, "Hi.", replies)])
    assert report.recited_fields == 1 and report.recited_share == pytest.approx(1 / 3)


def test_an_unknown_persona_is_a_clear_error():
    with pytest.raises(PersonaError, match="no_such_person"):
        measure([record("no_such_person", "Hi.", [("Hello.", False, 0.5, 0.5)])])


def test_voice_report_command(tmp_path, capsys):
    out = tmp_path / "voice.json"
    assert (
        main(
            [
                "voice-report",
                "--seeds",
                "1",
                "--agents",
                "CuriousEmpath",
                "--max-turns",
                "3",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "said twice in an episode" in printed and "reciting a persona field" in printed
    assert set(json.loads(out.read_text())) >= {
        "sentences",
        "sentence_repeat_rate",
        "repeats_within_reply",
        "recited_fields",
        "recited_share",
        "distinct_2",
        "sentiment_vs_shown",
    }
