"""Alerts: what changed or stands out about an account, each in one sentence a SAM can forward,
with a weekly budget of critical alerts per owner so the three that matter are not buried.

Pure functions over frames: `detect` (one snapshot -> raised alerts), `track` (first seen, across
runs), `resolve` (open / acknowledged / snoozed / dismissed, and back when worse), `budget` (which
critical alerts interrupt this week), `backtest_figures`. `run` is the batch job's body: it reads
the warehouse and people's alert actions and writes table `alerts`, one row per
(account_id, as_of, kind) raised at that snapshot, and `alert_kinds` (which kinds ran, and why not).
Thresholds live in model/alerts.toml.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd

from features.catalog import format_value, money
from features.warehouse import has_table, replace_dates, require_table, transaction
from model.explain import sentence
from model.settings import typed

CONFIG = Path(__file__).with_name("alerts.toml")
SEVERITIES = ("info", "warning", "critical")
RANK = {s: i for i, s in enumerate(SEVERITIES)}
STATUSES = ("open", "acknowledged", "snoozed", "dismissed")
ACTIONS = ("acknowledge", "snooze", "dismiss")
ALERT_COLUMNS = ["account_id", "as_of", "kind", "severity", "value", "evidence", "first_seen", "owner", "name",
                 "arr", "arr_at_risk", "delivery", "capped", "notified"]
DATE_COLUMNS = ("as_of", "first_seen", "notified")
RETRAIN_EVERY = ("month", "quarter")


# --- settings -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RiskJump:
    label: str
    warning_points: float
    critical_points: float
    worse_by: float


@dataclass(frozen=True)
class HealthDrop:
    label: str
    critical_tiers: tuple[str, ...]
    warning_tiers: tuple[str, ...]
    worse_by: float


@dataclass(frozen=True)
class DeliveryGap:
    label: str
    warning_multiple: float
    warning_min_days: float
    critical_multiple: float
    critical_min_days: float
    worse_by: float


@dataclass(frozen=True)
class Silence:
    label: str
    warning_days: float
    critical_days: float
    critical_risk_tiers: tuple[str, ...]
    worse_by: float


@dataclass(frozen=True)
class RenewalRisk:
    label: str
    within_days: float
    critical_tiers: tuple[str, ...]
    warning_tiers: tuple[str, ...]
    worse_by: float


@dataclass(frozen=True)
class SeatsOver:
    label: str
    info_above: float
    warning_above: float
    worse_by: float


@dataclass(frozen=True)
class SeatsUnder:
    label: str
    warning_above: float
    critical_above: float
    min_tenure_days: float
    worse_by: float


@dataclass(frozen=True)
class NeverLoggedIn:
    label: str
    info_above: float
    warning_above: float
    min_users: float
    worse_by: float


KIND_SETTINGS = {"risk_jump": RiskJump, "health_drop": HealthDrop, "delivery_gap": DeliveryGap,
                 "silence": Silence, "renewal_risk": RenewalRisk, "seats_over": SeatsOver,
                 "seats_under": SeatsUnder, "never_logged_in": NeverLoggedIn}


@dataclass(frozen=True)
class AlertSettings:
    compare_days: int
    rejoin_days: int
    critical_per_owner_per_week: int
    max_snooze_days: int
    max_reason_chars: int
    lead_days: int
    lookback_days: int
    retrain_every: str  # the alert backtest's retraining cadence: "month" or "quarter"
    kinds: dict  # kind -> its settings dataclass, in the order alerts are detected

    def __post_init__(self):
        if self.retrain_every not in RETRAIN_EVERY:
            raise ValueError(f"model/alerts.toml [backtest] retrain_every must be one of {', '.join(RETRAIN_EVERY)}, "
                             f"got {self.retrain_every!r}")

    def label(self, kind: str) -> str:
        return self.kinds[kind].label if kind in self.kinds else kind

    def worse_by(self, kind: str) -> float:
        return float(self.kinds[kind].worse_by)


def load_settings(path: Path | None = None) -> AlertSettings:
    with open(path or CONFIG, "rb") as f:
        raw = tomllib.load(f)
    return AlertSettings(
        compare_days=int(raw["compare_days"]), rejoin_days=int(raw["rejoin_days"]),
        critical_per_owner_per_week=int(raw["budget"]["critical_per_owner_per_week"]),
        max_snooze_days=int(raw["actions"]["max_snooze_days"]),
        max_reason_chars=int(raw["actions"]["max_reason_chars"]),
        lead_days=int(raw["backtest"]["lead_days"]), lookback_days=int(raw["backtest"]["lookback_days"]),
        retrain_every=str(raw["backtest"]["retrain_every"]),
        kinds={k: typed(cls, raw[k], k, "model/alerts.toml") for k, cls in KIND_SETTINGS.items() if k in raw})


# --- one snapshot ---------------------------------------------------------------------------------

@dataclass
class Snapshot:
    """Everything the kinds read about the accounts active at `as_of`: one row per account with its
    features, name and owner, health and churn score now and at the comparison snapshot (suffix
    `_then`), and the top driver raising its risk. `then_*` are the comparison dates (or None)."""
    as_of: dt.date
    accounts: pd.DataFrame
    catalog: dict
    health_labels: dict  # health category column (cat_x) -> its label
    horizon_days: int
    then_scores: dt.date | None = None
    then_health: dt.date | None = None


def _latest_before(con, table: str, as_of: dt.date, days: int) -> dt.date | None:
    return con.execute(f"select max(as_of) from {table} where as_of <= ?",
                       [as_of - dt.timedelta(days=days)]).fetchall()[0][0]


def snapshot(con: duckdb.DuckDBPyConnection, as_of: dt.date, s: AlertSettings) -> Snapshot:
    """Read one snapshot's inputs; tables that are absent (no scores yet) leave their columns out."""
    from features.health import load_config
    from model import dataset
    from model.settings import load_settings as model_settings
    require_table(con, "features", "radar features")
    frame = con.execute("""select f.*, coalesce(a.name, f.account_id) as name, coalesce(a.owner, 'Unassigned') as owner  -- UNASSIGNED
                           from features as f left join accounts as a using (account_id)
                           where f.as_of = ? order by f.account_id""", [as_of]).df()
    snap = Snapshot(as_of, frame, dataset.catalog(con),
                    {f"cat_{c.name}": c.label for c in load_config().categories}, model_settings().horizon_days)

    def attach(sql: str, params: list, suffix: str = "") -> None:
        part = con.execute(sql, params).df()
        part = part.rename(columns={c: c + suffix for c in part.columns if c != "account_id"})
        snap.accounts = snap.accounts.merge(part, on="account_id", how="left")

    if has_table(con, "health") and con.execute("select count(*) from health where as_of = ?", [as_of]).fetchall()[0][0]:
        cats = [c for c in snap.health_labels
                if c in set(con.execute("select column_name from information_schema.columns "
                                        "where table_name = 'health'").df()["column_name"])]
        attach(f"select account_id, health_score, health_tier{''.join(', ' + c for c in cats)} "
               "from health where as_of = ?", [as_of])
        snap.then_health = _latest_before(con, "health", as_of, s.compare_days)
        if snap.then_health is not None:
            attach("select account_id, health_score, health_tier from health where as_of = ?", [snap.then_health], "_then")
    if has_table(con, "scores") and con.execute("select count(*) from scores where as_of = ?", [as_of]).fetchall()[0][0]:
        attach("select account_id, churn_probability, risk_tier, arr_at_risk from scores where as_of = ?", [as_of])
        snap.then_scores = _latest_before(con, "scores", as_of, s.compare_days)
        if snap.then_scores is not None:
            attach("select account_id, churn_probability from scores where as_of = ?", [snap.then_scores], "_then")
        if has_table(con, "drivers"):  # the model's reasons, strongest first
            attach("select account_id, list({'feature': feature, 'sentence': sentence} order by rank) as top_drivers "
                   "from drivers where as_of = ? and direction = 'raises' and rank <= 3 group by account_id", [as_of])
    return snap


