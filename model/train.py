"""`radar train`: labels, the out-of-time protocol the history allows, LightGBM beside its baselines,
logged to MLflow and registered.

Protocols (model/protocol.py): with plenty of history the test/valid/train split, whose test
months give the eval_ metrics and whose refit is registered; with less, rolling-origin folds,
whose test months (each scored by a model trained on months a horizon before it, at a number of
trees and through a calibration chosen on the other folds) give the eval_ metrics, and whose
model grown on every labelled month is registered.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from features.inputs import data_end
from features.warehouse import open_existing
from model import baselines, dataset, explain, labels, protocol
from model.estimator import ChurnModel
from model.evaluate import probability_metrics, ranking_metrics
from model.settings import ModelSettings, load_settings

PROFILE_ROWS = 5000  # training rows (a seeded sample) that describe the peers explanations compare with


def labelled(con, settings: ModelSettings, cutoff: dt.date) -> tuple[dict, list[str], pd.DataFrame]:
    """(catalog, model feature names, snapshots up to `cutoff` with the outcome known then)."""
    cat = dataset.catalog(con)
    names = dataset.model_features(cat)
    snaps = dataset.snapshots(con, until=cutoff)
    churns = labels.churn_events(con, cutoff, settings.grace_days)
    return cat, names, labels.label(snaps, churns, cutoff, settings.horizon_days, settings.grace_days)


def history_shortfall(con, settings: ModelSettings | None = None, cutoff: dt.date | None = None) -> str | None:
    """None when the warehouse holds enough labelled history to train at `cutoff` (default: the
    data end); else the one line `radar train` would refuse with (what exists, what is needed)."""
    settings = settings or load_settings()
    _, _, data = labelled(con, settings, cutoff or data_end(con))
    if data.empty:
        return protocol.shortfall(0, 0, settings)
    return protocol.shortfall(int(data["as_of"].nunique()), protocol.outcomes(data), settings)


def _compare(y, arr, p_model, health, p_logreg, days_to_renewal, horizon, health_known: bool = True) -> dict:
    """Every eval metric on one set of rows: the model, the health score and the logistic regression.
    Where no row has a health score (`health_known` false: no source the score reads was loaded)
    the health score's metrics are NaN, not the 0.5 of a constant."""
    m = probability_metrics(y, p_model, arr)
    m |= {f"health_{k}": v if health_known else float("nan") for k, v in ranking_metrics(y, health, arr).items()}
    m |= {f"logreg_{k}": v for k, v in probability_metrics(y, p_logreg, arr).items()}
    m["test_base_rate"] = float(np.mean(y))
    # churn happens at term ends: also compare on accounts whose term ends inside the horizon
    near = (days_to_renewal <= horizon)
    if 0 < y[near].sum() < near.sum():
        m["renewing_roc_auc"] = ranking_metrics(y[near], p_model[near], arr[near])["roc_auc"]
        m["health_renewing_roc_auc"] = ranking_metrics(y[near], health[near], arr[near])["roc_auc"] \
            if health_known else float("nan")
        m["logreg_renewing_roc_auc"] = ranking_metrics(y[near], p_logreg[near], arr[near])["roc_auc"]
    return m


def _auc(v: float) -> str:
    return "n/a (no health score)" if v != v else f"{v:.3f}"


