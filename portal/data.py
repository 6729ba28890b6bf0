"""Every query the portal runs, each behind a cache. Keys include the warehouse's modification
stamp, so a new ingest, score or trait edit shows up on the next rerun.

Connections are short-lived and read-only, so `radar` jobs can write while the portal runs.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from features.paths import default_db


def db_path() -> str:
    return str(Path(os.environ.get("RADAR_DB") or default_db()))


def stamp(db: str) -> float:
    """Changes whenever the warehouse file does."""
    p = Path(db)
    wal = p.with_name(p.name + ".wal")
    return max((f.stat().st_mtime_ns for f in (p, wal) if f.exists()), default=0)


def _read(db: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(db, read_only=True)
    con.execute("set enable_progress_bar = false")
    return con


def query(db: str, sql: str, params: list | None = None) -> pd.DataFrame:
    with _read(db) as con:
        return con.execute(sql, params or []).df()


@st.cache_data(show_spinner=False)
def tables(db: str, _stamp: float) -> set[str]:
    if not Path(db).exists():
        return set()
    return set(query(db, "select table_name from information_schema.tables where table_schema = 'main'")["table_name"])


def readiness(db: str) -> tuple[str, str] | None:
    """None when the portal can show scores; else (what is missing, the command that fixes it)."""
    have = tables(db, stamp(db))
    if not have:
        return f"No warehouse at {db}.", "radar demo   # or: radar ingest SOURCE_DIR && radar features && radar health"
    for table, fix in (("features", "radar features"), ("health", "radar health"),
                       ("scores", "radar train && radar score --all-dates")):
        if table not in have:
            return f"The warehouse has no `{table}` table yet.", fix
    if not score_dates(db, stamp(db)):
        return "No account has been scored yet.", "radar score --all-dates"
    return None


@st.cache_data(show_spinner=False)
def score_dates(db: str, _stamp: float) -> list:
    return list(query(db, "select distinct as_of from scores order by as_of")["as_of"])


PORTFOLIO_SQL = """
with notes as (
    select account_id, note, edited_by, edited_at,
           row_number() over (partition by account_id order by edited_at desc) as recency
    from status_notes
)
select s.account_id, coalesce(a.name, s.account_id) as name, coalesce(a.owner, 'Unassigned') as owner,
       coalesce(a.segment, 'Unknown') as segment, s.as_of, s.churn_probability, s.risk_tier,
       s.arr, s.arr_at_risk, s.model_version, h.health_score, coalesce(h.health_tier, 'unknown') as health_tier,
       h.coverage, h.missing_traits, h.stale_traits, f.days_to_renewal,
       s.as_of + cast(f.days_to_renewal as integer) as renewal_date,
       d.sentence as top_driver, n.note as status_note, n.edited_by as note_by, n.edited_at as note_at
from scores as s
left join accounts as a on a.account_id = s.account_id
left join health as h on h.account_id = s.account_id and h.as_of = s.as_of
left join features as f on f.account_id = s.account_id and f.as_of = s.as_of
left join drivers as d on d.account_id = s.account_id and d.as_of = s.as_of
     and d.direction = 'raises' and d.rank = 1
left join notes as n on n.account_id = s.account_id and n.recency = 1
where s.as_of = ?
order by s.churn_probability desc
"""


@st.cache_data(show_spinner=False)
def portfolio(db: str, _stamp: float, as_of) -> pd.DataFrame:
    """One row per scored account at `as_of`: risk, health, renewal, top driver, latest note."""
    return query(db, PORTFOLIO_SQL, [as_of])


@st.cache_data(show_spinner=False)
def freshness(db: str, _stamp: float) -> dict:
    runs = query(db, "select * from ingest_runs order by finished_at desc limit 1")
    sources = query(db, """select c.table_name, bool_or(c.present) as loaded, any_value(c.file) as file,
                                  string_agg(case when not c.present then c.column_name end, ', ') as absent_columns
                           from source_columns as c group by c.table_name order by c.table_name""")
    end = query(db, "select max(cast(occurred_at as date)) as d from events")["d"].iat[0]
    return {"last_run": runs.iloc[0].to_dict() if len(runs) else None, "sources": sources, "data_end": end}


@st.cache_data(show_spinner=False)
def catalog(db: str, _stamp: float) -> pd.DataFrame:
    return query(db, "select * from feature_catalog").set_index("name")


@st.cache_data(show_spinner=False)
def account_options(db: str, _stamp: float, as_of) -> pd.DataFrame:
    return query(db, """select s.account_id, coalesce(a.name, s.account_id) as name from scores as s
                        left join accounts as a using (account_id) where s.as_of = ?
                        order by s.churn_probability desc""", [as_of])


@st.cache_data(show_spinner=False)
def account_detail(db: str, _stamp: float, account_id: str) -> dict[str, pd.DataFrame]:
    """Everything the account page shows, one query per block, on one connection."""
    have = tables(db, _stamp)
    con = _read(db)
    q = lambda sql: con.execute(sql, [account_id]).df()  # noqa: E731
    try:
        return {
            "health": q("select * from health where account_id = ? order by as_of"),
            "scores": q("select as_of, churn_probability, risk_tier from scores where account_id = ? order by as_of"),
            "drivers": q("select * from drivers where account_id = ? and as_of = (select max(as_of) from drivers) "
                         "order by direction desc, rank"),
            "features": q("select * from features where account_id = ? order by as_of"),
            "users": q("select * from user_activity where account_id = ? order by last_active desc nulls last")
            if "user_activity" in have else pd.DataFrame(),
            "personas": q("select * from adoption_personas where account_id = ? and as_of = "
                          "(select max(as_of) from adoption_personas) order by registered desc")
            if "adoption_personas" in have else pd.DataFrame(),
            "workflows": q("select * from adoption_workflows where account_id = ? and as_of = "
                           "(select max(as_of) from adoption_workflows) order by workflow")
            if "adoption_workflows" in have else pd.DataFrame(),
            "activity": q("select * from recent_activity where account_id = ? order by events desc")
            if "recent_activity" in have else pd.DataFrame(),
            "tickets": q("select ticket_id, opened_at, closed_at, kind, priority, status from tickets "
                         "where account_id = ? order by opened_at desc limit 15"),
            "touchpoints": q("select occurred_at, kind, owner, notes from touchpoints where account_id = ? "
                             "order by occurred_at desc limit 15"),
            "edits": q("select edited_at, trait, value, edited_by from trait_edits where account_id = ? "
                       "order by edited_at desc"),
            "notes": q("select edited_at, note, edited_by from status_notes where account_id = ? order by edited_at desc"),
            "traits": q("select as_of, trait, value from traits where account_id = ? order by as_of desc limit 12"),
        }
    finally:
        con.close()


@st.cache_data(show_spinner=False)
def backtest_frame(db: str, _stamp: float, horizon_days: int, grace_days: int) -> pd.DataFrame:
    """Every scored snapshot whose outcome is known, with the model's and the health score's view."""
    from model import labels  # pure pandas + duckdb, no mlflow
    snaps = query(db, """select s.account_id, s.as_of, s.churn_probability, s.risk_tier, s.arr,
                                h.health_score, coalesce(h.health_tier, 'unknown') as health_tier
                         from scores as s left join health as h using (account_id, as_of)""")
    con = duckdb.connect(db, read_only=True)
    try:
        from features.pipeline import data_end
        cutoff = data_end(con)
        churns = labels.churn_events(con, cutoff, grace_days)
    finally:
        con.close()
    return labels.label(snaps, churns, cutoff, horizon_days, grace_days)
