"""Backtest, "would it have warned us?": at each cutoff, only what was known that day.

`run` is the rolling-origin backtest that `radar backtest` and the Models page share. Features
are point in time, so they are read once for every cutoff. At each cutoff: labels only where the
outcome window (and its grace period) had closed by the cutoff; the training protocol of
model/protocol.py on them (the one `radar train` uses); the accounts active that day scored by the
model, the rule health score, a logistic regression and renewal timing alone; and each compared
with what happened in the next horizon. Metrics per cutoff and pooled over the cutoffs (the top
10% taken within each cutoff, as a team would call it each quarter). No MLflow here: model.tracking
logs what `run` returns.

The functions after it read the warehouse's `scores` and `health` tables: how each scored month
ranked the accounts whose outcome is now known. A warning is a high or medium risk tier from the
model, or a poor or concerning health tier.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from features.inputs import data_end
from features.warehouse import require_table
from model import baselines, dataset, labels, protocol
from model.baselines import health_risk
from model.evaluate import bootstrap_auc, ece, ranking_metrics
from model.settings import ModelSettings

METHODS = {"model": "Churn model", "health": "Health score", "logreg": "Logistic regression",
           "timing": "Renewal timing alone"}
PROBABILISTIC = ("model", "logreg", "timing")  # methods whose scores are probabilities (ECE, Brier)


@dataclass
class Backtest:
    """What a backtest produced: one row per scored account and cutoff (`rows`: cutoff, account_id,
    arr, churned, a score per method), metrics per cutoff and method (`per_cutoff`) and pooled
    (`pooled`), the cutoffs it could not run with the reason (`skipped`), and how each cutoff was
    trained (`training`)."""
    rows: pd.DataFrame
    per_cutoff: pd.DataFrame
    pooled: pd.DataFrame
    skipped: list[dict] = field(default_factory=list)
    training: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def metric(self, method: str, name: str, cutoff=None) -> float:
        t = self.pooled if cutoff is None else self.per_cutoff[self.per_cutoff["cutoff"] == str(cutoff)]
        row = t[t["method"] == method]
        return float(row[name].iloc[0]) if len(row) and name in row else float("nan")


def candidate_cutoffs(dates: list[dt.date], end: dt.date, s: ModelSettings, every: str | None = None) -> list[dt.date]:
    """Snapshot dates whose next horizon (and grace period) is over by `end`: every one ("month"),
    or every third counted back from the latest ("quarter")."""
    known = sorted(d for d in dates if d + dt.timedelta(days=s.horizon_days + s.grace_days) <= end)
    step = 3 if (every or s.backtest_every) == "quarter" else 1
    return sorted(known[::-1][::step])


def resolve_cutoffs(dates: list[dt.date], wanted: list[dt.date]) -> list[dt.date]:
    """Each wanted cutoff as the latest snapshot date on or before it (dropping duplicates)."""
    out = []
    for w in wanted:
        before = [d for d in dates if d <= w]
        if not before:
            raise ValueError(f"no snapshot on or before {w}: the first is {min(dates)}")
        out.append(before[-1])
    return sorted(set(out))


def known_at(snaps: pd.DataFrame, churns: pd.DataFrame, cutoff: dt.date, s: ModelSettings) -> pd.DataFrame:
    """The snapshots (`as_of` as timestamps) labelled as on `cutoff`: only those dated on or before
    it whose outcome window and grace period had closed by then, from the churns known then
    (labels.churn_events at `cutoff`)."""
    return labels.label(snaps[snaps["as_of"] <= pd.Timestamp(cutoff)], churns, cutoff, s.horizon_days,
                        s.grace_days)


def history_short(known: pd.DataFrame, s: ModelSettings) -> str | None:
    """Why the protocol cannot train on `known` (too few labelled months or churn outcomes), or None."""
    if known.empty:
        return protocol.shortfall(0, 0, s)
    return protocol.shortfall(int(known["as_of"].nunique()), protocol.outcomes(known), s)


def train_at(known: pd.DataFrame, names: list[str], s: ModelSettings) -> tuple:
    """The model `radar train` would register on `known` (model/protocol.py's protocol) and its
    training record: protocol, labelled months, churn outcomes, rows, trees, calibration, folds.
    protocol.NotEnoughHistory when the protocol cannot run."""
    known = known.reset_index(drop=True)
    plan = protocol.choose(known, s)
    X, y = known[names].astype(float), known["churned"].to_numpy()
    model = protocol.fit_final(X, y, known, plan, s)
    record = {"protocol": plan.protocol, "labelled_months": int(known["as_of"].nunique()),
              "churn_outcomes": protocol.outcomes(known), "train_rows": int(len(known)),
              "trees": int(model.best_iteration_), "calibration": model.calibration_.kind,
              "folds": len(getattr(model, "folds_", []) or [])}
    return model, record


def _scores_at(known: pd.DataFrame, today: pd.DataFrame, names: list[str], timing: list[str],
               s: ModelSettings) -> tuple[dict, dict]:
    """Train on `known` (labelled as of the cutoff) and score `today`: {method: scores}, training record."""
    known = known.reset_index(drop=True)
    model, record = train_at(known, names, s)
    X, y = known[names].astype(float), known["churned"].to_numpy()
    Xt = today[names].astype(float)
    out = {"model": model.predict_proba(Xt)[:, 1],
           "health": health_risk(today["health_score"], s.unknown_health_score),
           "logreg": baselines.logistic_regression(s.seed).fit(X, y).predict_proba(Xt)[:, 1]}
    if timing:
        out["timing"] = baselines.timing_model(s.seed).fit(known[timing].astype(float), y) \
            .predict_proba(today[timing].astype(float))[:, 1]
    return out, record


def run(con: duckdb.DuckDBPyConnection, s: ModelSettings, cutoffs: list[dt.date] | None = None,
        every: str | None = None, progress=print) -> Backtest:
    """The rolling-origin backtest at `cutoffs` (snapshot dates; default: candidate_cutoffs with
    `every`, from the first with enough history). Cutoffs whose outcome is not known yet, or with
    too little history, are skipped with the reason. ValueError when none can run."""
    t0 = time.perf_counter()
    end = data_end(con)
    cat = dataset.catalog(con)
    names = dataset.model_features(cat)
    timing = [n for n in names if cat[n].get("timing")]
    snaps = dataset.snapshots(con)
    snaps["as_of"] = pd.to_datetime(snaps["as_of"])
    dates = sorted(d.date() for d in snaps["as_of"].unique())
    truth = labels.label(snaps, labels.churn_events(con, end, s.grace_days), end, s.horizon_days, s.grace_days)
    wanted = resolve_cutoffs(dates, cutoffs) if cutoffs else candidate_cutoffs(dates, end, s, every)
    progress(f"  features read once: {len(snaps):,} snapshots x {len(names)} features, {len(dates)} dates "
             f"to {end} [{time.perf_counter() - t0:.1f}s]")
    rows, skipped, training = [], [], []
    for c in wanted:
        ts = pd.Timestamp(c)
        if c + dt.timedelta(days=s.horizon_days + s.grace_days) > end:
            skipped.append({"cutoff": str(c), "reason": f"its {s.horizon_days}-day outcome (and {s.grace_days}-day "
                                                         f"grace) is not over by the data end {end}"})
            continue
        known = known_at(snaps, labels.churn_events(con, c, s.grace_days), c, s)
        short = history_short(known, s)
        if short:
            skipped.append({"cutoff": str(c), "reason": short})
            continue
        today = truth[truth["as_of"] == ts].reset_index(drop=True)
        try:
            scores, record = _scores_at(known, today, names, timing, s)
        except protocol.NotEnoughHistory as e:
            skipped.append({"cutoff": str(c), "reason": str(e)})
            continue
        training.append({"cutoff": str(c), **record})
        rows.append(pd.DataFrame({"cutoff": str(c), "account_id": today["account_id"], "arr": today["arr"].astype(float),
                                  "churned": today["churned"].astype(int),
                                  "days_to_renewal": today.get("days_to_renewal", pd.Series(np.nan, index=today.index)),
                                  **scores}))
        progress(f"  {c}: {record['protocol']} on {record['labelled_months']} labelled months and "
                 f"{record['churn_outcomes']} churn outcomes; scored {len(today):,} accounts, "
                 f"{int(today['churned'].sum())} churned within {s.horizon_days} days "
                 f"[{time.perf_counter() - t0:.1f}s]")
    if not rows:
        reasons = "; ".join(f"{x['cutoff']}: {x['reason']}" for x in skipped) or "no snapshot date qualifies"
        raise protocol.NotEnoughHistory(f"no cutoff could be backtested ({reasons})")
    frame = pd.concat(rows, ignore_index=True)
    per_cutoff = pd.concat([scorecard(g, s, cutoff=c) for c, g in frame.groupby("cutoff", sort=True)],
                           ignore_index=True)
    return Backtest(frame, per_cutoff, scorecard(frame, s), skipped, training,
                    {"horizon_days": s.horizon_days, "grace_days": s.grace_days, "data_end": str(end),
                     "cutoffs": [str(c) for c in sorted(frame["cutoff"].unique())], "features": len(names),
                     "timing_features": timing, "seconds": round(time.perf_counter() - t0, 1)})


def scorecard(frame: pd.DataFrame, s: ModelSettings, cutoff: str | None = None) -> pd.DataFrame:
    """One row per method on `frame` (rows of one cutoff, or several pooled): ROC AUC with its
    bootstrap interval (resampling accounts), PR AUC, lift, recall and churned ARR in the top 10%
    (within each cutoff), and ECE and Brier for probabilities."""
    y, arr = frame["churned"].to_numpy(), frame["arr"].to_numpy(float)
    out = []
    for m in (k for k in METHODS if k in frame):
        score = frame[m].to_numpy(float)
        r = ranking_metrics(y, score, arr)
        top = np.zeros(len(frame), bool)
        for _, idx in frame.groupby("cutoff").indices.items():
            k = max(1, int(np.ceil(len(idx) * 0.1)))
            top[idx[np.argsort(-score[idx], kind="stable")[:k]]] = True
        base = y.mean() if len(y) else np.nan
        lo, hi = bootstrap_auc(y, score, frame["account_id"].to_numpy(), s.bootstrap, s.seed)
        row = {"cutoff": cutoff or "pooled", "method": m, "label": METHODS[m], "accounts": int(len(frame)),
               "churned": int(y.sum()), "base_rate": float(base), "roc_auc": r["roc_auc"], "roc_auc_lo": lo,
               "roc_auc_hi": hi, "pr_auc": r["pr_auc"],
               "lift_at_10pct": float(y[top].mean() / base) if base > 0 else np.nan,
               "recall_at_10pct": float(y[top].sum() / y.sum()) if y.sum() else np.nan,
               "arr_recall_at_10pct": float(np.nansum(arr[top] * y[top]) / np.nansum(arr * y)) if np.nansum(arr * y) else np.nan,
               "ece": np.nan, "brier": np.nan, "mean_probability": np.nan}
        if m in PROBABILISTIC:
            p = np.clip(score, 0, 1)
            row |= {"ece": ece(y, p), "brier": float(np.mean((p - y) ** 2)), "mean_probability": float(p.mean())}
        out.append(row)
    return pd.DataFrame(out)


def health_verdict(table: pd.DataFrame) -> str | None:
    """A sentence when the health score ranks worse than chance on `table`'s rows (its ROC AUC,
    or the whole interval, below 0.5); None otherwise."""
    h = table[table["method"] == "health"]
    if h.empty or not np.isfinite(h["roc_auc"].iloc[0]):
        return None
    auc, lo, hi = (float(h[c].iloc[0]) for c in ("roc_auc", "roc_auc_lo", "roc_auc_hi"))
    if auc >= 0.5:
        return None
    interval = f" (95% interval {lo:.2f}-{hi:.2f})" if np.isfinite(hi) else ""
    if np.isfinite(hi) and hi < 0.5:
        return (f"The health score ranks these accounts worse than chance: ROC AUC {auc:.2f}{interval}. Accounts it "
                "called healthy churned more often than those it called poor; read it inverted, or refit its weights "
                "(`radar health --fit`).")
    return (f"The health score ranks these accounts no better than chance: ROC AUC {auc:.2f}{interval}, below 0.5 "
            "though within chance of it.")


def summary_lines(b: Backtest) -> list[str]:
    """The backtest in a few lines of text: per cutoff and pooled, each method's ROC AUC and the
    model's lift, churned ARR caught and ECE."""
    lines = []
    order = [m for m in METHODS if m in set(b.pooled["method"])]
    for c, t in [*b.per_cutoff.groupby("cutoff", sort=True), ("pooled", b.pooled)]:
        t = t.set_index("method")
        aucs = " | ".join(f"{METHODS[m].lower()} {t.loc[m, 'roc_auc']:.3f}" for m in order)
        md = t.loc["model"]
        lines.append(f"  {c:>10}: {int(md['accounts']):,} accounts, {int(md['churned'])} churned; ROC AUC {aucs}; "
                     f"model [{md['roc_auc_lo']:.2f}-{md['roc_auc_hi']:.2f}], PR AUC {md['pr_auc']:.3f}, "
                     f"lift@10% {md['lift_at_10pct']:.1f}x, recall@10% {md['recall_at_10pct']:.0%}, "
                     f"churned ARR@10% {md['arr_recall_at_10pct']:.0%}, ECE {md['ece']:.3f}")
    verdict = health_verdict(b.pooled)
    return lines + ([f"  {verdict}"] if verdict else []) + [f"  skipped {x['cutoff']}: {x['reason']}" for x in b.skipped]