def fit_and_evaluate(con, settings: ModelSettings, cutoff: dt.date) -> dict:
    """Everything a training run produces, before logging: the evaluated and the registered model,
    metrics, the protocol and its parts, frames and the evaluation rows' scores."""
    cat, names, data = labelled(con, settings, cutoff)
    if data.empty:
        raise protocol.NotEnoughHistory(
            f"not enough history to train: no snapshot has a known outcome at {cutoff} (the data must run "
            f"{settings.horizon_days + settings.grace_days} days past the first observation date); need "
            f"{settings.min_labelled_months} labelled months and {settings.min_churn_outcomes} churn outcomes")
    data = data.reset_index(drop=True)
    protocol.require(data, settings)
    plan = protocol.choose(data, settings)
    X, y, arr = data[names].astype(float), data["churned"].to_numpy(), data["arr"].to_numpy(float)
    health = baselines.health_risk(data["health_score"], settings.unknown_health_score)
    known = data["health_score"].notna().to_numpy()
    days = data["days_to_renewal"].to_numpy(float) if "days_to_renewal" in data else np.full(len(data), np.nan)
    final = protocol.fit_final(X, y, data, plan, settings)
    if plan.protocol == protocol.HOLDOUT:
        sp = plan.split
        tr, va, te = sp.train, sp.valid, sp.test
        model = ChurnModel.from_settings(settings).fit(X.iloc[tr], y[tr], X.iloc[va], y[va])
        p_test = model.predict_proba(X.iloc[te])[:, 1]
        p_logreg = baselines.logistic_regression(settings.seed).fit(X.iloc[tr], y[tr]).predict_proba(X.iloc[te])[:, 1]
        metrics = _compare(y[te], arr[te], p_test, health[te], p_logreg, days[te], settings.horizon_days,
                           bool(known[te].any()))
        metrics |= {f"valid_{k}": v for k, v in ranking_metrics(y[va], model.predict_proba(X.iloc[va])[:, 1], arr[va]).items()}
        metrics["train_base_rate"] = float(y[tr].mean())
        if not settings.refit_latest:
            final = model
        trained_to = sp.dates["train"][1]
        refit_to = data["as_of"].iloc[protocol.refit_rows(data, sp, settings)].max() if settings.refit_latest else None
    else:
        model = final
        folds = final.folds_
        te = np.concatenate([f.test for f in folds])
        p_test = np.concatenate(protocol.cross_fitted(final, y, X))
        p_logreg = np.concatenate([baselines.logistic_regression(settings.seed).fit(X.iloc[f.train], y[f.train])
                                   .predict_proba(X.iloc[f.test])[:, 1] for f in folds])
        metrics = _compare(y[te], arr[te], p_test, health[te], p_logreg, days[te], settings.horizon_days,
                           bool(known[te].any()))
        metrics["train_base_rate"] = float(y.mean())
        trained_to = folds[-1].train_dates[1]
        refit_to = data["as_of"].max()
    final.reference_ = peer_profile(final, X, y, data, settings)
    refit = None
    if final is not model or plan.protocol == protocol.ROLLING:
        refit = {"refit_train_to": str(pd.Timestamp(refit_to).date()),
                 "refit_rows": int(len(data) if plan.protocol == protocol.ROLLING
                                   else len(protocol.refit_rows(data, plan.split, settings))),
                 "refit_best_iteration": final.best_iteration_, "refit_calibration": final.calibration_.kind}
    return {"model": model, "final": final, "refit": refit, "metrics": metrics, "data": data, "X": X, "y": y,
            "plan": plan, "parts": protocol.parts(data, plan), "test": te, "trained_to": trained_to,
            "names": names, "catalog": cat,
            "scores": {"model": p_test, "health score": health[te], "logistic regression": p_logreg}}


def peer_profile(model: ChurnModel, X: pd.DataFrame, y: np.ndarray, data: pd.DataFrame,
                 settings: ModelSettings) -> dict:
    """The reference explanations compare with: training rows of accounts that renewed, by the
    phase of their term (a seeded sample of at most PROFILE_ROWS rows)."""
    rng = np.random.default_rng(settings.seed)
    rows = np.sort(rng.choice(len(X), min(len(X), PROFILE_ROWS), replace=False))
    Xs = X.iloc[rows]
    phi, base = model.contributions(Xs)
    groups = explain.peer_group(data.iloc[rows], settings.horizon_days)
    profile = explain.reference_profile(Xs, phi, base + phi.sum(axis=1), groups, y[rows] == 0)
    return profile | {"horizon_days": settings.horizon_days}


