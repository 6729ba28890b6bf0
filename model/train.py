"""`radar train`: labels, out-of-time split, LightGBM beside its baselines, logged to MLflow."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from features.pipeline import data_end
from features.warehouse import open_existing
from model import baselines, dataset, labels
from model.estimator import ChurnModel
from model.evaluate import probability_metrics, ranking_metrics
from model.settings import ModelSettings, load_settings
from model.split import out_of_time


def fit_and_evaluate(con, settings: ModelSettings, cutoff: dt.date) -> dict:
    """Everything a training run produces, before logging: model, metrics, frames and scores."""
    cat = dataset.catalog(con)
    names = dataset.model_features(cat)
    snaps = dataset.snapshots(con, until=cutoff)
    churns = labels.churn_events(con, cutoff, settings.grace_days)
    data = labels.label(snaps, churns, cutoff, settings.horizon_days, settings.grace_days)
    if data.empty:
        raise ValueError(f"no snapshot has a known outcome at {cutoff}: the data must run "
                         f"{settings.horizon_days + settings.grace_days} days past the first observation date")
    split = out_of_time(data["as_of"], settings.valid_months, settings.test_months, settings.horizon_days)
    X, y, arr = data[names].astype(float), data["churned"].to_numpy(), data["arr"].to_numpy(float)
    tr, va, te = split.train, split.valid, split.test
    for part, idx in (("train", tr), ("valid", va), ("test", te)):
        if y[data.index.get_indexer(idx)].sum() == 0:
            raise ValueError(f"no churn in the {part} months {split.dates[part]}; need more history or a longer horizon")
    model = ChurnModel.from_settings(settings).fit(X.loc[tr], y[tr], X.loc[va], y[va])
    p_test = model.predict_proba(X.loc[te])[:, 1]
    health_test = baselines.health_risk(data.loc[te, "health_score"], settings.unknown_health_score)
    logreg = baselines.logistic_regression(settings.seed).fit(X.loc[tr], y[tr])
    p_logreg = logreg.predict_proba(X.loc[te])[:, 1]
    metrics = probability_metrics(y[te], p_test, arr[te])
    metrics |= {f"health_{k}": v for k, v in ranking_metrics(y[te], health_test, arr[te]).items()}
    metrics |= {f"logreg_{k}": v for k, v in probability_metrics(y[te], p_logreg, arr[te]).items()}
    metrics |= {f"valid_{k}": v for k, v in ranking_metrics(y[va], model.predict_proba(X.loc[va])[:, 1], arr[va]).items()}
    metrics |= {"test_base_rate": float(y[te].mean()), "train_base_rate": float(y[tr].mean())}
    # churn happens at term ends: also compare on test accounts whose term ends inside the horizon
    near = (data.loc[te, "days_to_renewal"] <= settings.horizon_days).to_numpy()
    if 0 < y[te][near].sum() < near.sum():
        metrics["renewing_roc_auc"] = ranking_metrics(y[te][near], p_test[near], arr[te][near])["roc_auc"]
        metrics["health_renewing_roc_auc"] = ranking_metrics(y[te][near], health_test[near], arr[te][near])["roc_auc"]
        metrics["logreg_renewing_roc_auc"] = ranking_metrics(y[te][near], p_logreg[near], arr[te][near])["roc_auc"]
    final, refit = model, None
    if settings.refit_latest:  # the same procedure one window later: what scores today's accounts
        as_of = pd.to_datetime(data["as_of"])
        refit_train = data.index[as_of <= pd.Timestamp(split.dates["test"][0]) - pd.Timedelta(days=settings.horizon_days)]
        final = ChurnModel.from_settings(settings).fit(X.loc[refit_train], y[refit_train], X.loc[te], y[te])
        refit = {"refit_train_to": str(as_of.loc[refit_train].max().date()), "refit_rows": len(refit_train),
                 "refit_best_iteration": final.best_iteration_, "refit_calibration": final.calibration_.kind}
    return {"model": model, "final": final, "refit": refit, "metrics": metrics, "data": data, "X": X, "y": y,
            "split": split, "names": names, "catalog": cat,
            "scores": {"model": p_test, "health score": health_test, "logistic regression": p_logreg}}


def figures(r: dict) -> dict:
    from model import plots
    te, y = r["split"].test, r["y"]
    model, X, names, cat = r["model"], r["X"], r["names"], r["catalog"]
    labels_ = [cat[n]["description"] for n in names]
    phi, _ = model.contributions(X.loc[te])
    return {
        "roc": plots.roc(y[te], r["scores"]),
        "pr": plots.pr(y[te], r["scores"]),
        "calibration": plots.calibration(y[te], r["scores"]["model"]),
        "lift": plots.lift(y[te], r["scores"]),
        "importance": plots.importance(labels_, model.booster_.feature_importance("gain")),
        "shap_summary": plots.shap_summary(phi, X.loc[te], labels_),
    }


def eval_metrics(metrics: dict) -> dict:
    """What a run logs: every finite evaluation metric, prefixed `eval_` because it describes the
    evaluated model (tested on held-out months), which is not the registered refit."""
    return {f"eval_{k}": v for k, v in metrics.items() if np.isfinite(v)}


def note(split, refit: dict | None) -> str:
    """The run's description in MLflow: which model the metrics describe and which one is registered."""
    d = split.dates
    text = (f"eval_* metrics describe the evaluated model: trained on {d['train'][0]}..{d['train'][1]}, "
            f"early-stopped and calibrated on {d['valid'][0]}..{d['valid'][1]}, tested on "
            f"{d['test'][0]}..{d['test'][1]}. ")
    if refit:
        return text + (f"The registered model is the same procedure refit on snapshots to {refit['refit_train_to']}, "
                       "early-stopped and calibrated on the test months: it has no held-out metrics of its own.")
    return text + "The registered model is that evaluated model."


