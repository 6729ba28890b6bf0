"""Blocks of the Alerts page and of the account page's alerts, plays and QBR pack. Layout only:
reads come from signal_data (portal/signals.py behind caches), writes go through signal_actions,
every string from the data is shown as text (table cells, or safe.md in Markdown)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from portal import access, data, safe, signal_actions, signal_data
from portal import components as ui
from portal import signal_tables as tables
from portal.access import Identity

SEVERITY_ORDER = ["critical", "warning", "info"]


def why_now(alerts: pd.DataFrame) -> pd.Series:
    """How each alert reaches its owner: this week's interruption, over the weekly budget (in the
    digest), or still open from an earlier week."""
    return pd.Series(
        [("this week's alert" if d == "notify" else "over this week's budget: in the digest" if c
          else f"open since {ui.day(f)}") if s == "critical" else f"since {ui.day(f)}"
         for d, c, s, f in zip(alerts["delivery"], alerts["capped"], alerts["severity"], alerts["first_seen"])],
        index=alerts.index, dtype=object)


ALERT_COLUMNS = {"name": ("Account", "text"), "owner": ("Owner", "text"), "label": ("Alert", "text"),
                 "severity": ("Severity", "text"), "evidence": ("Evidence", "text"),
                 "when": ("Reached its owner", "text"), "status_text": ("Status", "text"),
                 "arr_at_risk": ("ARR at risk", "money"), "account_id": ("Open", "link")}
PLAY_COLUMNS = {"done_on": ("Done on", "date"), "play": ("Play", "text"), "note": ("Note", "text"),
                "alert_kind": ("Answering", "text"), "logged_by": ("By", "text")}


def alert_table(alerts: pd.DataFrame, key: str, owner_column: bool = True) -> None:
    if alerts.empty:
        st.caption("None.")
        return
    shown = alerts.assign(
        when=why_now(alerts),
        status_text=alerts["status"] + alerts["status_note"].fillna("").map(lambda n: f" ({n})" if n else ""))
    cols = {k: v for k, v in ALERT_COLUMNS.items() if owner_column or k != "owner"}
    tables.show(shown, cols, key)


def kinds_note(kinds: pd.DataFrame) -> None:
    skipped = kinds[~kinds["ran"].astype(bool)] if len(kinds) else kinds
    for r in skipped.itertuples():
        st.caption(f"{safe.md(r.label)} alerts are off for this portfolio: {safe.md(r.note)}.")


def figures(alerts: pd.DataFrame, cap: int) -> None:
    live = alerts[alerts["status"].isin(["open", "acknowledged"])]
    crit = live[live["severity"] == "critical"]
    c = st.columns(4)
    c[0].metric("Critical, this week's alerts", f"{int((crit['delivery'] == 'notify').sum()):,}",
                help=f"At most {cap} critical alerts interrupt an owner per week, the largest ARR at risk first")
    c[1].metric("Critical, over the budget", f"{int(crit['capped'].sum()):,}",
                help="Still critical: listed in the weekly digest, ranked by ARR at risk, and due again next week")
    c[2].metric("Warnings", f"{int((live['severity'] == 'warning').sum()):,}")
    c[3].metric("Snoozed or dismissed", f"{int(alerts['status'].isin(['snoozed', 'dismissed']).sum()):,}")


def _label(r) -> str:
    return f"{r['name']} · {r['label']} · {r['severity']} · {r['status']}"


def action_form(who: Identity, alerts: pd.DataFrame, prefix: str) -> None:
    """Acknowledge, snooze, dismiss, or log the play that answers one alert, as the signed-in person."""
    from model.alerts import load_settings
    from model.plays import load_settings as play_settings
    actable = alerts[[signal_actions.may_act(who, o) for o in alerts["owner"]]] if len(alerts) else alerts
    if actable.empty:
        if len(alerts):
            st.caption("Acting on these alerts is for the account's owner and CS leadership.")
        return
    s, ps = load_settings(), play_settings()
    today = dt.date.today()
    rows = actable.reset_index(drop=True)
    with st.form(f"{prefix}_form"):
        pick = st.selectbox("Alert", list(rows.index), format_func=lambda i: _label(rows.loc[i]), key=f"{prefix}_pick")
        action = st.radio("Do", ["acknowledge", "snooze", "dismiss", "log a play"], horizontal=True, key=f"{prefix}_action")
        c = st.columns(3)
        until = c[0].date_input("Snooze until", today + dt.timedelta(days=7), min_value=today + dt.timedelta(days=1),
                                max_value=today + dt.timedelta(days=s.max_snooze_days), key=f"{prefix}_until")
        play = c[1].selectbox("Play", [p.name for p in ps.plays], format_func=ps.label, key=f"{prefix}_play",
                              help="Suggested: " + "; ".join(f"{s.label(k)}: {', '.join(p.label for p in ps.for_alert(k))}"
                                                            for k in s.kinds if ps.for_alert(k)))
        done = c[2].date_input("Play done on", today, min_value=today - dt.timedelta(days=ps.max_days_back),
                               max_value=today, key=f"{prefix}_done")
        text = st.text_input("Reason (required to dismiss) or note", max_chars=s.max_reason_chars, key=f"{prefix}_text")
        submitted = st.form_submit_button("Save")
    if submitted:
        alert = rows.loc[pick].to_dict()
        try:
            if action == "log a play":
                signal_actions.log_play(who, alert["account_id"], alert["owner"], play, done, text, alert=alert)
                flash = f"Logged: {ps.label(play)} on {alert['name']}."
            else:
                signal_actions.act_on_alert(who, alert, action, until=until, reason=text)
                flash = {"acknowledge": "Acknowledged", "snooze": f"Snoozed until {until}",
                         "dismiss": "Dismissed"}[action] + f": {alert['label']} on {alert['name']}. " \
                    "It comes back if its evidence gets worse."
        except (ValueError, access.AccessDenied) as e:
            st.error(f"Not saved: {e}")
        except Exception as e:  # the store is unreachable: one line, not a traceback
            st.error(f"Not saved: the store could not be written ({str(e).splitlines()[0]}). Try again in a minute.")
        else:
            st.session_state[signal_data.ACTED_FLASH] = flash
            # the note was this action's: the next alert's reason is typed afresh (a dismissal kept
            # the last acknowledgement's note as its reason)
            st.session_state.pop(f"{prefix}_text", None)
            st.rerun()


def flash() -> None:
    if message := st.session_state.pop(signal_data.ACTED_FLASH, None):
        st.success(safe.md(message))


def digest_block(db: str, stamp: int, who: Identity, owners: list[str]) -> None:
    """The weekly digest to download (and read here): a SAM's own book; the portfolio or any
    owner's for those who see everything."""
    scopes = (["(the whole portfolio)"] + owners) if access.sees_all(who) else [who.owner]
    c = st.columns([3, 1, 2])
    scope = c[0].selectbox("Weekly digest for", scopes, key="digest_scope")
    fmt = c[1].radio("Format", ["md", "html"], horizontal=True, key="digest_format")
    if c[2].button("Prepare the digest", key="digest_prepare"):
        st.session_state[signal_data.DIGEST_READY] = (scope, fmt)
    if st.session_state.get(signal_data.DIGEST_READY) != (scope, fmt):
        return
    owner = None if scope == "(the whole portfolio)" else scope
    if not access.sees_all(who) and owner != who.owner:  # never another book, whatever the session says
        st.error("This digest covers another owner's book, so it is not shown to you.")
        return
    try:
        text = signal_data.digest(db, stamp, data.app_stamp(), owner, fmt, dt.date.today())
    except ValueError as e:
        st.warning(safe.md(str(e)))
        return
    name = "portfolio" if owner is None else owner.replace(" ", "_")
    st.download_button(f"Download the digest ({fmt})", text.encode(), file_name=f"digest_{name}.{fmt}",
                       mime="text/markdown" if fmt == "md" else "text/html", key="digest_download")
    if fmt == "md":
        with st.expander("Read it here", expanded=False):
            st.markdown(signal_data.digest(db, stamp, data.app_stamp(), owner, fmt, dt.date.today(), screen=True))


