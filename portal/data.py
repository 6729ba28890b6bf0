"""Every cached loader the portal uses: `portal/queries.py` behind `st.cache_data`.

Each key includes the warehouse's stamp (hashed: its name has no leading underscore), so a
finished ingest, score or edit shows on every open page at its next rerun, with no restart and
no cache clearing.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from features import publish
from portal import queries
from portal.queries import db_path, stamp  # noqa: F401  (the views' entry points)


@st.cache_data(show_spinner=False, max_entries=32)
def tables(db: str, stamp: int) -> set[str]:
    return queries.tables(db)


@st.cache_data(show_spinner=False, max_entries=32)
def score_dates(db: str, stamp: int) -> list:
    return queries.score_dates(db)


def readiness(db: str, stamp: int) -> tuple[str, str] | None:
    """None when the portal can show scores; else (what is wrong, the command that fixes it)."""
    try:
        have = tables(db, stamp)
        dates = score_dates(db, stamp) if "scores" in have else []
    except (duckdb.Error, OSError) as e:
        return (f"The warehouse at {db} cannot be read ({str(e).splitlines()[0]}).",
                f"mv {db} {db}.broken && radar ingest SOURCE_DIR && radar features && radar health "
                "&& radar score --all-dates")
    return queries.readiness(db, have, dates)


def unscored(db: str, stamp: int) -> bool:
    """Health is there but no churn score yet: the portfolio shows health alone."""
    try:
        have = tables(db, stamp)
        return queries.unscored(have, score_dates(db, stamp) if "scores" in have else [])
    except (duckdb.Error, OSError):
        return False


@st.cache_data(show_spinner=False, max_entries=8)
def health_portfolio(db: str, stamp: int, app_stamp: tuple) -> pd.DataFrame:
    """The accounts' health at the latest date with their latest status notes and current health
    (the portfolio while no account is scored)."""
    from features import appstore
    frame = queries.health_portfolio(db)
    if frame.empty:
        return frame
    frame = queries.with_notes(frame, appstore.notes(app_store()))
    return queries.with_current_health(frame, health_now(db, stamp, frame["as_of"].iat[0], app_stamp))


def app_store():
    """The operational store's engine (one pool per URL for the server)."""
    from features import appstore
    return appstore.engine()


def app_stamp() -> tuple:
    """The store's URL and a stamp that changes whenever a person writes: part of the keys of
    everything that shows people's writes."""
    from features import appstore
    return (appstore.default_url(), *appstore.stamp(app_store()))


@st.cache_data(show_spinner=False, max_entries=32)
def portfolio(db: str, stamp: int, as_of, app_stamp: tuple) -> pd.DataFrame:
    """The scored accounts at `as_of` with their latest status notes, and the health of accounts
    whose traits people changed since, as it stands now."""
    from features import appstore
    frame = queries.with_notes(queries.portfolio(db, as_of), appstore.notes(app_store()))
    return queries.with_current_health(frame, health_now(db, stamp, as_of, app_stamp))


@st.cache_data(show_spinner=False, max_entries=32)
def health_now(db: str, stamp: int, as_of, app_stamp: tuple) -> pd.DataFrame:
    from features import appstore
    return queries.health_now(db, appstore.edits(app_store()), as_of)


@st.cache_data(show_spinner=False, max_entries=256)
def app_history(account_id: str, app_stamp: tuple) -> dict:
    return queries.app_history(app_store(), account_id)


def running_job(db: str) -> dict | None:
    """The batch job writing the warehouse now, if any (read on every rerun, never cached)."""
    return publish.running_job(Path(db))


@st.cache_data(show_spinner=False, max_entries=32)
def freshness(db: str, stamp: int) -> dict:
    return queries.freshness(db)


@st.cache_data(show_spinner=False, max_entries=32)
def catalog(db: str, stamp: int) -> pd.DataFrame:
    return queries.catalog(db)


@st.cache_data(show_spinner=False, max_entries=32)
def account_options(db: str, stamp: int, as_of) -> pd.DataFrame:
    return queries.account_options(db, as_of)


@st.cache_data(show_spinner=False, max_entries=256)
def account_record(db: str, stamp: int, account_id: str) -> dict | None:
    return queries.account_record(db, account_id)


@st.cache_data(show_spinner=False, max_entries=256)
def account_detail(db: str, stamp: int, account_id: str, recent_rows: int) -> dict[str, pd.DataFrame]:
    return queries.account_detail(db, account_id, tables(db, stamp), recent_rows)


@st.cache_data(show_spinner=False, max_entries=8)
def labelled_scores(db: str, stamp: int, horizon_days: int, grace_days: int) -> pd.DataFrame:
    return queries.labelled_scores(db, horizon_days, grace_days)


@st.cache_data(show_spinner=False, max_entries=32)
def owners(db: str, stamp: int) -> list[str]:
    """Every owner name on an account (for the demo's role picker); none when the warehouse cannot
    be read (the page then says why)."""
    try:
        return queries.owners(db) if "accounts" in tables(db, stamp) else []
    except (duckdb.Error, OSError):
        return []


@st.cache_data(show_spinner=False, max_entries=8)
def audit_log(app_stamp: tuple) -> pd.DataFrame:
    from features import appstore
    return appstore.audit_log(app_store())


@st.cache_data(show_spinner=False, max_entries=8)
def tier_history(db: str, stamp: int) -> pd.DataFrame:
    return queries.tier_history(db)


@st.cache_data(show_spinner=False, max_entries=64)
def former_account(db: str, stamp: int, account_id: str) -> dict:
    return queries.former_account(db, account_id)
