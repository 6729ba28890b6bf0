"""`make bench`: throughput and latency figures quoted in the README. Not part of `make test`.

    python -m tests.benchmarks.run [--accounts 2000] [--months 24] [--repeats 3] [--portal-accounts 5000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from tests.benchmarks.timing import median_seconds

END = dt.date(2026, 6, 30)
quiet = lambda *a, **k: None  # noqa: E731


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}"


def bench_pipeline(work: Path, accounts: int, months: int, repeats: int) -> tuple[list, Path]:
    from features import health, pipeline
    from features.ingest import ingest
    from features.sample.generate import generate
    from features.warehouse import connect
    rows = []
    src = work / "src"
    secs, counts = median_seconds(lambda: generate(src, accounts, months, END, 7, "parquet", progress=quiet), repeats)
    n = counts["events"]
    rows.append(("radar sample", f"{accounts:,} accounts x {months} months", n, secs, f"{n / secs:,.0f} events/s"))
    db = work / "bench.duckdb"
    secs, _ = median_seconds(lambda: ingest(src, db, progress=quiet), 1)
    rows.append(("radar ingest", "same", n, secs, f"{n / secs:,.0f} events/s"))

    def features():
        with connect(db) as con:
            return pipeline.run(con, progress=quiet)
    secs, frame = median_seconds(features, repeats)
    rows.append(("radar features", f"{len(frame):,} snapshots x {frame.shape[1] - 2} features", n, secs,
                 f"{n / secs:,.0f} events/s"))
    with connect(db) as con:
        secs, _ = median_seconds(lambda: health.run(con), repeats)
    rows.append(("radar health", f"{len(frame):,} snapshots", None, secs, f"{len(frame) / secs:,.0f} snapshots/s"))
    return rows, db


def bench_model(repeats: int) -> list:
    """Train on 100k x 80 synthetic snapshots with a churn signal; score and explain 10k accounts."""
    from model import explain
    from model.baselines import logistic_regression
    from model.estimator import Calibration, ChurnModel
    from model.settings import load_settings
    rng = np.random.default_rng(0)
    n, k = 100_000, 80
    X = pd.DataFrame(rng.normal(size=(n, k)), columns=[f"f{i}" for i in range(k)])
    X.iloc[rng.random((n, k)) < 0.05] = np.nan
    Z = X.fillna(0).to_numpy()
    # a nonlinear signal with interactions, so early stopping grows a realistic number of trees
    logit = (-3.5 + np.tanh(Z[:, :10]).sum(axis=1) * 0.6 + 0.8 * (Z[:, 10] > 1) * (Z[:, 11] < 0)
             + 0.3 * Z[:, 12] ** 2 - 0.4 * np.abs(Z[:, 13]) + 0.5 * np.sin(2 * Z[:, 14]))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    tr, va = slice(0, 80_000), slice(80_000, n)
    settings = load_settings()
    model = ChurnModel.from_settings(settings)
    secs, _ = median_seconds(lambda: model.fit(X.iloc[tr], y[tr], X.iloc[va], y[va]), repeats)
    rows = [("train LightGBM + calibration", f"{n:,} rows x {k} features (early stop at {model.best_iteration_} trees)", None, secs, "")]

    def fit_500():  # no early stopping: a 500-tree model, the cost upper bound for training and SHAP
        import lightgbm
        params = {"verbosity": -1, "deterministic": True, "force_row_wise": True,
                  **settings.lightgbm.booster_params()}
        booster = lightgbm.train(params, lightgbm.Dataset(X.iloc[tr], y[tr]), num_boost_round=500)
        raw = booster.predict(X.iloc[va], raw_score=True)
        return ChurnModel.from_parts(booster, Calibration.fit(raw, y[va], settings.min_positives_isotonic))
    secs_fixed, fixed = median_seconds(fit_500, repeats)
    rows.append(("train LightGBM + calibration", f"{n:,} rows x {k} features, {fixed.booster_.num_trees()} trees (no early stop)",
                 None, secs_fixed, ""))
    secs_lr, _ = median_seconds(lambda: logistic_regression().fit(X.iloc[tr], y[tr]), 1)
    rows.append(("train logistic-regression baseline", f"{n:,} rows x {k} features", None, secs_lr, ""))
    cat = {c: {"description": f"Feature {c}", "unit": "count", "sentence": None} for c in X.columns}
    Xs = X.iloc[:10_000]
    keys = pd.DataFrame({"account_id": [f"A{i}" for i in range(len(Xs))], "as_of": END})

    cat = {c: v | {"direction": "lower_better"} for c, v in cat.items()}

    def score_and_explain():  # with the 500-tree model: SHAP cost grows with trees
        p = fixed.predict_proba(Xs)[:, 1]
        phi, base = fixed.contributions(Xs)
        raw = base + phi.sum(axis=1)
        groups = np.full(len(Xs), explain.ALL_RETAINED, dtype=object)
        profile = explain.reference_profile(Xs, phi, raw, groups, np.ones(len(Xs), bool))
        return explain.drivers(Xs, keys, phi, raw, p, fixed.calibration_, cat, profile, groups, n=5)
    secs, drivers = median_seconds(score_and_explain, repeats)
    rows.append(("score + SHAP + sentences", f"10,000 accounts -> {len(drivers):,} driver rows", None, secs, ""))
    return rows


def run(cmd: list[str], env: dict) -> None:
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_score_cli(db: Path, work: Path, repeats: int) -> list:
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}"}
    radar = [sys.executable, "-m", "radar"]
    run(radar + ["train", "--db", str(db)], env)
    secs, _ = median_seconds(lambda: run(radar + ["score", "--db", str(db)], env), repeats)
    imp, _ = median_seconds(lambda: run([sys.executable, "-c", "import mlflow, lightgbm, pandas, duckdb"], env), repeats)
    helps, _ = median_seconds(lambda: run(radar + ["--help"], env), repeats)
    return [("radar score (whole command)", "latest snapshot of the bench warehouse", None, secs,
             f"imports {imp:.1f}s = {imp / secs:.0%}"), ("radar --help", "", None, helps, "")]


def bench_portal(work: Path, accounts: int, repeats: int) -> list:
    """Render times with `accounts` scored accounts, first load and cached reruns."""
    from streamlit.testing.v1 import AppTest
    import streamlit as st
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}"}
    radar = [sys.executable, "-m", "radar"]
    src, db = work / "portal_src", work / "portal.duckdb"
    run(radar + ["sample", "--out", str(src), "--accounts", str(accounts), "--months", "5", "--end", str(END)], env)
    for step in (["ingest", str(src)], ["features"], ["health"], ["score", "--all-dates"]):
        run(radar + step + ["--db", str(db)], env)
    os.environ["RADAR_DB"] = str(db)
    app = str(Path(__file__).resolve().parents[2] / "portal" / "app.py")
    rows = []
    for page, label in ((None, "portfolio page"), ("views/account.py", "account page")):
        st.cache_data.clear()
        at = AppTest.from_file(app, default_timeout=300)

        def render():
            at.run()
            if page:
                at.switch_page(page)
                at.run()
        first, _ = median_seconds(render, 1)
        again, _ = median_seconds(render, repeats)
        n = len(at.metric)
        rows.append((f"portal {label}", f"{accounts:,} accounts, first load", None, first, ""))
        rows.append((f"portal {label}", f"{accounts:,} accounts, cached rerun ({n} figures)", None, again, ""))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--portal-accounts", type=int, default=5000)
    a = ap.parse_args()
    print(f"machine: {machine()}; medians of {a.repeats} runs\n", flush=True)
    print("| step | size | events | median seconds | throughput |\n|---|---|---|---|---|", flush=True)

    def show(rows):
        for step, size, events, secs, extra in rows:
            print(f"| {step} | {size} | {'' if events is None else f'{events:,}'} | {secs:.2f} | {extra} |", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows, db = bench_pipeline(work, a.accounts, a.months, a.repeats)
        show(rows)
        show(bench_model(a.repeats))
        show(bench_score_cli(db, work, a.repeats))
        show(bench_portal(work, a.portal_accounts, a.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
