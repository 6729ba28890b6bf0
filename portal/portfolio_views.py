"""Blocks of the portfolio page: key figures, freshness, renewals, owner roll-up, disagreements."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import components as ui
from portal import data


def kpis(view: pd.DataFrame, prev: pd.DataFrame | None) -> None:
    """Five figures, each with its change since about a month before."""
    def delta(now, then, fmt):
        return None if then is None else fmt(now - then)
    p = prev if prev is not None and len(prev) else None
    high = view["risk_tier"] == "high"
    soon = view["days_to_renewal"] <= 90
    c = st.columns(5)
    c[0].metric("Accounts", f"{len(view):,}", delta(len(view), None if p is None else len(p), lambda d: f"{d:+,}"))
    c[1].metric("ARR", ui.usd(view["arr"].sum()),
                delta(view["arr"].sum(), None if p is None else p["arr"].sum(), lambda d: ("+" if d >= 0 else "") + ui.usd(d)))
    c[2].metric("ARR at risk", ui.usd(view["arr_at_risk"].sum()),
                delta(view["arr_at_risk"].sum(), None if p is None else p["arr_at_risk"].sum(),
                      lambda d: ("+" if d >= 0 else "") + ui.usd(d)), delta_color="inverse",
                help="Sum over accounts of churn probability (next 90 days) x ARR")
    c[3].metric("High-risk accounts", f"{high.sum():,} · {ui.usd(view.loc[high, 'arr'].sum())}",
                delta(int(high.sum()), None if p is None else int((p["risk_tier"] == "high").sum()), lambda d: f"{d:+,}"),
                delta_color="inverse")
    c[4].metric("Renewing in 90 days", f"{soon.sum():,} · {ui.usd(view.loc[soon, 'arr'].sum())}")
    counts = view.groupby("risk_tier").agg(accounts=("account_id", "count"), arr=("arr", "sum"))
    st.markdown(" · ".join(f"{ui.badge(t)} {int(counts.loc[t, 'accounts']) if t in counts.index else 0} accounts, "
                           f"{ui.usd(counts.loc[t, 'arr'] if t in counts.index else 0)}" for t in ui.RISK_ORDER))


def freshness_panel(db: str, stamp: float, view: pd.DataFrame) -> None:
    """When each source was loaded and how much of the health score had data: never a stale picture passing as fresh."""
    f = data.freshness(db, stamp)
    run, end = f["last_run"], f["data_end"]
    age = ui.days_ago(end)
    cov = view["coverage"].median()
    partial = int((view["coverage"] < 0.6).sum())
    line = (f"Data loaded {ui.day(run['finished_at']) if run else '—'} · latest event {ui.day(end)}"
            + (f" ({age} days ago)" if age is not None else "")
            + f" · median health-score coverage {ui.pct(cov)}; {partial} accounts below 60%")
    (st.warning if (age or 0) > 14 or cov < 0.6 else st.caption)(line)
    with st.expander("Sources and coverage"):
        s = f["sources"].assign(status=lambda x: x["loaded"].map({True: "loaded", False: "absent"}))
        st.dataframe(s[["table_name", "status", "file", "absent_columns"]], hide_index=True,
                     column_config={"table_name": "Table", "status": "Status", "file": "File",
                                    "absent_columns": "Columns not in the file"})
        stale = view[view["stale_traits"].fillna("") != ""]
        st.markdown(f"**{len(stale)} accounts** have manual traits older than the stale limit; "
                    f"**{partial}** have health scores built on under 60% of their weight.")


def renewals(view: pd.DataFrame) -> None:
    window = st.segmented_control("Renewing within", [90, 180], default=90, format_func=lambda d: f"{d} days",
                                  key="renewal_window") or 90
    due = view[view["days_to_renewal"] <= window].sort_values("renewal_date")
    st.markdown(f"**{len(due)} accounts, {ui.usd(due['arr'].sum())} ARR** renew in the next {window} days; "
                f"{ui.usd(due['arr_at_risk'].sum())} of it at risk.")
    shown = due[["name", "owner", "renewal_date", "days_to_renewal", "arr", "risk_tier", "churn_probability",
                 "health_tier", "top_driver"]]
    st.dataframe(ui.as_money(ui.as_percent(shown, "churn_probability"), "arr"), hide_index=True, column_config={
        "name": "Account", "owner": "Owner", "renewal_date": st.column_config.DateColumn("Renewal", format="YYYY-MM-DD"),
        "days_to_renewal": "Days left", "arr": "ARR",
        "risk_tier": "Risk", "churn_probability": st.column_config.NumberColumn("Churn probability", format="%.0f%%"),
        "health_tier": "Health", "top_driver": "Top reason"})
    ui.csv_button(shown, f"renewals_{window}d.csv")


def by_owner(view: pd.DataFrame) -> None:
    roll = view.groupby("owner").agg(
        accounts=("account_id", "count"), arr=("arr", "sum"), arr_at_risk=("arr_at_risk", "sum"),
        high_risk=("risk_tier", lambda s: int((s == "high").sum())), median_health=("health_score", "median"),
        renewing_90d=("days_to_renewal", lambda s: int((s <= 90).sum())),
        notes=("status_note", lambda s: int(s.notna().sum()))).reset_index().sort_values("arr_at_risk", ascending=False)
    st.dataframe(ui.as_money(roll, "arr", "arr_at_risk"), hide_index=True, column_config={
        "owner": "Owner", "accounts": "Accounts", "arr": "ARR",
        "arr_at_risk": "ARR at risk", "high_risk": "High risk",
        "median_health": st.column_config.NumberColumn("Median health", format="%.0f"),
        "renewing_90d": "Renewing in 90 days", "notes": "With a status note"})
    ui.csv_button(roll, "owners.csv")
    notes = view[view["status_note"].notna()].sort_values("note_at", ascending=False)
    if len(notes):
        st.markdown("**Latest status notes from SAMs**")
        st.dataframe(notes[["name", "owner", "status_note", "note_by", "note_at"]], hide_index=True,
                     column_config={"name": "Account", "owner": "Owner", "status_note": "Note", "note_by": "By",
                                    "note_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm")})


def disagreements(view: pd.DataFrame) -> None:
    st.markdown("Accounts where the rule-based health score and the churn model disagree: worth a look.")
    healthy_risky = view[(view["health_tier"] == "healthy") & (view["risk_tier"] == "high")]
    poor_safe = view[(view["health_tier"] == "poor") & (view["risk_tier"] == "low")]
    both = pd.concat([healthy_risky.assign(disagreement="Healthy score, high model risk"),
                      poor_safe.assign(disagreement="Poor score, low model risk")])
    shown = both[["disagreement", "name", "owner", "arr", "health_score", "coverage", "churn_probability", "top_driver"]]
    st.dataframe(ui.as_money(ui.as_percent(shown, "coverage", "churn_probability"), "arr"), hide_index=True, column_config={
        "disagreement": "Disagreement", "name": "Account", "owner": "Owner",
        "arr": "ARR",
        "health_score": st.column_config.NumberColumn("Health", format="%.0f"),
        "coverage": st.column_config.NumberColumn("Health coverage", format="%.0f%%"),
        "churn_probability": st.column_config.NumberColumn("Churn probability", format="%.0f%%"),
        "top_driver": "Model's top reason"})
    ui.csv_button(shown, "disagreements.csv")
