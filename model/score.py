"""`radar score`: churn probability, risk tier, ARR at risk and explained drivers per account."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from features.warehouse import open_existing, upsert_dates, write_parquet
from model import dataset, explain
from model.settings import ModelSettings, load_settings

SCORE_COLUMNS = ["account_id", "as_of", "churn_probability", "risk_tier", "model_version", "arr", "arr_at_risk"]


def risk_tier(p: np.ndarray, s: ModelSettings) -> np.ndarray:
    """high at or above s.high_risk, medium at or above s.medium_risk, else low."""
    return np.select([p >= s.high_risk, p >= s.medium_risk], ["high", "medium"], "low")


def score_frame(model, snaps: pd.DataFrame, names: list[str], version: str, s: ModelSettings) -> pd.DataFrame:
    p = model.predict_proba(snaps[names].astype(float))[:, 1]
    out = snaps[["account_id", "as_of"]].copy()
    out["churn_probability"] = p
    out["risk_tier"] = risk_tier(p, s)
    out["model_version"] = version
    out["arr"] = snaps["arr"].astype(float).to_numpy()
    out["arr_at_risk"] = p * out["arr"].fillna(0)
    return out[SCORE_COLUMNS]


def _peers(model, snaps: pd.DataFrame, names: list[str], s: ModelSettings):
    """The rows' features, SHAP values, raw scores, the peer profile and each row's peer group.
    A version registered before profiles were kept compares with the accounts scored on the same
    date instead."""
    X = snaps[names].astype(float)
    phi, base = model.contributions(X)
    raw = base + phi.sum(axis=1)
    profile = getattr(model, "reference_", None)
    horizon = profile.get("horizon_days", s.horizon_days) if profile else s.horizon_days
    groups = explain.peer_group(snaps, horizon)
    if not profile:
        profile = explain.reference_profile(X, phi, raw, groups, np.ones(len(X), bool)) | {
            "population": "accounts scored on the same date"}
    return X, phi, raw, profile, groups


def contribution_frame(model, snaps: pd.DataFrame, prob: np.ndarray, names: list[str], cat: dict,
                       s: ModelSettings) -> pd.DataFrame:
    """What each feature family adds to the scored rows' risk against their peers, in points
    (explain.family_points: grain account_id x as_of x family)."""
    X, phi, _, profile, groups = _peers(model, snaps, names, s)
    return explain.family_points(X, snaps[["account_id", "as_of"]], phi, prob, model.calibration_, cat,
                                 profile, groups)


def explain_frame(model, snaps: pd.DataFrame, prob: np.ndarray, previous: pd.DataFrame | None,
                  names: list[str], cat: dict, s: ModelSettings) -> pd.DataFrame:
    """Reasons for the scored rows, against the peers the model's profile describes (accounts that
    renewed, in the same phase of their term); `prob` is their calibrated probability from
    score_frame."""
    X, phi, raw, profile, groups = _peers(model, snaps, names, s)
    ctx = snaps[[c for c in ("delivery_silent_event_type", "delivery_usual_gap_days") if c in snaps]]
    prev = previous.set_index("account_id")[names] if previous is not None else None
    return explain.drivers(X, snaps[["account_id", "as_of"]], phi, raw, prob, model.calibration_, cat, profile,
                           groups, prev, ctx, s.drivers_each_way, s.min_points)


def _write(con, table: str, frame: pd.DataFrame) -> None:
    """Upsert `frame`'s dates into `table`; a table written with other columns (an older version)
    is replaced whole."""
    cols = [r[0] for r in con.execute("select column_name from information_schema.columns where table_name = ? "
                                      "and table_schema = 'main'", [table]).fetchall()]
    upsert_dates(con, table, frame, replace_all=bool(cols) and set(cols) != set(frame.columns))


# above this share of its features missing, a model's scores would be mostly guesswork
MAX_ABSENT_SHARE = 0.25


def _bring_back(absent: list[str]) -> str:
    """What would build those features again: the sources they need (a file that stopped coming),
    and for per-event-type features the event types to keep tracking."""
    from features.catalog import load_catalog
    static = load_catalog()
    sources = sorted({r.split(".")[0] for n in absent if n in static for r in static[n].requires})
    ways = [f"load {', '.join(sources)} again (not in the latest ingest)"] if sources else []
    if any(n not in static for n in absent):  # per event type, persona or workflow: the data's own names
        ways.append("list the event types to keep in features/config/pipeline.toml (`event_types`)")
    return " or ".join(ways) or "check the latest ingest"


def _absent_features(names: list[str], cat: dict, version: str, progress) -> list[str]:
    """The model's features the warehouse no longer builds (the most frequent event types changed,
    an optional source stopped coming). A few are scored as missing values, with a warning, and
    are never given as a reason (their catalog entry says so); more than MAX_ABSENT_SHARE stops
    the scoring. Adds their entries to `cat`."""
    absent = [n for n in names if n not in cat]
    if not absent:
        return []
    listed = ", ".join(absent[:6]) + (f" and {len(absent) - 6} more" if len(absent) > 6 else "")
    if len(absent) > MAX_ABSENT_SHARE * len(names):
        raise ValueError(f"model version {version} needs {len(absent)} of its {len(names)} features that the "
                         f"warehouse no longer builds ({listed}); retrain (`radar train`) on the current features")
    progress(f"  warning: model version {version} was trained on {len(absent)} features the warehouse no longer "
             f"builds ({listed}); they are scored as missing and never given as a reason. Retrain (`radar train`), "
             f"or {_bring_back(absent)}")
    for n in absent:
        cat[n] = {"name": n, "family": "other", "description": f"{n} (no longer built)", "unit": "number",
                  "direction": "neutral", "requires": "", "sentence": None, "yes": None, "no": None,
                  "model": True, "timing": False, "missing": None, "reason": n, "absent": True}
    return absent


def _with(snaps: pd.DataFrame, absent: list[str]) -> pd.DataFrame:
    """`snaps` with the absent features as missing values."""
    return snaps.assign(**{n: np.nan for n in absent}) if absent else snaps


def main(db: Path, as_of: dt.date | None = None, version: str | None = None, out: Path | None = None,
         progress=print, all_dates: bool = False) -> int:
    """`radar score`: exit status 0 once the scores and drivers are written."""
    run(db, as_of, version, out, progress, all_dates)
    return 0


def run(db: Path, as_of: dt.date | None = None, version: str | None = None, out: Path | None = None,
        progress=print, all_dates: bool = False) -> dict:
    """Score the accounts at `as_of` (default: the latest snapshot) with `version` (default:
    @champion); write scores, drivers and risk_contributions (and every earlier date's scores and
    contributions with `all_dates`, for the account's trends).
    Returns version, as_of, accounts, tiers ({high, medium, low: count}), arr_at_risk and arr."""
    t0 = time.perf_counter()
    s = load_settings()
    from model import tracking
    model, version, _ = tracking.load(version)
    t_load = time.perf_counter() - t0
    with open_existing(db) as con:
        cat = dataset.catalog(con)
        names = model.feature_names_
        absent = _absent_features(names, cat, version, progress)
        dates = [r[0] for r in con.execute("select distinct as_of from features order by 1").fetchall()]
        if not dates:
            raise ValueError("the features table is empty; run `radar features`")
        target = as_of or dates[-1]
        if target not in dates:
            raise ValueError(f"no feature snapshot at {target}; run `radar features --as-of {target}`")
        snaps = _with(dataset.snapshots(con, at=target), absent)
        earlier = [d for d in dates if d <= target - dt.timedelta(days=s.lookback_days)]
        previous = _with(dataset.snapshots(con, at=earlier[-1]), absent) if earlier else None
        scores = score_frame(model, snaps, names, version, s)
        drivers = explain_frame(model, snaps, scores["churn_probability"].to_numpy(), previous, names, cat, s)
        parts = [contribution_frame(model, snaps, scores["churn_probability"].to_numpy(), names, cat, s)]
        history = []
        if all_dates:  # earlier snapshots too, in one query and one prediction, for trends
            every = _with(dataset.snapshots(con), absent)
            earlier_snaps = every[every["as_of"] != pd.Timestamp(target)].reset_index(drop=True)
            history = [score_frame(model, earlier_snaps, names, version, s)]
            if len(earlier_snaps):
                parts.insert(0, contribution_frame(model, earlier_snaps, history[0]["churn_probability"].to_numpy(),
                                                   names, cat, s))
        _write(con, "scores", pd.concat([*history, scores], ignore_index=True))
        _write(con, "drivers", drivers)
        _write(con, "risk_contributions", pd.concat(parts, ignore_index=True))
    write_parquet(scores, out)
    counts = scores["risk_tier"].value_counts()
    summary = {"version": version, "as_of": target, "accounts": len(scores),
               "tiers": {k: int(counts.get(k, 0)) for k in ("high", "medium", "low")},
               "arr_at_risk": float(scores["arr_at_risk"].sum()), "arr": float(scores["arr"].sum())}
    progress(f"  scored {summary['accounts']:,} accounts at {target} with version {version}: "
             + ", ".join(f"{k} {v}" for k, v in summary["tiers"].items())
             + f"; ARR at risk {summary['arr_at_risk']:,.0f} of {summary['arr']:,.0f} "
             f"[load {t_load:.1f}s, total {time.perf_counter() - t0:.1f}s]")
    return summary