def account_block(db: str, stamp: int, who: Identity, account_id: str, owner: str, name: str) -> None:
    """The account's alerts (act on them), its plays (log one), and its QBR pack."""
    from model.plays import load_settings as play_settings
    st.divider()
    st.subheader("Alerts, plays and the QBR pack")
    flash()
    alerts = signal_data.alerts_now(db, stamp, data.app_stamp(), dt.date.today())
    mine = alerts[alerts["account_id"] == account_id] if len(alerts) else alerts
    st.markdown(f"**Alerts** ({len(mine)})" if len(mine) else "**Alerts**: none open at the latest run"
                + ("" if len(alerts) or "alerts" in data.tables(db, stamp) else " (`radar alerts` has not run)"))
    if len(mine):
        alert_table(mine, key="account_alerts", owner_column=False)
        action_form(who, mine, prefix="acct")
    ps = play_settings()
    plays = signal_data.account_plays(account_id, data.app_stamp())
    if len(plays):
        st.markdown("**Plays logged**")
        from model.alerts import load_settings
        tables.show(plays.assign(play=plays["play"].map(ps.label),
                                 alert_kind=plays["alert_kind"].map(lambda k: load_settings().label(k) if k else k)),
                    PLAY_COLUMNS, "account_plays")
    if signal_actions.may_log_play(who, owner):
        with st.form("play_form"):
            c = st.columns([2, 1])
            play = c[0].selectbox("Log a play", [p.name for p in ps.plays], format_func=ps.label, key="play_pick")
            today = dt.date.today()
            done = c[1].date_input("Done on", today, min_value=today - dt.timedelta(days=ps.max_days_back),
                                   max_value=today, key="play_done")
            note = st.text_input("Note", max_chars=ps.max_note_chars, key="play_note")
            if st.form_submit_button("Log the play"):
                try:
                    signal_actions.log_play(who, account_id, owner, play, done, note)
                except (ValueError, access.AccessDenied) as e:
                    st.error(f"Not saved: {e}")
                else:
                    st.session_state[signal_data.ACTED_FLASH] = f"Logged: {ps.label(play)} on {name}."
                    st.session_state.pop("play_note", None)
                    st.rerun()
    qbr_block(db, stamp, who, account_id, owner, name)


def qbr_block(db: str, stamp: int, who: Identity, account_id: str, owner: str, name: str) -> None:
    """The QBR data pack: a draft for the SAM to edit, for the account's own SAM (and leaders)."""
    if not (access.can(who, "make_qbr") and (access.sees_all(who) or owner == who.owner)):
        return
    if st.button("Prepare the QBR data pack", key="qbr_prepare",
                 help="A draft to edit before the review: nothing is sent to anyone"):
        st.session_state[signal_data.QBR_READY] = account_id
    if st.session_state.get(signal_data.QBR_READY) != account_id:
        return
    access.check_account(who, owner)
    c = st.columns(3)
    for col, fmt, mime in zip(c, ("md", "html", "pdf"), ("text/markdown", "text/html", "application/pdf")):
        col.download_button(f"QBR pack ({fmt})", signal_data.qbr(db, stamp, data.app_stamp(), account_id, fmt,
                                                                 dt.date.today()),
                            file_name=f"qbr_{account_id}.{fmt}", mime=mime, key=f"qbr_{fmt}")
