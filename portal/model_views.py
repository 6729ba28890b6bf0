"""Blocks of the models page. Layout only: the backtest arithmetic is model/backtest.py, the jobs
are portal/actions.py, and MLflow is reached through model.tracking on this page only."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from features.paths import tracking_uri
from portal import access, actions, data, job_views, state
from portal.access import Identity
from portal import components as ui
from portal.tables import Col

PLOTS = ("roc", "pr", "calibration", "lift", "importance", "shap_summary")
# metrics of the evaluated procedure on its test months (never of the registered refit)
METRIC_COLUMNS = {"metrics.eval_roc_auc": "ROC AUC", "metrics.eval_health_roc_auc": "Health ROC AUC",
                  "metrics.eval_health_lift_at_10pct": "Health lift @10%",
                  "metrics.eval_health_arr_recall_at_10pct": "Health churned ARR in top 10%",
                  "metrics.eval_logreg_roc_auc": "LogReg ROC AUC", "metrics.eval_pr_auc": "PR AUC",
                  "metrics.eval_lift_at_10pct": "Lift @10%", "metrics.eval_arr_recall_at_10pct": "Churned ARR in top 10%",
                  "metrics.eval_brier": "Brier", "metrics.eval_ece": "ECE"}
RUN_COLUMNS = {"version": "Version", "aliases": "Aliases", "start_time": "Trained at",
               "params.train_from": "Data from", "params.test_from": "Test from", "params.test_to": "Test to",
               "params.evaluated_model_trained_to": "Evaluated model trained to",
               "params.registered_model": "Registered model is", "params.refit_train_to": "Registered model trained to",
               "params.n_features": "Features",
               "params.train_rows": "Training rows"}


def runs_or_stop() -> pd.DataFrame:
    """The runs table, or one message with the fix when the MLflow store cannot be read."""
    from features.paths import tracking_uri
    try:
        return runs_table()
    except Exception as e:  # a corrupt or unreachable store: say which and how to fix it, no traceback
        st.error(f"The MLflow store at {tracking_uri()} cannot be read ({type(e).__name__}: "
                 f"{str(e).splitlines()[0][:200]}).")
        st.code("# point MLFLOW_TRACKING_URI at a working store, or start a fresh one:\n"
                "mv mlruns/mlflow.db mlruns/mlflow.db.broken && radar train", language="bash")
        st.stop()


@st.cache_data(ttl=30, show_spinner="Reading MLflow…")
def runs_table() -> pd.DataFrame:
    from model import tracking
    runs, versions = tracking.runs(), tracking.versions()
    if runs.empty:
        return runs
    runs = runs.merge(versions, on="run_id", how="left")
    keep = [*RUN_COLUMNS, *METRIC_COLUMNS, "run_id"]
    return runs[[c for c in keep if c in runs]].rename(columns=RUN_COLUMNS | METRIC_COLUMNS)


FIRST_WARNINGS = {"account_id": Col("Open", "link"), "churn_date": Col("Churned", "date"), "as_of": Col("Seen on", "date"),
                  "lead_days": Col("Days before", "int"), "arr": Col("ARR", "money"),
                  "churn_probability": Col("Churn probability then", "percent"), "risk_tier": Col("Risk tier then"),
                  "health_score": Col("Health then", "int"), "health_tier": Col("Health tier then"),
                  "model_warned": Col("Model warned", "flag"), "health_warned": Col("Health score warned", "flag")}
RUNS = {"Version": Col("Version"), "Aliases": Col("Aliases"), "Trained at": Col("Trained at", "datetime"),
        "Test from": Col("Test from", "date"), "Test to": Col("Test to", "date"),
        "ROC AUC": Col("ROC AUC", "number", digits=3), "Health ROC AUC": Col("Health ROC AUC", "number", digits=3),
        "LogReg ROC AUC": Col("LogReg ROC AUC", "number", digits=3), "Lift @10%": Col("Lift @10%", "number", digits=1),
        "Churned ARR in top 10%": Col("Churned ARR in top 10%", "percent"), "ECE": Col("ECE", "number", digits=3),
        "Registered model is": Col("Registered model is"), "Registered model trained to": Col("Registered model trained to", "date")}


def measure_text(measure: str, value) -> str:
    """A backtest figure as people read it: AUCs to 2 decimals, lift as 9.3x, shares as percents."""
    if value is None or pd.isna(value):
        return "—"
    if "Lift" in measure:
        return f"{value:.1f}x"
    if "caught" in measure or "ARR" in measure or "Recall" in measure:
        return f"{value:.0%}"
    return f"{value:.2f}"


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{c: [measure_text(m, v) for m, v in zip(frame["Measure"], frame[c])]
                           for c in frame.columns if c != "Measure"})


def backtest_block(db: str) -> None:
    from model import backtest
    from model.settings import load_settings
    s = load_settings()
    frame = data.labelled_scores(db, data.stamp(db), s.horizon_days, s.grace_days)
    if frame.empty or frame["churned"].sum() == 0:
        st.info("No past churn has a known outcome yet, so there is nothing to backtest.")
        return
    st.markdown(f"Every scored month with a known outcome: how each method ranked the accounts that went on to churn "
                f"within {s.horizon_days} days. {int(frame['churned'].sum())} churn-months, {len(frame):,} account-months.")
    left, right = st.columns(2)
    left.markdown("**All past months** (includes the model's training months: optimistic for the model)")
    left.dataframe(_readable(backtest.scope_metrics(frame, s.unknown_health_score)), hide_index=True)
    runs = runs_or_stop()
    champ = runs[runs["Aliases"].fillna("").str.contains("champion")] if "Aliases" in runs else runs.iloc[0:0]
    if len(champ):
        c = champ.iloc[0]
        right.markdown(f"**Held out when the champion's procedure was evaluated** (test months "
                       f"{c.get('Test from', '?')} to {c.get('Test to', '?')})")
        right.dataframe(_readable(pd.DataFrame({
            "Measure": ["ROC AUC", "Lift in the top 10%", "Churned ARR caught in the top 10%"],
            "Churn model": [c.get("ROC AUC"), c.get("Lift @10%"), c.get("Churned ARR in top 10%")],
            "Health score": [c.get("Health ROC AUC"), c.get("Health lift @10%"), c.get("Health churned ARR in top 10%")],
        })), hide_index=True)
        right.caption("The registered champion was then refit one window later, so it has seen these months too.")
    first = backtest.first_warnings(frame)
    rates = backtest.flag_rates(frame)
    st.markdown(f"**Each past churn, as it looked about {s.horizon_days} days before**: the model warned on "
                f"{ui.pct(first['model_warned'].mean())} of them while flagging {ui.pct(rates['model'])} of all "
                f"account-months; the health score on {ui.pct(first['health_warned'].mean())} while flagging "
                f"{ui.pct(rates['health'])}. A warning is a high or medium risk tier, or a poor or concerning health tier.")
    ui.table(first.sort_values("churn_date", ascending=False), FIRST_WARNINGS, csv="past_churns.csv")


def runs_block() -> None:
    runs = runs_or_stop()
    if runs.empty:
        st.info("No training runs in MLflow yet: train the first model on the *Retrain & promote* tab.")
        return
    ui.table(runs, {k: v for k, v in RUNS.items() if k in runs}, csv="model_runs.csv")
    st.caption("Metrics describe each run's evaluated procedure on its test months, which neither fitting, early "
               "stopping nor calibration saw. The registered version is the same procedure refit up to "
               "'Registered model trained to', so it has seen those months. Everything here is also in the "
               f"official UI: `mlflow ui --backend-store-uri {tracking_uri().replace('`', '')}`")
    versions = [str(v) for v in runs["Version"].dropna()]
    tagged = [str(v) for v, a in zip(runs["Version"], runs["Aliases"].fillna("")) if a and pd.notna(v)]
    pick = st.multiselect("Compare versions", versions, default=(tagged or versions)[:2], max_selections=2,
                          key="compare_versions")
    from model import tracking
    cols = st.columns(2)  # half width even for one version, so plots stay readable
    for col, v in zip(cols, pick):
        r = runs[runs["Version"].astype(str) == v].iloc[0]
        aliases = r["Aliases"] if isinstance(r["Aliases"], str) and r["Aliases"] else ""
        col.markdown(f"**Version {v}**" + (f" · {aliases}" if aliases else ""))
        for plot in PLOTS:
            try:
                col.image(str(tracking.artifact(r["run_id"], f"plots/{plot}.png")), width="stretch")
            except Exception:
                col.caption(f"{plot}: not logged")


def manage_block(db: str, who: Identity) -> None:
    if not (access.can(who, "train") or access.can(who, "promote")):
        st.info("Analysts retrain and promote models; you can read everything on this page.")
        return
    st.markdown("**Retrain** on everything the warehouse knows now; the new version becomes the challenger "
                "(or the champion, if there is none yet).")
    if st.button("Retrain the model", key="retrain"):
        job_views.start("train", actions.train_job(db, who))
    job_views.progress("train", runs_table.clear)
    runs = runs_or_stop()
    if runs.empty:
        return
    st.markdown("**Promote** a version to champion: the portfolio is then re-scored with it.")
    versions = [str(v) for v in runs["Version"].dropna()]
    champ = [str(v) for v, a in zip(runs["Version"], runs["Aliases"].fillna("")) if "champion" in a]
    st.caption(f"Current champion: version {champ[0] if champ else 'none'}")
    candidates = [v for v in versions if v not in champ]
    if not candidates:
        st.caption("Every registered version is the champion already: retrain to get a challenger.")
        return
    v = st.selectbox("Version", candidates, key="promote_version")
    if st.button("Promote…", key="promote"):
        st.session_state[state.PROMOTE_PENDING] = v
    pending = st.session_state.get(state.PROMOTE_PENDING)
    if pending:
        st.warning(f"Make version {pending} the champion and re-score every account with it?")
        yes, no = st.columns(2)
        if yes.button("Yes, promote", key="promote_yes"):
            st.session_state[state.PROMOTE_PENDING] = None
            job_views.start("promote", actions.promote_job(db, pending, who))
            st.rerun()
        if no.button("Cancel", key="promote_no"):
            st.session_state[state.PROMOTE_PENDING] = None
            st.rerun()
    job_views.progress("promote", runs_table.clear)