def figures(r: dict) -> dict:
    from model import plots
    te, y, X, names, cat = r["test"], r["y"], r["X"], r["names"], r["catalog"]
    model = r["final"] if r["plan"].protocol == protocol.ROLLING else r["model"]  # the one the plots describe
    labels_ = [cat[n]["description"] for n in names]
    phi, _ = model.contributions(X.iloc[te])
    return {
        "roc": plots.roc(y[te], r["scores"]),
        "pr": plots.pr(y[te], r["scores"]),
        "calibration": plots.calibration(y[te], r["scores"]["model"]),
        "lift": plots.lift(y[te], r["scores"]),
        "importance": plots.importance(labels_, model.booster_.feature_importance("gain")),
        "shap_summary": plots.shap_summary(phi, X.iloc[te], labels_),
    }


def eval_metrics(metrics: dict) -> dict:
    """What a run logs: every finite evaluation metric, prefixed `eval_` because it describes the
    evaluated procedure on rows it was not fitted on, which is not the registered model."""
    return {f"eval_{k}": v for k, v in metrics.items() if np.isfinite(v)}


def note(r: dict) -> str:
    """The run's description in MLflow: which model the metrics describe and which one is registered."""
    plan, refit = r["plan"], r["refit"]
    if plan.protocol == protocol.ROLLING:
        f = plan.folds
        return (f"Protocol: rolling origin, {len(r['final'].folds_)} folds. eval_* metrics pool the test months "
                f"{f[0].test_date}..{f[-1].test_date}: each scored by a model trained only on months at least "
                "a horizon before it (expanding window from {f[0].train_dates[0]}), "
                "at the number of trees and through the calibration the other folds chose. The registered model "
                f"is grown on every labelled month to {refit['refit_train_to']} with "
                f"{refit['refit_best_iteration']} trees and the folds' out-of-fold calibration: it has no held-out "
                "metrics of its own.")
    d = plan.split.dates
    text = (f"Protocol: holdout. eval_* metrics describe the evaluated model: trained on {d['train'][0]}..{d['train'][1]}, "
            f"early-stopped and calibrated on {d['valid'][0]}..{d['valid'][1]}, tested on "
            f"{d['test'][0]}..{d['test'][1]}. ")
    if refit:
        return text + (f"The registered model is the same procedure refit on snapshots to {refit['refit_train_to']}, "
                       "early-stopped and calibrated on the test months: it has no held-out metrics of its own.")
    return text + "The registered model is that evaluated model."


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def run_params(r: dict, settings: ModelSettings, cutoff: dt.date) -> dict:
    """Parameters a run logs: settings, the protocol with the months and churn outcomes of each part,
    the date range of train and test, and which model is registered."""
    data, plan, te = r["data"], r["plan"], r["test"]
    test_dates = pd.to_datetime(data["as_of"].iloc[te])
    if plan.protocol == protocol.HOLDOUT:
        dates = {k: v for k, v in plan.split.dates.items()}
        train_rows, valid_rows = len(plan.split.train), len(plan.split.valid)
    else:
        last = r["final"].folds_[-1]
        dates = {"train": (pd.to_datetime(data["as_of"]).min().date(), last.train_dates[1]),
                 "test": (test_dates.min().date(), test_dates.max().date())}
        train_rows, valid_rows = len(last.train), 0
    refit = r["refit"] or {"refit_train_to": "none (evaluated model registered)"}
    parts = {f"{_slug(p['part'])}_{k}": p[k] for p in r["parts"] for k in ("months", "churners")
             if not p["part"].startswith("all")}
    return {**{f"lgb_{k}": v for k, v in settings.lightgbm.to_dict().items()}, "seed": settings.seed,
            "min_positives_isotonic": settings.min_positives_isotonic,
            "unknown_health_score": settings.unknown_health_score,
            "horizon_days": settings.horizon_days, "grace_days": settings.grace_days, "cutoff": str(cutoff),
            "protocol": plan.protocol, "labelled_months": int(data["as_of"].nunique()),
            "churn_outcomes": protocol.outcomes(data), "folds": len(plan.folds),
            "best_iteration": r["model"].best_iteration_, "calibration": r["model"].calibration_.kind,
            "n_features": len(r["names"]), "train_rows": train_rows, "valid_rows": valid_rows,
            "test_rows": len(te), **{f"{k}_from": v[0] for k, v in dates.items()},
            **{f"{k}_to": v[1] for k, v in dates.items()}, **parts,
            "evaluated_model_trained_to": str(r["trained_to"]),
            "registered_model": "refit" if r["refit"] else "evaluated", **refit}


