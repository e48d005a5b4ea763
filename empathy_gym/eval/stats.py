"""Small, dependency-free (numpy only) statistics for fidelity reports.

- `rankdata`: ranks 1..n, ties get the average of the ranks they span.
- `spearman`: Pearson correlation of average ranks (so ties are handled); nan when
  fewer than 2 pairs or either side is constant.
- `auc`: area under the ROC curve of `scores` separating positives from negatives, the
  Mann-Whitney U / (n_pos * n_neg), a tie counting one half; nan if a class is empty.
- `f1_scores` / `macro_f1` / `confusion_matrix`: per-label F1 (0 where precision +
  recall is 0), their unweighted mean, and counts[true, predicted].
- `mean_ci` / `welch`: a mean (a difference of means) and its normal 95% half-width; the
  leaderboard, the report's bands and `compare` all use these.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def rankdata(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1, ties averaged: [10, 20, 20, 30] -> [1, 2.5, 2.5, 4]."""
    x = np.asarray(values, dtype=float)
    n = x.size
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    ranks = np.empty(n, dtype=float)
    # Boundaries of runs of equal values in sorted order.
    starts = (
        np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]]) if n else np.array([], dtype=int)
    )
    ends = np.r_[starts[1:], n]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2.0  # mean of ranks start+1 .. end
    return ranks


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denom = math.sqrt(float(a @ a) * float(b @ b))
    if denom == 0.0:
        return math.nan
    return max(-1.0, min(1.0, float(a @ b) / denom))


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation with average ranks for ties; nan if undefined."""
    x_arr, y_arr = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x_arr.shape != y_arr.shape or x_arr.ndim != 1:
        raise ValueError(
            f"spearman: expected two 1-d sequences of equal length, got shapes {x_arr.shape} and {y_arr.shape}"
        )
    if x_arr.size < 2:
        return math.nan
    return _pearson(rankdata(x_arr), rankdata(y_arr))


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """ROC AUC: probability that a random positive scores above a random negative (ties 1/2)."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError(
            f"auc: expected scores and labels of equal length, got shapes {s.shape} and {y.shape}"
        )
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(s)
    u = float(ranks[y].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def confusion_matrix(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> np.ndarray:
    """counts[i, j]: items of true label labels[i] predicted as labels[j]."""
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"confusion_matrix: {len(y_true)} true labels but {len(y_pred)} predictions"
        )
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(y_true, y_pred):
        if t not in index or p not in index:
            raise ValueError(
                f"confusion_matrix: label {t if t not in index else p!r} is not in labels {list(labels)}"
            )
        matrix[index[t], index[p]] += 1
    return matrix


def f1_scores(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, float]:
    """Per-label F1 = 2 tp / (2 tp + fp + fn); 0 where the label never occurs in either."""
    if labels is None:
        labels = sorted(set(y_true) | set(y_pred))
    matrix = confusion_matrix(y_true, y_pred, labels)
    tp = np.diag(matrix).astype(float)
    fp = matrix.sum(axis=0) - tp
    fn = matrix.sum(axis=1) - tp
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return {label: float(v) for label, v in zip(labels, f1)}


def macro_f1(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean of per-label F1 over `labels` (default: every label seen in either list)."""
    scores = f1_scores(y_true, y_pred, labels)
    return float(np.mean(list(scores.values()))) if scores else math.nan


Z95 = 1.96


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and the half-width of a normal 95% confidence interval (nan for no values, 0 for one)."""
    n = len(values)
    if n == 0:
        return float("nan"), float("nan")
    mean = sum(values) / n
    if n == 1:
        return mean, 0.0
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, Z95 * math.sqrt(var / n)


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Difference of means (b - a) and a normal-approximation 95% half-width."""
    mean_a, half_a = mean_ci(a)
    mean_b, half_b = mean_ci(b)
    return mean_b - mean_a, math.hypot(half_a, half_b)
