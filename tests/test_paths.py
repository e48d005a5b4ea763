"""Paths where ids and absolute paths worked (issue 17): a relative RLlib checkpoint, and a
persona YAML file wherever a persona id is accepted (gym.make, reset options, the strategy,
vector and PettingZoo envs, the CLI's `personas=[...]`)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest
import yaml

import empathy_gym
from empathy_gym.cli import main
from empathy_gym.personas.loader import PersonaError
from empathy_gym.personas.sets import absolute_persona_paths, resolve_personas
from empathy_gym.rollout.records import read_records

SMALL = ["seeds=1", "env.max_turns=2", "progress=false", "target=genuine"]
MY_ID = "my_own_person"


@pytest.fixture()
def my_yaml(tmp_path, monkeypatch, lena):
    """A persona of the user's own in `my.yaml`, the current directory being its folder."""
    data = lena.model_dump(mode="json")
    data["id"] = MY_ID
    (tmp_path / "my.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "people").mkdir()
    (tmp_path / "people" / "sam.yml").write_text(yaml.safe_dump({**data, "id": "sam_in_a_folder"}))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "my.yaml"


# --- persona files ---------------------------------------------------------------------


def test_resolve_personas_takes_a_yaml_path_relative_absolute_or_pathlike(my_yaml):
    assert [p.id for p in resolve_personas("my.yaml")] == [MY_ID]
    assert [p.id for p in resolve_personas(str(my_yaml))] == [MY_ID]
    assert [p.id for p in resolve_personas(Path("my.yaml"))] == [MY_ID]
    assert [p.id for p in resolve_personas("people/sam.yml")] == ["sam_in_a_folder"]
    mixed = resolve_personas(["my.yaml", "maria_lost_mother"])
    assert [p.id for p in mixed] == [MY_ID, "maria_lost_mother"]


def test_a_missing_persona_file_is_named_and_an_unknown_id_still_suggests(my_yaml):
    with pytest.raises(PersonaError, match=r"persona file 'nope\.yaml' does not exist") as info:
        resolve_personas("nope.yaml")
    assert str(my_yaml.parent / "nope.yaml") in str(info.value)
    with pytest.raises(PersonaError, match="persona file 'people/absent.yml' does not exist"):
        gym.make("EmpathyDialogue-v0", persona="people/absent.yml")
    with pytest.raises(PersonaError, match="did you mean 'maria_lost_mother'"):
        resolve_personas("maria_lost_mothr")


def test_a_broken_persona_file_names_the_file_and_field(my_yaml):
    (my_yaml.parent / "bad.yaml").write_text("id: x\ncolour: red\n")
    with pytest.raises(PersonaError, match=r"bad\.yaml: invalid persona"):
        resolve_personas("bad.yaml")


def test_gym_make_and_reset_options_take_a_persona_file(my_yaml):
    env = gym.make("EmpathyDialogue-v0", persona="my.yaml")
    _, info = env.reset(seed=0)
    assert info["persona_id"] == MY_ID
    *_, info = env.step("What has this been like for you?")
    assert info["persona_id"] == MY_ID
    other = gym.make("EmpathyDialogue-v0", persona="maria_lost_mother")
    _, info = other.reset(seed=0, options={"persona": "my.yaml"})
    assert info["persona_id"] == MY_ID


def test_the_strategy_env_takes_a_persona_file(my_yaml):
    env = gym.make("EmpathyDialogueStrategy-v0", persona="my.yaml")
    _, info = env.reset(seed=0)
    assert info["persona_id"] == MY_ID


def test_the_vector_env_takes_persona_files(my_yaml):
    from empathy_gym.envs.vector import EmpathyDialogueVectorEnv

    shared = EmpathyDialogueVectorEnv(num_envs=2, persona="my.yaml")
    _, info = shared.reset(seed=0)
    assert list(info["persona_id"]) == [MY_ID, MY_ID]
    each = EmpathyDialogueVectorEnv(num_envs=2, persona_per_env=["people/sam.yml", "my.yaml"])
    _, info = each.reset(seed=0)
    assert list(info["persona_id"]) == ["sam_in_a_folder", MY_ID]


def test_the_pettingzoo_envs_take_persona_files(my_yaml):
    pytest.importorskip("pettingzoo", reason="pettingzoo is not installed")
    from empathy_gym.envs.pz_dialogue import HelperPersonEnv
    from empathy_gym.envs.pz_support_group import SupportGroupEnv

    pair = HelperPersonEnv(persona="my.yaml")
    pair.reset(seed=0)
    assert pair.dialogue.persona.id == MY_ID
    group = SupportGroupEnv(n_people=2, persona=["my.yaml", "people/sam.yml"])
    group.reset(seed=0)
    assert {p.persona.id for p in group.people} == {MY_ID, "sam_in_a_folder"}


def test_the_cli_takes_persona_files_in_personas(my_yaml):
    run = my_yaml.parent / "run"
    argv = ["evaluate", "agents=[CuriousEmpath]", *SMALL, f"output_dir={run}"]
    assert main([*argv, f"personas=[my.yaml,{my_yaml.parent / 'people' / 'sam.yml'}]"]) == 0
    records = list(read_records(run / "episodes.jsonl"))
    assert sorted(r.persona_id for r in records) == ["my_own_person", "sam_in_a_folder"]


def test_persona_files_are_made_absolute_for_other_processes(my_yaml):
    spec = absolute_persona_paths(["my.yaml", "starter", "people/sam.yml"])
    assert spec == [str(my_yaml), "starter", str(my_yaml.parent / "people" / "sam.yml")]
    assert absolute_persona_paths("maria_lost_mother") == "maria_lost_mother"


# --- a relative RLlib checkpoint -----------------------------------------------------------


def _tiny_checkpoint(directory: Path) -> None:
    """An untrained RLModule saved where `empathy-gym train` puts it (no training: seconds)."""
    from ray.rllib.algorithms.ppo.torch.default_ppo_torch_rl_module import (
        DefaultPPOTorchRLModule,
    )
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    env = empathy_gym.EmpathyDialogueStrategyEnv(persona="maria_lost_mother")
    module = RLModuleSpec(
        module_class=DefaultPPOTorchRLModule,
        observation_space=env.observation_space,
        action_space=env.action_space,
        model_config={"fcnet_hiddens": [8]},
    ).build()
    module_dir = directory / "learner_group" / "learner" / "rl_module" / "default_policy"
    module.save_to_path(str(module_dir.resolve()))


def test_a_relative_rllib_checkpoint_path_works(tmp_path, monkeypatch):
    pytest.importorskip("ray", reason="the rllib extra is not installed")
    pytest.importorskip("torch", reason="the rllib extra is not installed")
    from empathy_gym.agents.policies import make_agent, with_absolute_paths

    _tiny_checkpoint(tmp_path / "runs" / "ppo-short" / "checkpoint")
    monkeypatch.chdir(tmp_path)
    spec = {"kind": "rllib", "checkpoint": "runs/ppo-short/checkpoint"}
    agent = make_agent(spec, seed=0)
    agent.reset(0)
    reply = agent.act({"message": "I can't stop thinking about her.", "persona_card": ""}, [])
    assert isinstance(reply, str) and reply
    resolved = with_absolute_paths(spec)
    assert resolved["checkpoint"] == str(tmp_path / "runs" / "ppo-short" / "checkpoint")
    run = tmp_path / "run"
    argv = [
        "evaluate",
        "policy=rllib",
        "policy.checkpoint=runs/ppo-short/checkpoint",
        "policy.baselines=[]",
        "personas=[maria_lost_mother]",
        *SMALL,
        f"output_dir={run}",
    ]
    assert main(argv) == 0
    assert {r.agent for r in read_records(run / "episodes.jsonl")} == {"rllib:checkpoint"}


def test_a_missing_relative_checkpoint_names_the_path_given(tmp_path, monkeypatch):
    pytest.importorskip("ray", reason="the rllib extra is not installed")
    pytest.importorskip("torch", reason="the rllib extra is not installed")
    from empathy_gym.agents.policies import make_agent

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"policy.checkpoint='runs/none': no RLModule at /"):
        make_agent({"kind": "rllib", "checkpoint": "runs/none"}, seed=0)
