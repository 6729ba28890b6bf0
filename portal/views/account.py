"""Account (SAM): why it is flagged, who uses what they pay for, and the SAM's own read of it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import components as ui
from portal import access, auth, data, queries, safe, state
from portal.account_views import drivers_block, trends_block, update_block, users_block, workflows_block
from portal.alert_views import account_block
from portal.settings import load_settings
from portal.summary import account_summary

s = load_settings()
db = data.db_path()
stamp = data.stamp(db)
if (missing := data.readiness(db, stamp)) is not None:
    st.title("Account")
    ui.stop_with(*missing)
who = auth.who()
latest = data.score_dates(db, stamp)[-1]
options = access.visible(data.account_options(db, stamp, latest), who)
ids = list(options["account_id"])
wanted = st.query_params.get(state.ACCOUNT_PARAM)
if wanted is not None and wanted not in ids:  # never show another account in its place
    st.title("Account")
    known = data.account_record(db, stamp, wanted)
    if known is None:
        ui.stop_with(f"No such account: {safe.md(wanted)}.")
    try:
        access.check_account(who, known["owner"])
    except access.AccessDenied as e:
        st.error(str(e))
        st.stop()
    ui.stop_with(f"{safe.md(known['name'])} ({safe.md(wanted)}) has no score on {ui.day(latest)}: "
                 "it is not an active customer on that date.")
if not ids:
    st.title("Account")
    ui.stop_with("No account in your book has a score yet.")
labels = dict(zip(options["account_id"], options["name"] + " (" + options["account_id"] + ")"))
account_id = st.selectbox("Account", ids, index=ids.index(wanted) if wanted in ids else 0,
                          format_func=labels.get, key=state.ACCOUNT_PICK)
st.query_params[state.ACCOUNT_PARAM] = account_id

app = data.app_stamp()
row = data.portfolio(db, stamp, latest, app).set_index("account_id").loc[account_id]
d = data.account_detail(db, stamp, account_id, s.recent_rows)
history = data.app_history(account_id, app)
health_now = data.health_now(db, stamp, latest, app)
d = d | {"health": queries.with_current_rows(d["health"], health_now[health_now["account_id"] == account_id])}
feats = d["features"].iloc[-1] if len(d["features"]) else pd.Series(dtype=float)
st.title(safe.md(row["name"]))
if flash := st.session_state.pop(state.SAVED_FLASH, None):  # set by a save, shown after its rerun
    st.success(flash)
st.markdown(f"**Owner** {safe.md(row['owner'])} · **Segment** {safe.md(row['segment'])} · **ARR** {ui.usd(row['arr'])} · "
            f"**Renewal** {ui.day(row['renewal_date'])} ({'—' if pd.isna(row['days_to_renewal']) else int(row['days_to_renewal'])} days)")
if isinstance(row["status_note"], str):
    st.info(f"Status: {safe.md(row['status_note'])} — {safe.md(row['note_by'])}, {ui.day(row['note_at'])}")

scores = d["scores"]
prev_p = scores["churn_probability"].iloc[-2] if len(scores) > 1 else None
c = st.columns(4)
c[0].metric("Health score", f"{row['health_score']:.0f} · {row['health_tier']}" if pd.notna(row["health_score"]) else "unknown",
            help=f"Built on {ui.pct(row['coverage'])} of its weight. Missing: {row['missing_traits'] or 'nothing'}")
c[1].metric("Churn probability (90 days)", f"{ui.pct(row['churn_probability'])} · {row['risk_tier']}",
            None if prev_p is None else f"{(row['churn_probability'] - prev_p) * 100:+.1f} pts", delta_color="inverse")
c[2].metric("ARR at risk", ui.usd(row["arr_at_risk"]))
seats = feats.get("seats")
c[3].metric("Active users (30 days) / seats",
            f"{int(feats.get('active_users_30d', 0) or 0):,} / {'no cap' if seats is None or pd.isna(seats) else f'{int(seats):,}'}")
if row["coverage"] < s.low_coverage or row["stale_traits"]:
    st.caption(f"Health score built on {ui.pct(row['coverage'])} of its weight"
               + (f"; stale: {safe.md(row['stale_traits'])}" if row["stale_traits"] else ""))
st.markdown("**In one sentence:** " + safe.md(account_summary(d["personas"], d["activity"], d["workflows"],
                                                               feats.get("active_users_30d"))))

why, users, flows, trends, recent, update = st.tabs(
    ["Why it is flagged", "Users", "Workflows", "Trends", "Tickets & touchpoints", "Update traits"])
with why:
    drivers_block(d["drivers"])
with users:
    users_block(d["users"], feats, row["name"], s.active_within_days)
with flows:
    workflows_block(d["workflows"], d["personas"])
with trends:
    trends_block(d["health"], scores, d["features"], data.catalog(db, stamp))
with recent:
    st.markdown("**Recent tickets**")
    st.dataframe(d["tickets"], hide_index=True)
    st.markdown("**Recent CSM touchpoints**")
    st.dataframe(d["touchpoints"], hide_index=True)
with update:
    update_block(who, account_id, row["owner"], history)
account_block(db, stamp, who, account_id, row["owner"], row["name"])  # alerts, plays, QBR pack (alert_views.py)