MODEL_WARNING_TIERS = ("high", "medium")
HEALTH_WARNING_TIERS = ("poor", "concerning")
MEASURES = {"roc_auc": "ROC AUC", "lift_at_10pct": "Lift in the top 10%",
            "arr_recall_at_10pct": "Churned ARR caught in the top 10%"}
COLUMNS = ["account_id", "as_of", "churn_probability", "risk_tier", "arr", "health_score", "health_tier",
           "churned", "churn_date"]

SCORED_SQL = """
-- grain: one row per scored (account_id, as_of), with the health score of the same snapshot
select s.account_id, s.as_of, s.churn_probability, s.risk_tier, s.arr,
       h.health_score, coalesce(h.health_tier, 'unknown') as health_tier
from scores as s
left join health as h on h.account_id = s.account_id and h.as_of = s.as_of
"""


def labelled_scores(con: duckdb.DuckDBPyConnection, horizon_days: int, grace_days: int,
                    cutoff: dt.date | None = None) -> pd.DataFrame:
    """One row per scored snapshot whose outcome is known on `cutoff` (default: the data end):
    the model's and the health score's view then, `churned` 0/1 within `horizon_days` and its
    `churn_date` (NaT when retained). Columns: COLUMNS."""
    require_table(con, "scores", "radar score --all-dates")
    require_table(con, "health", "radar health")
    cutoff = cutoff or data_end(con)
    scored = con.execute(SCORED_SQL).df()
    churns = labels.churn_events(con, cutoff, grace_days)
    out = labels.label(scored, churns, cutoff, horizon_days, grace_days)
    return out[COLUMNS].reset_index(drop=True)


