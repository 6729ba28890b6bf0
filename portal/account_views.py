"""Blocks of the account page: drivers, users, workflows, trends, and the trait write-back form."""
from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from portal import access, actions, queries, safe, state
from portal.access import Identity
from portal import components as ui


def drivers_block(drivers: pd.DataFrame) -> None:
    if drivers.empty:
        st.info("No explanation stored for this account; run `radar score`.")
        return
    up, down = drivers[drivers.direction == "raises"], drivers[drivers.direction == "lowers"]
    left, right = st.columns(2)
    for col, title, rows, none in ((left, "Raising the risk", up, "Nothing raises this account's risk noticeably."),
                                   (right, "Lowering the risk", down, "Nothing lowers this account's risk noticeably.")):
        col.markdown(f"**{title}**\n\n" + ("\n".join(f"- {safe.md(s)}" for s in rows["sentence"]) or none))
    chart = alt.Chart(drivers.assign(points=drivers["contribution"])).mark_bar().encode(
        x=alt.X("points:Q", title="Points of churn probability"),
        y=alt.Y("description:N", sort="-x", title=None, axis=alt.Axis(labelLimit=420)),
        color=alt.condition("datum.points > 0", alt.value(ui.TIER_COLORS["high"]), alt.value(ui.TIER_COLORS["low"])),
        tooltip=["sentence"])
    st.altair_chart(chart, width="stretch")


def users_block(users: pd.DataFrame, feats: pd.Series, name: str, active_within_days: int) -> None:
    seats = feats.get("seats")
    c = st.columns(4)
    c[0].metric("Licensed seats", "no cap" if seats is None or pd.isna(seats) else f"{int(seats):,}")
    c[1].metric("Registered users", f"{int(feats.get('registered_users', 0) or 0):,}" if "registered_users" in feats else "—")
    c[2].metric("Active (30 days)", f"{int(feats.get('active_users_30d', 0) or 0):,}" if "active_users_30d" in feats else "—")
    c[3].metric("Never logged in", f"{int(feats.get('never_logged_in_users', 0) or 0):,}" if "never_logged_in_users" in feats else "—")
    if users.empty:
        st.info("No user list was loaded for this portfolio (the `users` source is optional).")
        return
    shown = users.assign(status=queries.user_status(users, feats.get("as_of"), active_within_days))[
        ["user_id", "email", "name", "persona", "status", "last_active", "active_days", "created_at", "deactivated_at"]]
    pick = st.multiselect("Status", queries.user_statuses(active_within_days), key="user_status_filter")
    if pick:
        shown = shown[shown["status"].isin(pick)]
    st.dataframe(shown, hide_index=True, column_config={
        "last_active": st.column_config.DateColumn("Last active", format="YYYY-MM-DD"),
        "created_at": st.column_config.DateColumn("Registered", format="YYYY-MM-DD"),
        "deactivated_at": st.column_config.DateColumn("Deactivated", format="YYYY-MM-DD"),
        "active_days": "Days active"})
    ui.csv_button(shown, f"users_{name.replace(' ', '_')}.csv", "Download user list (CSV) to share with the client")


def workflows_block(workflows: pd.DataFrame, personas: pd.DataFrame) -> None:
    if workflows.empty:
        st.info("No critical workflows configured match this product's events (features/config/adoption.toml).")
    else:
        shown = workflows.assign(target=lambda w: w["per_user_per_30d"])[
            ["description", "intended_persona", "event_type", "by_persona", "by_anyone", "target", "attainment"]]
        st.dataframe(ui.as_percent(shown, "attainment"), hide_index=True, column_config={
            "description": "Workflow", "intended_persona": "Should be done by", "event_type": "Event",
            "by_persona": "Done by them (30 days)", "by_anyone": "Done by anyone",
            "target": st.column_config.NumberColumn("Target per user / 30 days"),
            "attainment": st.column_config.ProgressColumn("Against target", format="%.0f%%", min_value=0, max_value=100)})
    if len(personas):
        st.markdown("**Personas active in the last 30 days**")
        st.dataframe(personas.assign(share=personas["active_30d"] / personas["registered"] * 100)[
            ["persona", "registered", "active_30d", "share"]], hide_index=True,
            column_config={"share": st.column_config.ProgressColumn("Active", format="%.0f%%", min_value=0, max_value=100)})


def trends_block(health: pd.DataFrame, scores: pd.DataFrame, features: pd.DataFrame, catalog: pd.DataFrame) -> None:
    left, right = st.columns(2)
    left.markdown("**Health score**")
    left.line_chart(health.set_index("as_of")[["health_score"]], height=220)
    right.markdown("**Churn probability (90 days)**")
    right.line_chart(scores.set_index("as_of")[["churn_probability"]], height=220)
    cats = [c for c in health.columns if c.startswith("cat_")]
    if len(health):
        last = health.iloc[-1][cats].rename(lambda c: c.removeprefix("cat_")).astype(float)
        st.markdown("**Health categories now (0-100)**")
        st.bar_chart(last, height=200, horizontal=True)
    usage = [c for c in ("active_users_30d", "events_30d") if c in features]
    if usage:
        st.markdown("**Usage**")
        st.line_chart(features.set_index("as_of")[usage].rename(columns=lambda c: catalog.loc[c, "description"]), height=220)


def update_block(who: Identity, account_id: str, owner: str | None, history: dict) -> None:
    from features.traits import load_traits
    if access.may_edit(who, owner):
        traits = load_traits()
        current = history["current"]
        st.markdown(f"Set your read of the account. It is stored as **{safe.md(who.name)}** with the time, kept as "
                    "history, shown to leadership, and used by the health score.")
        with st.form("traits_form", clear_on_submit=False):
            cols = st.columns(len(traits))
            picked = {t.name: col.selectbox(t.label, [actions.UNCHANGED, *t.values], key=f"edit_{t.name}",
                                            help=f"Now: {current.get(t.name, 'not set')}")
                      for col, t in zip(cols, traits)}
            note = st.text_input("One-line status note", max_chars=280, key="edit_note")
            submitted = st.form_submit_button("Save")
        if submitted:
            try:
                stored = actions.save_account_update(who, account_id, owner, actions.changed_traits(picked), note)
            except (ValueError, access.AccessDenied) as e:
                st.error(f"Not saved: {e}")
            except Exception as e:  # the store is unreachable: say so in one line, keep the form's values
                st.error(f"Not saved: the store could not be written ({str(e).splitlines()[0]}). Try again in a minute.")
            else:  # rerun so every figure on the page is read again with the new values
                st.session_state[state.SAVED_FLASH] = (
                    f"Saved at {dt.datetime.now():%Y-%m-%d %H:%M}; the health score is updated."
                    if stored else "Nothing changed: those are already the current values.")
                st.rerun()
    else:
        st.info("Traits and status notes are recorded by the account's owner; the history is below.")
    edits, notes = history["edits"], history["notes"]
    if len(edits) or len(notes):
        st.markdown("**History**")
        st.dataframe(pd.concat([edits.assign(kind="trait"),
                                notes.rename(columns={"note": "value"}).assign(kind="note", trait="status note")])
                     [["edited_at", "kind", "trait", "value", "edited_by"]].sort_values("edited_at", ascending=False),
                     hide_index=True, column_config={
                         "edited_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
                         "kind": "Kind", "trait": "Trait", "value": "Value", "edited_by": "By"})
