"""Per-act F1 of the fast reader, the pair model alone and the pair reader, on held-out personas.

    python scripts/eval_pair_reader.py [--model DIR]

Reads the pairs of `data/pairs/` whose persona the training script held out (a fixed
hash of the persona id, `train_pair_reader.held_out`), appraises each reply with the
person's words as what they just said, and prints each act's F1 side by side. This is
how the pair reader decides which acts it owns (`pair.OWNED_ACTS`): never on the dev
turn judgements.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from train_pair_reader import held_out  # noqa: E402

from empathy_gym.personas.loader import load_library  # noqa: E402
from empathy_gym.simulator.appraisal import PRESENT  # noqa: E402
from empathy_gym.simulator.readers import get_reader  # noqa: E402
from empathy_gym.simulator.readers.base import ReadRequest  # noqa: E402
from empathy_gym.simulator.readers.pair import PAIR_ACTS, PAIR_DIR, PairModel, PairReader  # noqa: E402
from empathy_gym.simulator.state import PersonState  # noqa: E402


def acts_read(a) -> set[str]:
    """The pair vocabulary's acts present in an appraisal."""
    found = {
        act
        for act in ("validation", "criticism", "minimising", "reassurance", "advice")
        if getattr(a, act) >= PRESENT
    }
    found |= {"non_answer"} if a.non_answer >= PRESENT else set()
    found |= {"crisis_response"} if a.crisis_response >= PRESENT else set()
    found |= {"question_open"} if a.question >= PRESENT else set()
    if a.reflection >= PRESENT:
        found.add("reflection_accurate" if a.reflection_accuracy >= 0.5 else "reflection_offbase")
    found |= {"correction"} if a.correction >= PRESENT else set()
    found |= {"endorsement"} if a.endorsement >= PRESENT else set()
    return found


def f1(pairs: list[tuple[set[str], set[str]]], act: str) -> float:
    tp = sum(act in got and act in gold for gold, got in pairs)
    denominator = sum(act in got for _, got in pairs) + sum(act in gold for gold, _ in pairs)
    return 2 * tp / denominator if denominator else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(PAIR_DIR))
    ns = parser.parse_args()
    library = load_library()
    rows = [
        json.loads(line)
        for path in sorted((ROOT / "data/pairs").glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    rows = [r for r in rows if held_out(r["persona"])]
    model = PairModel(ns.model)
    readers = {
        "semantic": get_reader("semantic"),
        "pair": PairReader(get_reader("semantic"), model),
    }
    results: dict[str, list] = {"semantic": [], "pair model": [], "pair": []}
    for row in rows:
        persona = library[row["persona"]]
        state = PersonState.initial(persona)
        state.last_person_message = row["context"]
        gold = set(row["acts"])
        for name, reader in readers.items():
            request = ReadRequest(row["reply"], persona, state)
            results[name].append((gold, acts_read(reader.read([request])[0].appraisal)))
        probs = model.probabilities([(row["context"], row["reply"])])[0]
        results["pair model"].append((gold, {a for a, p in zip(PAIR_ACTS, probs) if p >= 0.5}))
    print(f"{len(rows)} held-out pairs")
    print(f"{'act':<22}" + "".join(f"{name:>12}" for name in results))
    for act in PAIR_ACTS:
        print(f"{act:<22}" + "".join(f"{f1(r, act):>12.3f}" for r in results.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
