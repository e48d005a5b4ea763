"""Episode records are whole or absent; the CLI runs the main job with Hydra overrides."""

import json

import pytest

from empathy_gym.cli import main
from empathy_gym.rollout.records import EpisodeRecord, RecordWriter, read_records


def _record(i):
    return EpisodeRecord(
        episode_id=f"e{i}",
        agent="a",
        persona_id="p",
        category="c",
        seed=i,
        target="genuine",
        opening="hi",
        initial_state={"score": 40.0},
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
    code = main(
        [
            "evaluate",
            "target=comfort",
            "env.max_turns=4",
            "seeds=1",
            "personas=[maria_lost_mother,lena_antibiotics_cold]",
            "progress=false",
            f"output_dir={out}",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert (
        "target: comfort" in printed
        and "CuriousEmpath" in printed
        and "target: genuine" not in printed
    )
    records = list(read_records(out / "episodes.jsonl"))
    assert len(records) == 5 * 2
    assert all(len(r.turns) <= 4 and set(r.returns) == {"comfort"} for r in records)
    assert all("hidden_state" in t.model_dump() for r in records for t in r.turns)
    assert "max_turns: 4" in (out / "config.yaml").read_text()
    assert (out / "leaderboard.txt").exists()


def test_cli_default_scores_every_target(tmp_path, capsys):
    assert (
        main(
            [
                "seeds=1",
                "personas=tom_dog_died",
                "agents=[CuriousEmpath,Pacifier]",
                "progress=false",
                f"output_dir={tmp_path}",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    for target in ["comfort", "rlver", "attuned", "truthful", "genuine"]:
        assert f"target: {target}" in printed


def test_cli_custom_weights(tmp_path, capsys):
    assert (
        main(
            [
                "target=custom",
                "seeds=1",
                "personas=tom_dog_died",
                "progress=false",
                f"output_dir={tmp_path}",
            ]
        )
        == 0
    )
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


def test_config_groups_compose_and_fail_clearly(capsys, tmp_path):
    from empathy_gym.cli import load_config

    cfg = load_config(
        [
            "persona_set=test",
            "simulator=llm",
            "backend=openai",
            "rollout=ray",
            "rollout.workers=4",
            "target=comfort",
        ]
    )
    assert (
        cfg.personas == "split:test" and cfg.rollout.workers == 4 and cfg.backend.kind == "openai"
    )
    assert list(cfg.agents) == ["CuriousEmpath", "Pacifier", "AdviceGiver", "Sycophant", "Random"]
    assert main(["rollout", "rollout=nope", f"output_dir={tmp_path}"]) == 2
    assert "Could not find 'rollout/nope'" in capsys.readouterr().err
    assert main(["evaluate", "simulator=llm", f"output_dir={tmp_path}"]) == 2
    assert "needs a backend" in capsys.readouterr().err
    assert main(["train", "target=all", f"output_dir={tmp_path}"]) == 2
    assert "one reward target" in capsys.readouterr().err


def test_rollout_command_is_resumable_and_keeps_its_config(tmp_path, capsys):
    args = [
        "rollout",
        "personas=[tom_dog_died,maria_lost_mother]",
        "env.max_turns=3",
        "progress=false",
        f"output_dir={tmp_path}",
    ]
    assert main([*args, "seeds=1"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["written"] == 10
    assert main([*args, "seeds=2"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary == {"written": 10, "skipped": 10, "existing_before": 10}
    assert len(list(read_records(tmp_path / "episodes.jsonl"))) == 20
    assert "max_turns: 3" in (tmp_path / "config.yaml").read_text()


def test_evaluate_with_the_llm_simulator_through_hydra(tmp_path, capsys):
    assert (
        main(
            [
                "evaluate",
                "simulator=llm",
                "backend=scripted",
                "personas=[tom_dog_died]",
                "seeds=1",
                "env.max_turns=2",
                "agents=[CuriousEmpath]",
                "progress=false",
                f"output_dir={tmp_path}",
            ]
        )
        == 0
    )
    [record] = list(read_records(tmp_path / "episodes.jsonl"))
    assert (
        record.turns[0].person == "Thanks for asking. It has been a lot."
    )  # the (stand-in) LLM spoke


@pytest.mark.slow
def test_train_command_runs_ppo_and_saves_a_checkpoint(tmp_path, capsys):
    pytest.importorskip("ray", reason="the rllib extra is not installed")
    code = main(
        [
            "train",
            "target=genuine",
            "persona_set=starter",
            "train.iterations=1",
            "train.train_batch_size=200",
            "train.minibatch_size=100",
            "train.num_epochs=1",
            "train.env_runners=0",
            f"output_dir={tmp_path}",
        ]
    )
    assert code == 0
    summary = json.loads((tmp_path / "train_summary.json").read_text())
    assert (
        summary["iterations"] == 1
        and summary["history"][0]["total_loss"] == summary["history"][0]["total_loss"]
    )
    assert (tmp_path / "checkpoint").exists() and (tmp_path / "config.yaml").exists()


def test_cli_chooses_the_reader(tmp_path, capsys):
    args = [
        "seeds=1",
        "personas=tom_dog_died",
        "agents=[CuriousEmpath]",
        "target=genuine",
        "progress=false",
    ]
    assert main([*args, "simulator.reader=rule", f"output_dir={tmp_path / 'rule'}"]) == 0
    assert "reader: rule" in (tmp_path / "rule" / "config.yaml").read_text()
    assert main([*args, f"output_dir={tmp_path / 'default'}"]) == 0
    assert "reader: pair" in (tmp_path / "default" / "config.yaml").read_text()
    capsys.readouterr()
    assert main([*args, "simulator.reader=nope", f"output_dir={tmp_path / 'bad'}"]) == 2
    assert "unknown reader 'nope'" in capsys.readouterr().err
