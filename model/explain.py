"""From SHAP values to what a SAM can say: probability points and one sentence per driver.

Contributions come from the model in log-odds; people see them as points of churn
probability. Sentences are built from the feature's declaration (description, unit,
template) and the account's own numbers, now and about three months before.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from features.catalog import format_value

COUNT_UNITS = {"users", "count", "events", "usd"}
SHARE_UNITS = {"share", "ratio"}


def to_points(phi: np.ndarray, base: np.ndarray, prob: np.ndarray, calibration) -> np.ndarray:
    """Split each row's move from the base probability across its SHAP values, in points (0-100).

    The share of a feature is its share of the log-odds move; rows whose calibrated probability
    did not move use the local slope of the logistic curve instead.
    """
    raw = base + phi.sum(axis=1)
    p_base = calibration(base)
    moved = np.abs(raw - base) > 1e-9
    secant = np.where(moved, (prob - p_base) / np.where(moved, raw - base, 1), 0)
    slope = np.where(moved & (secant > 0), secant, prob * (1 - prob))
    return phi * slope[:, None] * 100


def _fmt(unit: str, v) -> str:
    return format_value(unit, v)


def _isnan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def sentence(f: dict, value, previous=None, context: dict | None = None) -> str:
    """One plain sentence about a feature's value for this account, never a column name."""
    unit, desc = f["unit"], f["description"]
    if _isnan(value):
        return f"{desc}: not recorded"
    if unit == "flag":
        return (f.get("yes") if value >= 0.5 else f.get("no")) or f"{desc}: {_fmt(unit, value)}"
    moved = not _isnan(previous) and _fmt(unit, previous) != _fmt(unit, value)
    if unit in COUNT_UNITS | SHARE_UNITS and moved:
        change = value - previous
        rel = change / abs(previous) if previous else None
        if rel is None or abs(rel) >= 0.1:
            verb = "rose" if change > 0 else "fell"
            tail = f" ({rel:+.0%})" if rel is not None and unit in COUNT_UNITS else ""
            return f"{desc} {verb} from {_fmt(unit, previous)} to {_fmt(unit, value)}{tail}"
    template = f.get("sentence")
    if template:
        ctx = context or {}
        return template.format(value=_fmt(unit, value), raw=value, context=ctx.get("context", ""),
                               gap=_fmt("days", ctx.get("gap")))
    text = f"{desc} is {_fmt(unit, value)}"
    return text + (f" (was {_fmt(unit, previous)})" if moved else "")


def points_text(pts: float) -> str:
    return f"{pts:+.1f} pts" if abs(pts) < 1 else f"{pts:+.0f} pts"


def drivers(X: pd.DataFrame, keys: pd.DataFrame, pts: np.ndarray, phi: np.ndarray, catalog: dict[str, dict],
            previous: pd.DataFrame | None, context: pd.DataFrame | None, n: int = 5,
            min_points: float = 0.0) -> pd.DataFrame:
    """Top `n` drivers raising and `n` lowering risk per account: one row each, with a sentence.

    `keys` holds account_id and as_of aligned with X; `previous` holds the same features for the
    same accounts at an earlier snapshot (indexed by account_id); `context` the non-model columns.
    Drivers moving the probability by no more than `min_points` are not listed.
    """
    names = list(X.columns)
    values = X.to_numpy(dtype=float)
    prev = previous.reindex(keys["account_id"]).reindex(columns=names).to_numpy(dtype=float) \
        if previous is not None else np.full_like(values, np.nan)
    k = min(n, len(names))
    order = np.argsort(-pts, axis=1, kind="stable")
    picks = []  # (row, feature) pairs per direction and rank, chosen without a Python loop over rows
    for direction, cols in (("raises", order[:, :k]), ("lowers", order[:, ::-1][:, :k])):
        rows = np.repeat(np.arange(len(X)), k)
        feats = cols.ravel()
        sign = pts[rows, feats]
        keep = sign > min_points if direction == "raises" else sign < -min_points
        picks.append((direction, rows[keep], feats[keep], np.tile(np.arange(1, k + 1), len(X))[keep]))
    silent = context["delivery_silent_event_type"].to_numpy() if context is not None and "delivery_silent_event_type" in context \
        else np.full(len(X), "", dtype=object)
    gaps = context["delivery_usual_gap_days"].to_numpy(dtype=float) if context is not None and "delivery_usual_gap_days" in context \
        else np.full(len(X), np.nan)
    memo: dict = {}

    def said(j, i):
        key = (j, values[i, j], prev[i, j], silent[i] if names[j].startswith("delivery") else None)
        if key not in memo:
            memo[key] = sentence(catalog[names[j]], values[i, j], prev[i, j], {"context": silent[i], "gap": gaps[i]})
        return memo[key]

    account = keys["account_id"].to_numpy()
    as_of = keys["as_of"].to_numpy()
    frames = []
    for direction, rows, feats, ranks in picks:
        p = pts[rows, feats]
        text = [f"{said(j, i)} ({points_text(v)} of churn risk)" for i, j, v in zip(rows, feats, p)]
        frames.append(pd.DataFrame({
            "account_id": account[rows], "as_of": as_of[rows], "direction": direction, "rank": ranks,
            "feature": np.array(names, dtype=object)[feats],
            "description": [catalog[names[j]]["description"] for j in feats],
            "value": values[rows, feats], "contribution": p, "shap_value": phi[rows, feats], "sentence": text}))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["account_id", "direction", "rank"], ascending=[True, False, True], ignore_index=True)
