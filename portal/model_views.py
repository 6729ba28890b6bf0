"""Blocks of the models page. MLflow is imported here, on this page only, through model.tracking."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import streamlit as st

from portal import components as ui
from portal import data, state

PLOTS = ("roc", "pr", "calibration", "lift", "importance", "shap_summary")
METRIC_COLUMNS = {"metrics.roc_auc": "ROC AUC", "metrics.health_roc_auc": "Health ROC AUC",
                  "metrics.health_lift_at_10pct": "Health lift @10%",
                  "metrics.health_arr_recall_at_10pct": "Health churned ARR in top 10%",
                  "metrics.logreg_roc_auc": "LogReg ROC AUC", "metrics.pr_auc": "PR AUC",
                  "metrics.lift_at_10pct": "Lift @10%", "metrics.arr_recall_at_10pct": "Churned ARR in top 10%",
                  "metrics.brier": "Brier", "metrics.ece": "ECE"}


@st.cache_data(ttl=30, show_spinner="Reading MLflow…")
def runs_table() -> pd.DataFrame:
    from model import tracking
    runs, versions = tracking.runs(), tracking.versions()
    if runs.empty:
        return runs
    runs = runs.merge(versions, on="run_id", how="left")
    keep = ["version", "aliases", "start_time", "params.train_from", "params.test_to", "params.n_features",
            "params.train_rows", *METRIC_COLUMNS, "run_id"]
    return runs[[c for c in keep if c in runs]].rename(columns={
        **METRIC_COLUMNS, "params.train_from": "Data from", "params.test_to": "Data to",
        "params.n_features": "Features", "params.train_rows": "Training rows"})


def _scope_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    from model.evaluate import ranking_metrics
    y, arr = frame["churned"].to_numpy(), frame["arr"].to_numpy(float)
    model = ranking_metrics(y, frame["churn_probability"].to_numpy(), arr)
    health = ranking_metrics(y, (100 - frame["health_score"].astype(float)).fillna(50).to_numpy(), arr)
    names = {"roc_auc": "ROC AUC", "lift_at_10pct": "Lift in the top 10%", "arr_recall_at_10pct": "Churned ARR caught in the top 10%"}
    return pd.DataFrame({"Measure": list(names.values()), "Churn model": [model[k] for k in names],
                         "Health score": [health[k] for k in names]})


def backtest_block(db: str) -> None:
    from model.settings import load_settings
    s = load_settings()
    frame = data.backtest_frame(db, data.stamp(db), s.horizon_days, s.grace_days)
    if frame.empty or frame["churned"].sum() == 0:
        st.info("No past churn has a known outcome yet, so there is nothing to backtest.")
        return
    runs = runs_table()
    champ = runs[runs.get("aliases", pd.Series(dtype=str)).fillna("").str.contains("champion")] if len(runs) else runs
    st.markdown(f"Every scored month with a known outcome: how each method ranked the accounts that went on to churn "
                f"within {s.horizon_days} days. {int(frame['churned'].sum())} churn-months, {len(frame):,} account-months.")
    left, right = st.columns(2)
    left.markdown("**All past months** (includes the model's training months: optimistic for the model)")
    left.dataframe(_scope_metrics(frame).style.format({"Churn model": "{:.2f}", "Health score": "{:.2f}"}), hide_index=True)
    if len(champ):
        c = champ.iloc[0]
        right.markdown(f"**Held out when the champion's procedure was evaluated** (test months up to {c['Data to']})")
        right.dataframe(pd.DataFrame({"Measure": ["ROC AUC", "Lift in the top 10%", "Churned ARR caught in the top 10%"],
                                      "Churn model": [c["ROC AUC"], c["Lift @10%"], c["Churned ARR in top 10%"]],
                                      "Health score": [c["Health ROC AUC"], c.get("Health lift @10%"), c.get("Health churned ARR in top 10%")]})
                        .style.format({"Churn model": "{:.2f}", "Health score": "{:.2f}"}, na_rep="—"), hide_index=True)
        right.caption("The registered champion was then refit one window later, so it has seen these months too.")
    first = frame[frame["churned"] == 1].sort_values("as_of").groupby(["account_id", "churn_date"]).head(1)
    first = first.assign(lead_days=(pd.to_datetime(first["churn_date"]) - pd.to_datetime(first["as_of"])).dt.days,
                         model_warned=first["risk_tier"].isin(["high", "medium"]),
                         health_warned=first["health_tier"].isin(["poor", "concerning"]))
    flags_model = frame["risk_tier"].isin(["high", "medium"]).mean()
    flags_health = frame["health_tier"].isin(["poor", "concerning"]).mean()
    st.markdown(f"**Each past churn, as it looked about {s.horizon_days} days before**: the model warned on "
                f"{ui.pct(first['model_warned'].mean())} of them while flagging {ui.pct(flags_model)} of all "
                f"account-months; the health score on {ui.pct(first['health_warned'].mean())} while flagging "
                f"{ui.pct(flags_health)}. A warning is a high or medium risk tier, or a poor or concerning health tier.")
    st.dataframe(ui.as_money(ui.as_percent(first, "churn_probability"), "arr")[["account_id", "churn_date", "as_of", "lead_days", "arr", "churn_probability", "risk_tier",
                        "health_score", "health_tier", "model_warned", "health_warned"]].sort_values("churn_date", ascending=False),
                 hide_index=True, column_config={
                     "account_id": "Account", "risk_tier": "Risk tier then", "health_score": st.column_config.NumberColumn(
                         "Health then", format="%.0f"), "health_tier": "Health tier then",
                     "model_warned": "Model warned", "health_warned": "Health score warned",
                     "churn_date": st.column_config.DateColumn("Churned", format="YYYY-MM-DD"),
                     "as_of": st.column_config.DateColumn("Seen on", format="YYYY-MM-DD"), "lead_days": "Days before",
                     "arr": "ARR",
                     "churn_probability": st.column_config.NumberColumn("Churn probability then", format="%.0f%%")})


def runs_block() -> None:
    runs = runs_table()
    if runs.empty:
        ui.stop_with("No training runs in MLflow yet.", "radar train")
    st.dataframe(runs.drop(columns=["run_id"]), hide_index=True)
    st.caption("Metrics are on each run's test months, which neither fitting, early stopping nor calibration saw. "
               "Everything here is also in the official UI: `mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db`")
    versions = [v for v in runs["version"].dropna().astype(str)]
    default = [v for v, a in zip(runs["version"].astype(str), runs["aliases"].fillna("")) if a][:2] or versions[:2]
    pick = st.multiselect("Compare versions", versions, default=default, max_selections=2, key="compare_versions")
    from model import tracking
    cols = st.columns(2)  # half width even for one version, so plots stay readable
    for col, v in zip(cols, pick):
        r = runs[runs["version"].astype(str) == v].iloc[0]
        col.markdown(f"**Version {v}** {('· ' + r['aliases']) if isinstance(r['aliases'], str) and r['aliases'] else ''}")
        for plot in PLOTS:
            try:
                col.image(str(tracking.artifact(r["run_id"], f"plots/{plot}.png")), width="stretch")
            except Exception:
                col.caption(f"{plot}: not logged")


def _run_radar(args: list[str], box) -> bool:
    proc = subprocess.Popen([sys.executable, "-m", "features.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if line.strip() and "warn" not in line.lower():
            box.write(line.rstrip())
    return proc.wait() == 0


def manage_block(db: str) -> None:
    st.markdown("**Retrain** on everything the warehouse knows now; the new version becomes the challenger.")
    if st.button("Retrain the model", key="retrain"):
        with st.status("Training…", expanded=True) as box:
            ok = _run_radar(["train", "--db", db], box)
            box.update(label="Training finished" if ok else "Training failed", state="complete" if ok else "error")
        runs_table.clear()
    runs = runs_table()
    if runs.empty:
        return
    st.markdown("**Promote** a version to champion: the portfolio is then re-scored with it.")
    versions = runs["version"].dropna().astype(str).tolist()
    champ = [v for v, a in zip(runs["version"].astype(str), runs["aliases"].fillna("")) if "champion" in a]
    st.caption(f"Current champion: version {champ[0] if champ else 'none'}")
    v = st.selectbox("Version", versions, key="promote_version")
    if st.button("Promote…", key="promote"):
        st.session_state[state.PROMOTE_PENDING] = v
    pending = st.session_state.get(state.PROMOTE_PENDING)
    if pending:
        st.warning(f"Make version {pending} the champion and re-score every account with it?")
        yes, no = st.columns(2)
        if yes.button("Yes, promote", key="promote_yes"):
            from model import tracking
            tracking.promote(pending)
            st.session_state[state.PROMOTE_PENDING] = None
            with st.status("Re-scoring with the new champion…", expanded=True) as box:
                ok = _run_radar(["score", "--db", db, "--all-dates"], box)
                box.update(label="Promoted and re-scored" if ok else "Re-scoring failed", state="complete" if ok else "error")
            runs_table.clear()
            st.cache_data.clear()
        if no.button("Cancel", key="promote_no"):
            st.session_state[state.PROMOTE_PENDING] = None
            st.rerun()
