"""What a person does about alerts and accounts, with no Streamlit in it: acknowledge, snooze or
dismiss an alert, log a play. Each is checked against the person's rights (a SAM acts only on their
own book), validated, and stored with its audit row in one transaction. The views call these; so
could another UI or a test."""
from __future__ import annotations

import datetime as dt

from portal import access
from portal.access import AccessDenied, Identity


def may_act(who: Identity, account_owner: str | None) -> bool:
    """Acting on alerts: a right of the role, and for a SAM only on their own accounts."""
    return access.can(who, "act_on_alerts") and (access.sees_all(who) or account_owner == who.owner)


def may_log_play(who: Identity, account_owner: str | None) -> bool:
    return access.can(who, "log_plays") and (access.sees_all(who) or account_owner == who.owner)


def _text(value: str | None, what: str, limit: int, required: bool = False) -> str | None:
    text = (value or "").strip() or None
    if required and not text:
        raise ValueError(f"say why: {what} is required")
    if text is not None:
        if any(ord(c) < 32 for c in text):
            raise ValueError(f"{what} must be one line of text")
        if len(text) > limit:
            raise ValueError(f"{what} is {len(text)} characters; keep it to {limit}")
    return text


def act_on_alert(who: Identity, alert: dict, action: str, until: dt.date | None = None, reason: str | None = None,
                 today: dt.date | None = None, eng=None) -> None:
    """Acknowledge, snooze (until a date) or dismiss (with a reason) one alert, as `who`.
    `alert` is a row of the latest run (account_id, kind, first_seen, severity, value, owner).
    AccessDenied or ValueError say what is wrong, and nothing is stored."""
    from features import appstore
    from model.alerts import ACTIONS, load_settings
    s = load_settings()
    if not may_act(who, alert.get("owner")):
        raise AccessDenied(f"As {who.role} you cannot act on alerts of this account.")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
    if alert.get("kind") not in s.kinds:
        raise ValueError(f"unknown alert kind {alert.get('kind')!r}")
    today = today or dt.date.today()
    if action == "snooze":
        if until is None or until <= today:
            raise ValueError("snooze until a date after today")
        if until > today + dt.timedelta(days=s.max_snooze_days):
            raise ValueError(f"snooze for at most {s.max_snooze_days} days (until {today + dt.timedelta(days=s.max_snooze_days)})")
    else:
        until = None
    reason = _text(reason, "the reason" if action == "dismiss" else "the note", s.max_reason_chars,
                   required=action == "dismiss")
    first_seen = alert["first_seen"]
    first_seen = first_seen.date() if hasattr(first_seen, "date") else first_seen
    appstore.act_on_alert(eng or appstore.engine(), str(alert["account_id"]), str(alert["kind"]), first_seen, action,
                          str(alert["severity"]), None if alert.get("value") is None else float(alert["value"]),
                          who.name, who.role, until=until, reason=reason)


def log_play(who: Identity, account_id: str, account_owner: str | None, play: str, done_on: dt.date,
             note: str | None = None, alert: dict | None = None, today: dt.date | None = None, eng=None) -> int:
    """Log a play (from model/plays.toml) done on `done_on` for an account, optionally answering an
    alert, as `who`. Returns its id. AccessDenied or ValueError say what is wrong; nothing is stored."""
    from features import appstore
    from model.plays import load_settings
    s = load_settings()
    if not may_log_play(who, account_owner):
        raise AccessDenied(f"As {who.role} you cannot log plays on this account.")
    if play not in {p.name for p in s.plays}:
        raise ValueError(f"unknown play {play!r}: expected one of {', '.join(p.name for p in s.plays)}")
    today = today or dt.date.today()
    if done_on > today:
        raise ValueError("a play is logged once it is done: pick today or an earlier day")
    if done_on < today - dt.timedelta(days=s.max_days_back):
        raise ValueError(f"log plays within {s.max_days_back} days of doing them")
    note = _text(note, "the note", s.max_note_chars)
    seen = alert.get("first_seen") if alert else None
    return appstore.log_play(eng or appstore.engine(), account_id, play, done_on, note, who.name, who.role,
                             alert_kind=alert.get("kind") if alert else None,
                             alert_first_seen=seen.date() if hasattr(seen, "date") else seen)
