"""A former customer's page: who it was, when it left, and what the model and the health score
said before it did. Read-only: nobody records traits on an account that is gone."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import charts, data, queries, safe
from portal import components as ui
from portal.tables import Col

SAID = {"days_before": Col("Days before", "int"), "as_of": Col("Snapshot", "date"),
        "churn_probability": Col("Churn probability", "percent"), "risk_tier": Col("Risk"),
        "health_score": Col("Health", "int"), "health_tier": Col("Health tier"), "arr": Col("ARR", "money")}
DAYS_BEFORE = (90, 30)


def show_former(db: str, stamp: int, known: dict, latest) -> None:
    f = data.former_account(db, stamp, known["account_id"])
    st.title(safe.md(known["name"]))
    st.markdown(f"**Owner** {safe.md(known['owner'])} · account {safe.md(known['account_id'])}")
    last = f["last_covered"]
    if f["evergreen"] or last is None or pd.Timestamp(last) >= pd.Timestamp(latest):
        ui.stop_with(f"This account has no score on {ui.day(latest)}: no contract covered it on that day, "
                     "or it has not been scored yet (run `radar features`, `radar health` and `radar score`).")
    st.warning(f"Former customer: the last day a contract covered it was {ui.day(last)}. "
               "This page is read-only.")
    scores = f["scores"]
    if scores.empty:
        st.info("It was never scored: it left before the first snapshot.")
        return
    said = queries.said_before(scores, last, DAYS_BEFORE)
    st.markdown(f"**What was said before it left** (latest snapshot {ui.day(scores['as_of'].iloc[-1])})")
    if said.empty:
        st.caption(f"No snapshot was taken {min(DAYS_BEFORE)} days or more before it left.")
    else:
        ui.table(said, SAID)
    st.altair_chart(charts.probability_over_time(scores), width="stretch")
