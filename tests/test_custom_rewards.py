"""A user adds a reward component without editing the library."""

import gymnasium as gym
import pytest

import empathy_gym  # noqa: F401
from empathy_gym.rewards import COMPONENTS, make_target, register_component
from empathy_gym.rewards.components import BUILT_IN


def asked(context) -> float:
    return 1.0 if context.appraisal.question >= 0.5 else 0.0


def test_a_registered_component_is_reported_and_weighed():
    register_component("mine/asked", asked)
    try:
        env = gym.make(
            "EmpathyDialogue-v0", persona="tom_dog_died", target={"mine/asked": 2.0}, max_turns=3
        )
        env.reset(seed=0)
        _, reward, *_, info = env.step("What was he like?")
        assert info["reward_components"]["mine/asked"] == 1.0 and reward == 2.0
        _, reward, *_, info = env.step("I see.")
        assert info["reward_components"]["mine/asked"] == 0.0 and reward == 0.0
    finally:
        COMPONENTS.pop("mine/asked")


def test_a_component_named_by_import_path_resolves_in_a_fresh_process(tmp_path, monkeypatch):
    (tmp_path / "my_rewards.py").write_text(
        "def brevity(c):\n    return -c.appraisal.words / 100\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        target = make_target({"my_rewards:brevity": 1.0, "understood_delta": 1.0})
        env = gym.make("EmpathyDialogue-v0", persona="tom_dog_died", target=target, max_turns=3)
        env.reset(seed=0)
        _, _, *_, info = env.step("one two three four five")
        assert info["reward_components"]["my_rewards:brevity"] == pytest.approx(-0.05)
    finally:
        COMPONENTS.pop("my_rewards:brevity", None)


def test_bad_components_fail_clearly():
    with pytest.raises(ValueError, match="built in"):
        register_component("understood_delta", asked)
    with pytest.raises(TypeError, match="expected a callable"):
        register_component("mine/x", 3)
    with pytest.raises(ValueError, match="unknown reward component 'nope'"):
        make_target({"nope": 1.0})
    with pytest.raises(ValueError, match="cannot import it"):
        make_target({"no_such_module_xyz:f": 1.0})
    assert "understood_delta" in BUILT_IN
