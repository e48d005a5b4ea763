"""One typed DialogueSpec that every env takes, and one door to a reader (issue 18, points 2-3)."""

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from empathy_gym.cli import env_spec, load_config, main
from empathy_gym.envs.build import env_kwargs_from_spec
from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.dialogue_strategy import EmpathyDialogueStrategyEnv
from empathy_gym.envs.pz_dialogue import HelperPersonEnv
from empathy_gym.envs.pz_support_group import SupportGroupEnv
from empathy_gym.envs.spec import (
    DEFAULT_MAX_REPLY_CHARS,
    DEFAULT_MAX_TURNS,
    DEFAULT_TURN_LIMIT,
    DialogueSpec,
)
from empathy_gym.envs.vector import EmpathyDialogueVectorEnv
from empathy_gym.eval.validate import reader_kwargs
from empathy_gym.simulator.readers import LLM_READER, Reader, get_reader, reader_names

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "empathy_gym"
ASK = "What was he like?"
BASE = {"persona": "maria_lost_mother", "max_turns": 2}


# --- every env, driven the same way --------------------------------------------------------------


def _dialogue(**kw):
    env = EmpathyDialogueEnv(**kw)
    return env, lambda: env.step(ASK)[2:4], lambda: [env]


def _strategy(**kw):
    env = EmpathyDialogueStrategyEnv(**kw)
    return env, lambda: env.step(0)[2:4], lambda: [env.dialogue]


def _vector(**kw):
    env = EmpathyDialogueVectorEnv(2, **kw)

    def step():
        _, _, terminated, truncated, _ = env.step([ASK, ASK])
        return bool(terminated[0]), bool(truncated[0])

    return env, step, lambda: env.envs


def _helper_person(**kw):
    env = HelperPersonEnv(**kw)

    def step():
        _, _, terminated, truncated, _ = env.step({"helper": ASK})
        return terminated["helper"], truncated["helper"]

    return env, step, lambda: [env.dialogue]


def _support_group(**kw):
    env = SupportGroupEnv(n_people=1, n_helpers=1, action_mode="text", **kw)

    def step():
        _, _, terminated, truncated, _ = env.step({"helper_0": (1, ASK)})
        return terminated["helper_0"], truncated["helper_0"]

    return env, step, lambda: env.people


ENVS = {
    "EmpathyDialogue-v0": _dialogue,
    "EmpathyDialogueStrategy-v0": _strategy,
    "vector": _vector,
    "pz_helper_person": _helper_person,
    "pz_support_group": _support_group,
}


def _episode(step) -> list[tuple[bool, bool]]:
    flags = [step()]
    while not any(flags[-1]):
        flags.append(step())
    return flags


def _ends_at_turn_3_truncated(people, step):
    assert _episode(step) == [(False, False), (False, False), (False, True)]


def _ends_terminated(people, step):
    assert _episode(step) == [(False, False), (True, False)]


# A value other than the default for each field, with its companions, and how to see it took effect.
NON_DEFAULT = {
    "persona": (
        {"persona": "tom_dog_died"},
        lambda people, step: {p.persona.id for p in people} == {"tom_dog_died"},
    ),
    "target": (
        {"target": "comfort"},
        lambda people, step: {p.target.name for p in people} == {"comfort"},
    ),
    "max_turns": ({"max_turns": 3}, _ends_at_turn_3_truncated),
    "turn_limit": ({"turn_limit": "terminate"}, _ends_terminated),
    "max_reply_chars": (
        {"max_reply_chars": 50},
        lambda people, step: {p.max_reply_chars for p in people} == {50},
    ),
    "reader": (
        {"reader": "rule"},
        lambda people, step: {p.reader.name for p in people} == {"rule"},
    ),
    "dynamics": (
        {"dynamics": {"understood_start": 0.3}},
        lambda people, step: {p.simulator.state.understood for p in people} == {0.3},
    ),
    "backend": (
        {"backend": {"kind": "scripted"}},
        lambda people, step: (
            {type(p.backend).__name__ for p in people} == {"ScriptedBackend"}
            and {p.reader.name for p in people} == {LLM_READER}
            and step() is not None
        ),
    ),
    "llm_config": (
        {"backend": {"kind": "scripted"}, "llm_config": {"temperature": 0.7}},
        lambda people, step: {p.reader.config.sampling.temperature for p in people} == {0.7},
    ),
}


