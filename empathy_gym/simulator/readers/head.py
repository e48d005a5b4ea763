"""The act head: a small multi-label classifier on sentence features, in numpy.

A linear layer, or one ReLU hidden layer, then one sigmoid per act (several acts can be
present in one message). Trained by `scripts/build_reader.py` on the labelled phrasings
in `data/phrases/` (written for this project, in many registers) and shipped as a small
`.npz`; `fit` is also how a user trains a head on their own labelled data.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from threadpoolctl import ThreadpoolController

HEAD_LABELS: tuple[str, ...] = (
    "question_open",
    "question_closed",
    "reflection_feeling",
    "restatement",
    "validation",
    "reassurance",
    "minimising",
    "criticism",
    "advice",
    "information",
    "self_disclosure",
    "agreement",
    "crisis_response",
    "backchannel",
    "other",
)
Z_CLIP = 3.0  # a rare feature must not dominate a message it happens to fire on
_ARRAYS = ("w1", "b1", "w2", "b2", "mean", "scale", "offsets")


class OneBlasThread:
    """A context in which every loaded BLAS library runs on one thread; the caller's limits come back after.

    A reader's matrices are tiny ((150 x 279) @ (279 x 64)): on a loaded 2-core machine
    OpenBLAS's default threads made that matmul 1,170 us against 48-69 us on one (issue 21),
    and many envs per machine each spawning BLAS threads oversubscribe every core. Reentrant
    and shared by threads: the first to enter sets the limit, the last to leave restores what
    it found, so a concurrent read never leaves the caller's process at one thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._libraries: list | None = None  # threadpoolctl's BLAS controllers
        self._modules_seen = -1  # len(sys.modules) at the last scan: a new import may load a BLAS
        self._restore: list[tuple[object, int]] = []

    def __enter__(self) -> "OneBlasThread":
        with self._lock:
            if self._depth == 0:
                if self._libraries is None or len(sys.modules) != self._modules_seen:
                    found = ThreadpoolController().select(user_api="blas")
                    self._libraries = list(found.lib_controllers)
                    self._modules_seen = len(sys.modules)
                for library in self._libraries:
                    threads = library.num_threads
                    if threads != 1:
                        self._restore.append((library, threads))
                        library.set_num_threads(1)
            self._depth += 1
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                for library, threads in self._restore:
                    library.set_num_threads(threads)
                self._restore.clear()


# The readers' one guard (module state: BLAS thread counts are per process).
ONE_BLAS_THREAD = OneBlasThread()


@dataclass(slots=True)
class ActHead:
    """A small MLP (or linear) head from sentence features to act-label logits, with its feature
    scaling and calibrated offsets.
    """

    w1: np.ndarray  # (n_features, hidden) or (n_features, n_labels) when linear
    b1: np.ndarray
    w2: np.ndarray  # (hidden, n_labels); empty when linear
    b2: np.ndarray
    mean: np.ndarray  # feature standardisation
    scale: np.ndarray
    offsets: np.ndarray  # per-label logit offsets (thresholds), zero unless calibrated
    labels: tuple[str, ...] = HEAD_LABELS
    encoder: str = "static"

    @property
    def n_features(self) -> int:
        """The number of input features the head expects."""
        return int(self.w1.shape[0])

    def logits(self, features: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Per-label logits; `calibrated=False` leaves out the threshold offsets (for calibrating them)."""
        x = np.clip((features - self.mean) / self.scale, -Z_CLIP, Z_CLIP)
        h = x @ self.w1 + self.b1
        if self.w2.size:
            h = np.maximum(h, 0.0) @ self.w2 + self.b2
        return h + self.offsets if calibrated else h

    def predict(self, features: np.ndarray) -> np.ndarray:
        """(n, n_labels) probabilities, each label independent (BLAS on one thread, see `OneBlasThread`)."""
        with ONE_BLAS_THREAD:
            logits = self.logits(features)
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))

    def save(self, path: str | Path) -> None:
        """Write the head to an .npz file atomically."""
        path = Path(path)
        tmp = path.with_name(path.stem + ".tmp.npz")
        arrays = {name: getattr(self, name).astype(np.float32) for name in _ARRAYS}
        np.savez_compressed(
            tmp, **arrays, labels=np.array(self.labels), encoder=np.array(self.encoder)
        )
        tmp.replace(path)  # whole or not at all

    @classmethod
    def load(cls, path: str | Path) -> "ActHead":
        """Load a head from an .npz file, checking that every array is there."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: no act head here; build one with `python scripts/build_reader.py`"
            )
        with np.load(path, allow_pickle=False) as data:
            missing = {*_ARRAYS, "labels", "encoder"} - set(data.files)
            if missing:
                raise ValueError(f"{path}: not an act head (missing {sorted(missing)})")
            head = cls(
                *(data[name] for name in _ARRAYS),
                tuple(str(x) for x in data["labels"]),
                str(data["encoder"]),
            )
        out = head.w2.shape[1] if head.w2.size else head.w1.shape[1]
        if out != len(head.labels) or head.offsets.shape != (len(head.labels),):
            raise ValueError(
                f"{path}: the head's outputs do not match its {len(head.labels)} labels"
            )
        return head


