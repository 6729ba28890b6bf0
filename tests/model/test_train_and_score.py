"""radar train / promote / score on the small sample, read back through MLflow itself."""
from __future__ import annotations

import numpy as np
import pytest
from mlflow import MlflowClient

from features.warehouse import connect
from model import dataset, tracking
from model.score import main as score
from model.train import main as train

NAME = "account-radar-churn"
METRICS = ["roc_auc", "pr_auc", "brier", "log_loss", "lift_at_10pct", "recall_at_10pct",
           "arr_recall_at_10pct", "ece", "health_roc_auc", "logreg_roc_auc"]


def run_of(version):
    client = MlflowClient()
    return client.get_run(client.get_model_version(NAME, version).run_id)


def test_first_training_run_is_logged_and_registered_as_champion(trained):
    client = MlflowClient()
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"
    run = run_of("1")
    assert set(METRICS) <= set(run.data.metrics)
    for p in ("train_rows", "n_features", "train_from", "test_to", "data_digest", "best_iteration"):
        assert p in run.data.params
    arts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert arts == {f"plots/{n}.png" for n in ("roc", "pr", "calibration", "lift", "importance", "shap_summary")}
    assert run.inputs.dataset_inputs and run.inputs.dataset_inputs[0].dataset.digest


def test_model_beats_both_baselines_on_the_sample(trained):
    m = run_of("1").data.metrics
    assert m["roc_auc"] > m["health_roc_auc"] and m["roc_auc"] > m["logreg_roc_auc"]


def test_same_seed_same_metrics_and_later_versions_are_challengers(trained, sample_db):
    assert train(sample_db, progress=lambda *_: None) == 0
    client = MlflowClient()
    assert str(client.get_model_version_by_alias(NAME, "challenger").version) == "2"
    assert run_of("2").data.metrics == run_of("1").data.metrics


def test_promote_moves_the_champion(trained, sample_db):
    if tracking.champion_version() == "1" and len(tracking.versions()) < 2:
        train(sample_db, progress=lambda *_: None)
    tracking.promote("2")
    assert tracking.champion_version() == "2"
    tracking.promote("1")
    assert tracking.champion_version() == "1"
    with pytest.raises(LookupError, match="no version 99"):
        tracking.promote("99")


def test_score_writes_scores_and_drivers_for_every_active_account(trained, sample_db, tmp_path):
    db = tmp_path / "scored.duckdb"
    db.write_bytes(sample_db.read_bytes())
    assert score(db, progress=lambda *_: None) == 0
    with connect(db) as con:
        latest = con.execute("select max(as_of) from features").fetchone()[0]
        active = con.execute("select count(*) from features where as_of = ?", [latest]).fetchone()[0]
        s = con.execute("select * from scores").df()
        d = con.execute("select * from drivers").df()
        names = set(dataset.catalog(con))
    assert len(s) == active and s["account_id"].is_unique
    assert s["churn_probability"].between(0, 1).all()
    assert set(s["risk_tier"]) <= {"high", "medium", "low"}
    assert np.allclose(s["arr_at_risk"], s["churn_probability"] * s["arr"].fillna(0))
    per = d.groupby(["account_id", "direction"]).size()
    assert per.max() <= 5 and set(d["direction"]) == {"raises", "lowers"}
    assert (d.loc[d.direction == "raises", "contribution"] > 0).all()
    assert d["sentence"].str.contains("pts of churn risk").all()
    for sentence in d["sentence"]:
        assert not any(n in sentence for n in names if "_" in n), sentence  # never a column name


def test_shap_values_add_up_to_the_raw_score(trained, sample_db):
    model, _, _ = tracking.load()
    with connect(sample_db, read_only=True) as con:
        X = dataset.snapshots(con, until=None).tail(300)[model.feature_names_].astype(float)
    phi, base = model.contributions(X)
    assert np.allclose(base + phi.sum(axis=1), model.raw_score(X), atol=1e-6)


def test_scoring_without_a_model_says_what_to_run(sample_db, mlflow_store, monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(LookupError, match="run `radar train` first"):
        score(sample_db, progress=lambda *_: None)


def test_scoring_every_date_keeps_one_row_per_account_and_date(scored_db):
    with connect(scored_db, read_only=True) as con:
        rows, keys, dates = con.execute("select count(*), count(distinct (account_id, as_of)), "
                                        "count(distinct as_of) from scores").fetchall()[0]
        snapshots = con.execute("select count(*) from features").fetchall()[0][0]
    assert rows == keys == snapshots and dates > 1


def test_the_registered_model_is_refit_on_the_latest_outcomes(trained):
    params = run_of("1").data.params
    assert params["refit_train_to"] > params["train_to"]
    assert int(params["refit_rows"]) > int(params["train_rows"])


def test_drivers_that_round_to_zero_points_are_not_listed(scored_db):
    with connect(scored_db, read_only=True) as con:
        smallest = con.execute("select min(abs(contribution)) from drivers").fetchall()[0][0]
    assert smallest > 0.05
