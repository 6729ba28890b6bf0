"""Blocks of the account page: figures, drivers, users, workflows, trends, tickets, the trait form.
Layout only: numbers come from portal/queries.py, writes go through portal/actions.py."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from portal import access, actions, charts, queries, safe, state
from portal import components as ui
from portal.access import Identity
from portal.tables import Col

MIN_DELTA_PTS = 0.05  # a change that rounds to "+0.0 pts" is no change

USERS = {"who": Col("User", width="medium"), "email": Col("Email", width="medium"), "persona": Col("Persona"),
         "status": Col("Status"), "last_active": Col("Last active", "date"), "active_days": Col("Days active", "int"),
         "created_at": Col("Registered", "date"), "deactivated_at": Col("Deactivated", "date")}
PERSONAS = {"persona": Col("Persona"), "registered": Col("Registered", "int"),
            "active_30d": Col("Active in 30 days", "int"), "share": Col("Share active", "progress")}
WORKFLOWS = {"description": Col("Workflow", width="medium"), "intended_persona": Col("Should be done by"),
             "done": Col("Done in the last 30 days", width="large"), "attainment": Col("Against target", "progress"),
             "by_anyone": Col("Done by anyone", "int")}
TICKETS = {"ticket_id": Col("Ticket"), "opened_at": Col("Opened", "date"), "closed_at": Col("Closed", "date"),
           "kind": Col("Kind"), "priority": Col("Priority"), "status": Col("Status")}
TOUCHPOINTS = {"occurred_at": Col("When", "date"), "kind": Col("Kind"), "owner": Col("By"),
               "notes": Col("Notes", width="large")}
HEALTH_TRAITS = {"trait": Col("Trait", width="medium"), "category": Col("Category", width="medium"),
                 "value": Col("This account"), "healthy_at": Col("Healthy at"), "poor_at": Col("Poor at"),
                 "score": Col("Score (0-100)"), "points_lost": Col("Points it costs"),
                 "note": Col("Note", width="medium")}
HISTORY = {"edited_at": Col("When", "datetime"), "what": Col("What"), "value": Col("Value", width="large"),
           "edited_by": Col("By", width="medium")}


def figures(row: pd.Series, feats: pd.Series, p_then: float | None, then, low_coverage: float) -> None:
    """Health, churn probability (and its change vs the comparison snapshot), ARR at risk, usage."""
    c = st.columns(4)
    health = f"{row['health_score']:.0f} · {row['health_tier']}" if pd.notna(row["health_score"]) else "unknown"
    c[0].metric("Health score", health,
                help=f"Built on {ui.pct(row['coverage'])} of its weight. Missing: {row['missing_traits'] or 'nothing'}")
    if "churn_probability" in row:
        move = None if p_then is None else (row["churn_probability"] - p_then) * 100
        c[1].metric("Churn probability (90 days)", f"{ui.pct(row['churn_probability'])} · {row['risk_tier']}",
                    None if move is None or abs(move) < MIN_DELTA_PTS else f"{move:+.1f} pts vs {ui.day(then)}",
                    delta_color="inverse")
        c[2].metric("ARR at risk", ui.usd(row["arr_at_risk"]))
    else:  # no churn model yet: the health score alone
        c[1].metric("Churn probability (90 days)", "no model yet",
                    help="`radar train` says what the model still needs (enough history and churned accounts)")
        c[2].metric("ARR", ui.usd(row["arr"]))
    seats = feats.get("seats")
    c[3].metric("Active users (30 days) / seats",
                f"{int(feats.get('active_users_30d', 0) or 0):,} / "
                f"{'no cap' if seats is None or pd.isna(seats) else f'{int(seats):,}'}")
    if row["coverage"] < low_coverage or row["stale_traits"]:
        st.caption(f"Health score built on {ui.pct(row['coverage'])} of its weight"
                   + (f"; stale: {safe.md(row['stale_traits'])}" if row["stale_traits"] else ""))


def drivers_block(drivers: pd.DataFrame) -> None:
    if drivers.empty:
        st.info("No explanation stored for this account; run `radar score`.")
        return
    up, down = drivers[drivers.direction == "raises"], drivers[drivers.direction == "lowers"]
    left, right = st.columns(2)
    for col, title, rows, none in ((left, "Raising the risk", up, "Nothing raises this account's risk noticeably."),
                                   (right, "Lowering the risk", down, "Nothing lowers this account's risk noticeably.")):
        col.markdown(f"**{title}**\n\n" + ("\n".join(f"- {safe.md(s)}" for s in rows["sentence"]) or none))
    st.altair_chart(charts.drivers_bar(drivers), width="stretch")


def health_block(health: pd.Series, feats: pd.Series, catalog: pd.DataFrame) -> None:
    """What pulls the rule-based health score down, trait by trait, in points that add up."""
    from features.health import load_config
    from portal import health_breakdown
    table = health_breakdown.breakdown(health, feats, load_config(), catalog)
    st.markdown("**The health score, trait by trait**")
    st.caption(safe.md(health_breakdown.summary(health.get("health_score"), table)))
    ui.table(health_breakdown.shown(table), HEALTH_TRAITS)


def users_block(users: pd.DataFrame, feats: pd.Series, name: str, active_within_days: int) -> None:
    def count(feature: str) -> str:
        return f"{int(feats.get(feature) or 0):,}" if feature in feats else "—"
    seats = feats.get("seats")
    c = st.columns(4)
    c[0].metric("Licensed seats", "no cap" if seats is None or pd.isna(seats) else f"{int(seats):,}")
    c[1].metric("Registered users", count("registered_users"))
    c[2].metric(f"Active ({active_within_days} days)", count("active_users_30d"))
    c[3].metric("Never logged in", count("never_logged_in_users"))
    if users.empty:
        st.info("No user list was loaded for this portfolio (the `users` source is optional).")
        return
    if gone := queries.active_then_deactivated(users, feats.get("as_of"), active_within_days):
        st.caption(f"Active counts everyone active in the last {active_within_days} days: "
                   f"{ui.plural(gone, 'user')} of them {'was' if gone == 1 else 'were'} deactivated since "
                   "and show as deactivated below.")
    shown = users.assign(status=queries.user_status(users, feats.get("as_of"), active_within_days),
                         who=users["name"].fillna(users["user_id"]))
    pick = st.multiselect("Status", queries.user_statuses(active_within_days), key="user_status_filter")
    if pick:
        shown = shown[shown["status"].isin(pick)]
    ui.table(shown, USERS, csv=f"users_{name.replace(' ', '_')}.csv",
             csv_label="Download the user list (CSV) to share with the client")


def workflows_block(workflows: pd.DataFrame, personas: pd.DataFrame) -> None:
    if workflows.empty:
        st.info("No critical workflows configured match this product's events (features/config/adoption.toml).")
    else:
        ui.table(queries.workflow_rows(workflows, personas), WORKFLOWS)
    if len(personas):
        st.markdown("**Personas active in the last 30 days**")
        ui.table(personas.assign(share=personas["active_30d"] / personas["registered"]), PERSONAS)


def trends_block(health: pd.DataFrame, scores: pd.DataFrame, features: pd.DataFrame, catalog: pd.DataFrame,
                 contributions: pd.DataFrame) -> None:
    from features.health import load_config
    categories = {c.name: c.label for c in load_config().categories}
    left, right = st.columns(2)
    left.markdown("**Churn probability at each snapshot**")
    if len(scores):
        left.altair_chart(charts.probability_over_time(scores), width="stretch")
    else:
        left.caption("No churn model has scored this account yet.")
    right.markdown("**Health score and its categories over time**")
    right.altair_chart(charts.health_over_time(health, categories), width="stretch")
    if len(contributions):
        st.markdown("**What moved the risk, month by month** (points each kind of signal adds to the churn "
                    "probability compared with accounts that renewed, at the same point of their term)")
        if sentence := queries.risk_moves(contributions, scores):
            st.caption(safe.md(sentence))
        st.altair_chart(charts.risk_contributions_over_time(contributions, queries.family_label), width="stretch")
    if len(health):
        st.markdown("**Health categories now**")
        st.altair_chart(charts.categories_now(health.iloc[-1], categories), width="stretch")
    usage = {c: catalog.loc[c, "description"] for c in ("active_users_30d", "events_30d") if c in features}
    if usage:
        st.markdown("**Usage**")
        st.altair_chart(charts.usage_over_time(features, usage), width="stretch")


def recent_block(tickets: pd.DataFrame, touchpoints: pd.DataFrame) -> None:
    st.markdown("**Recent tickets**")
    ui.table(tickets, TICKETS) if len(tickets) else st.caption("No tickets recorded.")
    st.markdown("**Recent CSM touchpoints**")
    ui.table(touchpoints, TOUCHPOINTS) if len(touchpoints) else st.caption("No touchpoints recorded.")


def _save(who: Identity, account_id: str, owner: str | None, current: dict, names: list[str]) -> None:
    """The form's submit callback: runs before the rerun, so it may reset the note it stored."""
    picked = {t: st.session_state.get(f"edit_{t}_{account_id}") for t in names}
    note = st.session_state.get(f"edit_note_{account_id}") or ""
    changed = actions.changed_traits(picked, current)
    if not changed and not note.strip():
        st.session_state[state.SAVE_RESULT] = ("info", "Nothing changed: those are already the current values, "
                                                       "and there is no note to add.")
        return
    try:
        stored = actions.save_account_update(who, account_id, owner, changed, note)
    except (ValueError, access.AccessDenied) as e:
        st.session_state[state.SAVE_RESULT] = ("error", f"Not saved: {e}")
    except Exception as e:  # the store is unreachable: say so in one line, keep the form's values
        st.session_state[state.SAVE_RESULT] = ("error", f"Not saved: the store could not be written "
                                                        f"({str(e).splitlines()[0]}). Try again in a minute.")
    else:
        st.session_state[f"edit_note_{account_id}"] = ""
        st.session_state[state.SAVED_FLASH] = (f"Saved at {dt.datetime.now():%Y-%m-%d %H:%M}; the health score is "
                                               "updated." if stored else "Nothing changed: those are already the current values.")


