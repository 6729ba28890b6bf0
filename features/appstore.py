"""The operational store: what people write (traits, status notes, alert actions, plays, and the
audit of every action).

Many writers at once, transactional: SQLite in WAL mode under data/ by default, any SQLAlchemy URL
in $RADAR_APP_DB (PostgreSQL for a team). Batch jobs read it; an ingest never touches it; rows are
only ever added, so nothing a person saved can be lost by a refresh.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from functools import lru_cache

import pandas as pd
import sqlalchemy as sa

from features.paths import DATA_DIR

MAX_ACTOR = 200
meta = sa.MetaData()

trait_edits = sa.Table(
    "trait_edits", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(200), nullable=False, index=True),
    sa.Column("trait", sa.String(100), nullable=False),
    sa.Column("value", sa.String(100), nullable=False),
    sa.Column("edited_by", sa.String(MAX_ACTOR), nullable=False),
    sa.Column("edited_at", sa.DateTime, nullable=False),
)
status_notes = sa.Table(
    "status_notes", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(200), nullable=False, index=True),
    sa.Column("note", sa.String(1000), nullable=False),
    sa.Column("edited_by", sa.String(MAX_ACTOR), nullable=False),
    sa.Column("edited_at", sa.DateTime, nullable=False),
)
alert_actions = sa.Table(  # acknowledge, snooze or dismiss one alert (an account, a kind, since first seen)
    "alert_actions", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(200), nullable=False, index=True),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("first_seen", sa.Date, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("until", sa.Date),  # a snooze's last day
    sa.Column("reason", sa.String(1000)),
    sa.Column("severity", sa.String(20), nullable=False),  # the evidence as the person saw it, so the
    sa.Column("value", sa.Float),  # alert comes back when it gets worse than this
    sa.Column("acted_by", sa.String(MAX_ACTOR), nullable=False),
    sa.Column("acted_at", sa.DateTime, nullable=False),
)
plays = sa.Table(  # what a SAM did about an account (an exec sponsor call, a training...), and when
    "plays", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(200), nullable=False, index=True),
    sa.Column("play", sa.String(100), nullable=False),
    sa.Column("done_on", sa.Date, nullable=False),
    sa.Column("note", sa.String(1000)),
    sa.Column("alert_kind", sa.String(50)),  # the alert it answers, if any
    sa.Column("alert_first_seen", sa.Date),
    sa.Column("logged_by", sa.String(MAX_ACTOR), nullable=False),
    sa.Column("logged_at", sa.DateTime, nullable=False),
)
audit = sa.Table(
    "audit", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("actor", sa.String(MAX_ACTOR), nullable=False),
    sa.Column("role", sa.String(50), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("target", sa.String(200)),
    sa.Column("before", sa.Text),
    sa.Column("after", sa.Text),
)


def default_url() -> str:
    return os.environ.get("RADAR_APP_DB") or f"sqlite:///{DATA_DIR / 'app.db'}"


def _sqlite_pragmas(dbapi_con, _record) -> None:
    cur = dbapi_con.cursor()
    cur.execute("pragma journal_mode = wal")  # readers never block the writer, nor it them
    cur.execute("pragma busy_timeout = 10000")  # a second writer waits its turn instead of failing
    cur.close()


def engine(url: str | None = None) -> sa.Engine:
    """The store at `url` (default: $RADAR_APP_DB or data/app.db), its tables created if absent;
    one engine (and connection pool) per URL for the process."""
    return _engine(url or default_url())


@lru_cache(maxsize=8)
def _engine(url: str) -> sa.Engine:
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(url.removeprefix("sqlite:///"))), exist_ok=True)
    eng = sa.create_engine(url, pool_pre_ping=True)
    if eng.dialect.name == "sqlite":
        sa.event.listen(eng, "connect", _sqlite_pragmas)
    meta.create_all(eng)
    _append_only(eng)
    return eng


APPEND_ONLY = {  # the audit log refuses updates and deletes, whoever asks
    "sqlite": [f"create trigger if not exists audit_no_{op} before {op} on audit "
               "begin select raise(abort, 'the audit log is append-only'); end" for op in ("update", "delete")],
    "postgresql": [
        "create or replace function audit_append_only() returns trigger language plpgsql as "
        "$$ begin raise exception 'the audit log is append-only'; end $$",
        "drop trigger if exists audit_append_only on audit",
        "create trigger audit_append_only before update or delete on audit "
        "for each statement execute function audit_append_only()",
    ],
}


def _append_only(eng: sa.Engine) -> None:
    with eng.begin() as con:
        for ddl in APPEND_ONLY.get(eng.dialect.name, []):
            con.exec_driver_sql(ddl)


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _json(v) -> str | None:
    return None if v is None else json.dumps(v, default=str, sort_keys=True)


def record(con: sa.Connection, actor: str, role: str, action: str, target: str | None,
           before=None, after=None, at: dt.datetime | None = None) -> None:
    """One audit row, inside the caller's transaction: who, when, what, before and after."""
    con.execute(audit.insert().values(at=at or _now(), actor=actor, role=role, action=action, target=target,
                                      before=_json(before), after=_json(after)))