def main(db: Path, as_of: dt.date | None = None, horizon_days: int | None = None, seed: int | None = None,
         progress=print) -> int:
    """`radar train`: exit status 0 once the run is logged and registered."""
    run(db, as_of, horizon_days, seed, progress)
    return 0


def run(db: Path, as_of: dt.date | None = None, horizon_days: int | None = None, seed: int | None = None,
        progress=print) -> dict:
    """Train, evaluate, log and register; returns run_id, version and the alias it got."""
    t0 = time.perf_counter()
    settings = load_settings().with_(horizon_days=horizon_days, seed=seed)
    with open_existing(db, read_only=True) as con:
        cutoff = as_of or data_end(con)
        r = fit_and_evaluate(con, settings, cutoff)
    m, split, data = r["metrics"], r["split"], r["data"]
    progress(f"  {len(data):,} labelled snapshots x {len(r['names'])} features; "
             f"train {split.dates['train'][0]}..{split.dates['train'][1]} ({len(split.train):,}), "
             f"valid {split.dates['valid'][0]}..{split.dates['valid'][1]} ({len(split.valid):,}), "
             f"test {split.dates['test'][0]}..{split.dates['test'][1]} ({len(split.test):,}) "
             f"[{time.perf_counter() - t0:.1f}s]")
    progress(f"  test ROC AUC: model {m['roc_auc']:.3f} | health score {m['health_roc_auc']:.3f} | "
             f"logistic regression {m['logreg_roc_auc']:.3f};  lift@10% {m['lift_at_10pct']:.1f}x, "
             f"brier {m['brier']:.4f}, ece {m['ece']:.4f}")
    if "renewing_roc_auc" in m:
        progress(f"  renewing within {settings.horizon_days} days: model {m['renewing_roc_auc']:.3f} | "
                 f"health score {m['health_renewing_roc_auc']:.3f} | logistic regression {m['logreg_renewing_roc_auc']:.3f}")
    from model import plots, tracking
    train_rows = data.loc[split.train, ["account_id", "as_of", *r["names"], "churned"]]
    train_rows = train_rows.astype({n: float for n in [*r["names"], "churned"]})
    refit = r["refit"] or {"refit_train_to": "none (evaluated model registered)"}
    params = {**{f"lgb_{k}": v for k, v in settings.lightgbm.to_dict().items()}, "seed": settings.seed,
              "min_positives_isotonic": settings.min_positives_isotonic,
              "unknown_health_score": settings.unknown_health_score,
              "horizon_days": settings.horizon_days, "grace_days": settings.grace_days, "cutoff": str(cutoff),
              "best_iteration": r["model"].best_iteration_, "calibration": r["model"].calibration_.kind,
              "n_features": len(r["names"]), "train_rows": len(split.train), "valid_rows": len(split.valid),
              "test_rows": len(split.test), **{f"{k}_from": v[0] for k, v in split.dates.items()},
              **{f"{k}_to": v[1] for k, v in split.dates.items()},
              "data_digest": str(pd.util.hash_pandas_object(train_rows, index=False).sum() % 10**12),
              "evaluated_model_trained_to": str(split.dates["train"][1]),
              "registered_model": "refit" if r["refit"] else "evaluated", **refit}
    features = [{"name": n, "description": r["catalog"][n]["description"], "unit": r["catalog"][n]["unit"],
                 "direction": r["catalog"][n]["direction"]} for n in r["names"]]
    figs = figures(r)
    try:
        out = tracking.log_training_run(
            run_name=f"train-{cutoff}", params=params, metrics=eval_metrics(m), features=features, figures=figs,
            model=r["final"], train_frame=train_rows, example=r["X"].loc[split.test].head(5),
            tags={"db": str(db), "cutoff": str(cutoff), "mlflow.note.content": note(split, r["refit"])})
    finally:
        plots.close(figs)
    if r["refit"]:
        progress(f"  registered model: the same procedure refit on {r['refit']['refit_rows']:,} snapshots to "
                 f"{r['refit']['refit_train_to']}, early-stopped and calibrated on the test months")
    progress(f"  logged run {out['run_id']}; registered version {out['version']} as @{out['alias']} "
             f"[{time.perf_counter() - t0:.1f}s]")
    return out
