"""`radar backtest`: the rolling-origin backtest of model/backtest.py on a warehouse, drawn and
logged to MLflow as one run. The command line and the Models page both call `run`."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np

from features.warehouse import open_existing
from model import backtest
from model.settings import load_settings

METRICS = ("roc_auc", "roc_auc_lo", "roc_auc_hi", "pr_auc", "lift_at_10pct", "recall_at_10pct",
           "arr_recall_at_10pct", "ece", "brier", "base_rate")


def logged_metrics(b: backtest.Backtest) -> tuple[dict, dict]:
    """(pooled metrics, per-cutoff metrics as lists in cutoff order): the model's unprefixed, the
    others prefixed health_, logreg_, timing_, as training runs name them."""
    pooled, steps = {}, {}
    cutoffs = sorted(b.per_cutoff["cutoff"].unique())
    for method in backtest.METHODS:
        prefix = "" if method == "model" else f"{method}_"
        row = b.pooled[b.pooled["method"] == method]
        if row.empty:
            continue
        for k in METRICS:
            v = float(row[k].iloc[0])
            if np.isfinite(v):
                pooled[f"{prefix}{k}"] = v
            t = b.per_cutoff[b.per_cutoff["method"] == method].set_index("cutoff").reindex(cutoffs)
            steps[f"cutoff_{prefix}{k}"] = [float(x) for x in t[k]]
    return pooled, steps


def figures(b: backtest.Backtest) -> dict:
    from model import plots
    y = b.rows["churned"].to_numpy()
    scores = {backtest.METHODS[m].lower(): b.rows[m].to_numpy(float) for m in backtest.METHODS if m in b.rows}
    return {
        "auc_by_cutoff": plots.auc_by_cutoff(b.per_cutoff, backtest.METHODS),
        "roc": plots.roc(y, scores, "ROC, every cutoff pooled"),
        "pr": plots.pr(y, scores, "Precision-recall, every cutoff pooled"),
        "lift": plots.lift(y, scores, "Lift by decile, every cutoff pooled"),
        "calibration": plots.calibration(y, b.rows["model"].to_numpy(float), title="Calibration, every cutoff pooled"),
    }


def run(db: Path, cutoffs: list[dt.date] | None = None, every: str | None = None, horizon_days: int | None = None,
        seed: int | None = None, progress=print, log: bool = True) -> dict:
    """Backtest the warehouse at `cutoffs` (default: model/config.toml [backtest] every, or `every`),
    print the result, log it (unless `log` is false) and return run_id (None unlogged), the
    Backtest, the pooled table and the health verdict. protocol.NotEnoughHistory when no cutoff
    can run."""
    t0 = time.perf_counter()
    s = load_settings().with_(horizon_days=horizon_days, seed=seed)
    with open_existing(db, read_only=True) as con:
        b = backtest.run(con, s, cutoffs, every, progress)
    for line in backtest.summary_lines(b):
        progress(line)
    run_id = None
    if log:
        from model import plots, tracking
        pooled, steps = logged_metrics(b)
        params = {"horizon_days": s.horizon_days, "grace_days": s.grace_days, "seed": s.seed,
                  "bootstrap": s.bootstrap, "every": "explicit" if cutoffs else (every or s.backtest_every),
                  "cutoffs": ",".join(b.settings["cutoffs"]), "data_end": b.settings["data_end"],
                  "n_features": b.settings["features"], "accounts_scored": int(len(b.rows)),
                  "skipped": len(b.skipped),
                  "protocols": ",".join(sorted({t["protocol"] for t in b.training}))}
        record = {"skipped": b.skipped, "training": b.training, "settings": b.settings,
                  "health_verdict": backtest.health_verdict(b.pooled)}
        figs = figures(b)
        try:
            run_id = tracking.log_backtest(
                run_name=f"backtest-{b.settings['data_end']}", params=params, metrics=pooled, step_metrics=steps,
                tables={"per_cutoff": b.per_cutoff, "pooled": b.pooled, "training": _frame(b.training)},
                record=record, figures=figs, tags={"db": str(db), "kind": "backtest"})
        finally:
            plots.close(figs)
        progress(f"  logged backtest run {run_id} [{time.perf_counter() - t0:.1f}s]")
    return {"run_id": run_id, "backtest": b, "pooled": b.pooled, "verdict": backtest.health_verdict(b.pooled)}


def _frame(rows: list[dict]):
    import pandas as pd
    return pd.DataFrame(rows)


def main(db: Path, cutoffs: list[dt.date] | None = None, every: str | None = None, horizon_days: int | None = None,
         seed: int | None = None, progress=print) -> int:
    """`radar backtest`: exit status 0 once the backtest is logged."""
    run(db, cutoffs, every, horizon_days, seed, progress)
    return 0
