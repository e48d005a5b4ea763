"""Set the shipped reader's act thresholds on labelled support conversations (ESConv format).

    python scripts/calibrate_reader.py --data ../shared/data/esconv-dev/dialogues.jsonl

Fits 15 per-act logit offsets (thresholds) on the `train` split by coordinate ascent on
support-strategy macro-F1, prints train and valid macro-F1 before and after, and writes
the offsets into empathy_gym/simulator/data/head_<encoder>.npz. Only these thresholds come
from the data; the head's weights are trained on the project's own phrasings
(`scripts/build_reader.py`, which resets the offsets to zero: calibrate after building).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from empathy_gym.eval.calibrate import ScoredTurns, calibrate_offsets  # noqa: E402
from empathy_gym.eval.esconv import load_dialogues  # noqa: E402
from empathy_gym.simulator.readers.encoders import DATA_DIR  # noqa: E402
from empathy_gym.simulator.readers.head import HEAD_LABELS  # noqa: E402
from empathy_gym.simulator.readers.semantic import SemanticReader  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True)
    parser.add_argument("--encoder", default="static", choices=["static", "minilm"])
    args = parser.parse_args()
    reader = SemanticReader.load(args.encoder)
    train, valid = (
        load_dialogues(args.data, split="train"),
        load_dialogues(args.data, split="valid"),
    )

    scored = {"train": ScoredTurns.read(reader, train), "valid": ScoredTurns.read(reader, valid)}
    zero = np.zeros(len(HEAD_LABELS))
    print(f"before: train {scored['train'].f1(zero):.3f}  valid {scored['valid'].f1(zero):.3f}")
    t0 = time.time()
    offsets = calibrate_offsets(scored["train"])
    print(
        f"after:  train {scored['train'].f1(offsets):.3f}  valid {scored['valid'].f1(offsets):.3f}  "
        f"({time.time() - t0:.0f} s)"
    )
    print(
        "offsets:",
        ", ".join(f"{label} {value:+.2f}" for label, value in zip(HEAD_LABELS, offsets) if value),
    )
    reader.head.offsets = offsets.astype(np.float32)
    path = DATA_DIR / f"head_{args.encoder}.npz"
    reader.head.save(path)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
