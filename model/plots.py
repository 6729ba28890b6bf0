"""Evaluation figures (matplotlib, off-screen): ROC, PR, calibration, lift, importance, SHAP summary.

Each function draws on a figure of its own and returns it; `close` releases them once logged.
pyplot keeps one current figure per process, and the SHAP summary draws on it, so jobs that run
in threads of one process (the portal's retrain and backtest) draw one at a time.
"""
from __future__ import annotations

import functools
import threading

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402

from model.evaluate import lift_by_decile  # noqa: E402

_PYPLOT = threading.RLock()


def _one_at_a_time(draw):
    @functools.wraps(draw)
    def locked(*args, **kwargs):
        with _PYPLOT:
            return draw(*args, **kwargs)
    return locked


def _fig(title):
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    ax.set_title(title)
    return fig, ax


@_one_at_a_time
def roc(y, scores: dict[str, np.ndarray], title: str = "ROC on the test months"):
    fig, ax = _fig(title)
    for name, s in scores.items():
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend()
    return fig


@_one_at_a_time
def pr(y, scores: dict[str, np.ndarray], title: str = "Precision-recall on the test months"):
    fig, ax = _fig(title)
    for name, s in scores.items():
        p, r, _ = precision_recall_curve(y, s)
        ax.plot(r, p, label=name)
    ax.axhline(np.mean(y), ls=":", color="grey", label="base rate")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.legend()
    return fig


@_one_at_a_time
def calibration(y, p, bins: int = 10, title: str = "Calibration on the test months"):
    fig, ax = _fig(title)
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    xs = [p[idx == b].mean() for b in range(bins) if (idx == b).any()]
    ys = [np.mean(np.asarray(y)[idx == b]) for b in range(bins) if (idx == b).any()]
    ax.plot(xs, ys, "o-", label="model")
    top = max(max(xs), max(ys), 0.05)
    ax.plot([0, top], [0, top], ":", color="grey", label="perfect")
    ax.set_xlabel("predicted churn probability")
    ax.set_ylabel("observed churn rate")
    ax.legend()
    return fig


@_one_at_a_time
def lift(y, scores: dict[str, np.ndarray], title: str = "Lift by decile (highest risk first)"):
    fig, ax = _fig(title)
    width = 0.8 / len(scores)
    for i, (name, s) in enumerate(scores.items()):
        ax.bar(np.arange(10) + i * width, lift_by_decile(y, s), width, label=name)
    ax.axhline(1, ls=":", color="grey")
    ax.set_xticks(np.arange(10) + 0.4 - width / 2, [str(d) for d in range(1, 11)])
    ax.set_xlabel("decile")
    ax.set_ylabel("churn rate / base rate")
    ax.legend()
    return fig


@_one_at_a_time
def importance(labels: list[str], gain: np.ndarray, top: int = 20):
    order = np.argsort(gain)[::-1][:top][::-1]
    fig, ax = plt.subplots(figsize=(8, 6), dpi=100)
    ax.barh([labels[i] for i in order], gain[order] / gain.sum())
    ax.set_title("Feature importance (share of gain)")
    fig.tight_layout()
    return fig


@_one_at_a_time
def shap_summary(phi: np.ndarray, X, labels: list[str]):
    import shap  # heavy: only at training time
    fig = plt.figure(dpi=100)  # summary_plot draws on the current figure: make it this one
    shap.summary_plot(phi, X.to_numpy(dtype=float), feature_names=labels, show=False, max_display=15,
                      plot_size=(9, 6))
    fig.suptitle("SHAP values on the test months (log-odds)")
    fig.tight_layout()
    return fig


@_one_at_a_time
def auc_by_cutoff(per_cutoff, labels: dict[str, str]):
    """ROC AUC per cutoff and method (rows of model.backtest's per-cutoff table), with the
    bootstrap interval as bars, and chance as a dotted line."""
    fig, ax = _fig("ROC AUC at each cutoff (95% interval)")
    for method, label in labels.items():
        t = per_cutoff[per_cutoff["method"] == method].sort_values("cutoff")
        if t.empty:
            continue
        x = np.arange(len(t))
        err = np.vstack([t["roc_auc"] - t["roc_auc_lo"], t["roc_auc_hi"] - t["roc_auc"]])
        ax.errorbar(x, t["roc_auc"], yerr=np.nan_to_num(err), marker="o", capsize=3, label=label)
        ax.set_xticks(x, t["cutoff"].tolist())
    ax.axhline(0.5, ls=":", color="grey", label="chance")
    ax.set_xlabel("cutoff")
    ax.set_ylabel("ROC AUC on the next horizon")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    return fig


@_one_at_a_time
def close(figures: dict) -> None:
    for fig in figures.values():
        plt.close(fig)
