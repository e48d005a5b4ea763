"""judge-eval: turn judgements are played on the first turn with the seed that opens with the line."""

import json

import pytest

from empathy_gym.cli import main
from empathy_gym.eval import judge
from empathy_gym.personas.loader import load_library

LENA = load_library()["lena_antibiotics_cold"]


def case(**fields) -> dict:
    base = {
        "id": "t-1",
        "persona": "lena_antibiotics_cold",
        "opening": LENA.opening[0],
        "kind": "engaged_vs_nonanswer",
        "a": "Three days of watching her and nobody giving her anything. What's scaring you most tonight?",
        "b": "ok",
        "better": "a",
        "difficulty": "plain",
        "register": "plain",
    }
    return {**base, **fields}


def write(tmp_path, rows) -> str:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_a_clear_case_is_won_and_both_replies_are_paid_from_the_same_opening():
    (result,) = judge.judge_cases([judge.JudgeCase.model_validate(case())])
    assert result.reward_a > result.reward_b
    assert result.score == 1.0
    flipped = judge.JudgeCase.model_validate(case(better="b"))
    assert judge.judge_cases([flipped])[0].score == 0.0


def test_the_seed_found_opens_with_the_case_line_for_every_opening():
    judge_ = judge.CaseJudge()
    for opening in LENA.opening:
        c = judge.JudgeCase.model_validate(case(opening=opening))
        seed = judge_.seed_for(c)
        env = judge_._env(c.persona)
        observation, _ = env.reset(seed=seed)
        assert observation["message"].startswith(opening)


def test_an_opening_the_persona_never_says_is_a_clear_error():
    c = judge.JudgeCase.model_validate(case(opening="Something Lena never says."))
    with pytest.raises(ValueError, match="no seed below"):
        judge.judge_cases([c])


def test_the_floor_counts_shared_long_words_with_the_opening():
    opening_words = " ".join(w for w in LENA.opening[0].split() if len(w) >= 4)
    c = judge.JudgeCase.model_validate(case(a=opening_words, b="ok"))
    assert judge.overlap_floor(c) == 1.0
    assert judge.overlap_floor(c.model_copy(update={"better": "b"})) == 0.0
    assert judge.overlap_floor(c.model_copy(update={"a": "ok"})) == 0.5


def test_the_split_by_persona_is_fixed_and_covers_every_case():
    ids = list(load_library())
    parts = [judge.part_of(p) for p in ids]
    assert set(parts) == {"study", "measure"}
    assert parts == [judge.part_of(p) for p in ids]  # stable: a hash, not a random draw
    cases = [judge.JudgeCase.model_validate(case(persona=p, id=p)) for p in ids[:10]]
    study, measure = judge.select_part(cases, "study"), judge.select_part(cases, "measure")
    assert len(study) + len(measure) == len(cases) and not set(study) & set(measure)


def test_a_bad_line_names_the_file_and_line(tmp_path):
    path = write(tmp_path, [case(), {"id": "x"}])
    with pytest.raises(ValueError, match=r"cases.jsonl:2"):
        judge.load_cases(path)


def test_cli_prints_accuracy_per_kind_and_the_misses(tmp_path, capsys):
    rows = [case(), case(id="t-2", better="b", kind="specific_vs_stock")]
    out_json = tmp_path / "summary.json"
    assert main(["judge-eval", write(tmp_path, rows), "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "accuracy 0.500" in out and "floor" in out
    assert "engaged_vs_nonanswer" in out and "specific_vs_stock" in out
    assert "misses (1)" in out and "t-2" in out
    summary = json.loads(out_json.read_text())["summary"]
    assert summary["cases"] == 2 and summary["per_kind"]["engaged_vs_nonanswer"][0] == 1.0


def test_cli_hides_misses_of_the_measure_part(tmp_path, capsys):
    persona = next(p for p in load_library() if judge.part_of(p) == "measure")
    opening = load_library()[persona].opening[0]
    path = write(tmp_path, [case(persona=persona, opening=opening, better="b")])
    assert main(["judge-eval", path, "--part", "measure"]) == 0
    assert "misses" not in capsys.readouterr().out


def test_cli_bad_file_is_exit_2(tmp_path, capsys):
    assert main(["judge-eval", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
