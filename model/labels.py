"""Honest labels: 1 when the account churns within the horizon after as_of, 0 when it does not,
and no row at all when the data does not yet tell (the window or its grace period is unobserved)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

SQL = Path(__file__).parent / "sql"


def churn_events(con: duckdb.DuckDBPyConnection, cutoff: dt.date, grace_days: int) -> pd.DataFrame:
    """One row per (account_id, churn_date) known on `cutoff`."""
    return con.execute((SQL / "churn_events.sql").read_text(),
                       {"cutoff": cutoff, "grace_days": grace_days}).df()


def label(snapshots: pd.DataFrame, churns: pd.DataFrame, cutoff: dt.date, horizon_days: int,
          grace_days: int) -> pd.DataFrame:
    """Snapshots (account_id, as_of, ...) whose outcome is known on `cutoff`, with `churned` 0/1
    and `churn_date` (the churn inside the window, if any)."""
    as_of = pd.to_datetime(snapshots["as_of"])
    known = as_of + pd.Timedelta(days=horizon_days + grace_days) <= pd.Timestamp(cutoff)
    s = snapshots.loc[known].copy()
    s["_as_of"] = pd.to_datetime(s["as_of"])
    c = churns.assign(churn_date=pd.to_datetime(churns["churn_date"]))
    hits = s[["account_id", "_as_of"]].merge(c, on="account_id")
    window = (hits["churn_date"] >= hits["_as_of"]) & \
             (hits["churn_date"] <= hits["_as_of"] + pd.Timedelta(days=horizon_days))
    first = hits[window].groupby(["account_id", "_as_of"], as_index=False)["churn_date"].min()
    s = s.merge(first, on=["account_id", "_as_of"], how="left")
    s["churned"] = s["churn_date"].notna().astype(int)
    return s.drop(columns="_as_of")
