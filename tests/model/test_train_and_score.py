"""radar train / promote / score on the small sample, read back through MLflow itself."""
from __future__ import annotations

import numpy as np
import pytest
from mlflow import MlflowClient

from features import paths
from features.warehouse import connect
from model import dataset, tracking
from model.score import main as score
from model.score import run as score_run
from model.settings import load_settings

NAME = "account-radar-churn"
METRICS = ["eval_roc_auc", "eval_pr_auc", "eval_brier", "eval_log_loss", "eval_lift_at_10pct",
           "eval_recall_at_10pct", "eval_arr_recall_at_10pct", "eval_ece", "eval_health_roc_auc",
           "eval_health_lift_at_10pct", "eval_health_arr_recall_at_10pct", "eval_logreg_roc_auc",
           "eval_test_base_rate"]


def store() -> MlflowClient:
    """A client on the store MLFLOW_TRACKING_URI names now (mlflow's global URI may be another test's)."""
    uri = paths.tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def run_of(version):
    client = store()
    return client.get_run(client.get_model_version(NAME, version).run_id)


def test_first_training_run_is_logged_and_registered_as_champion(trained):
    client = store()
    assert [r["version"] for r in trained["runs"]] == ["1", "2"]
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
    assert m["eval_roc_auc"] > m["eval_health_roc_auc"] and m["eval_roc_auc"] > m["eval_logreg_roc_auc"]


def test_same_seed_same_metrics_and_later_versions_are_challengers(trained):
    client = store()
    assert str(client.get_model_version_by_alias(NAME, "challenger").version) == "2"
    assert run_of("2").data.metrics == run_of("1").data.metrics


def test_every_metric_says_it_describes_the_evaluated_model(trained):
    run = run_of("1")
    assert run.data.metrics and all(k.startswith("eval_") for k in run.data.metrics)
    p = run.data.params
    assert p["registered_model"] == "refit"
    assert p["evaluated_model_trained_to"] == p["train_to"] < p["refit_train_to"]
    note = run.data.tags["mlflow.note.content"]
    assert f"{p['test_from']}..{p['test_to']}" in note and p["refit_train_to"] in note
    assert note.startswith(f"Protocol: {p['protocol'].replace('_', ' ')}")


def test_defaults_of_none_train_with_the_configured_horizon_and_seed(trained):
    s, p = load_settings(), run_of("1").data.params
    assert (p["horizon_days"], p["seed"], p["lgb_num_threads"]) == \
        (str(s.horizon_days), str(s.seed), str(s.lightgbm.num_threads))


def test_a_loaded_version_reports_the_hyperparameters_it_was_trained_with(trained):
    model, version, run_id = tracking.load("2")
    p = run_of("2").data.params
    got = model.get_params()
    assert (version, run_id) == ("2", trained["runs"][1]["run_id"])
    assert str(got["seed"]) == p["seed"]
    assert {f"lgb_{k}": str(v) for k, v in got["lightgbm"].to_dict().items()} == \
        {k: v for k, v in p.items() if k.startswith("lgb_")}


def test_score_writes_scores_and_drivers_for_every_active_account(trained, sample_db, tmp_path):
    db = tmp_path / "scored.duckdb"
    db.write_bytes(sample_db.read_bytes())
    summary = score_run(db, progress=lambda *_: None)
    with connect(db) as con:
        latest = con.execute("select max(as_of) from features").fetchone()[0]
        active = con.execute("select count(*) from features where as_of = ?", [latest]).fetchone()[0]
        s = con.execute("select * from scores").df()
        d = con.execute("select * from drivers").df()
        names = set(dataset.catalog(con))
    assert len(s) == active and s["account_id"].is_unique
    assert s["churn_probability"].between(0, 1).all()
    assert set(s["risk_tier"]) <= {"high", "medium", "low"}
    assert summary["version"] == "1" and summary["as_of"] == latest and summary["accounts"] == active
    assert summary["tiers"] == {t: int((s["risk_tier"] == t).sum()) for t in ("high", "medium", "low")}
    assert summary["arr_at_risk"] == pytest.approx(s["arr_at_risk"].sum())
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


def test_scoring_without_a_model_says_what_to_run(sample_db, own_store):
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


# ---- reasons a SAM can repeat, on the scored sample ----------------------------------------------------

@pytest.fixture(scope="module")
def reasons(scored_db):
    with connect(scored_db, read_only=True) as con:
        latest = con.execute("select max(as_of) from drivers").fetchone()[0]
        d = con.execute("select * from drivers where as_of = ?", [latest]).df()
        s = con.execute("select * from scores where as_of = ?", [latest]).df()
        cat = dataset.catalog(con)
    return d, s, cat


def test_no_account_is_given_renewal_timing_as_a_reason(reasons):
    d, s, cat = reasons
    timing = {n for n, f in cat.items() if f.get("timing")}
    assert {"days_to_renewal", "term_months"} <= timing
    listed = {n for names in d["features"] for n in names.split(", ")}
    assert not listed & timing
    # ... and every account the model flags high or medium has a reason that is not timing
    flagged = set(s.loc[s["risk_tier"].isin(["high", "medium"]), "account_id"])
    assert flagged and flagged <= set(d.loc[d["direction"] == "raises", "account_id"])


