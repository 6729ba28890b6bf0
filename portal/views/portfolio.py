"""Portfolio (CS leadership): where ARR is at risk, what renews soon, and which picture to trust."""
from __future__ import annotations

import altair as alt
import streamlit as st

from portal import components as ui
from portal import access, auth, data, queries, safe, state
from portal.filters import sidebar_filters
from portal.portfolio_views import by_owner, disagreements, freshness_panel, kpis, renewals
from portal.settings import load_settings

s = load_settings()
db = data.db_path()
stamp = data.stamp(db)
st.title("Portfolio")
if (missing := data.readiness(db, stamp)) is not None:
    ui.stop_with(*missing)
dates = data.score_dates(db, stamp)
then = queries.comparison_date(dates, s.compare_days)
who = auth.who()
app = data.app_stamp()
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
freshness_panel(data.freshness(db, stamp), view, s)
kpis(queries.key_figures(view, prev, renewal_days), queries.tier_counts(view, ui.RISK_ORDER), renewal_days)

tab_risk, tab_renew, tab_owner, tab_review, tab_map = st.tabs(
    ["At risk", "Renewals", "By owner", "Score vs model", "Health vs risk"])
with tab_risk:
    ranked = view.sort_values("arr_at_risk", ascending=False)
    st.markdown("**Highest ARR at risk** — open an account to see why it is flagged")
    cols = st.columns(2)
    for i, r in enumerate(ranked.head(s.top_links).itertuples()):
        cols[i % 2].page_link("views/account.py", label=f"{safe.md(r.name)} · {ui.usd(r.arr_at_risk)} at risk · {r.risk_tier}",
                              query_params={state.ACCOUNT_PARAM: r.account_id})
    shown = ranked[["name", "owner", "segment", "arr", "renewal_date", "risk_tier", "churn_probability",
                    "health_score", "top_driver", "status_note", "account_id"]]
    st.dataframe(ui.as_money(ui.as_percent(shown, "churn_probability"), "arr").assign(link=shown["account_id"].map(safe.account_link)),
                 hide_index=True, key="risk_table",
                 column_config={
                     "name": "Account", "owner": "Owner", "segment": "Segment",
                     "arr": "ARR",
                     "renewal_date": st.column_config.DateColumn("Renewal", format="YYYY-MM-DD"),
                     "risk_tier": "Risk", "health_score": st.column_config.NumberColumn("Health", format="%.0f"),
                     "churn_probability": st.column_config.ProgressColumn("Churn probability (90 days)",
                                                                          format="%.0f%%", min_value=0, max_value=100),
                     "top_driver": "Top reason", "status_note": "Latest status note", "account_id": None,
                     "link": st.column_config.LinkColumn("Open", display_text="open")})
    ui.csv_button(shown, "accounts_at_risk.csv")
with tab_renew:
    renewals(view, s.renewal_windows)
with tab_owner:
    by_owner(view, renewal_days)
with tab_review:
    disagreements(view)
with tab_map:
    chart = alt.Chart(view).mark_circle(opacity=0.75).encode(
        x=alt.X("health_score:Q", title="Health score (rule-based)", scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("churn_probability:Q", title="Churn probability, next 90 days", axis=alt.Axis(format="%")),
        size=alt.Size("arr:Q", title="ARR", legend=None, scale=alt.Scale(range=[20, 900])),
        color=alt.Color("risk_tier:N", title="Risk tier", scale=ui.tier_scale(ui.RISK_ORDER)),
        tooltip=["name", "owner", alt.Tooltip("arr:Q", format="$,.0f"), alt.Tooltip("churn_probability:Q", format=".0%"),
                 alt.Tooltip("health_score:Q", format=".0f"), "top_driver"])
    st.altair_chart(chart, width="stretch")
