"""Backtest: how the churn model and the health score ranked accounts whose outcome is now known.

Pure functions over the warehouse's `scores` and `health` tables; no Streamlit, no MLflow.
A warning is a high or medium risk tier from the model, or a poor or concerning health tier.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from features.pipeline import data_end
from features.warehouse import require_table
from model import labels
from model.baselines import health_risk
from model.evaluate import ranking_metrics

MODEL_WARNING_TIERS = ("high", "medium")
HEALTH_WARNING_TIERS = ("poor", "concerning")
MEASURES = {"roc_auc": "ROC AUC", "lift_at_10pct": "Lift in the top 10%",
            "arr_recall_at_10pct": "Churned ARR caught in the top 10%"}
COLUMNS = ["account_id", "as_of", "churn_probability", "risk_tier", "arr", "health_score", "health_tier",
           "churned", "churn_date"]

SCORED_SQL = """
-- grain: one row per scored (account_id, as_of), with the health score of the same snapshot
select s.account_id, s.as_of, s.churn_probability, s.risk_tier, s.arr,
       h.health_score, coalesce(h.health_tier, 'unknown') as health_tier
from scores as s
left join health as h on h.account_id = s.account_id and h.as_of = s.as_of
"""


def labelled_scores(con: duckdb.DuckDBPyConnection, horizon_days: int, grace_days: int,
                    cutoff: dt.date | None = None) -> pd.DataFrame:
    """One row per scored snapshot whose outcome is known on `cutoff` (default: the data end):
    the model's and the health score's view then, `churned` 0/1 within `horizon_days` and its
    `churn_date` (NaT when retained). Columns: COLUMNS."""
    require_table(con, "scores", "radar score --all-dates")
    require_table(con, "health", "radar health")
    cutoff = cutoff or data_end(con)
    scored = con.execute(SCORED_SQL).df()
    churns = labels.churn_events(con, cutoff, grace_days)
    out = labels.label(scored, churns, cutoff, horizon_days, grace_days)
    return out[COLUMNS].reset_index(drop=True)


def scope_metrics(frame: pd.DataFrame, unknown_health: float) -> pd.DataFrame:
    """One row per measure (ROC AUC, lift and churned ARR caught in the top 10%) with the model's
    and the health score's value on `frame`; a missing health score counts as `unknown_health`."""
    y, arr = frame["churned"].to_numpy(), frame["arr"].to_numpy(float)
    model = ranking_metrics(y, frame["churn_probability"].to_numpy(float), arr)
    health = ranking_metrics(y, health_risk(frame["health_score"], unknown_health), arr)
    return pd.DataFrame({"Measure": list(MEASURES.values()), "Churn model": [model[k] for k in MEASURES],
                         "Health score": [health[k] for k in MEASURES]})


def first_warnings(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per churn (account_id, churn_date): its earliest labelled snapshot, with lead_days
    (days from that snapshot to the churn) and whether the model and the health score warned then."""
    churned = frame[frame["churned"] == 1].sort_values(["as_of", "account_id"], kind="stable")
    first = churned.groupby(["account_id", "churn_date"], sort=False).head(1).reset_index(drop=True)
    return first.assign(
        lead_days=(pd.to_datetime(first["churn_date"]) - pd.to_datetime(first["as_of"])).dt.days,
        model_warned=first["risk_tier"].isin(MODEL_WARNING_TIERS),
        health_warned=first["health_tier"].isin(HEALTH_WARNING_TIERS))


def flag_rates(frame: pd.DataFrame) -> dict[str, float]:
    """Share of all account-months in `frame` that each method flags: {"model": ..., "health": ...}
    (NaN for an empty frame)."""
    if frame.empty:
        return {"model": float("nan"), "health": float("nan")}
    return {"model": float(np.mean(frame["risk_tier"].isin(MODEL_WARNING_TIERS))),
            "health": float(np.mean(frame["health_tier"].isin(HEALTH_WARNING_TIERS)))}
