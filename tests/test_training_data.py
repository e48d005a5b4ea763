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


@pytest.mark.skipif(not DEV.is_file(), reason=f"{DEV} is not on this machine")
def test_no_training_pair_shares_a_run_of_words_with_a_dev_reply():
    dev = [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
    dev_runs = set().union(*(runs(case[k]) for case in dev for k in ("a", "b")))
    own = set()
    for persona in load_library().values():
        lines = [*persona.opening, *(v for b in persona.beliefs for v in b.voiced_as)]
        own |= set().union(*(runs(line) for line in lines))
    forbidden = dev_runs - own
    leaks = [
        f"{path.name}: {row['reply'][:80]}"
        for path in sorted((ROOT / "data" / "pairs").glob("*.jsonl"))
        for row in map(json.loads, path.read_text().splitlines())
        if runs(row["reply"]) & forbidden
    ]
    assert leaks == []
