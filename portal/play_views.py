"""Blocks of the Plays page: per play, how often risk fell and accounts renewed, beside comparable
accounts with no play, said as what it is (an association); and the plays themselves."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import safe
from portal import components as ui


def summary(table: pd.DataFrame, caveat: str) -> None:
    st.info(caveat)
    if table.empty:
        st.caption("No play has been logged yet: SAMs log them from an alert or the account page.")
        return
    for r in table.itertuples():
        st.markdown(f"**{safe.md(r.label)}** ({ui.plural(int(r.logged), 'play')} logged). {safe.md(r.sentence)}")
    shown = table[["label", "logged", "play_followed", "play_risk_fell", "matched_followed", "matched_risk_fell",
                   "play_known", "play_renewed", "matched_known", "matched_renewed"]]
    st.dataframe(shown, hide_index=True, key="plays_summary", column_config={
        "label": "Play", "logged": "Logged", "play_followed": "Followed 90 days", "play_risk_fell": "Risk lower",
        "matched_followed": "Matched, followed", "matched_risk_fell": "Matched, risk lower",
        "play_known": "Renewal known", "play_renewed": "Renewed", "matched_known": "Matched, renewal known",
        "matched_renewed": "Matched, renewed"})


def detail(plays: pd.DataFrame, label) -> None:
    if plays.empty:
        return
    shown = plays.assign(play=plays["play"].map(label), link=plays["account_id"].map(safe.account_link))
    cols = ["name", "owner", "play", "done_on", "logged_by", "note", "risk_at", "risk_30", "risk_60", "risk_90",
            "health_at", "health_90", "outcome", "link"]
    st.dataframe(ui.as_percent(shown[[c for c in cols if c in shown]], "risk_at", "risk_30", "risk_60", "risk_90"),
                 hide_index=True, key="plays_detail", column_config={
                     "name": "Account", "owner": "Owner", "play": "Play",
                     "done_on": st.column_config.DateColumn("Done on", format="YYYY-MM-DD"), "logged_by": "By",
                     "note": "Note", "risk_at": st.column_config.NumberColumn("Risk then", format="%.0f%%"),
                     "risk_30": st.column_config.NumberColumn("30 days on", format="%.0f%%"),
                     "risk_60": st.column_config.NumberColumn("60 days on", format="%.0f%%"),
                     "risk_90": st.column_config.NumberColumn("90 days on", format="%.0f%%"),
                     "health_at": st.column_config.NumberColumn("Health then", format="%.0f"),
                     "health_90": st.column_config.NumberColumn("Health 90 days on", format="%.0f"),
                     "outcome": "Renewal", "link": st.column_config.LinkColumn("Open", display_text="open")})
    ui.csv_button(shown[[c for c in cols if c in shown and c != "link"]], "plays.csv")