# --- the kinds: each reads a Snapshot and returns raised rows (account_id, severity, value, evidence)

RAISED = ["account_id", "severity", "value", "evidence"]


def _raised(rows: pd.DataFrame, severity, value, evidence: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"account_id": rows["account_id"].to_numpy(), "severity": np.asarray(severity, dtype=object),
                         "value": np.asarray(value, dtype=float), "evidence": evidence}, columns=RAISED)


def _grade(value: pd.Series, levels: list[tuple[str, float]]) -> pd.Series:
    """The highest severity whose threshold `value` reaches (levels low to high), else None."""
    out = pd.Series(None, index=value.index, dtype=object)
    for severity, threshold in levels:
        out[value >= threshold] = severity
    return out


def _day(d) -> str:
    return pd.Timestamp(d).strftime("%Y-%m-%d")


def _reason(row, skip: tuple[str, ...] = ()) -> str:
    """'; the main reason: <the model's top driver raising the risk>', passing over `skip` features."""
    drivers = row.get("top_drivers")
    if not isinstance(drivers, (list, np.ndarray)):
        return ""
    said = next((d["sentence"] for d in drivers if d["feature"] not in skip), None)
    return f"; the main reason: {said}" if said else ""


def _say(snap: Snapshot, feature: str, value, context: dict | None = None) -> str:
    return sentence(snap.catalog[feature], value, None, context)


def risk_jump(snap: Snapshot, k: RiskJump) -> pd.DataFrame:
    a = snap.accounts
    points = ((a["churn_probability"] - a["churn_probability_then"]) * 100).round(6)  # 12% - 2% is 10 points, not 9.99...
    sev = _grade(points, [("warning", k.warning_points), ("critical", k.critical_points)])
    hit = a[sev.notna()]
    text = [f"Churn probability over the next {snap.horizon_days} days rose from {r.churn_probability_then:.0%} "
            f"to {r.churn_probability:.0%} ({p:+.0f} pts) since {_day(snap.then_scores)}"
            f"{_renewal_came_within(snap, r._asdict())}{_reason(r._asdict())}."
            for r, p in zip(hit.itertuples(), points[sev.notna()])]
    return _raised(hit, sev[sev.notna()], points[sev.notna()], text)


