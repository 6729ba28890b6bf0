"""The page of an active account: header, the figures that matter, and the tabs a SAM works in."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import account_views as blocks
from portal import components as ui
from portal import data, queries, safe, state
from portal.access import Identity
from portal.alert_views import account_block
from portal.settings import PortalSettings
from portal.summary import account_summary


def show_active(db: str, stamp: int, who: Identity, account_id: str, s: PortalSettings,
                scored: bool = True) -> None:
    """The page; `scored=False` while no churn model has scored (the health score alone)."""
    # a save is in the operational store already: confirm it before any warehouse read, so a
    # refresh running at that moment can never swallow the confirmation
    if flash := st.session_state.pop(state.SAVED_FLASH, None):
        st.success(flash)
    app = data.app_stamp()
    if scored:
        dates = data.score_dates(db, stamp)
        latest, then = dates[-1], queries.comparison_date(dates, s.compare_days)
        row = data.portfolio(db, stamp, latest, app).set_index("account_id").loc[account_id]
    else:
        row = data.health_portfolio(db, stamp, app).set_index("account_id").loc[account_id]
        latest, then = row["as_of"], None
    d = data.account_detail(db, stamp, account_id, s.recent_rows)
    history = data.app_history(account_id, app)
    now = data.health_now(db, stamp, latest, app)
    d = d | {"health": queries.with_current_rows(d["health"], now[now["account_id"] == account_id])}
    feats = d["features"].iloc[-1] if len(d["features"]) else pd.Series(dtype=float)

    st.title(safe.md(row["name"]))
    days = "" if pd.isna(row["days_to_renewal"]) else f" ({int(row['days_to_renewal'])} days)"
    st.markdown(f"**Owner** {safe.md(row['owner'])} · **Segment** {safe.md(row['segment'])} · "
                f"**ARR** {ui.usd(row['arr'])} · **Renewal** {ui.day(row['renewal_date'])}{days}")
    if isinstance(row["status_note"], str):
        st.info(f"Status: {safe.md(row['status_note'])} — {safe.md(row['note_by'])}, {ui.day(row['note_at'])}")
    if not scored:
        st.info("No churn model has scored this portfolio yet, so this page shows the rule-based health score "
                f"as of {ui.day(latest)}. `radar train` says what the model still needs.")
    blocks.figures(row, feats, queries.probability_then(d["scores"], then), then, s.low_coverage)
    st.markdown("**In one sentence:** " + safe.md(account_summary(d["personas"], d["activity"], d["workflows"],
                                                                   feats.get("active_users_30d"))))

    why, users, flows, trends, recent, update = st.tabs(
        ["Why it is flagged", "Users", "Workflows", "Trends", "Tickets & touchpoints", "Update traits"])
    with why:
        if scored:
            blocks.drivers_block(d["drivers"])
        blocks.health_block(d["health"].iloc[-1] if len(d["health"]) else row, feats, data.catalog(db, stamp))
    with users:
        blocks.users_block(d["users"], feats, row["name"], s.active_within_days)
    with flows:
        blocks.workflows_block(d["workflows"], d["personas"])
    with trends:
        blocks.trends_block(d["health"], d["scores"], d["features"], data.catalog(db, stamp), d["contributions"])
    with recent:
        blocks.recent_block(d["tickets"], d["touchpoints"])
    with update:
        blocks.update_block(who, account_id, row["owner"], history)
    account_block(db, stamp, who, account_id, row["owner"], row["name"])  # alerts, plays, QBR pack