def main(db: Path, as_of: dt.date | None = None, horizon_days: int | None = None, seed: int | None = None,
         progress=print) -> int:
    """`radar train`: exit status 0 once the run is logged and registered."""
    run(db, as_of, horizon_days, seed, progress)
    return 0


def run(db: Path, as_of: dt.date | None = None, horizon_days: int | None = None, seed: int | None = None,
        progress=print) -> dict:
    """Train, evaluate, log and register; returns run_id, version and the alias it got.
    protocol.NotEnoughHistory (a ValueError) says in one line what exists and what is needed."""
    t0 = time.perf_counter()
    settings = load_settings().with_(horizon_days=horizon_days, seed=seed)
    with open_existing(db, read_only=True) as con:
        cutoff = as_of or data_end(con)
        r = fit_and_evaluate(con, settings, cutoff)
    m, data = r["metrics"], r["data"]
    progress(f"  {len(data):,} labelled snapshots x {len(r['names'])} features, "
             f"{data['as_of'].nunique()} labelled months, {protocol.outcomes(data)} churn outcomes; "
             f"protocol {r['plan'].protocol} [{time.perf_counter() - t0:.1f}s]")
    for p in r["parts"]:
        when = p["from"] if p["from"] == p["to"] else f"{p['from']}..{p['to']}, {p['months']} months"
        progress(f"    {p['part']}: {when}, {p['rows']:,} rows, {p['churners']} churn outcomes")
    progress(f"  held-out ROC AUC: model {m['roc_auc']:.3f} | health score {_auc(m['health_roc_auc'])} | "
             f"logistic regression {m['logreg_roc_auc']:.3f};  lift@10% {m['lift_at_10pct']:.1f}x, "
             f"brier {m['brier']:.4f}, ece {m['ece']:.4f}")
    if "renewing_roc_auc" in m:
        progress(f"  renewing within {settings.horizon_days} days: model {m['renewing_roc_auc']:.3f} | "
                 f"health score {_auc(m['health_renewing_roc_auc'])} | logistic regression {m['logreg_renewing_roc_auc']:.3f}")
    from model import plots, tracking
    train_rows = data[["account_id", "as_of", *r["names"], "churned"]].astype({n: float for n in [*r["names"], "churned"]})
    params = run_params(r, settings, cutoff)
    features = [{"name": n, "description": r["catalog"][n]["description"], "unit": r["catalog"][n]["unit"],
                 "direction": r["catalog"][n]["direction"]} for n in r["names"]]
    params["data_digest"] = str(pd.util.hash_pandas_object(train_rows, index=False).sum() % 10**12)
    figs = figures(r)
    try:
        out = tracking.log_training_run(
            run_name=f"train-{cutoff}", params=params, metrics=eval_metrics(m), features=features, figures=figs,
            model=r["final"], train_frame=train_rows, example=r["X"].iloc[r["test"]].head(5),
            tags={"db": str(db), "cutoff": str(cutoff), "protocol": r["plan"].protocol,
                  "mlflow.note.content": note(r)},
            artifacts={"protocol.json": {"protocol": r["plan"].protocol, "parts": r["parts"]}})
    finally:
        plots.close(figs)
    refit = r["refit"]
    if refit:
        progress(f"  registered model: grown on {refit['refit_rows']:,} snapshots to {refit['refit_train_to']} "
                 f"({refit['refit_best_iteration']} trees, {refit['refit_calibration']} calibration)")
    progress(f"  logged run {out['run_id']}; registered version {out['version']} as @{out['alias']} "
             f"[{time.perf_counter() - t0:.1f}s]")
    return out