def test_every_spec_field_has_a_check():
    assert sorted(NON_DEFAULT) == sorted(f.name for f in dataclasses.fields(DialogueSpec))


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(DialogueSpec)])
@pytest.mark.parametrize("name", ENVS)
def test_every_env_accepts_every_spec_field(name, field):
    kwargs, took_effect = NON_DEFAULT[field]
    env, step, people = ENVS[name](**{**BASE, **kwargs})
    env.reset(seed=0)
    result = took_effect(people(), step)
    assert result is None or result, f"{name}: {field}={kwargs[field]!r} did not take effect"


@pytest.mark.parametrize("name", ENVS)
def test_every_env_builds_from_a_spec(name):
    spec = DialogueSpec(persona="tom_dog_died", max_turns=2, dynamics={"understood_start": 0.3})
    env, step, people = ENVS[name](**spec.env_kwargs())
    env.reset(seed=0)
    assert {p.simulator.state.understood for p in people()} == {0.3}
    assert len(_episode(step)) == 2


# --- one home for each default ----------------------------------------------------------------


def test_the_config_defaults_are_the_spec_defaults():
    env = yaml.safe_load((PACKAGE / "conf/env/default.yaml").read_text())
    assert env == {
        "max_turns": DEFAULT_MAX_TURNS,
        "max_reply_chars": DEFAULT_MAX_REPLY_CHARS,
        "turn_limit": DEFAULT_TURN_LIMIT,
    }
    rllib = yaml.safe_load((PACKAGE / "conf/policy/rllib.yaml").read_text())
    assert rllib["max_turns"] == DEFAULT_MAX_TURNS
    for simulator in ("rule", "llm"):
        conf = yaml.safe_load((PACKAGE / f"conf/simulator/{simulator}.yaml").read_text())
        assert conf["dynamics"] == {}


def test_no_literal_max_turns_default_where_the_spec_can_be_imported():
    """Layers above the envs take the spec's named default, never their own literal."""
    literal = re.compile(r"max_turns: int = \d|--max-turns.*default=\d")
    found = []
    for path in PACKAGE.rglob("*.py"):
        layer = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if layer in ("acts", "conf", "personas", "llm", "simulator", "rewards", "agents"):
            continue  # below the envs: they cannot import the spec
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if literal.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


# --- validation -------------------------------------------------------------------------------


def test_the_spec_names_what_is_wrong():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['max_turn'\]; expected some of"):
        DialogueSpec.from_plain({"max_turn": 3})
    with pytest.raises(ValueError, match="max_turns must be a positive int, got 0"):
        DialogueSpec(max_turns=0)
    with pytest.raises(ValueError, match="max_reply_chars must be a positive int, got True"):
        DialogueSpec(max_reply_chars=True)
    with pytest.raises(ValueError, match="unknown reader 'nope'; expected one of"):
        DialogueSpec(reader="nope")
    with pytest.raises(KeyError, match="unknown dynamics parameter 'trust_gian'"):
        DialogueSpec(dynamics={"trust_gian": 0.1})
    with pytest.raises(ValueError, match="unknown llm setting"):
        DialogueSpec(backend={"kind": "scripted"}, llm_config={"temperatur": 1})
    with pytest.raises(ValueError, match="llm_config given without a backend"):
        DialogueSpec.from_plain({"llm_config": {"temperature": 1.0}})
    with pytest.raises(ValueError, match="backend needs a kind"):
        DialogueSpec(backend={"model": "m"})


# --- one door to a reader ---------------------------------------------------------------------


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.mark.parametrize("name", reader_names())
def test_every_reader_name_builds_through_get_reader(name):
    needs = {"minilm": "sentence_transformers", "pair": "onnxruntime"}
    if name in needs and not _importable(needs[name]):
        pytest.skip(f"reader {name!r} needs {needs[name]}")
    if name == "pair":
        from empathy_gym.simulator.readers.pair import PAIR_DIR

        if not (PAIR_DIR / "pair.json").is_file():
            pytest.skip("the pair reader is not trained yet (scripts/train_pair_reader.py)")
    kwargs = {"backend": {"kind": "scripted"}} if name == LLM_READER else {}
    reader = get_reader(name, **kwargs)
    assert isinstance(reader, Reader)
    if name in ("rule", "semantic", LLM_READER):
        assert reader.name == name


