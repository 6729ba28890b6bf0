"""Alerts (SAMs and CS leadership): the few that need acting on this week, the rest ranked, and the
weekly digest that replaces the Monday status ask."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from portal import access, auth, data, signal_data
from portal import components as ui
from portal.alert_views import action_form, alert_table, digest_block, figures, flash, kinds_note

db = data.db_path()
stamp = data.stamp(db)
st.title("Alerts")
if (missing := data.readiness(db, stamp)) is not None and not data.unscored(db, stamp):
    ui.stop_with(*missing)  # (no churn model yet still has the alerts that need none)
who = auth.who()
if "alerts" not in data.tables(db, stamp):
    ui.stop_with("No alerts have been computed yet.", "radar alerts")
from model.alerts import load_settings  # noqa: E402  (after the page can show at all)

s = load_settings()
alerts = access.visible(signal_data.alerts_now(db, stamp, data.app_stamp(), dt.date.today()), who)
flash()
if len(alerts):
    st.caption(f"Alerts raised at {ui.day(alerts['as_of'].iat[0])}. At most {s.critical_per_owner_per_week} critical "
               "alerts interrupt an owner each week; the others stay critical, ranked by ARR at risk, in the digest.")
kinds_note(signal_data.alert_kinds(db, stamp))
figures(alerts, s.critical_per_owner_per_week)
if access.sees_all(who):
    picked = st.sidebar.multiselect("Owner", sorted(alerts["owner"].unique()), key="alerts_owner")
    if picked:
        alerts = alerts[alerts["owner"].isin(picked)]
kinds = st.sidebar.multiselect("Kind", sorted(alerts["label"].unique()), key="alerts_kind")
if kinds:
    alerts = alerts[alerts["label"].isin(kinds)]
live = alerts[alerts["status"].isin(["open", "acknowledged"])]
crit, rest = live[live["severity"] == "critical"], live[live["severity"] != "critical"]
aside = alerts[alerts["status"].isin(["snoozed", "dismissed"])]
tab_crit, tab_rest, tab_aside, tab_digest = st.tabs(
    [f"Critical ({len(crit)})", f"Warnings and information ({len(rest)})", f"Snoozed or dismissed ({len(aside)})",
     "Weekly digest"])
with tab_crit:
    alert_table(crit, key="critical_table", owner_column=access.sees_all(who))
with tab_rest:
    alert_table(rest, key="other_table", owner_column=access.sees_all(who))
with tab_aside:
    alert_table(aside, key="aside_table", owner_column=access.sees_all(who))
with tab_digest:
    digest_block(db, stamp, who, data.owners(db, stamp))
st.markdown("**Act on an alert**")
action_form(who, alerts, prefix="alerts")