def test_every_reason_reads_the_way_it_pushes_the_risk(reasons):
    d, _, cat = reasons
    direction = d["feature"].map(lambda n: cat[n]["direction"])
    unit = d["feature"].map(lambda n: cat[n]["unit"])
    present = d["value"].notna() & (unit != "flag")
    worse = ((direction == "higher_better") & (d["value"] < d["reference"])) | \
            ((direction == "lower_better") & (d["value"] > d["reference"]))
    directional = present & direction.isin(["higher_better", "lower_better"])
    assert directional.any()
    assert (worse[directional] == (d.loc[directional, "direction"] == "raises")).all()
    # an absent value is only ever a warning, in the catalog's words for its absence
    absent = d[d["value"].isna()]
    assert (absent["direction"] == "raises").all()
    assert all(t.startswith(cat[f]["missing"]) for f, t in zip(absent["feature"], absent["sentence"]))


def test_each_listed_reason_is_a_different_reason_with_its_peers_named(reasons):
    d, _, _ = reasons
    for _, rows in d.groupby("account_id"):
        merged = [n for names in rows["features"] for n in names.split(", ")]
        assert len(merged) == len(set(merged))  # no feature behind two listed reasons
    named = d["value"].notna()
    assert d.loc[named, "sentence"].str.contains(r"\((?:typically|true of)", regex=True).all()
    assert d["sentence"].str.contains("accounts that renewed").sum() == named.sum()
    assert (d["peer_probability"].between(0, 1)).all()


def test_what_moved_the_risk_is_kept_for_every_scored_snapshot(scored_db):
    """Per account and date, the feature families' points add up to the probability's distance
    from its renewed peers, and every scored snapshot has them (the account page's chart)."""
    with connect(scored_db, read_only=True) as con:
        keys = con.execute("select count(*) from (select distinct account_id, as_of from risk_contributions)").fetchone()[0]
        scored = con.execute("select count(*) from scores").fetchone()[0]
        check = con.execute("""
            select s.churn_probability, c.peer_probability, c.points
            from scores s join (select account_id, as_of, sum(points) as points, any_value(peer_probability)
                                       as peer_probability
                                from risk_contributions group by 1, 2) c using (account_id, as_of)""").df()
        families = {r[0] for r in con.execute("select distinct family from risk_contributions").fetchall()}
    assert keys == scored and scored > 0
    assert np.allclose(check["points"] / 100, check["churn_probability"] - check["peer_probability"], atol=1e-6)
    assert {"usage", "renewal timing"} <= families
    assert check["peer_probability"].between(0, 1).all()


def _rebuilt_tracking(db, monkeypatch, keep):
    """Rebuild `db`'s features tracking only the event types `keep` picks from the current ones, as
    happens when the most frequent types change after the model was trained."""
    import dataclasses
    from features import pipeline
    from features.settings import load_settings as feature_settings
    with connect(db) as con:
        tracked = sorted({n[4:-4] for n in dataset.catalog(con) if n.startswith("evt_") and n.endswith("_30d")})
        kept = keep(tracked)
        settings = dataclasses.replace(feature_settings(), event_types=tuple(kept))
        monkeypatch.setattr(pipeline, "load_settings", lambda: settings)
        pipeline.run(con, full=True, progress=lambda *_: None)
    return sorted(set(tracked) - set(kept))


def test_a_model_still_scores_when_a_few_of_its_features_are_no_longer_built_and_says_so(
        trained, sample_db, tmp_path, monkeypatch):
    db = tmp_path / "drifted.duckdb"
    db.write_bytes(sample_db.read_bytes())
    dropped = _rebuilt_tracking(db, monkeypatch, lambda types: types[1:])
    gone = {f"evt_{t}_30d" for t in dropped} | {f"evt_{t}_trend" for t in dropped}
    model, _, _ = tracking.load()
    assert gone <= set(model.feature_names_)
    lines: list[str] = []
    summary = score_run(db, progress=lines.append)
    said = " ".join(lines)
    assert "warning: model version 1 was trained on 2 features the warehouse no longer builds" in said
    assert all(g in said for g in gone) and "radar train" in said and "`event_types`" in said
    with connect(db) as con:
        s = con.execute("select * from scores").df()
        d = con.execute("select * from drivers").df()
    assert summary["accounts"] == len(s) > 0 and s["churn_probability"].between(0, 1).all()
    cited = {f for feats in d["features"] for f in feats.split(", ")}
    assert not cited & gone  # a feature the warehouse no longer has is never a reason


def test_a_model_missing_more_than_a_quarter_of_its_features_refuses_to_score():
    from model.score import _absent_features
    names = [f"f{i}" for i in range(8)]
    cat = {n: {} for n in names[:6]}
    assert _absent_features(names, dict(cat), "3", lambda *_: None) == ["f6", "f7"]  # a quarter: scored
    with pytest.raises(ValueError, match=r"needs 3 of its 8 features that the warehouse no longer builds "
                                         r"\(f5, f6, f7\); retrain"):
        _absent_features(names, {n: {} for n in names[:5]}, "3", lambda *_: None)


def test_features_of_a_source_that_stopped_coming_are_told_to_load_it_again():
    from model.score import _absent_features
    names = ["tickets_90d", "open_tickets", *[f"f{i}" for i in range(8)]]
    lines: list[str] = []
    _absent_features(names, {n: {} for n in names[2:]}, "3", lines.append)
    assert "load tickets again (not in the latest ingest)" in lines[0] and "event_types" not in lines[0]
