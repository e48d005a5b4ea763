"""The voice report measures what the person says back (issue: the person talks like a person)."""

import json

import pytest

pytest.importorskip("vaderSentiment", reason="the dev extra is not installed")

from empathy_gym.cli import main  # noqa: E402
from empathy_gym.eval.voice import measure  # noqa: E402
from empathy_gym.rollout.records import EpisodeRecord, TurnRecord  # noqa: E402


def record(persona, opening, turns):
    """turns: (person's reply, open question asked?, expressed, distress[, trust])"""
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
                agent="...",
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


def test_repeats_new_content_and_sentiment_are_measured_on_replies_we_wrote():
    records = [
        record(
            "p",
            "My mum died last month.",
            [
                ("I feel awful. Everything is terrible.", True, 0.1, 0.9),
                (
                    "my mum died last month.",
                    False,
                    0.2,
                    0.8,
                ),  # the opening again, in other case: a repeat
                ("She taught me to bake bread on Sundays, and I keep the recipes.", True, 0.5, 0.5),
                ("Thanks, that actually helps. I feel a bit lighter, happy even.", False, 0.9, 0.2),
                (
                    "I'd rather not.",
                    True,
                    0.6,
                    0.3,
                    0.1,
                ),  # asked while trust is too low: a deflection, not counted
            ],
        ),
    ]
    report = measure(records)
    assert report.replies == 5 and report.repeat_rate == pytest.approx(0.2)
    assert report.open_questions == 2 and report.new_content_after_open_question == pytest.approx(
        1.0
    )
    assert report.guarded_questions == 1
    assert (
        report.sentiment_vs_shown > 0.5
    )  # the happier the words, the higher the shown affect here
    assert 0.0 < report.distinct_2 <= 1.0


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
    assert "repeat rate" in capsys.readouterr().out
    assert set(json.loads(out.read_text())) >= {"repeat_rate", "distinct_2", "sentiment_vs_shown"}
