"""Reads for alerts, expansion signals and plays, with no Streamlit in it: the pages, the weekly
digest and the QBR pack call these. Warehouse tables come from `radar alerts`; statuses and plays
from the operational store, resolved at read time so an action shows at once.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from portal import queries


def alerts_now(db: str, eng, today: dt.date | None = None) -> pd.DataFrame:
    """The latest run's alerts, each with its status now (open, acknowledged, snoozed, dismissed),
    its kind's label, most pressing first. Empty when `radar alerts` has not run."""
    from features import appstore
    from model import alerts
    s = alerts.load_settings()
    with queries.read(db) as con:
        found = alerts.latest(con)
    if found.empty:
        return alerts.resolve(found, None, today or dt.date.today(), s).assign(label=pd.Series(dtype=str))
    actions = appstore.alert_action_log(eng, sorted(found["account_id"].unique()))
    out = alerts.resolve(found, actions, today or dt.date.today(), s)
    return alerts.ordered(out.assign(label=out["kind"].map(s.label)))


def alert_kinds(db: str) -> pd.DataFrame:
    """Which alert kinds ran at the latest run, and why the others did not."""
    have = queries.tables(db)
    if "alert_kinds" not in have:
        return pd.DataFrame(columns=["as_of", "kind", "label", "ran", "note"])
    return queries.query(db, "select * from alert_kinds order by kind")


def alert_history(db: str, account_id: str) -> pd.DataFrame:
    """Every stored alert of one account, newest first."""
    if "alerts" not in queries.tables(db):
        return pd.DataFrame()
    return queries.query(db, "select * from alerts where account_id = ? order by as_of desc, kind", [account_id])


def expansion_now(db: str) -> pd.DataFrame:
    """The latest expansion signals, largest estimated opportunity first."""
    from model import expansion
    with queries.read(db) as con:
        return expansion.latest(con)


def plays_review(db: str, eng) -> dict:
    """Every logged play followed up, its matched accounts, and the summary per play type
    (model/plays.py); `plays` holds the app-store rows with name and owner."""
    from features import appstore
    from model import plays
    logged = appstore.play_log(eng)
    with queries.read(db) as con:
        h = plays.history(con)
        names = con.execute("select account_id, coalesce(name, account_id) as name, "
                            "coalesce(owner, 'Unassigned') as owner from accounts").df()
    out = plays.evaluate(logged, h)
    out["plays"] = out["plays"].merge(names, on="account_id", how="left") if len(out["plays"]) else \
        out["plays"].assign(name=pd.Series(dtype=str), owner=pd.Series(dtype=str))
    return out


def account_plays(eng, account_id: str) -> pd.DataFrame:
    from features import appstore
    return appstore.play_log(eng, [account_id])