def update_block(who: Identity, account_id: str, owner: str | None, history: dict) -> None:
    from features.traits import load_traits
    traits = load_traits()
    labels = {t.name: t.label for t in traits}
    if access.may_edit(who, owner):
        current = history["current"]
        st.markdown(f"Set your read of the account. It is stored as **{safe.md(who.name)}** with the time, kept as "
                    "history, shown to leadership, and used by the health score.")
        with st.form(f"traits_form_{account_id}", clear_on_submit=False):
            cols = st.columns(len(traits))
            for col, t in zip(cols, traits):
                options = list(t.values) if t.name in current else [actions.NOT_SET, *t.values]
                now = current.get(t.name, actions.NOT_SET)
                col.selectbox(t.label, options, index=options.index(now) if now in options else 0,
                              key=f"edit_{t.name}_{account_id}")
            st.text_input("One-line status note", max_chars=280, key=f"edit_note_{account_id}")
            st.form_submit_button("Save", on_click=_save, args=(who, account_id, owner, current, list(labels)))
        if result := st.session_state.pop(state.SAVE_RESULT, None):
            getattr(st, result[0])(result[1])
    else:
        st.info("Traits and status notes are recorded by the account's owner and CS leadership; the history is below.")
    edits, notes = history["edits"], history["notes"]
    if len(edits) or len(notes):
        st.markdown("**History**")
        rows = pd.concat([edits.assign(what=edits["trait"].map(labels).fillna(edits["trait"])),
                          notes.rename(columns={"note": "value"}).assign(what="Status note")])
        ui.table(rows.sort_values("edited_at", ascending=False), HISTORY)