def _renewal_came_within(snap: Snapshot, r: dict) -> str:
    """', as its renewal (date, N days away) came within the N days the probability covers' when
    the renewal was beyond the horizon at the comparison snapshot and is inside it now: a customer
    can only leave at a renewal, so that alone moves the probability most, and the SAM should hear
    it before any usage reason."""
    days = r.get("days_to_renewal")
    if snap.then_scores is None or days is None or pd.isna(days) or not 0 <= days <= snap.horizon_days:
        return ""
    elapsed = (pd.Timestamp(snap.as_of) - pd.Timestamp(snap.then_scores)).days
    if days + elapsed <= snap.horizon_days:
        return ""
    renewal = _day(pd.Timestamp(snap.as_of) + pd.Timedelta(days=int(days)))
    return (f", as its renewal ({renewal}, {days:.0f} days away) came within the {snap.horizon_days} days "
            "the probability covers")


TIER_ORDER = {"healthy": 0, "concerning": 1, "poor": 2}


def health_drop(snap: Snapshot, k: HealthDrop) -> pd.DataFrame:
    a = snap.accounts
    now, then = a["health_tier"].map(TIER_ORDER), a["health_tier_then"].map(TIER_ORDER)
    sev = a["health_tier"].map({**{t: "warning" for t in k.warning_tiers}, **{t: "critical" for t in k.critical_tiers}})
    keep = (now > then) & sev.notna()
    hit = a[keep]
    lost = (hit["health_score_then"] - hit["health_score"]).clip(lower=0)
    cats = [c for c in snap.health_labels if c in hit]

    def weakest(r) -> str:
        vals = {c: r[c] for c in cats if pd.notna(r[c])}
        if not vals:
            return ""
        c = min(vals, key=vals.get)
        return f"; weakest: {snap.health_labels[c].lower()} at {vals[c]:.0f} of 100"
    text = [f"The health score fell from {r['health_score_then']:.0f} ({r['health_tier_then']}) to "
            f"{r['health_score']:.0f} ({r['health_tier']}) since {_day(snap.then_health)}{weakest(r)}."
            for _, r in hit.iterrows()]
    return _raised(hit, sev[keep], lost, text)


def delivery_gap(snap: Snapshot, k: DeliveryGap) -> pd.DataFrame:
    a = snap.accounts
    days, gap = a["delivery_silence_days"], a["delivery_usual_gap_days"].clip(lower=1)
    sev = pd.Series(None, index=a.index, dtype=object)
    sev[(days >= k.warning_min_days) & (days >= k.warning_multiple * gap)] = "warning"
    sev[(days >= k.critical_min_days) & (days >= k.critical_multiple * gap)] = "critical"
    hit = a[sev.notna()]
    text = [_say(snap, "delivery_silence_days", r.delivery_silence_days,
                 {"context": r.delivery_silent_event_type, "gap": r.delivery_usual_gap_days}) + "."
            for r in hit.itertuples()]
    return _raised(hit, sev[sev.notna()], hit["delivery_silence_days"], text)


def silence(snap: Snapshot, k: Silence) -> pd.DataFrame:
    a = snap.accounts
    never = a["days_since_last_touchpoint"].isna()
    days = a["days_since_last_touchpoint"].fillna(a["tenure_days"] if "tenure_days" in a else np.nan)
    sev = _grade(days, [("warning", k.warning_days), ("critical", k.critical_days)])
    if "risk_tier" in a:  # silence on an account the model also worries about is what cannot wait
        sev[(sev == "critical") & ~a["risk_tier"].isin(k.critical_risk_tiers)] = "warning"
    hit = a[sev.notna()]
    text = [(f"No CSM touchpoint is recorded in {format_value('days', d)} as a customer." if nv
             else _say(snap, "days_since_last_touchpoint", d) + ".")
            for d, nv in zip(days[sev.notna()], never[sev.notna()])]
    return _raised(hit, sev[sev.notna()], days[sev.notna()], text)


def renewal_risk(snap: Snapshot, k: RenewalRisk) -> pd.DataFrame:
    a = snap.accounts
    sev = a["risk_tier"].map({**{t: "warning" for t in k.warning_tiers}, **{t: "critical" for t in k.critical_tiers}})
    keep = (a["days_to_renewal"] <= k.within_days) & (a["days_to_renewal"] >= 0) & sev.notna()
    hit = a[keep]
    text = [f"{_say(snap, 'days_to_renewal', r['days_to_renewal'])} "
            f"({_day(pd.Timestamp(snap.as_of) + pd.Timedelta(days=int(r['days_to_renewal'])))}) with a "
            f"{r['churn_probability']:.0%} churn probability ({r['risk_tier']} risk) on {money(r['arr'])} ARR"
            f"{_reason(r, ('days_to_renewal',))}." for _, r in hit.iterrows()]
    return _raised(hit, sev[keep], hit["churn_probability"] * 100, text)


