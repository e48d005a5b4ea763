"""Any policy on the CLI: your class, your LLM server, your trained RLlib checkpoint; no silent fallbacks."""

import pytest

from empathy_gym.cli import main
from empathy_gym.rollout.records import read_records
from empathy_gym.testing.fake_server import FakeOpenAIServer

SMALL = [
    "personas=[tom_dog_died]",
    "seeds=2",
    "env.max_turns=3",
    "progress=false",
    "target=genuine",
]

AGENT_MODULE = '''
from empathy_gym.agents.base import Agent

class AlwaysAsks(Agent):
    def act(self, observation, messages):
        return "What has this been like for you?"
'''


def test_a_python_policy_class_runs_beside_baselines_and_reports(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_agents.py").write_text(AGENT_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    run = tmp_path / "run"
    assert (
        main(
            [
                "evaluate",
                "policy=python",
                "policy.path=my_agents:AlwaysAsks",
                *SMALL,
                f"output_dir={run}",
            ]
        )
        == 0
    )
    records = list(read_records(run / "episodes.jsonl"))
    assert {r.agent for r in records} == {"AlwaysAsks", "CuriousEmpath", "Pacifier"}
    assert all(
        t.agent == "What has this been like for you?"
        for r in records
        if r.agent == "AlwaysAsks"
        for t in r.turns
    )
    assert "AlwaysAsks" in capsys.readouterr().out
    pytest.importorskip("matplotlib")
    assert main(["report", str(run)]) == 0


def test_bad_policy_specs_fail_before_a_run_dir(tmp_path, capsys):
    assert main(["evaluate", "policy=python", *SMALL, f"output_dir={tmp_path / 'a'}"]) == 2
    assert "policy=python needs policy.path" in capsys.readouterr().err
    assert (
        main(
            [
                "evaluate",
                "policy=python",
                "policy.path=nowhere_xyz:Nope",
                *SMALL,
                f"output_dir={tmp_path / 'b'}",
            ]
        )
        == 2
    )
    assert "cannot import it" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_an_openai_policy_is_seeded_and_reproducible(tmp_path, capsys):
    seen = []

    def responder(payload):
        seen.append(payload.get("seed"))
        return "That sounds so hard. What happened?"

    with FakeOpenAIServer(responder=responder) as server:
        args = [
            "evaluate",
            "policy=openai",
            "policy.model=m",
            f"policy.base_url={server.url}",
            "policy.baselines=[]",
            *SMALL,
        ]
        assert main([*args, f"output_dir={tmp_path / 'one'}"]) == 0
        first = list(seen)
        seen.clear()
        assert main([*args, f"output_dir={tmp_path / 'two'}"]) == 0
    assert first == seen and len(set(first)) > 1 and None not in first
    [agent] = {r.agent for r in read_records(tmp_path / "one" / "episodes.jsonl")}
    assert agent == "openai:m"


def test_an_unreachable_llm_fails_before_any_episode(tmp_path, capsys):
    dead = "http://127.0.0.1:9/v1"
    assert (
        main(
            [
                "evaluate",
                "policy=openai",
                "policy.model=m",
                f"policy.base_url={dead}",
                *SMALL,
                f"output_dir={tmp_path / 'p'}",
            ]
        )
        == 2
    )
    assert f"openai backend at {dead}" in capsys.readouterr().err
    assert (
        main(
            [
                "evaluate",
                "simulator=llm",
                "backend=openai",
                "backend.model=m",
                f"backend.base_url={dead}",
                *SMALL,
                f"output_dir={tmp_path / 's'}",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert f"openai backend at {dead}" in err and "failed" in err
    assert not (tmp_path / "p").exists() and not (tmp_path / "s").exists()


def test_configured_fallbacks_are_counted_on_the_leaderboard(tmp_path, capsys):
    with FakeOpenAIServer(responder=lambda payload: "not json at all") as server:
        assert (
            main(
                [
                    "evaluate",
                    "simulator=llm",
                    "backend=openai",
                    "backend.model=m",
                    f"backend.base_url={server.url}",
                    "simulator.on_failure=fallback",
                    "agents=[CuriousEmpath]",
                    *SMALL,
                    f"output_dir={tmp_path}",
                ]
            )
            == 0
        )
    out = capsys.readouterr().out
    assert "fallbacks" in out.splitlines()[1]
    assert "fallbacks" in (tmp_path / "leaderboard.txt").read_text()


@pytest.mark.slow
def test_a_trained_rllib_checkpoint_plays_the_text_env(tmp_path, capsys):
    pytest.importorskip("ray", reason="the rllib extra is not installed")
    train = tmp_path / "train"
    assert (
        main(
            [
                "train",
                "target=genuine",
                "persona_set=starter",
                "train.iterations=1",
                "train.train_batch_size=200",
                "train.minibatch_size=100",
                "train.num_epochs=1",
                "train.env_runners=0",
                f"output_dir={train}",
            ]
        )
        == 0
    )
    run = tmp_path / "run"
    assert (
        main(
            [
                "evaluate",
                "policy=rllib",
                f"policy.checkpoint={train / 'checkpoint'}",
                "policy.baselines=[]",
                *SMALL,
                f"output_dir={run}",
            ]
        )
        == 0
    )
    records = list(read_records(run / "episodes.jsonl"))
    assert {r.agent for r in records} == {"rllib:checkpoint"} and all(
        t.agent for r in records for t in r.turns
    )
