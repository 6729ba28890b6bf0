"""Reading what the model needs from the warehouse: feature snapshots, their catalog, health."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from features.warehouse import require_table


def catalog(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    require_table(con, "feature_catalog", "radar features")
    rows = con.execute("select * from feature_catalog").df()
    return {r["name"]: {k: (None if pd.isna(v) else v) for k, v in r.items()} for _, r in rows.iterrows()}


def model_features(cat: dict[str, dict]) -> list[str]:
    """Numeric features the model may use, in catalog order."""
    return [n for n, f in cat.items() if f["model"] and f["unit"] != "text"]


def snapshots(con: duckdb.DuckDBPyConnection, until: dt.date | None = None, at: dt.date | None = None) -> pd.DataFrame:
    """Feature snapshots joined with their health score; all dates up to `until`, or one date `at`."""
    require_table(con, "features", "radar features")
    require_table(con, "health", "radar health")
    where, params = "", []
    if at is not None:
        where, params = "where f.as_of = ?", [at]
    elif until is not None:
        where, params = "where f.as_of <= ?", [until]
    return con.execute(f"""select f.*, h.health_score, h.health_tier, h.coverage as health_coverage
                           from features as f
                           left join health as h on h.account_id = f.account_id and h.as_of = f.as_of
                           {where} order by f.as_of, f.account_id""", params).df()
