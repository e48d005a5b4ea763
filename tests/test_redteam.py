"""The red team: fixed generic scripts must not out-earn listening (issue 9, point 7)."""

from __future__ import annotations

import json
import time

import pytest

from empathy_gym.agents.strategies import STRATEGY_NAMES
from empathy_gym.cli import main as cli_main
from empathy_gym.eval.redteam import (
    BaselineResult,
    SearchResult,
    TracePoint,
    baseline_returns,
    format_redteam,
    load_bank,
    parse_bank,
    redteam_verdict,
    score_script,
    search_scripts,
    search_strategies,
)

FEW = ["maria_lost_mother", "lena_antibiotics_cold"]
SMALL_BANK = [
    "You're hurt.",
    "It's okay to feel this.",
    "What would help?",
    "Tell me more.",
    "Mm.",
    "I hear you.",
]

# The guard's budget: a seeded, deterministic search sized to finish well inside 60 s on 2 cores.
GUARD_MAX_EVALS = 1000
GUARD_SEED = 0


def _key(result: SearchResult) -> dict:
    data = result.to_dict()
    data.pop("seconds")
    return data


# --- phrase banks ---------------------------------------------------------------------------------


def test_default_bank_is_generic_and_large_enough():
    phrases = load_bank()
    assert 30 <= len(phrases) <= 60
    assert "You're hurt." in phrases and "What would help?" in phrases and "Mm." in phrases
    assert not any(p.startswith("#") for p in phrases)
    assert len(set(phrases)) == len(phrases)


def test_bank_parsing_skips_comments_blanks_and_duplicates(tmp_path):
    path = tmp_path / "bank.txt"
    path.write_text(
        "# a comment\n\n  You're hurt.  \n   # indented comment\nTell me more.\n\nYou're hurt.\n"
    )
    assert load_bank(path) == ["You're hurt.", "Tell me more."]
    assert parse_bank("Mm.\r\nGo on.\r\n") == ["Mm.", "Go on."]


def test_empty_bank_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "empty_bank.txt"
    path.write_text("# only comments\n\n   \n")
    with pytest.raises(ValueError, match="empty_bank.txt"):
        load_bank(path)
    with pytest.raises(ValueError, match="empty"):
        search_scripts("genuine", FEW, bank=[], max_evals=1)


def test_missing_bank_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such_bank.txt"):
        load_bank(tmp_path / "no_such_bank.txt")


# --- search ---------------------------------------------------------------------------------------


def test_search_is_deterministic_for_a_seed_and_max_evals():
    a = search_scripts("genuine", FEW, bank=SMALL_BANK, max_evals=40, seed=3)
    b = search_scripts("genuine", FEW, bank=SMALL_BANK, max_evals=40, seed=3)
    assert _key(a) == _key(b)
    assert a.evals == 40 and a.stopped == "max_evals"
    c = search_scripts("genuine", FEW, bank=SMALL_BANK, max_evals=40, seed=4)
    assert [t.script for t in a.trace] != [t.script for t in c.trace]


def test_search_result_is_consistent_and_round_trips():
    r = search_scripts(
        "genuine", FEW, bank=SMALL_BANK, max_evals=30, seed=1, cycle_len=(2, 5), phrases_per_reply=1
    )
    assert 2 <= len(r.best_script) <= 5 and set(r.best_script) <= set(SMALL_BANK)
    assert r.best_return == pytest.approx(sum(r.per_persona.values()) / len(FEW))
    assert sorted(r.per_persona) == sorted(FEW)
    assert r.trace[-1].mean_return == r.best_return and r.trace[-1].script == r.best_script
    assert all(a.mean_return < b.mean_return for a, b in zip(r.trace, r.trace[1:]))
    assert r.best_return == pytest.approx(score_script(r.best_script, "genuine", FEW)[0])
    data = json.loads(json.dumps(r.to_dict()))
    assert SearchResult.from_dict(data) == r
    assert len(r.played) == r.max_turns


def test_replies_combine_distinct_phrases_from_the_bank():
    r = search_scripts("genuine", FEW, bank=SMALL_BANK, max_evals=30, seed=2, phrases_per_reply=2)
    for reply in r.best_script:
        used = [p for p in SMALL_BANK if p in reply]
        assert len(used) == 2 and reply == " ".join(sorted(used, key=reply.index))
    with pytest.raises(ValueError, match="phrases_per_reply"):
        search_scripts("genuine", FEW, bank=SMALL_BANK, max_evals=1, phrases_per_reply=(3, 1))


