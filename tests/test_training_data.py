"""The pair reader's training data holds nothing of the dev turn judgements.

`../shared/data/turn-judgements-dev/` is for measuring only. A training reply may share a
run of words with a dev reply only where both take it from the persona's own lines (its
openings and the way it voices a belief). The dev file is not in the repository: where it
is absent (CI's clean clone) this test skips, saying so.
"""

import json
import re
from pathlib import Path

import pytest

from empathy_gym.personas.loader import load_library

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "data" / "turn-judgements-dev" / "cases.jsonl"
RUN = 6  # words: shorter runs are everyday phrases ("what happened after that")


def runs(text: str) -> set[tuple[str, ...]]:
    words = re.sub(r"\W+", " ", text.lower()).split()
    return {tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


def _forbidden_runs() -> set[tuple[str, ...]]:
    """Runs of dev replies, less those both take from a persona's own lines."""
    dev = [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
    dev_runs = set().union(*(runs(case[k]) for case in dev for k in ("a", "b")))
    own = set()
    for persona in load_library().values():
        lines = [*persona.opening, *(v for b in persona.beliefs for v in b.voiced_as)]
        own |= set().union(*(runs(line) for line in lines))
    return dev_runs - own


@pytest.mark.skipif(not DEV.is_file(), reason=f"{DEV} is not on this machine")
def test_no_training_pair_shares_a_run_of_words_with_a_dev_reply():
    forbidden = _forbidden_runs()
    leaks = [
        f"{path.name}: {row['reply'][:80]}"
        for path in sorted((ROOT / "data" / "pairs").glob("*.jsonl"))
        for row in map(json.loads, path.read_text().splitlines())
        if runs(row["reply"]) & forbidden
    ]
    assert leaks == []


# Files found holding dev replies, and rewritten; every line is checked.
CLEANED = ("data/phrases/forum.jsonl", "tests/test_appraisal.py")


@pytest.mark.skipif(not DEV.is_file(), reason=f"{DEV} is not on this machine")
@pytest.mark.parametrize("name", CLEANED)
def test_a_cleaned_file_shares_no_run_of_words_with_a_dev_reply(name):
    forbidden = _forbidden_runs()
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    leaks = [
        f"{name}:{i}: {line.strip()[:80]}"
        for i, line in enumerate(lines, 1)
        if runs(line) & forbidden
    ]
    assert leaks == []