def log_action(eng: sa.Engine, actor: str, role: str, action: str, target: str | None, before=None, after=None) -> None:
    """Audit an action whose effect lives elsewhere (a promotion in MLflow, a retrain)."""
    with eng.begin() as con:
        record(con, actor, role, action, target, before, after)


def current_traits(con: sa.Connection, account_id: str) -> dict[str, str]:
    """The latest value of each trait set in the portal for one account."""
    rows = con.execute(sa.select(trait_edits.c.trait, trait_edits.c.value)
                       .where(trait_edits.c.account_id == account_id)
                       .order_by(trait_edits.c.edited_at, trait_edits.c.id)).fetchall()
    return {t: v for t, v in rows}


def save_update(eng: sa.Engine, account_id: str, actor: str, role: str, traits: dict[str, str],
                note: str | None, at: dt.datetime | None = None) -> int:
    """Store trait changes and a note, with their audit rows, in one transaction. Traits equal to
    their current value are not stored again. Returns how many rows were stored. The caller has
    validated the values and the actor's right to edit this account."""
    at = at or _now()
    stored = 0
    with eng.begin() as con:
        before = current_traits(con, account_id)
        changed = {t: v for t, v in traits.items() if before.get(t) != v}
        if changed:
            con.execute(trait_edits.insert(), [dict(account_id=account_id, trait=t, value=v, edited_by=actor,
                                                    edited_at=at) for t, v in changed.items()])
            record(con, actor, role, "set traits", account_id, {t: before.get(t) for t in changed}, changed, at)
            stored += len(changed)
        if note:
            con.execute(status_notes.insert().values(account_id=account_id, note=note, edited_by=actor, edited_at=at))
            record(con, actor, role, "status note", account_id, None, {"note": note}, at)
            stored += 1
    return stored


def _frame(eng: sa.Engine, stmt) -> pd.DataFrame:
    with eng.connect() as con:
        result = con.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def edits(eng: sa.Engine, account_ids: list[str] | None = None) -> pd.DataFrame:
    """Trait edits, oldest first (all accounts, or the given ones)."""
    q = sa.select(trait_edits.c.account_id, trait_edits.c.trait, trait_edits.c.value, trait_edits.c.edited_by,
                  trait_edits.c.edited_at).order_by(trait_edits.c.edited_at, trait_edits.c.id)
    if account_ids is not None:
        q = q.where(trait_edits.c.account_id.in_(account_ids))
    return _frame(eng, q)


def notes(eng: sa.Engine, account_ids: list[str] | None = None) -> pd.DataFrame:
    """Status notes, newest first."""
    q = sa.select(status_notes.c.account_id, status_notes.c.note, status_notes.c.edited_by,
                  status_notes.c.edited_at).order_by(status_notes.c.edited_at.desc(), status_notes.c.id.desc())
    if account_ids is not None:
        q = q.where(status_notes.c.account_id.in_(account_ids))
    return _frame(eng, q)


