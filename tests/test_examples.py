"""Every example runs in its short mode and prints what its docstring promises."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path):
    result = subprocess.run([sys.executable, str(path), "--short"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_evaluate_example_shows_the_gap():
    path = Path(__file__).parent.parent / "examples" / "evaluate_baselines.py"
    result = subprocess.run([sys.executable, str(path), "--short"], capture_output=True, text=True, timeout=300)
    last = result.stdout.strip().splitlines()[-1]
    assert "genuine rewards CuriousEmpath" in last and "comfort rewards CuriousEmpath" not in last
