"""A newcomer's bumps (issue: one house): each was a bug found by running the commands."""

import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import empathy_gym
from empathy_gym.cli import env_spec, load_config, main
from empathy_gym.envs.build import env_kwargs_from_spec
from empathy_gym.rollout.records import read_records

SMALL = [
    "personas=[tom_dog_died]",
    "seeds=1",
    "env.max_turns=2",
    "agents=[CuriousEmpath]",
    "progress=false",
]


def test_a_custom_target_travels_whole_to_records_and_report(tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        main(
            [
                "rollout",
                "target=custom",
                "+target.weights.belief_correction=2",
                *SMALL,
                f"output_dir={run}",
            ]
        )
        == 0
    )
    [record] = list(read_records(run / "episodes.jsonl"))
    assert list(record.returns) == ["custom"]
    assert json.loads((run / "targets.json").read_text())["custom"]["belief_correction"] == 2
    pytest.importorskip("matplotlib")
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").is_file()


def test_the_local_and_ray_paths_build_the_env_from_one_spec():
    cfg = load_config(
        [
            "simulator=llm",
            "backend=scripted",
            "env.max_reply_chars=123",
            "simulator.temperature=0.7",
        ]
    )
    spec = env_spec(cfg)
    assert json.loads(json.dumps(spec)) == spec  # plain data: it travels to Ray workers as is
    kwargs = env_kwargs_from_spec(spec)
    assert kwargs["max_reply_chars"] == 123 and kwargs["llm_config"].sampling.temperature == 0.7
    assert type(kwargs["backend"]).__name__ == "ScriptedBackend"
    with pytest.raises(ValueError, match="unknown llm setting"):
        env_kwargs_from_spec({**spec, "llm_config": {"temperatur": 1}})


def test_missing_extras_are_named_before_a_run_dir_is_made(tmp_path, capsys, monkeypatch):
    real_find_spec = __import__("importlib.util").util.find_spec
    monkeypatch.setattr(
        "importlib.util.find_spec",
        lambda name, *a: None if name == "ray" else real_find_spec(name, *a),
    )
    for args in (["rollout", "rollout=ray"], ["train", "target=genuine"]):
        out = tmp_path / args[0]
        assert main([*args, *SMALL, f"output_dir={out}"]) == 2
        assert "needs the rllib extra: pip install" in capsys.readouterr().err
        assert not out.exists()


@pytest.mark.parametrize(
    "override,key",
    [("seeds=two", "seeds"), ("seeds=0", "seeds"), ("seed_offset=-1", "seed_offset")],
)
def test_bad_seed_values_name_the_key(override, key, tmp_path, capsys):
    assert main(["evaluate", override, f"output_dir={tmp_path}"]) == 2
    assert f"{key}=" in capsys.readouterr().err


def test_personas_list_filters_and_unknown_values(capsys):
    assert (
        main(
            ["personas", "list", "--category", "anxiety", "--tier", "hard", "--tag", "false-belief"]
        )
        == 0
    )
    assert "raj_headache_tumour" in capsys.readouterr().out
    assert main(["personas", "list", "--category", "griefs"]) == 2
    assert "known: anger, anxiety" in capsys.readouterr().err
    assert (
        main(["personas", "list", "--category", "grief", "--tier", "hard", "--tag", "false-belief"])
        == 0
    )
    assert "each alone matches: --category grief: " in capsys.readouterr().err


def test_personas_show_into_a_closed_pipe_is_quiet():
    result = subprocess.run(
        f"{sys.executable} -m empathy_gym.cli personas show maria_lost_mother | head -1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.startswith("id: maria_lost_mother") and "Traceback" not in result.stderr


def test_the_action_space_accepts_what_step_accepts():
    env = gym.make("EmpathyDialogue-v0", max_turns=3)
    env.reset(seed=0)
    for reply in ("😢", "我明白", "plain words", ""):
        assert env.action_space.contains(reply)
        env.unwrapped.check_action(reply)
    assert not env.action_space.contains(3) and not env.action_space.contains("x" * 5000)
    env.action_space.seed(1)
    samples = [env.action_space.sample() for _ in range(5)]
    env.action_space.seed(1)
    assert samples == [env.action_space.sample() for _ in range(5)]
    assert all(s in empathy_gym.envs.dialogue.SAMPLE_REPLIES for s in samples)


def test_make_vec_with_the_vector_entry_point():
    envs = gym.make_vec(
        "EmpathyDialogue-v0", num_envs=2, vectorization_mode="vector_entry_point", max_turns=2
    )
    observations, _ = envs.reset(seed=0)
    assert type(envs).__name__ == "EmpathyDialogueVectorEnv" and len(observations["message"]) == 2
    envs.step(np.array(["How are you?", "Tell me more."], dtype=object))


def test_train_config_carries_a_seed():
    assert load_config(["train.seed=7"]).train.seed == 7
    assert load_config([]).train.seed == 0


def test_llm_sampling_is_seeded_by_the_episode_seed():
    from empathy_gym.llm import ScriptedBackend
    from empathy_gym.simulator.llm_person import scripted_person_reply

    seen = []

    def script(request):
        seen.append(request.params.seed)
        return scripted_person_reply(request)

    def seeds_of(seed):
        seen.clear()
        env = gym.make(
            "EmpathyDialogue-v0",
            persona="tom_dog_died",
            max_turns=3,
            backend=ScriptedBackend(script),
        )
        env.reset(seed=seed)
        env.step("How are you holding up?")
        env.step("What was he like?")
        return list(seen)

    first = seeds_of(3)
    assert first and all(isinstance(s, int) for s in first)
    assert seeds_of(3) == first and seeds_of(4) != first


def _play(make, actions, seed):
    env = make()
    out = [env.reset(seed=seed)[0]]
    for action in actions:
        out.append(env.step(action)[:2])
    return repr(out)


@pytest.mark.parametrize("name", ["dialogue", "strategy", "pz_dialogue", "pz_support_group"])
def test_every_env_follows_one_seeding_pattern(name):
    from empathy_gym.envs.pz_dialogue import HelperPersonEnv
    from empathy_gym.envs.pz_support_group import SupportGroupEnv

    makers = {
        "dialogue": (
            lambda: gym.make("EmpathyDialogue-v0", persona="starter", max_turns=4),
            ["How are you?", "Go on."],
        ),
        "strategy": (
            lambda: gym.make("EmpathyDialogueStrategy-v0", persona="starter", max_turns=4),
            [1, 0, 2],
        ),
        "pz_dialogue": (
            lambda: HelperPersonEnv(persona="starter", action_mode="strategy"),
            [{"helper": 1}, {"helper": 0}],
        ),
        "pz_support_group": (
            lambda: SupportGroupEnv(n_helpers=1, action_mode="strategy"),
            [{"helper_0": 13}, {"helper_0": 0}],
        ),
    }
    make, actions = makers[name]
    assert _play(make, actions, 5) == _play(make, actions, 5)
    assert _play(make, actions, 5) != _play(make, actions, 6)
