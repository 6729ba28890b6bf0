"""Plays: what was done for an account, what followed, and how that compares with comparable
accounts where nothing was logged. Associations, not proof (see NOT_PROOF).

Pure functions over frames: `follow_ups` (per play: churn probability and health at the play and
30/60/90 days after, and whether the account renewed or churned), `matched_controls` (accounts with
no play, nearest in churn probability at the same snapshot), `summary` (per play type, side by
side). `history` reads what they need from the warehouse. Settings in model/plays.toml.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from features.warehouse import has_table, require_table

CONFIG = Path(__file__).with_name("plays.toml")
NOT_PROOF = ("This is an association, not proof. SAMs choose which accounts get a play and when, so "
             "those accounts can differ from the comparison accounts in ways a churn probability does "
             "not capture (a sponsor already leaving, a budget already cut). Matching on the churn "
             "probability at the time removes only the differences the model sees, and small numbers "
             "move a lot by chance.")
OUTCOMES = ("renewed", "churned", "pending", "no renewal due")


@dataclass(frozen=True)
class Play:
    name: str
    label: str
    for_alerts: tuple[str, ...]


@dataclass(frozen=True)
class PlaySettings:
    follow_up_days: tuple[int, ...]
    snapshot_tolerance_days: int
    outcome_days: int
    risk_fell_by: float
    max_note_chars: int
    max_days_back: int
    controls_per_play: int
    max_probability_gap: float
    no_play_within_days: int
    min_plays: int
    plays: tuple[Play, ...]

    def label(self, name: str) -> str:
        return next((p.label for p in self.plays if p.name == name), name)

    def for_alert(self, kind: str) -> list[Play]:
        """The plays that answer an alert kind, in the configured order."""
        return [p for p in self.plays if kind in p.for_alerts]


def load_settings(path: Path | None = None) -> PlaySettings:
    with open(path or CONFIG, "rb") as f:
        raw = tomllib.load(f)
    m = raw["matching"]
    return PlaySettings(
        tuple(int(d) for d in raw["follow_up_days"]), int(raw["snapshot_tolerance_days"]),
        int(raw["outcome_days"]), float(raw["risk_fell_by"]), int(raw["max_note_chars"]),
        int(raw["max_days_back"]), int(m["controls_per_play"]), float(m["max_probability_gap"]),
        int(m["no_play_within_days"]), int(m["min_plays"]),
        tuple(Play(p["name"], p["label"], tuple(p.get("for_alerts", ()))) for p in raw["plays"]))


@dataclass
class History:
    """What the follow-ups read: every scored snapshot (with health and days to renewal), every
    known churn, the data end, and the grace period a late renewal gets."""
    scores: pd.DataFrame  # account_id, as_of, churn_probability, health_score, days_to_renewal
    churns: pd.DataFrame  # account_id, churn_date
    data_end: dt.date
    grace_days: int


def history(con: duckdb.DuckDBPyConnection) -> History:
    from features.inputs import data_end
    from model import labels
    from model.settings import load_settings as model_settings
    require_table(con, "scores", "radar score --all-dates")
    health = "h.health_score" if has_table(con, "health") else "cast(null as double)"
    join = "left join health as h on h.account_id = s.account_id and h.as_of = s.as_of" if has_table(con, "health") else ""
    scores = con.execute(f"""select s.account_id, s.as_of, s.churn_probability, {health} as health_score,
                                    f.days_to_renewal
                             from scores as s {join}
                             left join features as f on f.account_id = s.account_id and f.as_of = s.as_of
                             order by s.as_of, s.account_id""").df()
    end = data_end(con)
    grace = model_settings().grace_days
    return History(scores, labels.churn_events(con, end, grace), end, grace)


def _ts(values) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[us]")


def _snapshot(scores: pd.DataFrame, keys: pd.DataFrame, days: int, tolerance: int, direction: str) -> pd.DataFrame:
    """Each (key, account_id, day) row's snapshot: the latest on or before day + `days`
    ("backward"), or the first on or after it ("forward"), at most `tolerance` days away."""
    k = keys.assign(account_id=keys["account_id"].astype(str), day=_ts(keys["day"]),
                    at=_ts(keys["day"]) + pd.Timedelta(days=days)).sort_values("at")
    s = scores.assign(account_id=scores["account_id"].astype(str), as_of=_ts(scores["as_of"])).sort_values("as_of")
    got = pd.merge_asof(k, s, left_on="at", right_on="as_of", by="account_id", direction=direction,
                        tolerance=pd.Timedelta(days=tolerance))
    return got.set_index("key")


def follow_ups(keys: pd.DataFrame, h: History, s: PlaySettings) -> pd.DataFrame:
    """For rows (key, account_id, day): the snapshot at the day (`as_of`, `risk_at`, `health_at`),
    the first snapshot at least 30/60/90 days on (`risk_30`, `health_30`, ...; NaN while not known),
    and the outcome within `outcome_days`: renewed, churned, pending (a term ends in the window but
    its grace period has not passed) or no renewal due. One row per key."""
    keys = keys[["key", "account_id", "day"]]
    base = _snapshot(h.scores, keys, 0, s.snapshot_tolerance_days, "backward")
    out = pd.DataFrame({"account_id": base["account_id"], "day": base["day"], "as_of": base["as_of"],
                        "risk_at": base["churn_probability"], "health_at": base["health_score"]}, index=base.index)
    for d in s.follow_up_days:
        later = _snapshot(h.scores, keys, d, s.snapshot_tolerance_days, "forward")
        out[f"risk_{d}"] = later["churn_probability"].reindex(out.index)
        out[f"health_{d}"] = later["health_score"].reindex(out.index)
    day = pd.to_datetime(out["day"])
    window_end = day + pd.Timedelta(days=s.outcome_days)
    churns = h.churns.assign(churn_date=pd.to_datetime(h.churns["churn_date"]))
    hit = out.reset_index()[["key", "account_id", "day"]].merge(churns, on="account_id")
    hit = hit[(hit["churn_date"] > pd.to_datetime(hit["day"])) &
              (hit["churn_date"] <= pd.to_datetime(hit["day"]) + pd.Timedelta(days=s.outcome_days))]
    churned = out.index.isin(hit["key"])
    term_end = pd.to_datetime(out["as_of"]) + pd.to_timedelta(base["days_to_renewal"], unit="D")
    known = term_end + pd.Timedelta(days=h.grace_days) <= pd.Timestamp(h.data_end)
    due = (term_end > day) & (term_end <= window_end)
    out["outcome"] = np.select([churned, due & known, due & ~known], ["churned", "renewed", "pending"],
                               "no renewal due")
    out.loc[out["as_of"].isna() & ~churned, "outcome"] = "pending"
    return out


def matched_controls(plays: pd.DataFrame, every_play: pd.DataFrame, h: History, s: PlaySettings) -> pd.DataFrame:
    """For each play (key, account_id, day, risk_at, as_of): up to `controls_per_play` other accounts
    scored at the same snapshot with no play within `no_play_within_days` of the play's day, the
    nearest in churn probability (within `max_probability_gap`). Rows: key (the play's), account_id,
    day (the play's day), so `follow_ups` reads them the same way."""
    scores = h.scores.assign(as_of=pd.to_datetime(h.scores["as_of"]))
    done = every_play.assign(day=pd.to_datetime(every_play["done_on"]))[["account_id", "day"]]
    rows = []
    for p in plays.dropna(subset=["as_of", "risk_at"]).itertuples():
        pool = scores[(scores["as_of"] == p.as_of) & (scores["account_id"] != p.account_id)]
        near = done[(done["day"] - pd.Timestamp(p.day)).abs() <= pd.Timedelta(days=s.no_play_within_days)]
        pool = pool[~pool["account_id"].isin(near["account_id"])]
        gap = (pool["churn_probability"] - p.risk_at).abs()
        pick = pool.assign(gap=gap)[gap <= s.max_probability_gap].sort_values(["gap", "account_id"]) \
            .head(s.controls_per_play)
        rows += [{"key": p.key, "account_id": a, "day": p.day} for a in pick["account_id"]]
    return pd.DataFrame(rows, columns=["key", "account_id", "day"])


def _rates(f: pd.DataFrame, s: PlaySettings) -> dict:
    last = f"risk_{max(s.follow_up_days)}"
    # an account that churned before its follow-up counts as followed, with risk not fallen
    seen = f[(f[last].notna() | (f["outcome"] == "churned")) & f["risk_at"].notna()]
    fell = int((seen[last] < seen["risk_at"] - s.risk_fell_by).sum())
    known = f[f["outcome"].isin(["renewed", "churned"])]
    renewed = int((known["outcome"] == "renewed").sum())
    return {"followed": len(seen), "risk_fell": fell, "known": len(known), "renewed": renewed,
            "churned": int((known["outcome"] == "churned").sum())}


def _share(k: int, n: int) -> str:
    return f"{k} of {n} ({k / n:.0%})" if n else "none yet"


def summary(plays: pd.DataFrame, followed: pd.DataFrame, controls: pd.DataFrame, s: PlaySettings) -> pd.DataFrame:
    """One row per play type: how many were logged; of those followed for 90 days, how often risk
    fell; of those whose renewal is known, how many renewed; the same for their matched accounts;
    and a sentence saying it with the caveat of small numbers."""
    last = max(s.follow_up_days)
    rows = []
    for name, g in plays.groupby("play", sort=False):
        mine = followed.loc[followed.index.isin(g.index)]
        theirs = controls[controls["key"].isin(g.index)]
        a, b = _rates(mine, s), _rates(theirs, s)
        enough = a["followed"] >= s.min_plays or a["known"] >= s.min_plays
        text = (f"{last} days on, the churn probability was lower after {_share(a['risk_fell'], a['followed'])} "
                f"plays followed that long (a churned account counts as not lower); for comparable accounts with "
                f"no play, {_share(b['risk_fell'], b['followed'])}. Renewed: {_share(a['renewed'], a['known'])} "
                f"of plays whose renewal is known, against {_share(b['renewed'], b['known'])}.")
        if not enough:
            text += f" Too few with a known result to say anything yet (fewer than {s.min_plays})."
        rows.append({"play": name, "label": s.label(name), "logged": len(g), **{f"play_{k}": v for k, v in a.items()},
                     **{f"matched_{k}": v for k, v in b.items()}, "enough": enough, "sentence": text})
    cols = ["play", "label", "logged", "enough", "sentence"] + [f"{w}_{k}" for w in ("play", "matched") for k in
                                                                ("followed", "risk_fell", "known", "renewed", "churned")]
    return pd.DataFrame(rows, columns=cols).sort_values("logged", ascending=False, ignore_index=True)


def evaluate(plays: pd.DataFrame, h: History, s: PlaySettings | None = None) -> dict:
    """Every logged play (app-store rows: id, account_id, play, done_on, ...) followed up, its
    matched accounts followed up the same way, and the summary per play type."""
    s = s or load_settings()
    if plays.empty:
        empty = pd.DataFrame(columns=["account_id", "day", "as_of", "risk_at", "health_at", "outcome"])
        return {"plays": empty, "controls": empty, "summary": summary(plays.assign(play=[]), empty, empty, s)}
    keyed = plays.set_index("id", drop=False).rename_axis("key")
    keys = pd.DataFrame({"key": keyed.index, "account_id": keyed["account_id"], "day": pd.to_datetime(keyed["done_on"])})
    mine = follow_ups(keys, h, s)
    control_keys = matched_controls(mine.reset_index(), plays, h, s)
    control_keys = control_keys.reset_index(drop=True).rename(columns={"key": "play_key"}).rename_axis("key").reset_index()
    theirs = follow_ups(control_keys, h, s).join(control_keys.set_index("key")["play_key"]).rename(columns={"play_key": "key"})
    detail = keyed.join(mine.drop(columns=["account_id"]), how="left")
    return {"plays": detail, "controls": theirs, "summary": summary(keyed, mine, theirs, s)}