def _seats_text(snap: Snapshot, r, tail: str = "") -> str:
    return (f"{snap.catalog['active_users_over_seats']['description']} is {r.active_users_over_seats:.0%}: "
            f"{r.active_users_30d:,.0f} active users on {r.seats:,.0f} seats{tail}.")


def seats_over(snap: Snapshot, k: SeatsOver) -> pd.DataFrame:
    a = snap.accounts
    pct = a["active_users_over_seats"] * 100
    sev = pd.Series(None, index=a.index, dtype=object)
    sev[pct > k.info_above] = "info"
    sev[pct > k.warning_above] = "warning"
    hit = a[sev.notna()]
    return _raised(hit, sev[sev.notna()], pct[sev.notna()], [_seats_text(snap, r) for r in hit.itertuples()])


def seats_under(snap: Snapshot, k: SeatsUnder) -> pd.DataFrame:
    a = snap.accounts
    unused = (1 - a["active_users_over_seats"]) * 100
    ramping = a["tenure_days"] < k.min_tenure_days if "tenure_days" in a else False
    sev = pd.Series(None, index=a.index, dtype=object)
    sev[unused >= k.warning_above] = "warning"
    sev[unused >= k.critical_above] = "critical"
    sev[ramping | (a["seats"] <= 0)] = None
    hit = a[sev.notna()]
    text = [_seats_text(snap, r, f", so {r.seats - r.active_users_30d:,.0f} seats are unused") for r in hit.itertuples()]
    return _raised(hit, sev[sev.notna()], unused[sev.notna()], text)


def never_logged_in(snap: Snapshot, k: NeverLoggedIn) -> pd.DataFrame:
    a = snap.accounts
    pct = a["never_logged_in_users"] / a["seats"].where(a["seats"] > 0) * 100
    sev = pd.Series(None, index=a.index, dtype=object)
    sev[pct > k.info_above] = "info"
    sev[pct > k.warning_above] = "warning"
    sev[a["never_logged_in_users"] < k.min_users] = None
    hit = a[sev.notna()]
    text = [f"{_say(snap, 'never_logged_in_users', r.never_logged_in_users)} ({p:.0f}% of the "
            f"{r.seats:,.0f} licensed seats)." for r, p in zip(hit.itertuples(), pct[sev.notna()])]
    return _raised(hit, sev[sev.notna()], pct[sev.notna()], text)


@dataclass(frozen=True)
class Kind:
    detect: Callable[[Snapshot, object], pd.DataFrame]
    features: tuple[str, ...]  # feature columns it reads (absent when their source was not loaded)
    needs: tuple[str, ...] = ()  # other inputs: "scores", "scores_then", "health", "health_then"


KINDS: dict[str, Kind] = {
    "risk_jump": Kind(risk_jump, (), ("scores", "scores_then")),
    "health_drop": Kind(health_drop, (), ("health", "health_then")),
    "delivery_gap": Kind(delivery_gap, ("delivery_silence_days", "delivery_usual_gap_days",
                                        "delivery_silent_event_type")),
    "silence": Kind(silence, ("days_since_last_touchpoint",)),
    "renewal_risk": Kind(renewal_risk, ("days_to_renewal",), ("scores",)),
    "seats_over": Kind(seats_over, ("active_users_over_seats", "active_users_30d", "seats")),
    "seats_under": Kind(seats_under, ("active_users_over_seats", "active_users_30d", "seats")),
    "never_logged_in": Kind(never_logged_in, ("never_logged_in_users", "seats")),
}
# kinds that read the churn model (silence only for its critical level): the backtest runs them
# only where an out-of-time model exists (model/alerts_backtest.py) and also reports the others apart
MODEL_KINDS = ("risk_jump", "renewal_risk", "silence")
NEEDS = {"scores": ("churn_probability", "no churn scores at this snapshot (run `radar score`)"),
         "scores_then": ("churn_probability_then", "no churn scores at a snapshot {days}+ days earlier"),
         "health": ("health_tier", "no health scores at this snapshot (run `radar health`)"),
         "health_then": ("health_tier_then", "no health scores at a snapshot {days}+ days earlier")}


def skipped_because(snap: Snapshot, kind: str, s: AlertSettings) -> str | None:
    """Why a kind cannot run on this snapshot (its inputs are absent), or None."""
    k = KINDS[kind]
    absent = [f for f in k.features if f not in snap.accounts or f not in snap.catalog]
    if absent:
        from features.catalog import load_catalog
        declared = load_catalog()
        what = "; ".join(declared[f].description.lower() if f in declared else f for f in absent)
        needs = sorted({r for f in absent if f in declared for r in declared[f].requires})
        return f"the warehouse has no {what}" + (f" (needs {', '.join(needs)})" if needs else "")
    for need in k.needs:
        column, text = NEEDS[need]
        if column not in snap.accounts:
            return text.format(days=s.compare_days)
    return None


