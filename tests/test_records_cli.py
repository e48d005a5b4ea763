"""Episode records are whole or absent; the CLI runs the main job with Hydra overrides."""

import json

import pytest

from empathy_gym.cli import main
from empathy_gym.rollout.records import EpisodeRecord, RecordWriter, read_records


def _record(i):
    return EpisodeRecord(
        episode_id=f"e{i}", agent="a", persona_id="p", category="c", seed=i, target="genuine",
        opening="hi", initial_state={"score": 40.0},
    )


def test_writer_repairs_a_half_written_tail(tmp_path):
    path = tmp_path / "episodes.jsonl"
    with RecordWriter(path) as writer:
        writer.write(_record(0))
        writer.write(_record(1))
    with path.open("ab") as handle:  # a crash in the middle of a line
        handle.write(b'{"episode_id": "e2", "agent"')
    assert [r.episode_id for r in read_records(path)] == ["e0", "e1"]
    with RecordWriter(path) as writer:
        writer.write(_record(3))
    assert [r.episode_id for r in read_records(path)] == ["e0", "e1", "e3"]
    assert path.read_text().count("\n") == 3


def test_corrupt_record_names_file_and_line(tmp_path):
    path = tmp_path / "episodes.jsonl"
    path.write_text(json.dumps(_record(0).model_dump()) + "\n" + '{"nope": 1}\n')
    with pytest.raises(ValueError, match=r"episodes.jsonl:2: not a valid episode record"):
        list(read_records(path))


def test_cli_evaluate_with_overrides(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["evaluate", "target=comfort", "env.max_turns=4", "seeds=1", "personas=[maria_lost_mother,lena_antibiotics_cold]",
                 "progress=false", f"output_dir={out}"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "target: comfort" in printed and "CuriousEmpath" in printed and "target: genuine" not in printed
    records = list(read_records(out / "episodes.jsonl"))
    assert len(records) == 5 * 2
    assert all(len(r.turns) <= 4 and set(r.returns) == {"comfort"} for r in records)
    assert all("hidden_state" in t.model_dump() for r in records for t in r.turns)
    assert "max_turns: 4" in (out / "config.yaml").read_text()
    assert (out / "leaderboard.txt").exists()


def test_cli_default_scores_every_target(tmp_path, capsys):
    assert main(["seeds=1", "personas=tom_dog_died", "agents=[CuriousEmpath,Pacifier]", "progress=false", f"output_dir={tmp_path}"]) == 0
    printed = capsys.readouterr().out
    for target in ["comfort", "rlver", "attuned", "truthful", "genuine"]:
        assert f"target: {target}" in printed


def test_cli_custom_weights(tmp_path, capsys):
    assert main(["target=custom", "seeds=1", "personas=tom_dog_died", "progress=false", f"output_dir={tmp_path}"]) == 0
    assert "target: custom" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["target=nope"], "Could not find 'target/nope'"),
        (["env.max_turnz=3"], "Could not override 'env.max_turnz'"),
        (["personas=[maria_lost_mothr]"], "did you mean 'maria_lost_mother'"),
        (["agents=[Saint]"], "unknown agent 'Saint'"),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ],
)
def test_cli_errors_are_clear(args, message, capsys, tmp_path):
    assert main([*args, f"output_dir={tmp_path}"] if "=" in args[0] else args) == 2
    assert message in capsys.readouterr().err
