"""`empathy-gym validate` (issue 9): ESConv loader, persona_from_situation, replay, stats, the report, the CLI.

The fixture dialogues below are written for these tests (no text from any corpus).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empathy_gym.cli import main
from empathy_gym.eval import stats
from empathy_gym.eval.esconv import STRATEGIES, ESConvError, load_dialogues
from empathy_gym.eval.validate import (
    ValidationReport,
    format_report,
    predict_strategy,
    reader_kwargs,
    validate,
)
from empathy_gym.personas.from_situation import (
    EMOTION_TYPES,
    card_situation,
    distress_from_intensity,
    persona_from_situation,
)
from empathy_gym.personas.schema import Persona
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.person import Simulator
from empathy_gym.simulator.readers import get_reader
from empathy_gym.simulator.replay import ReplayStep, replay, replay_many
from empathy_gym.simulator.state import PersonState
from empathy_gym.text import lexicon as lx


def _seeker(text, rating=None):
    turn = {"speaker": "seeker", "text": text}
    if rating is not None:
        turn["rating"] = rating
    return turn


def _supporter(strategy, text):
    return {"speaker": "supporter", "text": text, "strategy": strategy}


def _dialogue(id_, split, emotion, problem, situation, initial, final, turns):
    return {
        "id": id_,
        "split": split,
        "emotion_type": emotion,
        "problem_type": problem,
        "situation": situation,
        "initial_intensity": initial,
        "final_intensity": final,
        "empathy": 4,
        "relevance": 4,
        "turns": turns,
    }


FIXTURE = [
    _dialogue(
        "valid-0",
        "valid",
        "anxiety",
        "job crisis",
        "I was laid off two weeks ago and I panic about paying the rent.",
        4,
        2,
        [
            _seeker("I was laid off and I can't sleep for worrying about the rent."),
            _supporter("Question", "What has been weighing on you the most since it happened?"),
            _supporter(
                "Reflection of feelings",
                "It sounds like you're really scared about money and the future.",
            ),
            _seeker("Yes, I'm terrified I'll lose the flat.", rating=5),
            _supporter(
                "Affirmation and Reassurance",
                "That makes complete sense, anyone would feel that way. You will get through this.",
            ),
            _supporter(
                "Providing Suggestions",
                "Maybe you could try talking to your landlord about a payment plan.",
            ),
            _seeker("I hadn't thought of that.", rating=4),
            _supporter(
                "Information", "Many cities run rent assistance programs for people between jobs."
            ),
            _seeker("Okay, I will look it up.", rating=3),
        ],
    ),
    _dialogue(
        "valid-1",
        "valid",
        "sadness",
        "breakup with partner",
        "My girlfriend ended things after three years.",
        5,
        5,
        [
            _seeker("She left last week and the flat feels so empty."),
            _supporter("Others", "Hello there."),
            _supporter(
                "Self-disclosure",
                "I went through a breakup last year and I remember how hard it was.",
            ),
            _seeker("It is hard.", rating=2),
            _supporter(
                "Restatement or Paraphrasing",
                "So she ended things after three years together, last week.",
            ),
            _supporter(
                "Providing Suggestions",
                "You should just go out and meet new people, stop thinking about it.",
            ),
            _seeker("That is not what I need right now.", rating=1),
        ],
    ),
    _dialogue(
        "valid-2",
        "valid",
        "depression",
        "ongoing depression",
        "Everything feels grey and pointless lately.",
        3,
        2,
        [
            _supporter("Question", "Hi, how are you feeling today?"),
            _seeker("Low. Nothing seems worth doing any more."),
            _supporter(
                "Reflection of feelings",
                "You sound exhausted and hopeless, like it's all too heavy.",
            ),
            _seeker("That is exactly it.", rating=4),
            _supporter("Question", "When did you last do something just for yourself?"),
            _supporter(
                "Affirmation and Reassurance",
                "Reaching out today took courage, and I'm glad you did.",
            ),
            _seeker("Thanks, it helps a bit.", rating=5),
        ],
    ),
    _dialogue(
        "valid-3",
        "valid",
        "anger",
        "problems with friends",
        "My best friend told everyone a secret I trusted him with.",
        4,
        4,
        [
            _seeker("I told him something private and now the whole class knows."),
            _supporter("Others", "Okay."),
            _supporter("Information", "Research shows that gossip is common among teenagers."),
            _seeker("Right.", rating=2),
            _supporter(
                "Reflection of feelings",
                "You must feel so angry and betrayed by someone you trusted.",
            ),
            _supporter("Question", "What would you want him to understand?"),
            _seeker("That it really hurt me.", rating=4),
        ],
    ),
    _dialogue(
        "train-0",
        "train",
        "fear",
        "academic pressure",
        "My finals are in a week and I am scared I will fail.",
        5,
        2,
        [
            _seeker("I have finals next week and I'm freaking out."),
            _supporter("Question", "What worries you most about the exams?"),
            _seeker("Failing and disappointing my parents."),
            _supporter(
                "Reflection of feelings",
                "It sounds like you're afraid of letting your parents down.",
            ),
            _supporter(
                "Providing Suggestions", "Maybe try making a short study plan for each day."
            ),
        ],
    ),
    _dialogue(
        "valid-4",
        "valid",
        "shame",
        "Sleep Problems",
        "Cannot sleep.",
        3,
        None,
        [
            _seeker("I lie awake every night and feel stupid for it."),
            _supporter(
                "Affirmation and Reassurance",
                "It's not stupid at all, lots of people struggle with sleep.",
            ),
            _seeker("Really?", rating=4),
        ],
    ),
]


@pytest.fixture()
def esconv_file(tmp_path):
    path = tmp_path / "dialogues.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in FIXTURE) + "\n")
    return path


def _write(tmp_path, dialogues, name="bad.jsonl"):
    path = tmp_path / name
    path.write_text(
        "\n".join(json.dumps(d) if not isinstance(d, str) else d for d in dialogues) + "\n"
    )
    return path


# --- the loader -------------------------------------------------------------------


def test_loader_reads_every_dialogue_and_filters(esconv_file):
    dialogues = load_dialogues(esconv_file)
    assert [d.id for d in dialogues] == [d["id"] for d in FIXTURE]
    assert len(load_dialogues(esconv_file, split="valid")) == 5
    assert [d.id for d in load_dialogues(esconv_file, split="train")] == ["train-0"]
    assert len(load_dialogues(esconv_file, split="all", limit=2)) == 2
    first = dialogues[0]
    assert first.turns[3].rating == 5 and first.turns[1].strategy == "Question"
    assert first.relief == 2 and dialogues[5].relief is None
    assert len(first.supporter_turns) == 5


@pytest.mark.parametrize(
    "mutate, field, expected",
    [
        (
            lambda d: d["turns"][0].update(speaker="helper"),
            "turns.0.speaker",
            "'seeker' or 'supporter'",
        ),
        (lambda d: d.pop("situation"), "situation", "missing"),
        (lambda d: d.update(initial_intensity="4"), "initial_intensity", "valid integer"),
        (lambda d: d.update(final_intensity=7), "final_intensity", "less than or equal to 5"),
        (lambda d: d["turns"][1].update(strategy="Hug"), "turns.1.strategy", "Question"),
        (lambda d: d["turns"][1].pop("strategy"), "turns.1.strategy", "needs a strategy"),
        (
            lambda d: d["turns"][0].update(strategy="Question"),
            "turns.0.strategy",
            "only supporter turns",
        ),
        (lambda d: d.update(colour="red"), "colour", "unknown field"),
        (lambda d: d.update(split=""), "split", "at least 1 character"),
    ],
)
def test_loader_bad_line_names_file_line_and_field(tmp_path, mutate, field, expected):
    bad = json.loads(json.dumps(FIXTURE[0]))
    mutate(bad)
    path = _write(tmp_path, [FIXTURE[1], bad])
    with pytest.raises(ESConvError) as info:
        load_dialogues(path)
    message = str(info.value)
    assert f"{path}:2:" in message
    assert field in message and expected in message


def test_loader_bad_json_missing_file_and_duplicates(tmp_path):
    path = _write(tmp_path, [FIXTURE[0], "{not json"])
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: not valid JSON"):
        load_dialogues(path)
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_dialogues(tmp_path / "absent.jsonl")
    dup = _write(tmp_path, [FIXTURE[0], FIXTURE[0]], "dup.jsonl")
    with pytest.raises(ESConvError, match=r"dup\.jsonl:2: id: 'valid-0' already used on line 1"):
        load_dialogues(dup)


def _with_split(dialogue, split, id_):
    return {**json.loads(json.dumps(dialogue)), "split": split, "id": id_}


def test_loader_reads_any_split_name_the_file_holds(tmp_path):
    path = _write(
        tmp_path,
        [FIXTURE[0], _with_split(FIXTURE[1], "test", "t-0"), _with_split(FIXTURE[2], "dev", "d-0")],
        "splits.jsonl",
    )
    assert [d.id for d in load_dialogues(path, split="test")] == ["t-0"]
    assert [d.id for d in load_dialogues(path, split="dev")] == ["d-0"]
    assert len(load_dialogues(path, split="all")) == 3


def test_loader_names_the_splits_a_file_holds_when_asked_for_an_absent_one(esconv_file):
    with pytest.raises(ValueError) as info:
        load_dialogues(esconv_file, split="test")
    message = str(info.value)
    assert "split 'test'" in message and str(esconv_file) in message
    assert "'train', 'valid'" in message
    assert load_dialogues(esconv_file, split="test", limit=0) == []


# --- persona_from_situation ---------------------------------------------------------


@pytest.mark.parametrize("emotion_type", sorted(EMOTION_TYPES))
def test_persona_from_situation_every_emotion_type(emotion_type):
    persona = persona_from_situation(
        "My exams start tomorrow and I have not slept.",
        emotion_type=emotion_type,
        problem_type="academic pressure",
        intensity=4,
    )
    assert isinstance(persona, Persona)
    assert 1 <= len(persona.emotions) <= 2
    for emotion in persona.emotions:
        assert emotion.fitting and lx.family_of(emotion.name) is not None, emotion.name
    assert persona.initial_distress == pytest.approx(0.75)
    assert persona.opening == ["My exams start tomorrow and I have not slept."]
    assert persona.values and not persona.concerns and not persona.beliefs
    Persona.model_validate(persona.model_dump())  # round-trips through the schema


@pytest.mark.parametrize("emotion_type", [None, "boredom", ""])
def test_persona_from_situation_unknown_emotion_is_generic_distress(emotion_type):
    persona = persona_from_situation("Something happened at work today.", emotion_type=emotion_type)
    (emotion,) = persona.emotions
    assert emotion.name == "distress" and emotion.fitting
    assert {lx.family_of(w) for w in emotion.words} - {None}, (
        "distress needs words the lexicon knows"
    )
    assert persona.initial_distress == 0.7 and persona.values == ["feeling better"]


def test_persona_from_situation_fits_card_limits_and_rejects_bad_input():
    short = persona_from_situation("Sad.", emotion_type="sadness")
    assert 10 <= len(short.card.situation) and short.card.situation.startswith("Sad.")
    long = persona_from_situation("word " * 400, persona_id="long-one", initial_distress=0.2)
    assert (
        len(long.card.situation) <= 800 and long.id == "long-one" and long.initial_distress == 0.2
    )
    assert card_situation("a  b\n c" * 2).count("  ") == 0
    assert [distress_from_intensity(i) for i in range(1, 6)] == pytest.approx(
        [0.15, 0.35, 0.55, 0.75, 0.95]
    )
    for kwargs, field in [
        ({"situation": ""}, "situation"),
        ({"situation": "   \n"}, "situation"),
        ({"situation": "I am fine really.", "persona_id": "Not A Slug"}, "persona_id"),
        ({"situation": "I am fine really.", "initial_distress": 1.5}, "initial_distress"),
        ({"situation": "I am fine really.", "intensity": 6}, "intensity"),
        (
            {"situation": "I am fine really.", "intensity": 3, "initial_distress": 0.5},
            "initial_distress",
        ),
    ]:
        situation = kwargs.pop("situation")
        with pytest.raises(ValueError, match=field):
            persona_from_situation(situation, **kwargs)


# --- replay ---------------------------------------------------------------------------


@pytest.fixture()
def griever():
    return persona_from_situation(
        "My dog died yesterday and the house feels empty.",
        emotion_type="sadness",
        problem_type="loss",
        intensity=4,
    )


def test_replay_reflection_and_question_raise_understood(griever):
    start = PersonState.initial(griever).understood
    steps = replay(
        griever,
        [
            ("seeker", "My dog died yesterday and I miss him so much."),
            ("supporter", "It sounds like you're heartbroken about losing him. What was he like?"),
        ],
    )
    (step,) = steps
    assert isinstance(step, ReplayStep) and step.index == 1
    assert step.appraisal.question >= 0.5 and step.appraisal.reflection >= 0.5
    assert step.understood_after > start
    assert step.score_after == pytest.approx(step.score_before + step.score_change)
    assert step.distress_before == pytest.approx(griever.initial_distress)


def test_replay_seeker_words_are_heard(griever):
    said = "My dog Biscuit died yesterday morning in the garden."
    echo = "Biscuit died yesterday morning in the garden."
    heard = replay(griever, [("seeker", said), ("supporter", echo)])
    unheard = replay(griever, [("supporter", echo)])
    assert heard[0].appraisal.parroting > 0.0  # compared with the seeker's own words
    assert unheard[0].appraisal.parroting == 0.0


def test_replay_steps_follow_supporter_turns_and_discard_simulated_replies(griever):
    turns = [
        {"speaker": "supporter", "text": "Hi, what brings you here today?"},
        {"speaker": "seeker", "text": "My dog died."},
        {"speaker": "supporter", "text": "I'm so sorry. That must be painful."},
        {"speaker": "supporter", "text": "What was your favourite thing about him?"},
        {"speaker": "seeker", "text": "His walks."},
    ]
    steps = replay(griever, turns, seed=3)
    assert [s.index for s in steps] == [0, 2, 3]
    assert replay(griever, turns, seed=3) == steps  # deterministic
    with pytest.raises(ValueError, match=r"turns\[0\]\.speaker"):
        replay(griever, [("helper", "hi")])


def test_replay_reads_with_the_chosen_reader_and_hears_the_seeker(griever):
    class Counting:
        name = "counting"

        def __init__(self):
            self.texts = []

        def read(self, requests):
            self.texts += [r.text for r in requests]
            return get_reader("rule").read(requests)

    reader = Counting()
    steps = replay(
        griever,
        [("seeker", "The garden is empty without him."), ("supporter", "How are you?")],
        sim_kwargs={"reader": reader},
    )
    assert reader.texts == ["How are you?"] and len(steps) == 1
    sim = Simulator(griever, np.random.default_rng(0))
    sim.hear("The garden is empty without him.")
    assert (
        lx.stem("garden") in sim.state.last_person_stems
        and lx.stem("garden") in sim.state.heard_stems
    )


# --- stats ------------------------------------------------------------------------------


def test_rankdata_and_spearman_known_values():
    assert stats.rankdata([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    assert stats.rankdata([3, 3, 3]).tolist() == [2.0, 2.0, 2.0]
    assert stats.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert stats.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ties: ranks x = [1, 2.5, 2.5, 4], y = [1, 2, 3, 4] -> 4.5 / sqrt(4.5 * 5)
    assert stats.spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(4.5 / math.sqrt(22.5))
    assert stats.spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(1 - 6 * 4 / (5 * 24))
    assert math.isnan(stats.spearman([1, 1, 1], [1, 2, 3]))
    assert math.isnan(stats.spearman([1], [2]))


def test_spearman_matches_scipy_with_ties():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 4, 40), rng.integers(1, 6, 40)
    assert stats.spearman(x, y) == pytest.approx(scipy_stats.spearmanr(x, y).statistic)


def test_auc_known_values():
    assert stats.auc([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 0]) == 1.0
    assert stats.auc([0.9, 0.8, 0.7, 0.6], [0, 0, 1, 1]) == 0.0
    assert stats.auc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]) == pytest.approx(0.75)
    assert stats.auc([1, 1, 1, 0], [1, 0, 0, 0]) == pytest.approx(
        (2 * 0.5 + 1) / 3
    )  # ties count 1/2
    assert math.isnan(stats.auc([1, 2], [1, 1]))


def test_f1_confusion_and_macro_f1_by_hand():
    truth = ["A", "A", "B", "B", "C"]
    pred = ["A", "B", "B", "B", "A"]
    # A: tp 1, fp 1, fn 1 -> 0.5; B: tp 2, fp 1, fn 0 -> 0.8; C: tp 0 -> 0.0
    assert stats.f1_scores(truth, pred) == pytest.approx({"A": 0.5, "B": 0.8, "C": 0.0})
    assert stats.macro_f1(truth, pred) == pytest.approx(1.3 / 3)
    assert stats.macro_f1(truth, pred, labels=["A", "B", "C", "D"]) == pytest.approx(1.3 / 4)
    assert stats.confusion_matrix(truth, pred, ["A", "B", "C"]).tolist() == [
        [1, 1, 0],
        [0, 2, 0],
        [1, 0, 0],
    ]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-5, 5), st.floats(-10, 10, allow_nan=False)), min_size=2, max_size=30
    )
)
def test_spearman_is_bounded_and_symmetric(pairs):
    x, y = [p[0] for p in pairs], [p[1] for p in pairs]
    rho = stats.spearman(x, y)
    other = stats.spearman(y, x)
    if math.isnan(rho):
        assert math.isnan(other)
    else:
        assert -1.0 <= rho <= 1.0
        assert rho == pytest.approx(other)
        assert stats.spearman(x, [-v for v in y]) == pytest.approx(-rho, abs=1e-12)


# --- validate ---------------------------------------------------------------------------


def test_predict_strategy_mapping():
    assert predict_strategy(Appraisal()) == "Others"
    assert predict_strategy(Appraisal(question=1.0, reflection=0.6)) == "Question"
    assert (
        predict_strategy(Appraisal(reflection=0.8, emotions_named=["sadness"]))
        == "Reflection of feelings"
    )
    assert (
        predict_strategy(Appraisal(reflection=0.8, wrong_feelings=["anger"]))
        == "Reflection of feelings"
    )
    assert predict_strategy(Appraisal(reflection=0.8)) == "Restatement or Paraphrasing"
    assert predict_strategy(Appraisal(reassurance=0.8, advice=0.7)) == "Affirmation and Reassurance"
    assert predict_strategy(Appraisal(advice=0.85, validation=0.8)) == "Providing Suggestions"
    assert predict_strategy(Appraisal(self_disclosure=0.7)) == "Self-disclosure"
    assert predict_strategy(Appraisal(information=0.5)) == "Information"
    assert predict_strategy(Appraisal(information=0.49, question=0.4)) == "Others"


def test_validate_fixture_reports_every_measure_with_floors(esconv_file):
    report = validate(load_dialogues(esconv_file), reader_name="rule")
    assert isinstance(report, ValidationReport)
    assert report.dialogues == 6 and report.supporter_turns == 21 and report.rated_turns == 10
    expected_floors = {
        "strategy_macro_f1": {"'?' rule", "majority (Question)"},
        "rating_spearman": {"turn index", "mean words", "'?' share"},
        "rating_spearman_within": {"turn index", "mean words", "'?' share"},
        "rating_level_partial_spearman": {"turn index", "mean words", "'?' share"},
        "relief_spearman": {"supporter turns", "mean words", "'?' share", "initial intensity"},
        "success_auc": {"mean words", "supporter turns", "initial intensity"},
        "large_relief_auc": {"mean words", "supporter turns", "initial intensity"},
    }
    assert set(report.measures) == set(expected_floors)
    for name, floors in expected_floors.items():
        measure = report.measures[name]
        assert math.isfinite(measure.value), name
        assert set(measure.floors) == floors, name
        assert all(math.isfinite(v) for v in measure.floors.values()), (name, measure.floors)
    assert -1 <= report.measures["rating_spearman"].value <= 1
    assert 0 <= report.measures["success_auc"].value <= 1
    assert report.measures["rating_spearman_within"].n == 9  # every rated dialogue but one has >= 2
    assert report.measures["relief_spearman"].n == 5
    assert sum(map(sum, report.confusion)) == 21 and report.labels == list(STRATEGIES)
    assert set(report.strategy_f1) == set(STRATEGIES)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["measures"]["success_auc"]["floors"]["mean words"] is not None
    text = format_report(report)
    assert (
        "measure" in text
        and "floors" in text
        and "rating_spearman_within" in text
        and "majority" in text
    )


def test_validate_marks_undefined_auc(esconv_file):
    only_success = [d for d in load_dialogues(esconv_file) if d.relief is not None and d.relief > 0]
    report = validate(only_success)
    auc_measure = report.measures["success_auc"]
    assert math.isnan(auc_measure.value) and "undefined" in auc_measure.note
    assert report.to_dict()["measures"]["success_auc"]["value"] is None
    assert "n/a" in format_report(report)


def test_reader_kwargs():
    assert reader_kwargs("rule") == {"reader": "rule"}
    assert reader_kwargs("semantic") == {"reader": "semantic"}
    with pytest.raises(ValueError, match="unknown reader 'nope'"):
        reader_kwargs("nope")


# --- the CLI ----------------------------------------------------------------------------


def test_cli_validate_writes_json(esconv_file, tmp_path, capsys):
    out = tmp_path / "out" / "report.json"
    assert (
        main(
            [
                "validate",
                "--data",
                str(esconv_file),
                "--split",
                "valid",
                "--reader",
                "rule",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "strategy_macro_f1" in printed and "relief_spearman" in printed
    data = json.loads(out.read_text())
    assert data["reader"] == "rule" and data["dialogues"] == 5
    assert set(data["measures"]) >= {"strategy_macro_f1", "rating_spearman", "success_auc"}


def test_cli_validate_takes_any_split_the_file_holds(tmp_path, esconv_file, capsys):
    path = _write(
        tmp_path,
        [_with_split(FIXTURE[0], "test", "t-0"), _with_split(FIXTURE[1], "test", "t-1")],
        "test_split.jsonl",
    )
    out = tmp_path / "test_report.json"
    argv = ["validate", "--data", str(path), "--split", "test", "--reader", "rule"]
    assert main([*argv, "--output", str(out)]) == 0
    assert json.loads(out.read_text())["dialogues"] == 2
    capsys.readouterr()
    assert main(["validate", "--data", str(esconv_file), "--split", "test"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("empathy-gym validate: split 'test'") and "'train', 'valid'" in err


def test_cli_validate_errors_return_2(tmp_path, capsys):
    assert main(["validate", "--data", str(tmp_path / "absent.jsonl")]) == 2
    assert capsys.readouterr().err.startswith("empathy-gym validate: no such file")
    bad = _write(tmp_path, [FIXTURE[0], "[1, 2]"])
    assert main(["validate", "--data", str(bad)]) == 2
    assert f"{bad}:2: expected a JSON object" in capsys.readouterr().err
    assert main(["validate", "--data", str(bad), "--reader", "nope"]) == 2
    assert "unknown reader" in capsys.readouterr().err


# --- every reader, and the fit path -----------------------------------------------------------


@pytest.mark.parametrize("name", ["rule", "semantic", "llm"])
def test_validate_runs_every_reader(esconv_file, name):
    kwargs = reader_kwargs(name, "scripted") if name == "llm" else reader_kwargs(name)
    report = validate(load_dialogues(esconv_file), sim_kwargs=kwargs, reader_name=name)
    assert report.reader == name and report.supporter_turns == 21
    for measure in ("strategy_macro_f1", "rating_spearman", "relief_spearman"):
        assert math.isfinite(report.measures[measure].value), measure
    if name == "llm":
        reader = kwargs["reader"]
        meter = reader.backend.meter
        longest = max(
            sum(t.speaker == "supporter" for t in d.turns) for d in load_dialogues(esconv_file)
        )
        assert reader.name == "llm" and meter.requests >= 21  # the LLM read every supporter turn
        assert meter.calls == longest  # in lockstep: one batched call per round, not one per turn


def test_reader_kwargs_llm_needs_a_backend():
    with pytest.raises(ValueError, match="--backend"):
        reader_kwargs("llm")


def test_cli_fit_reader_writes_a_head_that_validate_uses(esconv_file, tmp_path, capsys):
    head = tmp_path / "my_head.npz"
    assert (
        main(
            [
                "fit-reader",
                "--data",
                str(esconv_file),
                "--output",
                str(head),
                "--fit-split",
                "train",
                "--measure-split",
                "valid",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert head.is_file() and "fitted" in printed and "strategy macro-F1 on 'valid'" in printed
    out = tmp_path / "fitted.json"
    assert (
        main(
            [
                "validate",
                "--data",
                str(esconv_file),
                "--reader",
                "semantic",
                "--head",
                str(head),
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert json.loads(out.read_text())["dialogues"] == 6
    assert (
        main(["validate", "--data", str(esconv_file), "--reader", "rule", "--head", str(head)]) == 2
    )
    assert (
        main(
            ["fit-reader", "--data", str(esconv_file), "--output", str(head), "--fit-split", "nope"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "split 'nope'" in err and "the splits it holds: 'train', 'valid'" in err
    assert (
        main(
            [
                "fit-reader",
                "--data",
                str(esconv_file),
                "--output",
                str(tmp_path / "never.npz"),
                "--measure-split",
                "x",
            ]
        )
        == 2
    )
    assert "split 'x'" in capsys.readouterr().err
    assert not (tmp_path / "never.npz").exists()  # checked before the fitting, not after


def test_cli_fit_reader_shows_progress_on_stderr(esconv_file, tmp_path, capsys):
    head = tmp_path / "head.npz"
    argv = ["fit-reader", "--data", str(esconv_file), "--output", str(head)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    for phase in ("reading turns", "fitting the act head", "calibrating thresholds"):
        assert phase in captured.err, phase
    assert "400/400" in captured.err  # every epoch of the fit counted
    assert "fitting the act head" not in captured.out
    assert main([*argv, "--no-progress"]) == 0
    assert "fitting the act head" not in capsys.readouterr().err


def test_replay_many_equals_replaying_each_alone(griever):
    conversations = [
        (
            griever,
            [
                ("seeker", "He died in March."),
                ("supporter", "I'm so sorry. What was he like?"),
                ("seeker", "Kind. Stubborn."),
                ("supporter", "Kind and stubborn, and you miss both."),
            ],
        ),
        (griever, [("supporter", "Hello, how are you today?")]),
        (
            griever,
            [
                ("seeker", "I can't sleep."),
                ("supporter", "ok"),
                ("supporter", "Nights sound hard."),
            ],
        ),
    ]
    together = replay_many(conversations)
    assert together == [replay(p, turns) for p, turns in conversations]
    assert [len(steps) for steps in together] == [2, 1, 2]
