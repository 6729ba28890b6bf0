"""Blocks of the Models page for the backtest and the health-score fit. Layout only: the numbers
come from model.backtest (the latest backtest run, read back from MLflow through model.tracking),
model.health_fit and model.train; the jobs run off the page's thread.

The Models page calls, in this order (each draws itself and returns nothing):
    history_block(db)              "not enough history", the same line `radar train` refuses with
    latest_backtest_block(db, who) model vs health score vs logistic regression, pooled and per cutoff,
                                   the sentence when the health score ranks worse than chance, a run button
    health_fit_block(db, who)      the proposal with before/after backtest ROC AUC and an Accept button
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from features import paths
from portal import access, data, job_views
from portal.access import Identity
from portal.actions import BackgroundJob

METHOD_ORDER = ["model", "health", "logreg", "timing"]
POOLED_COLUMNS = {"label": "Method", "roc_auc": "ROC AUC", "interval": "95% interval", "pr_auc": "PR AUC",
                  "lift_at_10pct": "Lift in the top 10%", "recall_at_10pct": "Churners in the top 10%",
                  "arr_recall_at_10pct": "Churned ARR in the top 10%", "ece": "ECE"}
PROPOSAL = "health_fit_proposal"  # session-state key of the proposal shown on this page


# ---- jobs (no Streamlit in them) -----------------------------------------------------------------------

def backtest_job(db: str, who: Identity) -> BackgroundJob:
    """Backtest the warehouse at the configured cutoffs and log one MLflow run. Audited."""
    access.require(who, "train", "run a backtest")

    def work(say):
        from features import appstore
        from model.backtest_run import run
        out = run(Path(db), progress=say)
        appstore.log_action(appstore.engine(), who.name, who.role, "backtest", out["run_id"], None,
                            {"run_id": out["run_id"], "cutoffs": out["backtest"].settings["cutoffs"]})
        return out
    return BackgroundJob("backtest", work)


def health_fit_job(db: str, who: Identity) -> BackgroundJob:
    """Propose health-score weights and thresholds from the outcomes (writes nothing)."""
    access.require(who, "train", "fit the health score")

    def work(say):
        from model.health_fit import lines, propose
        from model.settings import load_settings
        from features.warehouse import open_existing
        with open_existing(Path(db), read_only=True) as con:
            result = propose(con, load_settings())
        for line in lines(result):
            say(line)
        return result
    return BackgroundJob("health fit", work)


def accept_proposal(db: str, result: dict, who: Identity, path: Path | None = None) -> Path:
    """Write an accepted proposal (to features/config/health.toml, or `path`). Audited."""
    access.require(who, "train", "change the health score")
    from features import appstore
    from model.health_fit import accept
    written = accept(result, Path(db), path)
    appstore.log_action(appstore.engine(), who.name, who.role, "accept health fit", str(written),
                        {"backtest_roc_auc": result["backtest"]["before"]},
                        {"backtest_roc_auc": result["backtest"]["after"], "changes": result["changes"]})
    return written


# ---- loaders ---------------------------------------------------------------------------------------------

@st.cache_data(ttl=30, show_spinner="Reading the latest backtest…")
def latest_backtest(tracking_uri: str) -> dict | None:
    """The newest backtest logged to the store at `tracking_uri` (part of the key: another store,
    another answer)."""
    from model import tracking
    return tracking.latest_backtest()


@st.cache_data(show_spinner=False, max_entries=8)
def history_shortfall(db: str, stamp: int) -> str | None:
    from features.warehouse import open_existing
    from model.train import history_shortfall as shortfall
    with open_existing(Path(db), read_only=True) as con:
        return shortfall(con)


# ---- blocks ----------------------------------------------------------------------------------------------

def history_block(db: str) -> bool:
    """Says, in the line `radar train` refuses with, when the warehouse holds too little labelled
    history to train; returns True when it did."""
    short = history_shortfall(db, data.stamp(db))
    if short:
        st.info(f"The model cannot be trained yet: {short.removeprefix('not enough history to train: ')}. "
                "It trains once the data holds them; a backtest needs the same at each cutoff.")
    return bool(short)


def pooled_table(pooled: pd.DataFrame) -> pd.DataFrame:
    """The pooled metrics as people read them: one row per method, the model first."""
    t = pooled.set_index("method").reindex([m for m in METHOD_ORDER if m in set(pooled["method"])]).reset_index()
    t["interval"] = [f"{lo:.2f}–{hi:.2f}" if pd.notna(lo) else "—" for lo, hi in zip(t["roc_auc_lo"], t["roc_auc_hi"])]
    return t[list(POOLED_COLUMNS)].rename(columns=POOLED_COLUMNS)


def per_cutoff_table(per_cutoff: pd.DataFrame) -> pd.DataFrame:
    """ROC AUC per cutoff (rows) and method (columns), with the accounts and churners scored."""
    wide = per_cutoff.pivot_table(index="cutoff", columns="label", values="roc_auc", aggfunc="first")
    counts = per_cutoff[per_cutoff["method"] == "model"].set_index("cutoff")[["accounts", "churned"]]
    out = counts.join(wide).reset_index().rename(columns={"cutoff": "Cutoff", "accounts": "Accounts scored",
                                                          "churned": "Churned in the next horizon"})
    return out


def latest_backtest_block(db: str, who: Identity) -> None:
    b = latest_backtest(paths.tracking_uri())
    if b is None:
        st.info("No backtest has been run yet. A backtest trains at past cutoffs with only what was known then, "
                "scores that day's accounts and compares with what happened: `radar backtest`, or the button below.")
    else:
        rec, when = b["record"], pd.Timestamp(b["start_time"])
        settings = rec.get("settings", {})
        st.markdown(f"**Would it have warned us?** The latest backtest ({when:%Y-%m-%d %H:%M}, data to "
                    f"{settings.get('data_end', '?')}): at each cutoff the model was trained with only what was "
                    f"known that day, the accounts active then were scored, and each method is judged on who churned "
                    f"in the next {settings.get('horizon_days', '?')} days. Every cutoff pooled:")
        fmt = {"ROC AUC": "{:.3f}", "PR AUC": "{:.3f}", "Lift in the top 10%": "{:.1f}x",
               "Churners in the top 10%": "{:.0%}", "Churned ARR in the top 10%": "{:.0%}", "ECE": "{:.3f}"}
        st.dataframe(pooled_table(b["pooled"]).style.format(fmt, na_rep="—"), hide_index=True)
        verdict = rec.get("health_verdict")
        if verdict:
            st.warning(verdict)
        per = b["per_cutoff"]
        st.markdown("**ROC AUC at each cutoff**")
        st.dataframe(per_cutoff_table(per), hide_index=True)
        chart = per[["cutoff", "label", "roc_auc"]].pivot(index="cutoff", columns="label", values="roc_auc")
        st.line_chart(chart, y_label="ROC AUC")
        for s in rec.get("skipped", []):
            st.caption(f"Cutoff {s['cutoff']} not backtested: {s['reason']}")
        st.caption("Renewal timing alone is a model that knows only when each term ends: where churn is random, "
                   "nothing should beat it. ECE is the calibration error of the probabilities.")
    if access.can(who, "train"):
        if st.button("Run a backtest now", key="run_backtest"):
            job_views.start("backtest", backtest_job(db, who))
        job_views.progress("backtest", latest_backtest.clear)


def health_fit_block(db: str, who: Identity) -> None:
    st.markdown("**Tune the health score to your outcomes.** The playbook's categories and traits stay; their "
                "weights and thresholds are fitted to the churn outcomes, and judged the way the backtest judges "
                "the model (refitted at each cutoff on what was known then). Nothing changes until you accept.")
    if not access.can(who, "train"):
        st.caption("Analysts propose and accept health-score fits.")
        return
    if st.button("Propose weights and thresholds", key="health_fit"):
        job_views.start("health fit", health_fit_job(db, who))
    job_views.progress("health fit", latest_backtest.clear)
    job = job_views.jobs().get("health fit")
    if job is not None and job.ok and job.result is not None:
        st.session_state[PROPOSAL] = job.result
    result = st.session_state.get(PROPOSAL)
    if not result:
        return
    b = result["backtest"]
    left, right = st.columns(2)
    left.metric("Backtest ROC AUC now", "—" if pd.isna(b["before"]) else f"{b['before']:.3f}")
    right.metric("With the proposal", "—" if pd.isna(b["after"]) else f"{b['after']:.3f}",
                 None if pd.isna(b["after"]) or pd.isna(b["before"]) else f"{b['after'] - b['before']:+.3f}")
    for line in result["changes"] or ["The current weights and thresholds are already the best fit."]:
        st.markdown(f"- {line}")
    with st.expander("The proposed health.toml"):
        from features import health
        st.code(health.render(result["proposal"], "proposed"), language="toml")
    target = st.text_input("Write to (empty: features/config/health.toml)", key="health_fit_target")
    if st.button("Accept the proposal", key="health_fit_accept"):
        written = accept_proposal(db, result, who, Path(target) if target.strip() else None)
        st.session_state[PROPOSAL] = None
        st.success(f"Wrote {written}. The next `radar health` run scores with it.")
