"""Every example runs in its short mode and prints what its docstring promises."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))
OPTIONAL = {
    "ray": "rllib",
    "torch": "rllib",
    "pettingzoo": "marl",
    "transformers": "llm",
    "matplotlib": "report",
    "trl": "trl",
    "openenv": "openenv",
}


def missing_extra(path: Path) -> str | None:
    """The first optional module an example imports that is not installed, with its extra."""
    for module in re.findall(r"^(?:import|from) (\w+)", path.read_text(), flags=re.M):
        if module in OPTIONAL and importlib.util.find_spec(module) is None:
            return f"{path.name} needs {module!r}: pip install -e '.[{OPTIONAL[module]}]'"
    return None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, tmp_path):
    reason = missing_extra(path)
    if reason:
        pytest.skip(reason)
    # Run from a scratch directory: whatever an example writes (runs/...) stays out of the checkout.
    result = subprocess.run(
        [sys.executable, str(path), "--short"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_evaluate_example_shows_the_gap(tmp_path):
    path = Path(__file__).parent.parent / "examples" / "evaluate_baselines.py"
    result = subprocess.run(
        [sys.executable, str(path), "--short"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    last = result.stdout.strip().splitlines()[-1]
    assert "genuine rewards CuriousEmpath" in last and "comfort rewards CuriousEmpath" not in last


def test_grpo_groups_give_a_learning_signal(tmp_path):
    import json

    path = Path(__file__).parent.parent / "examples" / "grpo_groups.py"
    out = tmp_path / "groups.jsonl"
    result = subprocess.run(
        [sys.executable, str(path), "--short", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    for group in {r["group"] for r in records}:
        members = [r for r in records if r["group"] == group]
        assert len({json.dumps(r["completion"]) for r in members}) > 1  # different rollouts
        assert max(abs(r["advantage"]) for r in members) > 0.1  # a non-zero advantage
        for r in members:  # only the policy's turns are marked for training
            assert r["completion_mask"] == [m["role"] == "assistant" for m in r["completion"]]


def test_trl_judge_reward_trains_two_steps_on_the_judged_reward(tmp_path):
    pytest.importorskip("trl", reason="pip install -e '.[trl]'")
    path = Path(__file__).parent.parent / "examples" / "trl_judge_reward.py"
    result = subprocess.run(
        [sys.executable, str(path), "--short"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("step ")] == [
        "step 1",
        "step 2",
    ]
    assert lines[-1].startswith("Expected holds: 2 steps, finite loss, non-zero advantages")
    assert "every reward equals empathy_gym.judge" in lines[-1]
