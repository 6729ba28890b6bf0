"""Metric functions: pure, on arrays of outcomes, scores and ARR."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score


def top_decile(score: np.ndarray) -> np.ndarray:
    """Mask of the highest-scored 10% of rows (at least one)."""
    k = max(1, int(np.ceil(len(score) * 0.1)))
    order = np.argsort(-score, kind="stable")
    mask = np.zeros(len(score), bool)
    mask[order[:k]] = True
    return mask


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |observed rate - mean probability| weighted over equal-width bins."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(y[m].mean() - p[m].mean())
    return float(total)


def ranking_metrics(y, score, arr) -> dict[str, float]:
    """Metrics that need only an ordering: AUCs, lift, recall and ARR recall in the top decile."""
    y, score, arr = np.asarray(y), np.asarray(score, float), np.asarray(arr, float)
    top = top_decile(score)
    base = y.mean()
    churned_arr = np.nansum(arr * y)
    both = len(np.unique(y)) == 2
    return {
        "roc_auc": float(roc_auc_score(y, score)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, score)) if both else float("nan"),
        "lift_at_10pct": float(y[top].mean() / base) if base > 0 else float("nan"),
        "recall_at_10pct": float(y[top].sum() / y.sum()) if y.sum() else float("nan"),
        "arr_recall_at_10pct": float(np.nansum(arr[top] * y[top]) / churned_arr) if churned_arr else float("nan"),
    }


def probability_metrics(y, p, arr) -> dict[str, float]:
    """Ranking metrics plus those that need calibrated probabilities."""
    y, p = np.asarray(y), np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    return ranking_metrics(y, p, arr) | {
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": ece(y, p),
    }


def lift_by_decile(y, score) -> np.ndarray:
    """Churn rate in each score decile (highest first) over the base rate."""
    y, score = np.asarray(y), np.asarray(score, float)
    order = np.argsort(-score, kind="stable")
    parts = np.array_split(y[order], 10)
    base = y.mean() or np.nan
    return np.array([p.mean() / base if len(p) else np.nan for p in parts])


def weighted_auc(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC under each row of `weights` (resamples x rows), ties counting half: one pass over
    the rows sorted by score, for every resample at once."""
    y, score = np.asarray(y), np.asarray(score, float)
    order = np.argsort(score, kind="stable")
    s, yy, w = score[order], y[order], np.atleast_2d(weights)[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(w * (yy == 1), starts, axis=1)
    neg = np.add.reduceat(w * (yy == 0), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    total = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / total


def bootstrap_auc(y, score, groups, resamples: int, seed: int, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the ROC AUC over `resamples` resamples of `groups` (accounts: all of an
    account's rows come or go together). NaN when y has one class."""
    y, score = np.asarray(y), np.asarray(score, float)
    if len(np.unique(y)) < 2 or resamples < 1:
        return float("nan"), float("nan")
    uniq, inv = np.unique(np.asarray(groups), return_inverse=True)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(uniq), (resamples, len(uniq)))
    counts = np.zeros((resamples, len(uniq)))
    np.add.at(counts, (np.repeat(np.arange(resamples), len(uniq)), picks.ravel()), 1)
    aucs = weighted_auc(y, score, counts[:, inv])
    aucs = aucs[np.isfinite(aucs)]
    tail = (1 - level) / 2 * 100
    return float(np.percentile(aucs, tail)), float(np.percentile(aucs, 100 - tail))