def test_a_bad_reader_name_lists_every_name():
    with pytest.raises(ValueError) as caught:
        get_reader("nope")
    assert str(caught.value) == f"unknown reader 'nope'; expected one of {reader_names()}"
    assert LLM_READER in reader_names()
    with pytest.raises(ValueError, match="reader 'llm' needs a backend"):
        get_reader(LLM_READER)
    with pytest.raises(ValueError, match="cannot itself be 'llm'"):
        get_reader(LLM_READER, backend={"kind": "scripted"}, code_reader=LLM_READER)


def _reader_types(reader):
    return type(reader).__name__, type(getattr(reader, "code_reader", None)).__name__


@pytest.mark.parametrize("name", ["rule", "semantic", "pair", LLM_READER])
def test_env_validate_and_build_paths_give_the_same_reader(name):
    plain = {"backend": {"kind": "scripted"}} if name == LLM_READER else {"reader": name}
    from_env = EmpathyDialogueEnv(**plain).reader
    from_build = EmpathyDialogueEnv(**env_kwargs_from_spec(plain)).reader
    from_validate = get_reader(
        reader_kwargs(name, "scripted")["reader"] if name == LLM_READER else name
    )
    assert _reader_types(from_env) == _reader_types(from_build) == _reader_types(from_validate)
    if name == LLM_READER:
        assert _reader_types(from_env) == ("LLMReader", "PairReader")  # the default code reader


def test_the_envs_do_not_reach_into_the_llm_person():
    """The envs take the LLM person's public config and accounting; its reader comes by the door."""
    import ast

    public = {"LLMSimulatorConfig", "LLMTurnStats", "person_backend"}
    for path in (PACKAGE / "envs").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "empathy_gym.simulator.llm_person"
            ):
                names = {alias.name for alias in node.names}
                assert names <= public, f"{path.name} imports {sorted(names - public)}"


# --- dynamics from outside: the vector env, a Ray worker, the CLI ------------------------------


def test_dynamics_reach_every_dialogue_of_the_vector_env():
    env = EmpathyDialogueVectorEnv(3, persona="tom_dog_died", dynamics={"understood_start": 0.3})
    env.reset(seed=0)
    assert [e.simulator.state.understood for e in env.envs] == [0.3] * 3


@pytest.mark.slow
def test_dynamics_reach_a_ray_worker(tmp_path, local_ray):
    from empathy_gym.personas.sets import resolve_personas
    from empathy_gym.rollout.episodes import evaluate, plan_jobs
    from empathy_gym.rollout.pool import RolloutPool
    from empathy_gym.rollout.records import read_records

    jobs = plan_jobs(["CuriousEmpath"], resolve_personas("tom_dog_died"), [0])
    spec = {"max_turns": 2, "dynamics": {"understood_start": 0.3}}
    pool = RolloutPool(workers=1, env_spec=spec, targets=["genuine"], chunk_size=1)
    pool.run(jobs, tmp_path / "ray.jsonl")
    pool.shutdown()
    (remote,) = read_records(tmp_path / "ray.jsonl")
    local_kwargs = env_kwargs_from_spec(spec)
    (local,) = evaluate([], [], [], targets=["genuine"], env_kwargs=local_kwargs, jobs=jobs)
    (default,) = evaluate([], [], [], targets=["genuine"], env_kwargs={"max_turns": 2}, jobs=jobs)
    assert remote.initial_state["understood"] == 0.3 != default.initial_state["understood"]
    assert remote.model_dump() == local.model_dump()


SMALL = [
    "personas=[tom_dog_died]",
    "seeds=1",
    "env.max_turns=2",
    "agents=[CuriousEmpath]",
    "progress=false",
]


def test_the_cli_takes_dynamics_and_turn_limit(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["evaluate", "simulator.dynamics.trust_gain=0.1", "env.turn_limit=terminate"]
    assert main([*args, *SMALL, f"output_dir={out}"]) == 0
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["simulator"]["dynamics"] == {"trust_gain": 0.1}
    assert config["env"]["turn_limit"] == "terminate"
    (record,) = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    assert record["terminated"] and not record["truncated"]  # ended at the limit: terminate
    spec = env_spec(load_config(["simulator.dynamics.trust_gain=0.1"]))
    assert spec["dynamics"] == {"trust_gain": 0.1} and spec["turn_limit"] == "truncate"


def test_the_cli_names_an_unknown_dynamics_parameter(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["evaluate", "simulator.dynamics.trust_gian=0.1", *SMALL, f"output_dir={out}"]) == 2
    err = capsys.readouterr().err
    assert "simulator.dynamics: unknown dynamics parameter 'trust_gian'" in err
    assert "did you mean trust_gain" in err and not out.exists()
