"""Cached loaders for the alerts, expansion and plays pages: portal/signals.py and the reports
behind st.cache_data. Keys hold the warehouse's stamp and the operational store's, so a finished
`radar alerts` or anyone's action shows at the next rerun, with no cache clearing."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from portal import data, signals

# session-state keys of these pages, in one place
ACTED_FLASH = "signal_acted_flash"  # the confirmation shown after an action's rerun
QBR_READY = "qbr_ready"  # the account whose QBR pack the person asked for
DIGEST_READY = "digest_ready"  # the scope whose digest the person asked for


@st.cache_data(show_spinner=False, max_entries=16)
def alerts_now(db: str, stamp: int, app_stamp: tuple, today: dt.date) -> pd.DataFrame:
    return signals.alerts_now(db, data.app_store(), today)


@st.cache_data(show_spinner=False, max_entries=16)
def alert_kinds(db: str, stamp: int) -> pd.DataFrame:
    return signals.alert_kinds(db)


@st.cache_data(show_spinner=False, max_entries=64)
def alert_history(db: str, stamp: int, account_id: str) -> pd.DataFrame:
    return signals.alert_history(db, account_id)


@st.cache_data(show_spinner=False, max_entries=16)
def expansion_now(db: str, stamp: int) -> pd.DataFrame:
    return signals.expansion_now(db)


@st.cache_data(show_spinner=False, max_entries=8)
def plays_review(db: str, stamp: int, app_stamp: tuple) -> dict:
    return signals.plays_review(db, data.app_store())


@st.cache_data(show_spinner=False, max_entries=64)
def account_plays(account_id: str, app_stamp: tuple) -> pd.DataFrame:
    return signals.account_plays(data.app_store(), account_id)


@st.cache_data(show_spinner=False, max_entries=16)
def digest(db: str, stamp: int, app_stamp: tuple, owner: str | None, fmt: str, today: dt.date,
           screen: bool = False) -> str:
    """The digest as a file, or (`screen`) as Markdown escaped for Streamlit."""
    from portal.reports import digest as report
    return report.render(report.build(db, data.app_store(), owner, today), fmt, screen)


@st.cache_data(show_spinner=False, max_entries=16)
def qbr(db: str, stamp: int, app_stamp: tuple, account_id: str, fmt: str, today: dt.date) -> bytes:
    from portal.reports import qbr as pack
    p = pack.build(db, data.app_store(), account_id, today)
    return pack.pdf(p) if fmt == "pdf" else (pack.markdown(p) if fmt == "md" else pack.html(p)).encode()