def fit(
    features: np.ndarray,
    targets: np.ndarray,
    *,
    hidden: int = 0,
    l2: float = 1e-2,
    epochs: int = 400,
    lr: float = 0.05,
    balance: float = 0.5,
    encoder: str = "static",
    labels: tuple[str, ...] = HEAD_LABELS,
    seed: int = 0,
    on_epoch: Callable[[], None] | None = None,
) -> ActHead:
    """Full-batch Adam on the mean binary cross-entropy with L2; deterministic for a seed.

    `balance` in [0, 1] reweights each label's positives against its negatives (1: equal
    weight, 0: none), so rare acts are not ignored without flooding common ones.
    `on_epoch` is called after every epoch (a progress bar's update).
    """
    n, d = features.shape
    k = len(labels)
    if targets.shape != (n, k):
        raise ValueError(f"targets must be ({n}, {k}), got {targets.shape}")
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-3
    x = np.clip((features - mean) / scale, -Z_CLIP, Z_CLIP)
    rng = np.random.default_rng(seed)
    if hidden:
        params = [
            rng.normal(0, np.sqrt(2.0 / d), (d, hidden)),
            np.zeros(hidden),
            rng.normal(0, np.sqrt(1.0 / hidden), (hidden, k)),
            np.zeros(k),
        ]
    else:
        params = [rng.normal(0.0, 0.01, (d, k)), np.zeros(k)]
    pos = targets.mean(axis=0).clip(1e-3, 1 - 1e-3)
    weight = np.where(targets > 0, (0.5 / pos) ** balance, (0.5 / (1 - pos)) ** balance) / n
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    beta1, beta2 = 0.9, 0.999
    for t in range(1, epochs + 1):
        if hidden:
            w1, b1, w2, b2 = params
            pre = x @ w1 + b1
            h = np.maximum(pre, 0.0)
            p = 1.0 / (1.0 + np.exp(-np.clip(h @ w2 + b2, -30, 30)))
            g = (p - targets) * weight
            gh = (g @ w2.T) * (pre > 0)
            grads = [x.T @ gh + l2 * w1, gh.sum(0), h.T @ g + l2 * w2, g.sum(0)]
        else:
            w, b = params
            p = 1.0 / (1.0 + np.exp(-np.clip(x @ w + b, -30, 30)))
            g = (p - targets) * weight
            grads = [x.T @ g + l2 * w, g.sum(0)]
        for i, (param, grad) in enumerate(zip(params, grads)):
            m, v = moments[i]
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad * grad
            moments[i] = (m, v)
            param -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + 1e-8)
        if on_epoch is not None:
            on_epoch()
    if hidden:
        w1, b1, w2, b2 = params
    else:
        (w1, b1), w2, b2 = params, np.zeros((0, k)), np.zeros(k)
    return ActHead(w1, b1, w2, b2, mean, scale, np.zeros(k), labels, encoder)