def act_on_alert(eng: sa.Engine, account_id: str, kind: str, first_seen: dt.date, action: str,
                 severity: str, value: float | None, actor: str, role: str, until: dt.date | None = None,
                 reason: str | None = None, at: dt.datetime | None = None) -> None:
    """Store one action on an alert with its audit row, in one transaction. The caller has validated
    the action and the actor's right to act on this account."""
    at = at or _now()
    row = dict(account_id=account_id, kind=kind, first_seen=first_seen, action=action, until=until,
               reason=reason, severity=severity, value=value)
    with eng.begin() as con:
        before = con.execute(sa.select(alert_actions.c.action, alert_actions.c.until, alert_actions.c.reason)
                             .where(alert_actions.c.account_id == account_id, alert_actions.c.kind == kind,
                                    alert_actions.c.first_seen == first_seen)
                             .order_by(alert_actions.c.acted_at.desc(), alert_actions.c.id.desc()).limit(1)).first()
        con.execute(alert_actions.insert().values(**row, acted_by=actor, acted_at=at))
        record(con, actor, role, f"alert {action}", account_id,
               dict(before._mapping) if before else None,
               {k: row[k] for k in ("kind", "first_seen", "action", "until", "reason", "severity", "value")
                if row[k] is not None}, at)


def log_play(eng: sa.Engine, account_id: str, play: str, done_on: dt.date, note: str | None, actor: str,
             role: str, alert_kind: str | None = None, alert_first_seen: dt.date | None = None,
             at: dt.datetime | None = None) -> int:
    """Store a play with its audit row, in one transaction; returns its id. The caller has validated it."""
    at = at or _now()
    row = dict(account_id=account_id, play=play, done_on=done_on, note=note, alert_kind=alert_kind,
               alert_first_seen=alert_first_seen)
    with eng.begin() as con:
        new_id = con.execute(plays.insert().values(**row, logged_by=actor, logged_at=at)).inserted_primary_key[0]
        record(con, actor, role, "log play", account_id, None,
               {k: v for k, v in row.items() if v is not None and k != "account_id"}, at)
    return int(new_id)


def alert_action_log(eng: sa.Engine, account_ids: list[str] | None = None) -> pd.DataFrame:
    """Every action on alerts, oldest first (all accounts, or the given ones)."""
    q = sa.select(alert_actions).order_by(alert_actions.c.acted_at, alert_actions.c.id)
    if account_ids is not None:
        q = q.where(alert_actions.c.account_id.in_(account_ids))
    return _frame(eng, q)


def play_log(eng: sa.Engine, account_ids: list[str] | None = None) -> pd.DataFrame:
    """Every logged play, oldest first (all accounts, or the given ones)."""
    q = sa.select(plays).order_by(plays.c.done_on, plays.c.id)
    if account_ids is not None:
        q = q.where(plays.c.account_id.in_(account_ids))
    return _frame(eng, q)


def audit_log(eng: sa.Engine, limit: int = 500) -> pd.DataFrame:
    """The latest audit rows, newest first."""
    return _frame(eng, sa.select(audit).order_by(audit.c.id.desc()).limit(limit))


def stamp(eng: sa.Engine) -> tuple[int, ...]:
    """Changes whenever a person writes: part of the cache keys of what shows their writes."""
    with eng.connect() as con:
        return tuple(con.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one()
                     for t in (trait_edits, status_notes, audit))


def export_edits(con, eng: sa.Engine) -> int:
    """Copy every trait edit into the DuckDB warehouse being built (table `trait_edits`), so the
    feature and health SQL read people's edits beside the source traits. Returns the row count."""
    frame = edits(eng)
    frame = frame.astype({"account_id": "string", "trait": "string", "value": "string", "edited_by": "string"})
    frame["edited_at"] = pd.to_datetime(frame["edited_at"])
    con.register("app_trait_edits", frame)
    try:
        con.execute("create or replace table trait_edits as select account_id, trait, value, edited_by, "
                    "cast(edited_at as timestamp) as edited_at from app_trait_edits")
    finally:
        con.unregister("app_trait_edits")
    return len(frame)
