"""The one-sentence account summary from the research: who is active, what they are doing, and
what it produces. Pure: frames in, a sentence out."""
from __future__ import annotations

import pandas as pd

from features.catalog import display_name, listing
from portal.settings import load_settings


def _plural(n: int, word: str) -> str:
    if word == "unknown":  # users registered without a persona
        return "user with no persona given" if n == 1 else "users with no persona given"
    return f"{word}s" if n != 1 and not word.endswith("s") else word


def _anyone_active(personas: pd.DataFrame, active_users: float | None) -> bool:
    if len(personas):
        return bool(personas["active_30d"].fillna(0).sum() > 0)
    return active_users is not None and not pd.isna(active_users) and active_users > 0


def account_summary(personas: pd.DataFrame, activity: pd.DataFrame, workflows: pd.DataFrame,
                    active_users: float | None = None) -> str:
    """E.g. "In the last 30 days 5 of 7 analysts and 2 of 3 managers were active; they mostly
    used reports viewed (1,234) and reports created (456); automated activity: 12,345 messages
    sent by the platform; 2 of 4 critical workflows are on target." (event types as
    features/config/display_names.toml names them)"""
    clauses = []
    if len(personas):
        top = personas.sort_values("registered", ascending=False).head(4)
        clauses.append("In the last 30 days " + listing(
            [f"{int(r.active_30d)} of {int(r.registered)} {_plural(int(r.registered), str(r.persona))}"
             for r in top.itertuples()]) + " were active")
    elif active_users is not None and not pd.isna(active_users):
        clauses.append(f"{int(active_users)} people were active in the last 30 days")
    else:
        clauses.append("No user-level activity is recorded")
    users_known = len(personas) > 0 or (active_users is not None and not pd.isna(active_users))
    if len(activity) and not users_known:  # no user ids: people and the platform cannot be told apart
        busiest = activity.sort_values("events", ascending=False).head(3)
        clauses.append("the most frequent activity in the last 30 days: " + listing(
            [f"{int(r.events):,} {display_name(r.event_type)}" for r in busiest.itertuples()]))
    elif len(activity):
        at = load_settings().platform_share_at
        people = activity[activity["platform_share"] < at].sort_values("events", ascending=False).head(3)
        if len(people):
            clauses.append("they mostly used " + listing([f"{display_name(r.event_type)} ({int(r.events):,})"
                                                         for r in people.itertuples()]))
        platform = activity[activity["platform_share"] >= at].sort_values("quantity", ascending=False).head(2)
        if len(platform):
            clauses.append("automated activity: " + listing([f"{int(r.quantity):,} {display_name(r.event_type)}"
                                                               for r in platform.itertuples()]))
    elif not _anyone_active(personas, active_users):  # no activity rows beside active people: say nothing
        clauses.append("nothing was used in the last 30 days")
    if len(workflows) and workflows["attainment"].notna().any():
        known = workflows[workflows["attainment"].notna()]
        on = int((known["attainment"] >= 1).sum())
        clauses.append(f"{on} of {len(known)} critical workflows are on target")
    return "; ".join(clauses) + "."