def test_search_improves_over_its_first_random_script():
    r = search_scripts("genuine", "starter", max_evals=150, seed=0)
    assert r.best_return > r.first_return
    assert len(r.trace) >= 2


def test_target_changes_the_score_and_nothing_is_cached_across_targets():
    script = ["You're hurt.", "It's okay to feel this.", "What would help?"]
    genuine = search_scripts("genuine", FEW, bank=script, cycle_len=3, max_evals=1, seed=0)
    comfort = search_scripts("comfort", FEW, bank=script, cycle_len=3, max_evals=1, seed=0)
    assert genuine.best_script == comfort.best_script
    assert genuine.best_return == pytest.approx(
        score_script(genuine.best_script, "genuine", FEW)[0]
    )
    assert comfort.best_return == pytest.approx(
        score_script(comfort.best_script, "comfort", FEW)[0]
    )
    assert genuine.target == "genuine" and comfort.target == "comfort"


def test_budget_stops_early_with_a_valid_result():
    start = time.perf_counter()
    r = search_scripts("genuine", "starter", budget_s=0.5, max_evals=10_000, seed=0)
    assert time.perf_counter() - start < 5
    assert r.stopped == "budget_s" and 1 <= r.evals < 10_000
    assert r.best_script and r.best_return == r.trace[-1].mean_return


def test_a_tiny_space_is_exhausted_not_looped_forever():
    r = search_scripts("genuine", FEW, bank=["Mm."], cycle_len=(1, 3), max_evals=100, seed=0)
    assert r.stopped == "exhausted" and r.evals == 1  # every cycle of "Mm." plays the same replies
    assert r.best_script == ["Mm."]  # reported as the shortest cycle that plays the same replies


def test_best_script_is_reported_as_its_shortest_equivalent_cycle():
    r = search_scripts("genuine", FEW, bank=SMALL_BANK, cycle_len=(10, 15), max_evals=5, seed=0)
    assert (
        len(r.best_script) == r.max_turns == 10
    )  # replies 11..15 of a longer cycle are never played
    assert r.best_return == pytest.approx(score_script(r.best_script, "genuine", FEW)[0])


def test_bad_arguments_are_errors():
    with pytest.raises(ValueError, match="cycle_len"):
        search_scripts("genuine", FEW, bank=SMALL_BANK, cycle_len=(5, 2), max_evals=1)
    with pytest.raises(ValueError, match="env_kwargs"):
        search_scripts(
            "genuine", FEW, bank=SMALL_BANK, max_evals=1, env_kwargs={"target": "comfort"}
        )
    with pytest.raises(ValueError, match="unknown strategies"):
        search_strategies("genuine", FEW, strategies=["hugging"], max_evals=1)


def test_strategy_search_finds_a_fixed_strategy_sequence():
    r = search_strategies("genuine", FEW, max_evals=40, seed=0)
    assert r.kind == "strategies" and r.evals == 40
    assert r.best_script and set(r.best_script) <= set(STRATEGY_NAMES)
    assert r.best_return >= r.first_return
    again = search_strategies("genuine", FEW, max_evals=40, seed=0)
    assert _key(again) == _key(r)


def test_strategy_search_passes_env_kwargs_to_the_dialogue_env():
    # a 1-character reply limit: the realised replies are longer, so the dialogue env refuses them
    with pytest.raises(ValueError, match="max_reply_chars"):
        search_strategies("genuine", FEW, max_evals=1, env_kwargs={"max_reply_chars": 1})


# --- baselines, format, verdict --------------------------------------------------------------------


def test_baselines_match_the_runner():
    from empathy_gym.personas.sets import resolve_personas
    from empathy_gym.rollout.episodes import evaluate

    base = baseline_returns("genuine", FEW, agents=("curious_empath", "Pacifier"))
    assert sorted(base) == ["curious_empath", "pacifier"]
    records = evaluate(["CuriousEmpath"], resolve_personas(FEW), [0], targets=["genuine"])
    expected = sum(r.returns["genuine"] for r in records) / len(records)
    assert base["curious_empath"].mean_return == pytest.approx(expected)
    with pytest.raises(ValueError, match="unknown agent"):
        baseline_returns("genuine", FEW, agents=("nobody",))


def _fake(best: float) -> SearchResult:
    return SearchResult(
        kind="phrases",
        target="genuine",
        best_script=["You're hurt.", "Mm."],
        best_return=best,
        per_persona={"a": best, "b": best},
        evals=7,
        seconds=0.1,
        trace=[TracePoint(1, best, ["You're hurt.", "Mm."])],
        personas=["a", "b"],
        seeds=[0],
    )


