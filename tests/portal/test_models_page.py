"""Models page: backtest side by side, runs read from MLflow, promotion asks first."""
from __future__ import annotations

from model import tracking
from tests.portal.conftest import open_page


def test_renders_backtest_and_runs(portal_db, mlflow_store):
    at = open_page("views/models.py")
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    backtest = next(f for f in frames if "Measure" in f.columns)
    assert list(backtest.columns) == ["Measure", "Churn model", "Health score"]
    runs = next(f for f in frames if "ROC AUC" in f.columns)
    assert len(runs) == len(tracking.runs())


def test_promotion_needs_confirmation(portal_db, mlflow_store, sample_db):
    if len(tracking.versions()) < 2:
        from model.train import main as train
        train(sample_db, progress=lambda *_: None)
    champion = tracking.champion_version()
    other = next(v for v in tracking.versions()["version"] if v != champion)
    at = open_page("views/models.py")
    at.selectbox(key="promote_version").set_value(other)
    at.button(key="promote").click().run()
    assert not at.exception
    assert f"Make version {other} the champion" in at.warning[-1].value
    assert tracking.champion_version() == champion  # nothing moved yet
    at.button(key="promote_no").click().run()
    assert tracking.champion_version() == champion