def scope_metrics(frame: pd.DataFrame, unknown_health: float) -> pd.DataFrame:
    """One row per measure (ROC AUC, lift and churned ARR caught in the top 10%) with the model's
    and the health score's value on `frame`; a missing health score counts as `unknown_health`."""
    y, arr = frame["churned"].to_numpy(), frame["arr"].to_numpy(float)
    model = ranking_metrics(y, frame["churn_probability"].to_numpy(float), arr)
    health = ranking_metrics(y, health_risk(frame["health_score"], unknown_health), arr)
    return pd.DataFrame({"Measure": list(MEASURES.values()), "Churn model": [model[k] for k in MEASURES],
                         "Health score": [health[k] for k in MEASURES]})


def first_warnings(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per churn (account_id, churn_date): its earliest labelled snapshot, with lead_days
    (days from that snapshot to the churn) and whether the model and the health score warned then."""
    churned = frame[frame["churned"] == 1].sort_values(["as_of", "account_id"], kind="stable")
    first = churned.groupby(["account_id", "churn_date"], sort=False).head(1).reset_index(drop=True)
    return first.assign(
        lead_days=(pd.to_datetime(first["churn_date"]) - pd.to_datetime(first["as_of"])).dt.days,
        model_warned=first["risk_tier"].isin(MODEL_WARNING_TIERS),
        health_warned=first["health_tier"].isin(HEALTH_WARNING_TIERS))


def flag_rates(frame: pd.DataFrame) -> dict[str, float]:
    """Share of all account-months in `frame` that each method flags: {"model": ..., "health": ...}
    (NaN for an empty frame)."""
    if frame.empty:
        return {"model": float("nan"), "health": float("nan")}
    return {"model": float(np.mean(frame["risk_tier"].isin(MODEL_WARNING_TIERS))),
            "health": float(np.mean(frame["health_tier"].isin(HEALTH_WARNING_TIERS)))}
