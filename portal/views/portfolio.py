"""Portfolio (CS leadership): where ARR is at risk, what renews soon, and which picture to trust."""
from __future__ import annotations

import streamlit as st

from portal import access, auth, data, queries, safe
from portal import components as ui
from portal.filters import sidebar_filters
from portal.portfolio_views import (at_risk, by_owner, disagreements, freshness_panel, health_only, kpis,
                                    renewals, trends)
from portal.settings import load_settings

s = load_settings()
db = data.db_path()
stamp = data.stamp(db)
st.title("Portfolio")
who = auth.who()
if (missing := data.readiness(db, stamp)) is not None:
    if not data.unscored(db, stamp):
        ui.stop_with(*missing)
    view = access.visible(data.health_portfolio(db, stamp, data.app_stamp()), who)
    if view.empty:
        ui.stop_with("No account with a health score is in your book yet." if not access.sees_all(who)
                     else "No account has a health score.")
    st.info("No churn scores yet, so this is the rule-based health score alone: renewals, owners and notes "
            "as usual. `radar train` says what the model still needs (enough history and churned accounts); "
            "once it has trained, `radar score --all-dates` adds the churn risk and its reasons.")
    owners, segments, tiers = sidebar_filters(view, by_health=True)
    view = queries.apply_filters(view, owners, segments, tiers, tier_column="health_tier")
    if view.empty:
        ui.stop_with("No account matches the filters.")
    st.caption(f"Health as of {ui.day(view['as_of'].iat[0])}")
    freshness_panel(data.freshness(db, stamp), view, s, data.running_job(db))
    health_only(view, s.renewal_windows[0], s.renewal_windows)
    st.stop()
app = data.app_stamp()
dates = data.score_dates(db, stamp)
then = queries.comparison_date(dates, s.compare_days)
now = access.visible(data.portfolio(db, stamp, dates[-1], app), who)
before = access.visible(data.portfolio(db, stamp, then, app), who) if then is not None else None
if now.empty:
    ui.stop_with("No scored account is in your book yet." if not access.sees_all(who) else "No account is scored.")

owners, segments, tiers = sidebar_filters(now)
view = queries.apply_filters(now, owners, segments, tiers)
prev = queries.apply_filters(before, owners, segments, tiers) if before is not None else None
renewal_days = s.renewal_windows[0]
st.caption(f"Scores as of {ui.day(dates[-1])} by model version {safe.md(now['model_version'].iat[0])}"
           + (f"; changes are vs {ui.day(then)}" if then is not None else "; no earlier snapshot to compare with"))
freshness_panel(data.freshness(db, stamp), view, s, data.running_job(db))
kpis(queries.key_figures(view, prev, renewal_days), queries.tier_counts(view, ui.RISK_ORDER), renewal_days)

tab_risk, tab_renew, tab_owner, tab_review, tab_trend = st.tabs(
    ["At risk", "Renewals", "By owner", "Score vs model", "Trends"])
with tab_risk:
    at_risk(view, s.top_links)
with tab_renew:
    renewals(view, s.renewal_windows)
with tab_owner:
    by_owner(view, renewal_days)
with tab_review:
    disagreements(view)
with tab_trend:
    history = queries.apply_filters(access.visible(data.tier_history(db, stamp), who), owners, segments, tiers)
    trends(view, history)