def detect(snap: Snapshot, s: AlertSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The alerts raised at one snapshot (one row per account and kind, columns ALERT_COLUMNS less
    the tracking ones) and one row per configured kind: whether it ran, and why not."""
    found, kinds = [], []
    for kind, ks in s.kinds.items():
        why = skipped_because(snap, kind, s)
        kinds.append({"as_of": snap.as_of, "kind": kind, "label": ks.label, "ran": why is None, "note": why or ""})
        if why is None and len(snap.accounts):
            found.append(KINDS[kind].detect(snap, ks).assign(kind=kind))
    kinds = pd.DataFrame(kinds, columns=["as_of", "kind", "label", "ran", "note"])
    a = snap.accounts
    cols = ["account_id", "owner", "name", "arr"] + (["arr_at_risk"] if "arr_at_risk" in a else [])
    raised = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=RAISED + ["kind"])
    raised = raised.merge(a[cols], on="account_id", how="left")
    if "arr_at_risk" not in raised:
        raised["arr_at_risk"] = np.nan
    raised["as_of"] = pd.Timestamp(snap.as_of)
    return raised, kinds


# --- across runs ----------------------------------------------------------------------------------

def _dates(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """`frame` with `cols` as datetime64[us], whatever their type was (dates, strings, other units)."""
    return frame.assign(**{c: pd.to_datetime(frame[c]).astype("datetime64[us]") for c in cols if c in frame})


def track(raised: pd.DataFrame, earlier: pd.DataFrame | None, rejoin_days: int = 0) -> pd.DataFrame:
    """`raised` with `first_seen` and `notified` (when this episode last interrupted its owner), kept
    from `earlier` runs when the same account and kind was raised at the latest of them, or at any
    run up to `rejoin_days` before this one (it cleared only briefly: the same episode); else
    `first_seen` is this run's date."""
    out = _dates(raised, "as_of")
    if earlier is None or earlier.empty:
        return out.assign(first_seen=out["as_of"], notified=pd.NaT)
    e = _dates(earlier, "as_of", "first_seen", "notified")
    now = out["as_of"].max() if len(out) else e["as_of"].max()
    near = e[(e["as_of"] == e["as_of"].max()) | (e["as_of"] >= now - pd.Timedelta(days=rejoin_days))]
    prev = near.sort_values("as_of").drop_duplicates(["account_id", "kind"], keep="last")[
        ["account_id", "kind", "first_seen", "notified"]]
    out = out.merge(prev, on=["account_id", "kind"], how="left")
    out["first_seen"] = out["first_seen"].fillna(out["as_of"])
    return out


def resolve(alerts: pd.DataFrame, actions: pd.DataFrame | None, today: dt.date, s: AlertSettings) -> pd.DataFrame:
    """Each alert's status now, from the latest action on it (same account, kind and first seen):
    open, acknowledged, snoozed (until a date) or dismissed; a snoozed, dismissed or acknowledged
    alert whose evidence got worse since (a higher severity, or its value up by the kind's
    `worse_by`) is open again with `back` set, and so is a snooze whose date has passed.
    Adds: status, status_note, back, acted_by, acted_at, until, reason."""
    out = _dates(alerts, "first_seen")
    blank = {"status": "open", "status_note": "", "back": False, "acted_by": None, "acted_at": pd.NaT,
             "until": pd.NaT, "reason": None}
    if actions is None or actions.empty or out.empty:
        return out.assign(**blank)
    last = (_dates(actions, "first_seen", "acted_at", "until").sort_values(["acted_at", "id"] if "id" in actions else "acted_at")
            .groupby(["account_id", "kind", "first_seen"]).tail(1)
            .rename(columns={"severity": "severity_at", "value": "value_at"}))
    out = out.merge(last[["account_id", "kind", "first_seen", "action", "severity_at", "value_at", "acted_by",
                          "acted_at", "until", "reason"]], on=["account_id", "kind", "first_seen"], how="left")
    worse_by = out["kind"].map(lambda k: s.worse_by(k) if k in s.kinds else 0.0)
    worse = (out["severity"].map(RANK) > out["severity_at"].map(RANK)) | \
            (out["value"] >= out["value_at"] + worse_by)
    acted = out["action"].notna()
    today = pd.Timestamp(today)
    snoozing = (out["action"] == "snooze") & (out["until"] >= today)
    status = np.select([~acted, worse, out["action"] == "acknowledge", snoozing, out["action"] == "dismiss"],
                       ["open", "open", "acknowledged", "snoozed", "dismissed"], "open")
    verb = {"acknowledge": "acknowledged", "snooze": "snoozed", "dismiss": "dismissed"}
    note = np.select(
        [~acted, worse, snoozing, (out["action"] == "snooze")],
        ["", "back: worse since " + out["action"].map(verb).fillna("") + " on " + out["acted_at"].dt.strftime("%Y-%m-%d").fillna(""),
         "until " + out["until"].dt.strftime("%Y-%m-%d").fillna(""),
         "back: the snooze ended " + out["until"].dt.strftime("%Y-%m-%d").fillna("")],
        "by " + out["acted_by"].fillna("") + " on " + out["acted_at"].dt.strftime("%Y-%m-%d").fillna(""))
    out["status"], out["status_note"] = status, note
    out["back"] = acted & (out["action"] != "acknowledge") & (status == "open")
    out.loc[acted & worse & (out["action"] == "acknowledge"), "back"] = True
    return out.drop(columns=["action", "severity_at", "value_at"])


def week_start(d) -> pd.Timestamp:
    """Monday of the ISO week holding `d`: the budget's period."""
    t = pd.Timestamp(d).normalize()
    return t - pd.Timedelta(days=t.weekday())


UNASSIGNED = "Unassigned"  # the owner of an account whose owner is not given


def budget(alerts: pd.DataFrame, notified_this_week: dict[str, int], cap: int) -> pd.DataFrame:
    """Which critical alerts interrupt their owner this run: those not yet delivered in their episode
    (or back after an action, worse), open, ranked by ARR at risk within each owner, up to the
    owner's budget left this week (`cap` less `notified_this_week[owner]`). Sets `delivery`
    ("notify" or "digest"), `capped` (critical, due, but over the budget) and `notified`."""
    out = alerts.copy()
    due = (out["severity"] == "critical") & (out["status"] == "open") & \
          (out["notified"].isna() | (out["back"] & (out["acted_at"] > out["notified"])))
    due &= out["owner"] != UNASSIGNED  # nobody to interrupt: they stay critical, in the leaders' digest
    rank_by = out["arr_at_risk"].fillna(out["arr"]).fillna(0)
    order = out[due].assign(_r=rank_by[due]).sort_values(["owner", "_r", "account_id", "kind"],
                                                         ascending=[True, False, True, True])
    position = order.groupby("owner").cumcount()
    left = pd.Series([max(cap - notified_this_week.get(o, 0), 0) for o in order["owner"]], index=order.index, dtype=int)
    notify = pd.Series(False, index=out.index)
    notify[order.index[(position < left).to_numpy()]] = True
    out["delivery"] = np.where(notify, "notify", "digest")
    out["capped"] = due & ~notify
    out["notified"] = pd.to_datetime(out["notified"]).where(~notify, pd.to_datetime(out["as_of"]))
    return out


def _notified_counts(history: pd.DataFrame, as_of) -> dict[str, int]:
    """Alerts (account, kind, episode) that interrupted each owner earlier in as_of's week."""
    if history is None or history.empty:
        return {}
    h = _dates(history, "as_of")
    week = h[(h["as_of"] >= week_start(as_of)) & (h["as_of"] < pd.Timestamp(as_of)) & (h["delivery"] == "notify")]
    return week.drop_duplicates(["account_id", "kind", "first_seen"]).groupby("owner").size().to_dict()


# --- the job --------------------------------------------------------------------------------------

def _frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The stored columns, typed (so an empty frame still writes)."""
    out = rows.reindex(columns=ALERT_COLUMNS)
    for c in DATE_COLUMNS:
        out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
    for c in ("value", "arr", "arr_at_risk"):
        out[c] = out[c].astype(float)
    out["capped"] = out["capped"].fillna(False).astype(bool)
    for c in ("account_id", "kind", "severity", "evidence", "owner", "name", "delivery"):
        out[c] = out[c].astype("string")
    return out


def history(con: duckdb.DuckDBPyConnection, since: dt.date | None = None) -> pd.DataFrame:
    """Stored alert rows (all runs, or those at `since` and later), oldest first."""
    if not has_table(con, "alerts"):
        return _frame(pd.DataFrame())
    return con.execute("select * from alerts where as_of >= coalesce(?, date '0001-01-01') order by as_of",
                       [since]).df()


def _context(con: duckdb.DuckDBPyConnection, as_of: dt.date, rejoin_days: int) -> pd.DataFrame:
    """What a run at `as_of` continues from: the previous run, the runs earlier in its week, and
    those within `rejoin_days` (episodes that cleared briefly)."""
    if not has_table(con, "alerts"):
        return _frame(pd.DataFrame())
    previous = con.execute("select max(as_of) from alerts where as_of < ?", [as_of]).fetchall()[0][0]
    since = min(d for d in (previous, week_start(as_of).date(), as_of - dt.timedelta(days=rejoin_days))
                if d is not None)
    return history(con, since)


def alert_dates(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Snapshot dates alerts can be computed for: every feature snapshot."""
    require_table(con, "features", "radar features")
    return [r[0] for r in con.execute("select distinct as_of from features order by 1").fetchall()]


def compute(con: duckdb.DuckDBPyConnection, dates: list[dt.date], s: AlertSettings, actions: pd.DataFrame | None,
            today: dt.date, past: pd.DataFrame | None = None, progress=print) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Alerts at each of `dates` in order (each run continues the one before; `past` holds earlier
    stored runs), with people's `actions` applied to the last date only. Returns (alerts, kinds)."""
    runs, kinds = [], None
    known = _dates(past, "as_of") if past is not None and len(past) else _frame(pd.DataFrame())
    for i, d in enumerate(dates):
        snap = snapshot(con, d, s)
        raised, kinds = detect(snap, s)
        earlier = known[known["as_of"] < pd.Timestamp(d)]
        tracked = track(raised, earlier, s.rejoin_days)
        resolved = resolve(tracked, actions if i == len(dates) - 1 else None, today, s)
        run = _frame(budget(resolved, _notified_counts(earlier, d), s.critical_per_owner_per_week))
        runs.append(run)
        known = pd.concat([earlier, run, known[known["as_of"] > pd.Timestamp(d)]], ignore_index=True)
    return (pd.concat(runs, ignore_index=True) if runs else _frame(pd.DataFrame())), kinds


def write(con: duckdb.DuckDBPyConnection, alerts: pd.DataFrame, kinds: pd.DataFrame, dates: list[dt.date],
          replace_all: bool) -> None:
    """Store the runs at `dates` (their earlier rows replaced) and the kinds' notes, in one transaction."""
    with transaction(con):
        if replace_all or not has_table(con, "alerts"):
            con.execute("drop table if exists alerts")
            replace_dates(con, "alerts", alerts, replace_all=True)
        else:
            con.execute("delete from alerts where list_contains(?, as_of)", [list(dates)])
            replace_dates(con, "alerts", alerts)
        replace_dates(con, "alert_kinds", kinds.astype({"kind": "string", "label": "string", "note": "string"}),
                      replace_all=True)


def run(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, all_dates: bool = False,
        actions: pd.DataFrame | None = None, today: dt.date | None = None, s: AlertSettings | None = None,
        progress=print) -> dict:
    """`radar alerts`: compute the alerts at `as_of` (default: the latest snapshot), or at every
    snapshot with `all_dates` (history rebuilt from scratch, no actions), and write them.
    Returns as_of, counts by severity, notified, capped, accounts, skipped kinds."""
    s = s or load_settings()
    dates = alert_dates(con)
    if not dates:
        raise ValueError("the features table is empty; run `radar features`")
    target = as_of or dates[-1]
    if target not in dates:
        raise ValueError(f"no feature snapshot at {target}; run `radar features --as-of {target}`")
    todo = [d for d in dates if d <= target] if all_dates else [target]
    past = None if all_dates else _context(con, target, s.rejoin_days)
    found, kinds = compute(con, todo, s, None if all_dates else actions, today or dt.date.today(), past, progress)
    write(con, found, kinds, todo, replace_all=all_dates)
    last = found[found["as_of"] == pd.Timestamp(target)]
    counts = last["severity"].value_counts()
    for r in kinds[~kinds["ran"]].itertuples():
        progress(f"  note: {r.label} alerts skipped: {r.note}")
    return {"as_of": target, "dates": len(todo), "alerts": len(last),
            "by_severity": {k: int(counts.get(k, 0)) for k in reversed(SEVERITIES)},
            "notified": int((last["delivery"] == "notify").sum()), "capped": int(last["capped"].sum()),
            "quiet": _quiet_critical(last),
            "accounts": int(last["account_id"].nunique()), "skipped": kinds.loc[~kinds["ran"], "kind"].tolist()}


def _quiet_critical(last: pd.DataFrame) -> dict[str, int]:
    """The critical alerts that interrupt nobody this run and are not over the budget, by why: on
    an account without an owner, sent earlier in their episode, or (never sent) acknowledged,
    snoozed or dismissed by their owner."""
    crit = last[(last["severity"] == "critical") & (last["delivery"] != "notify") & ~last["capped"].astype(bool)]
    unowned = crit["owner"] == UNASSIGNED
    sent = ~unowned & crit["notified"].notna()
    return {"sent earlier": int(sent.sum()), "acknowledged, snoozed or dismissed": int((~unowned & ~sent).sum()),
            "without an owner": int(unowned.sum())}


# --- reading back ---------------------------------------------------------------------------------

def latest(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest run's alerts (empty with the stored columns when none has run)."""
    if not has_table(con, "alerts"):
        return _frame(pd.DataFrame())
    return con.execute("select * from alerts where as_of = (select max(as_of) from alerts) "
                       "order by owner, account_id, kind").df()


def ordered(alerts: pd.DataFrame) -> pd.DataFrame:
    """Most pressing first: this week's interruptions, then by severity, then by ARR at risk."""
    key = alerts.assign(_n=(alerts["delivery"] == "notify").astype(int), _s=alerts["severity"].map(RANK),
                        _r=alerts["arr_at_risk"].fillna(alerts["arr"]).fillna(0))
    return key.sort_values(["_n", "_s", "_r", "account_id"], ascending=[False, False, False, True]) \
        .drop(columns=["_n", "_s", "_r"]).reset_index(drop=True)


# --- backtest -------------------------------------------------------------------------------------

def backtest_figures(alerts: pd.DataFrame, churns: pd.DataFrame, s: AlertSettings,
                     kinds: list[str] | None = None, since: dt.date | None = None) -> dict:
    """Would the alerts have warned us, and at what cost in interruptions?

    `alerts`: every run over the history (compute over all dates); `churns`: (account_id, churn_date).
    Counts churns that fall where the history could have warned `lead_days` ahead, and those with a
    critical alert (of `kinds`, default all) `lead_days`..`lookback_days` before; per owner and ISO
    week over the history: new alerts (first seen that week), critical alerts that interrupted, and
    critical alerts due before the cap, from the week after the first run (which finds every standing
    alert new). Also how many alerted accounts had not churned by the last run, and how many of
    those were first alerted within `lead_days` of it (too soon to tell).

    `since`: the first run at which every kind counted could fire (the alert backtest's first
    out-of-time model). Churns are then counted from `since` + `lead_days` (`left_out`: the earlier
    ones, which no such run could have warned in time), and the weekly load and the alerted accounts
    from `since` on; a critical alert of an earlier run still counts for a churn it preceded."""
    a = _dates(alerts, "as_of", "first_seen")
    if kinds is not None:
        a = a[a["kind"].isin(kinds)]
    runs = sorted(_dates(alerts, "as_of")["as_of"].unique())
    if not runs:
        raise ValueError("no alert runs to backtest")
    start, end = pd.Timestamp(runs[0]), pd.Timestamp(runs[-1])
    frm = max(pd.Timestamp(since), start) if since is not None else start
    c = churns.assign(churn_date=pd.to_datetime(churns["churn_date"]))
    c = c[(c["churn_date"] >= start + pd.Timedelta(days=s.lead_days)) & (c["churn_date"] <= end)]
    left_out = c[c["churn_date"] < frm + pd.Timedelta(days=s.lead_days)].drop_duplicates(["account_id", "churn_date"])
    c = c[c["churn_date"] >= frm + pd.Timedelta(days=s.lead_days)]
    crit = a[a["severity"] == "critical"][["account_id", "as_of"]]
    hits = c.merge(crit, on="account_id")
    lead = (hits["churn_date"] - hits["as_of"]).dt.days
    warned = hits[(lead >= s.lead_days) & (lead <= s.lookback_days)][["account_id", "churn_date"]].drop_duplicates()
    counted = crit[crit["as_of"] >= frm]
    critical_accounts = set(counted["account_id"])
    churned_ever = set(churns["account_id"])
    # not churned by the data end: known only for an account alerted long enough before it
    first_alert = counted[~counted["account_id"].isin(churned_ever)].groupby("account_id")["as_of"].min()
    too_recent = int((first_alert > end - pd.Timedelta(days=s.lead_days)).sum())
    owners = sorted(set(_dates(alerts, "as_of")["owner"].dropna()))
    # the first run finds every standing alert "new": the weekly load is counted from the week after it
    weeks = pd.date_range(week_start(frm) + pd.Timedelta(days=7), week_start(end), freq="7D")

    def per_week(rows: pd.DataFrame, when: str) -> dict:
        rows = rows[rows[when].map(week_start) > week_start(frm)]
        counts = rows.assign(week=rows[when].map(week_start)).groupby(["owner", "week"]).size()
        full = counts.reindex(pd.MultiIndex.from_product([owners, weeks], names=["owner", "week"]), fill_value=0)
        return {"median": float(full.median()) if len(full) else 0.0, "max": int(full.max()) if len(full) else 0,
                "mean": float(full.mean()) if len(full) else 0.0}
    new = a[a["first_seen"] == a["as_of"]]
    return {
        "runs": len(runs), "from": start.date(), "to": end.date(), "since": frm.date(),
        "runs_since": sum(pd.Timestamp(r) >= frm for r in runs), "left_out": len(left_out),
        "churns": len(c.drop_duplicates(["account_id", "churn_date"])), "warned": len(warned),
        "warned_share": len(warned) / max(len(c.drop_duplicates(["account_id", "churn_date"])), 1),
        "accounts_with_critical": len(critical_accounts),
        "critical_not_churned": len(critical_accounts - churned_ever), "critical_too_recent": too_recent,
        "owners": len(owners), "weeks": len(weeks),
        "new_alerts_per_owner_week": per_week(new, "as_of"),
        "critical_interrupting_per_owner_week": per_week(a[a["delivery"] == "notify"], "as_of"),
        "critical_due_per_owner_week": per_week(a[(a["delivery"] == "notify") | a["capped"].astype(bool)], "as_of"),
    }
