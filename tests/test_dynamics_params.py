"""The dynamics as named parameters: validated overrides, the table and its doc, and the
golden episodes (every starter with every built-in agent) unchanged bit for bit."""

import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

import empathy_gym  # noqa: F401  (registers the envs)
from empathy_gym.simulator import dynamics
from empathy_gym.simulator.params import FACET_OF, DynamicsParams

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def _golden_module():
    spec = importlib.util.spec_from_file_location("golden_episodes", DATA / "golden_episodes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _golden_module()


def _stored() -> list[dict]:
    return json.loads(gzip.decompress(golden.GOLDEN_PATH.read_bytes()))["episodes"]


def _assert_same_episodes(played: list[dict], stored: list[dict]) -> None:
    assert [e["key"] for e in played] == [e["key"] for e in stored]
    for now, then in zip(played, stored):
        for turn, (a, b) in enumerate(zip(now["turns"], then["turns"]), start=1):
            assert a == b, f"{now['key']} turn {turn} differs from the golden episode"
        assert now == then, f"{now['key']}: differs from the golden episode (length or last bits)"


def test_default_dynamics_reproduce_the_golden_episodes():
    _assert_same_episodes(golden.play_all(), _stored())


def test_default_params_passed_explicitly_reproduce_the_golden_episodes():
    played = golden.play_all({"dynamics": DynamicsParams()})
    assert [e["sha256"] for e in played] == [e["sha256"] for e in _stored()]


def test_golden_set_covers_every_starter_and_every_builtin_agent():
    from empathy_gym.agents.baselines import BASELINES
    from empathy_gym.agents.exploits import EXPLOITS
    from empathy_gym.personas.sets import resolve_personas

    keys = {e["key"].rsplit("/", 1)[0] for e in _stored()}
    starters = {p.id for p in resolve_personas("starter")}
    assert keys == {f"{a}/{p}" for a in {**BASELINES, **EXPLOITS} for p in starters}


def test_an_override_changes_the_episode():
    env = gym.make("EmpathyDialogue-v0", persona="maria_lost_mother", dynamics={"trust_gain": 0.1})
    assert env.unwrapped.simulator is None
    env.reset(seed=0)
    assert env.unwrapped.simulator.dynamics.trust.trust_gain == 0.1
    base = gym.make("EmpathyDialogue-v0", persona="maria_lost_mother")
    base.reset(seed=0)
    reply = "It sounds like losing your mum left you carrying everything alone. What was she like?"
    trust = [e.step(reply)[4]["hidden_state"]["trust"] for e in (env, base)]
    assert trust[0] < trust[1]


def test_the_strategy_env_passes_dynamics_down():
    env = gym.make("EmpathyDialogueStrategy-v0", dynamics={"understood_start": 0.3})
    env.reset(seed=0)
    assert env.unwrapped.dialogue.simulator.state.understood == 0.3


def test_an_unknown_name_is_named_with_close_matches_and_the_known_ones():
    with pytest.raises(KeyError) as caught:
        gym.make("EmpathyDialogue-v0", dynamics={"trust_gian": 0.1})
    message = str(caught.value)
    assert "'trust_gian'" in message
    assert "did you mean trust_gain" in message
    known = message.split("known: ", 1)[1].rstrip("'\"")
    assert known.split(", ") == DynamicsParams.names()


@pytest.mark.parametrize(
    ("overrides", "error", "needle"),
    [
        ({"trust_gain": "0.1"}, TypeError, "dynamics.trust_gain: expected a number, got str"),
        ({"trust_gain": True}, TypeError, "dynamics.trust_gain: expected a number"),
        (
            {"elaborate_words": 20.5},
            TypeError,
            "dynamics.elaborate_words: expected an int, got float 20.5",
        ),
        ({"trust_gain": -0.1}, ValueError, "dynamics.trust_gain: -0.1 is outside [0.0, 2.0]"),
        ({"stock_wear": float("nan")}, ValueError, "dynamics.stock_wear: nan is outside"),
        ({"relief_slowdown_distress": 0}, ValueError, "dynamics.relief_slowdown_distress: 0 is"),
    ],
)
def test_wrong_types_and_ranges_name_the_field(overrides, error, needle):
    with pytest.raises(error) as caught:
        DynamicsParams.from_overrides(overrides)
    assert needle in str(caught.value)


def test_overrides_replace_only_what_they_name():
    params = DynamicsParams.from_overrides({"trust_gain": 0.1, "elaborate_words": 30})
    changed = {k for k, v in params.flat().items() if v != DynamicsParams().flat()[k]}
    assert changed == {"trust_gain", "elaborate_words"}
    assert isinstance(params.message.elaborate_words, int)
    with pytest.raises(TypeError, match="dynamics must be a DynamicsParams"):
        DynamicsParams.coerce([("trust_gain", 0.1)])


def test_every_parameter_is_read_by_the_dynamics_or_the_state():
    """A documented parameter nothing reads would be a lie in the table."""
    sources = (ROOT / "empathy_gym/simulator/dynamics.py").read_text()
    sources += (ROOT / "empathy_gym/simulator/state.py").read_text()
    unread = [name for name in FACET_OF if f".{name}" not in sources]
    assert unread == []


def test_the_table_has_a_meaning_and_a_source_for_every_parameter():
    rows = DynamicsParams().table()
    assert [r[0] for r in rows] == DynamicsParams.names()
    assert all(meaning and source for _name, _value, meaning, source in rows)
    text = DynamicsParams.from_overrides({"trust_gain": 0.1}).format_table()
    assert "Trust and disclosure (trust)" in text
    assert any(line.split()[:2] == ["trust_gain", "0.1"] for line in text.splitlines())


def test_the_module_thresholds_are_the_defaults():
    assert dynamics.UNDERSTOOD_ENOUGH == DynamicsParams().listening.understood_enough
    assert dynamics.CORRECTION_TRUST == DynamicsParams().beliefs.correction_trust


def test_docs_dynamics_md_is_what_the_script_generates():
    generated = subprocess.run(
        [sys.executable, str(ROOT / "scripts/gen_dynamics_doc.py"), "--stdout"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    committed = (ROOT / "docs/dynamics.md").read_text()
    assert committed == generated, "docs/dynamics.md is stale: run scripts/gen_dynamics_doc.py"