def test_format_shows_the_table_and_the_verdict():
    baselines = {
        "curious_empath": BaselineResult("curious_empath", 2.5, {"a": 2.0, "b": 3.0}),
        "pacifier": BaselineResult("pacifier", -1.0, {"a": -1.0, "b": -1.0}),
    }
    ok, line = redteam_verdict(_fake(1.0), baselines)
    assert ok and line.startswith("OK: no script out-earns curious_empath")
    text = format_redteam(_fake(1.0), baselines)
    assert "curious_empath" in text and "pacifier" in text and "You're hurt." in text
    assert text.splitlines()[-1].startswith("OK: no script out-earns curious_empath")
    bad = format_redteam([_fake(2.93)], baselines)
    assert bad.splitlines()[-1].startswith("FAIL: script ")
    assert "+2.930 > curious_empath +2.500" in bad.splitlines()[-1]
    assert '"You\'re hurt."' in bad.splitlines()[-1]


# --- command line ----------------------------------------------------------------------------------


def test_cli_missing_bank_is_exit_2_naming_the_file(tmp_path, capsys):
    missing = tmp_path / "nowhere_bank.txt"
    assert cli_main(["redteam", "--bank", str(missing), "--max-evals", "1"]) == 2
    assert "nowhere_bank.txt" in capsys.readouterr().err


def test_cli_bad_values_are_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    assert cli_main(["redteam", "--bank", str(empty)]) == 2
    assert "empty.txt" in capsys.readouterr().err
    assert cli_main(["redteam", "--target", "kindness"]) == 2
    assert "kindness" in capsys.readouterr().err
    assert cli_main(["redteam", "--personas", "no_such_person"]) == 2
    assert "no_such_person" in capsys.readouterr().err
    assert cli_main(["redteam", "--reader", "no_such_reader", "--max-evals", "1"]) == 2
    assert "no_such_reader" in capsys.readouterr().err
    assert cli_main(["redteam", "--max-evals", "0"]) == 2
    assert cli_main(["redteam", "--no-such-flag"]) == 2


def test_cli_exit_code_follows_the_verdict_and_writes_json(tmp_path, capsys):
    bank = tmp_path / "bank.txt"
    bank.write_text(
        "# one phrase: the only script is that phrase, every turn\n\nJust get over it.\n"
    )
    out = tmp_path / "sub" / "result.json"
    code = cli_main(
        [
            "redteam",
            "--personas",
            ",".join(FEW),
            "--bank",
            str(bank),
            "--max-evals",
            "3",
            "--strategies",
            "--output",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    data = json.loads(out.read_text())
    assert code == (0 if data["ok"] else 1)
    assert captured.out.strip().splitlines()[-1] == data["verdict"]
    assert [r["kind"] for r in data["results"]] == ["phrases", "strategies"]
    assert set(data["results"][0]["best_script"]) == {"Just get over it."}
    assert "curious_empath" in data["baselines"] and data["personas"] == FEW


# --- the guard ------------------------------------------------------------------------------------


def test_no_generic_script_out_earns_curious_empath():
    """Issue 9, point 7: a fixed cycle of generic phrases that never uses anything the person
    said must not earn more under `genuine` than CuriousEmpath, which listens."""
    start = time.perf_counter()
    result = search_scripts("genuine", "starter", max_evals=GUARD_MAX_EVALS, seed=GUARD_SEED)
    baselines = baseline_returns("genuine", "starter", agents=("curious_empath",))
    elapsed = time.perf_counter() - start
    print(format_redteam(result, baselines))
    print(f"guard: {result.evals} evals in {elapsed:.1f} s")
    curious = baselines["curious_empath"].mean_return
    assert result.best_return < curious, redteam_verdict(result, baselines)[1]


def test_shortest_equivalent_cycle():
    from empathy_gym.eval.redteam import _shortest_equivalent

    assert _shortest_equivalent((1, 2, 1, 2, 1, 2), 1, 15, 10) == (1, 2)
    assert _shortest_equivalent((1, 2, 1, 2, 1, 2), 3, 15, 10) == (
        1,
        2,
        1,
        2,
    )  # respects the minimum length
    assert _shortest_equivalent(tuple(range(15)), 3, 15, 10) == tuple(
        range(10)
    )  # 11..15 never played
    assert _shortest_equivalent(tuple(range(15)), 12, 15, 10) == tuple(
        range(15)
    )  # cannot go below 12
