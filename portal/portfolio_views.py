"""Blocks of the portfolio page: key figures, freshness, the at-risk list, renewals, owner roll-up,
disagreements, trends. Layout only: the figures come from portal/queries.py."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import charts, queries, safe
from portal import components as ui
from portal.settings import PortalSettings
from portal.tables import Col

ACCOUNT = {"account_id": Col("Open", "link"), "name": Col("Account", width="medium")}
AT_RISK = {**ACCOUNT, "arr_at_risk": Col("ARR at risk", "money", "small"),
           "churn_probability": Col("Churn probability", "percent", "small"),
           "renewal_date": Col("Renewal", "date", "small"), "health_score": Col("Health", "int", "small"),
           "top_driver": Col("Top reason", width="large"), "status_note": Col("Latest status note", width="medium"),
           "owner": Col("Owner", width="small"), "risk_tier": Col("Risk", width="small"),
           "arr": Col("ARR", "money", "small"), "health_tier": Col("Health tier", width="small"),
           "segment": Col("Segment", width="small")}
RENEWALS = {**ACCOUNT, "renewal_date": Col("Renewal", "date", "small"), "days_to_renewal": Col("Days left", "int", "small"),
            "arr": Col("ARR", "money", "small"), "arr_at_risk": Col("ARR at risk", "money", "small"),
            "churn_probability": Col("Churn probability", "percent", "small"), "risk_tier": Col("Risk", width="small"),
            "health_score": Col("Health", "int", "small"), "health_tier": Col("Health tier", width="small"),
            "top_driver": Col("Top reason", width="large"), "owner": Col("Owner", width="small")}
DISAGREE = {**ACCOUNT, "disagreement": Col("Disagreement", width="medium"), "arr": Col("ARR", "money", "small"),
            "health_score": Col("Health", "int", "small"), "health_tier": Col("Health tier", width="small"),
            "coverage": Col("Health coverage", "percent", "small"),
            "churn_probability": Col("Churn probability", "percent", "small"),
            "top_driver": Col("Model's top reason", width="large"), "owner": Col("Owner", width="small")}
OWNERS = {"owner": Col("Owner"), "accounts": Col("Accounts", "int"), "arr": Col("ARR", "money"),
          "arr_at_risk": Col("ARR at risk", "money"), "high_risk": Col("High risk", "int"),
          "median_health": Col("Median health", "int"), "renewing": Col("Renewing soon", "int"),
          "notes": Col("With a status note", "int")}
NOTES = {**ACCOUNT, "owner": Col("Owner", width="small"), "status_note": Col("Note", width="large"),
         "note_by": Col("By", width="medium"), "note_at": Col("When", "datetime", "small")}
SOURCES = {"table_name": Col("Source"), "status": Col("Status"), "file": Col("File"),
           "absent_columns": Col("Columns not in the file")}


def _delta(now, then, fmt):
    """The change as text, or nothing when there is no earlier figure or it did not move."""
    return None if then is None or now == then else fmt(now - then)


def _signed_usd(d: float) -> str:
    return ("+" if d >= 0 else "") + ui.usd(d)


def kpis(f: queries.KeyFigures, tiers: pd.DataFrame, renewal_days: int) -> None:
    """Five figures, each with its change since the comparison snapshot."""
    b = f.before
    c = st.columns(5)
    c[0].metric("Accounts", f"{f.accounts:,}", _delta(f.accounts, b and b.accounts, lambda d: f"{d:+,}"))
    c[1].metric("ARR", ui.usd(f.arr), _delta(f.arr, b and b.arr, _signed_usd))
    c[2].metric("ARR at risk", ui.usd(f.arr_at_risk), _delta(f.arr_at_risk, b and b.arr_at_risk, _signed_usd),
                delta_color="inverse", help="Sum over accounts of churn probability (next 90 days) x ARR")
    c[3].metric("High-risk accounts", f"{f.high_risk:,} · {ui.usd(f.high_risk_arr)}",
                _delta(f.high_risk, b and b.high_risk, lambda d: f"{d:+,}"), delta_color="inverse")
    c[4].metric(f"Renewing in {renewal_days} days", f"{f.renewing:,} · {ui.usd(f.renewing_arr)}")
    st.markdown(" · ".join(f"{ui.badge(t)} {ui.plural(int(r.accounts), 'account')}, {ui.usd(r.arr)}"
                           for t, r in tiers.iterrows()))


def freshness_panel(f: dict, view: pd.DataFrame, s: PortalSettings, running: dict | None = None) -> None:
    """When each source was loaded and how much of the health score had data: never a stale picture passing as fresh."""
    run, end = f["last_run"], f["data_end"]
    age = queries.days_ago(end)
    cov = view["coverage"].median()
    gaps = _unreachable(f)
    # what the loaded sources allow: coverage is only low against that (a missing source is said, not
    # alarmed about every morning)
    low = s.low_coverage * (1 - gaps["weight"].sum())
    partial = int((view["coverage"] < low).sum())
    line = (f"Data loaded {ui.day(run['finished_at']) if run else '—'} · latest event {ui.day(end)}"
            + (f" ({age} days ago)" if age is not None else "")
            + f" · median health-score coverage {ui.pct(cov)}; {ui.plural(partial, 'account')} below {low:.0%}")
    (st.warning if (age or 0) > s.stale_after_days or cov < low else st.caption)(line)
    if len(gaps):
        from portal.health_breakdown import gaps_sentence
        st.caption(safe.md(gaps_sentence(gaps)))
    if note := queries.refresh_state(f, running):
        st.info(note)
    with st.expander("Sources and coverage"):
        src = f["sources"].assign(status=lambda x: x["loaded"].map({True: "loaded", False: "absent"}))
        ui.table(src, SOURCES)
        if len(f.get("quarantine", [])):
            st.markdown("**Rows quarantined by the latest load** (kept in table `quarantine`, with the reason)")
            ui.table(f["quarantine"], {"table_name": Col("Source"), "reason": Col("Reason", width="large"),
                                       "rows": Col("Rows", "int")})
        stale = view[view["stale_traits"].fillna("") != ""]
        st.markdown(f"**{ui.plural(len(stale), 'account')}** have manual traits older than the stale limit; "
                    f"**{partial}** have health scores built on under {low:.0%} of their weight.")


def _unreachable(f: dict) -> pd.DataFrame:
    """The health-score traits the loaded sources cannot feed (portal/health_breakdown.py)."""
    from features.catalog import load_catalog
    from features.health import load_config
    from portal.health_breakdown import unreachable
    requires = {name: ",".join(feat.requires) for name, feat in load_catalog().items()}
    return unreachable(load_config(), requires, f.get("present", set()))


def at_risk(view: pd.DataFrame, top_links: int) -> None:
    ranked = view.sort_values("arr_at_risk", ascending=False)
    st.markdown("**Highest ARR at risk** — open an account to see why it is flagged")
    cols = st.columns(2)
    for i, r in enumerate(ranked.head(top_links).itertuples()):
        cols[i % 2].page_link("views/account.py", label=f"{safe.md(r.name)} · {ui.usd(r.arr_at_risk)} at risk · {r.risk_tier}",
                              query_params={"account": r.account_id})
    ui.table(ranked, AT_RISK, csv="accounts_at_risk.csv", key="risk_table")


def renewals(view: pd.DataFrame, windows: tuple[int, ...]) -> None:
    window = st.segmented_control("Renewing within", list(windows), default=windows[0],
                                  format_func=lambda d: f"{d} days", key="renewal_window") or windows[0]
    due = queries.renewals_due(view, window)
    st.markdown(f"**{ui.plural(len(due), 'account')}, {ui.usd(due['arr'].sum())} ARR** renew in the next "
                f"{window} days; {ui.usd(due['arr_at_risk'].sum())} of it at risk.")
    ui.table(due, RENEWALS, csv=f"renewals_{window}d.csv")


def by_owner(view: pd.DataFrame, renewal_days: int) -> None:
    roll = queries.owner_rollup(view, renewal_days)
    ui.table(roll, OWNERS | {"renewing": Col(f"Renewing in {renewal_days} days", "int")}, csv="owners.csv")
    notes = queries.latest_notes(view)
    if len(notes):
        st.markdown("**Latest status notes from SAMs**")
        ui.table(notes, NOTES, csv="status_notes.csv")


def disagreements(view: pd.DataFrame) -> None:
    st.markdown("Accounts where the rule-based health score and the churn model disagree: worth a look.")
    ui.table(queries.disagreements(view), DISAGREE, csv="disagreements.csv")


def trends(view: pd.DataFrame, history: pd.DataFrame) -> None:
    st.markdown("**ARR by risk tier at each snapshot**")
    st.altair_chart(charts.arr_by_tier_over_time(queries.tier_totals(history)), width="stretch")
    st.markdown("**Health score against churn probability now** (size: ARR)")
    st.altair_chart(charts.health_vs_risk(view), width="stretch")


# no link: the account page explains a churn score, which these accounts do not have yet
HEALTH = {**ACCOUNT, "health_score": Col("Health", "int", "small"), "health_tier": Col("Health tier", width="small"),
          "arr": Col("ARR", "money", "small"), "renewal_date": Col("Renewal", "date", "small"),
          "days_to_renewal": Col("Days left", "int", "small"), "coverage": Col("Health coverage", "percent", "small"),
          "status_note": Col("Latest status note", width="medium"), "owner": Col("Owner", width="small"),
          "segment": Col("Segment", width="small")}
HEALTH_OWNERS = {"owner": Col("Owner"), "accounts": Col("Accounts", "int"), "arr": Col("ARR", "money"),
                 "poor": Col("Poor health", "int"), "poor_arr": Col("ARR in poor health", "money"),
                 "median_health": Col("Median health", "int"), "notes": Col("With a status note", "int")}


def health_only(view: pd.DataFrame, renewal_days: int, windows: tuple[int, ...]) -> None:
    """The portfolio while no account is scored: the rule-based health, renewals and notes."""
    poor = view[view["health_tier"] == "poor"]
    due = queries.renewals_due(view, renewal_days)
    c = st.columns(4)
    c[0].metric("Accounts", f"{len(view):,}")
    c[1].metric("ARR", ui.usd(view["arr"].sum()))
    c[2].metric("Poor health", f"{len(poor):,} · {ui.usd(poor['arr'].sum())}")
    c[3].metric(f"Renewing in {renewal_days} days", f"{len(due):,} · {ui.usd(due['arr'].sum())}")
    tab_health, tab_renew, tab_owner = st.tabs(["By health", "Renewals", "By owner"])
    with tab_health:
        st.markdown("**Worst health first**")
        ui.table(view, HEALTH, csv="accounts_by_health.csv", key="health_table")
    with tab_renew:
        window = st.segmented_control("Renewing within", list(windows), default=windows[0],
                                      format_func=lambda d: f"{d} days", key="renewal_window") or windows[0]
        soon = queries.renewals_due(view, window)
        st.markdown(f"**{ui.plural(len(soon), 'account')}, {ui.usd(soon['arr'].sum())} ARR** renew in the next "
                    f"{window} days.")
        ui.table(soon, HEALTH, csv=f"renewals_{window}d.csv")
    with tab_owner:
        ui.table(queries.health_rollup(view, renewal_days),
                 HEALTH_OWNERS | {"renewing": Col(f"Renewing in {renewal_days} days", "int")}, csv="owners.csv")
        notes = queries.latest_notes(view)
        if len(notes):
            st.markdown("**Latest status notes from SAMs**")
            ui.table(notes, NOTES, csv="status_notes.csv")
