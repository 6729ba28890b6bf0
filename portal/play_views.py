"""Blocks of the Plays page: per play, how often risk fell and accounts renewed, beside comparable
accounts with no play, said as what it is (an association); and the plays themselves."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import safe
from portal import components as ui
from portal import signal_tables as tables


SUMMARY_COLUMNS = {"label": ("Play", "text"), "logged": ("Logged", "number"),
                   "play_followed": ("Followed 90 days", "number"), "play_risk_fell": ("Risk lower", "number"),
                   "matched_followed": ("Matched, followed", "number"),
                   "matched_risk_fell": ("Matched, risk lower", "number"), "play_known": ("Renewal known", "number"),
                   "play_renewed": ("Renewed", "number"), "matched_known": ("Matched, renewal known", "number"),
                   "matched_renewed": ("Matched, renewed", "number")}
DETAIL_COLUMNS = {"name": ("Account", "text"), "owner": ("Owner", "text"), "play": ("Play", "text"),
                  "done_on": ("Done on", "date"), "logged_by": ("By", "text"), "note": ("Note", "text"),
                  "risk_at": ("Risk then", "percent"), "risk_30": ("30 days on", "percent"),
                  "risk_60": ("60 days on", "percent"), "risk_90": ("90 days on", "percent"),
                  "health_at": ("Health then", "number"), "health_90": ("Health 90 days on", "number"),
                  "outcome": ("Renewal", "text"), "account_id": ("Open", "link")}


def summary(table: pd.DataFrame, caveat: str) -> None:
    st.info(caveat)
    if table.empty:
        st.caption("No play has been logged yet: SAMs log them from an alert or the account page.")
        return
    for r in table.itertuples():
        st.markdown(f"**{safe.md(r.label)}** ({ui.plural(int(r.logged), 'play')} logged). {safe.md(r.sentence)}")
    tables.show(table, SUMMARY_COLUMNS, "plays_summary")


def detail(plays: pd.DataFrame, label) -> None:
    if plays.empty:
        return
    shown = tables.show(plays.assign(play=plays["play"].map(label)), DETAIL_COLUMNS, "plays_detail")
    ui.csv_button(shown.drop(columns="Open"), "plays.csv")
