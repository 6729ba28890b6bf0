"""Blocks of the portfolio page: key figures, freshness, renewals, owner roll-up, disagreements.
Layout only: the figures come from portal/queries.py."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import components as ui
from portal import queries
from portal.settings import PortalSettings


def _delta(now, then, fmt):
    return None if then is None else fmt(now - then)


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


def freshness_panel(f: dict, view: pd.DataFrame, s: PortalSettings) -> None:
    """When each source was loaded and how much of the health score had data: never a stale picture passing as fresh."""
    run, end = f["last_run"], f["data_end"]
    age = queries.days_ago(end)
    cov = view["coverage"].median()
    partial = int((view["coverage"] < s.low_coverage).sum())
    line = (f"Data loaded {ui.day(run['finished_at']) if run else '—'} · latest event {ui.day(end)}"
            + (f" ({age} days ago)" if age is not None else "")
            + f" · median health-score coverage {ui.pct(cov)}; {partial} accounts below {s.low_coverage:.0%}")
    (st.warning if (age or 0) > s.stale_after_days or cov < s.low_coverage else st.caption)(line)
    with st.expander("Sources and coverage"):
        src = f["sources"].assign(status=lambda x: x["loaded"].map({True: "loaded", False: "absent"}))
        st.dataframe(src[["table_name", "status", "file", "absent_columns"]], hide_index=True,
                     column_config={"table_name": "Table", "status": "Status", "file": "File",
                                    "absent_columns": "Columns not in the file"})
        stale = view[view["stale_traits"].fillna("") != ""]
        st.markdown(f"**{len(stale)} accounts** have manual traits older than the stale limit; "
                    f"**{partial}** have health scores built on under {s.low_coverage:.0%} of their weight.")


def renewals(view: pd.DataFrame, windows: tuple[int, ...]) -> None:
    window = st.segmented_control("Renewing within", list(windows), default=windows[0],
                                  format_func=lambda d: f"{d} days", key="renewal_window") or windows[0]
    due = queries.renewals_due(view, window)
    st.markdown(f"**{ui.plural(len(due), 'account')}, {ui.usd(due['arr'].sum())} ARR** renew in the next "
                f"{window} days; {ui.usd(due['arr_at_risk'].sum())} of it at risk.")
    shown = due[["name", "owner", "renewal_date", "days_to_renewal", "arr", "risk_tier", "churn_probability",
                 "health_tier", "top_driver"]]
    st.dataframe(ui.as_money(ui.as_percent(shown, "churn_probability"), "arr"), hide_index=True, column_config={
        "name": "Account", "owner": "Owner", "renewal_date": st.column_config.DateColumn("Renewal", format="YYYY-MM-DD"),
        "days_to_renewal": "Days left", "arr": "ARR",
        "risk_tier": "Risk", "churn_probability": st.column_config.NumberColumn("Churn probability", format="%.0f%%"),
        "health_tier": "Health", "top_driver": "Top reason"})
    ui.csv_button(shown, f"renewals_{window}d.csv")


def by_owner(view: pd.DataFrame, renewal_days: int) -> None:
    roll = queries.owner_rollup(view, renewal_days)
    st.dataframe(ui.as_money(roll, "arr", "arr_at_risk"), hide_index=True, column_config={
        "owner": "Owner", "accounts": "Accounts", "arr": "ARR",
        "arr_at_risk": "ARR at risk", "high_risk": "High risk",
        "median_health": st.column_config.NumberColumn("Median health", format="%.0f"),
        "renewing": f"Renewing in {renewal_days} days", "notes": "With a status note"})
    ui.csv_button(roll, "owners.csv")
    notes = queries.latest_notes(view)
    if len(notes):
        st.markdown("**Latest status notes from SAMs**")
        st.dataframe(notes[["name", "owner", "status_note", "note_by", "note_at"]], hide_index=True,
                     column_config={"name": "Account", "owner": "Owner", "status_note": "Note", "note_by": "By",
                                    "note_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm")})


def disagreements(view: pd.DataFrame) -> None:
    st.markdown("Accounts where the rule-based health score and the churn model disagree: worth a look.")
    both = queries.disagreements(view)
    shown = both[["disagreement", "name", "owner", "arr", "health_score", "coverage", "churn_probability", "top_driver"]]
    st.dataframe(ui.as_money(ui.as_percent(shown, "coverage", "churn_probability"), "arr"), hide_index=True, column_config={
        "disagreement": "Disagreement", "name": "Account", "owner": "Owner",
        "arr": "ARR",
        "health_score": st.column_config.NumberColumn("Health", format="%.0f"),
        "coverage": st.column_config.NumberColumn("Health coverage", format="%.0f%%"),
        "churn_probability": st.column_config.NumberColumn("Churn probability", format="%.0f%%"),
        "top_driver": "Model's top reason"})
    ui.csv_button(shown, "disagreements.csv")
