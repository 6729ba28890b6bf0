"""Models page: backtest side by side, runs read from MLflow, promotion asks first and then shows
the new champion; analysts can train the first model from an empty registry."""
from __future__ import annotations

import os
import shutil
import time

import pytest

from model import tracking
from tests.portal.conftest import open_page, texts


@pytest.fixture
def registry(mlflow_store, tmp_path, monkeypatch):
    """A private copy of the session's registry (version 1 @champion, version 2 @challenger)."""
    shutil.copy(mlflow_store / "mlflow.db", tmp_path / "mlflow.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


def statuses(node) -> list:
    """Every st.status box on the page, in order."""
    found = []
    for child in (node.children.values() if isinstance(getattr(node, "children", None), dict) else []):
        if type(child).__name__ == "Status":
            found.append(child)
        found += statuses(child)
    return found


def wait_for_job(at, label: str, timeout_s: float = 120):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        at.run()
        boxes = [b for b in statuses(at.main) if str(b.label).lower().startswith(label.lower())]
        if boxes and "running" not in str(boxes[-1].label):
            return at
        time.sleep(0.5)
    raise AssertionError(f"the {label} job did not finish in {timeout_s}s")


def test_renders_backtest_and_the_runs_of_the_registry(portal_db, registry):
    at = open_page("views/models.py", role="analyst")
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    backtest = next(f for f in frames if "Measure" in f.columns)
    assert list(backtest.columns) == ["Measure", "Churn model", "Health score"]
    runs = next(f for f in frames if "ROC AUC" in f.columns)
    assert len(runs) == len(tracking.runs()) == 2
    assert set(runs["Registered model is"]) <= {"refit", "evaluated"}
    # the official UI's command names the store this portal reads, not the default one
    assert f"mlflow ui --backend-store-uri {os.environ['MLFLOW_TRACKING_URI']}" in texts(at, "caption")


def test_promotion_asks_first_then_shows_the_new_champion(portal_db, registry):
    assert tracking.champion_version() == "1"
    at = open_page("views/models.py", role="analyst")
    assert at.selectbox(key="promote_version").options == ["2"]  # the champion is not offered
    at.button(key="promote").click().run()
    assert not at.exception
    assert "Make version 2 the champion" in texts(at, "warning")
    assert tracking.champion_version() == "1"  # nothing moved yet
    at.button(key="promote_no").click().run()
    assert tracking.champion_version() == "1"
    at.button(key="promote").click().run()
    at.button(key="promote_yes").click().run()
    wait_for_job(at, "promote")
    assert not at.exception
    assert tracking.champion_version() == "2"
    assert "Current champion: version 2" in texts(at, "caption")
    assert "Make version" not in texts(at, "warning")


def test_an_analyst_trains_the_first_model_from_an_empty_registry(portal_db, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    at = open_page("views/models.py", role="analyst")
    assert not at.exception
    assert "No training runs" in texts(at, "info")
    at.button(key="retrain").click().run()
    wait_for_job(at, "train", timeout_s=300)
    assert not at.exception
    assert tracking.champion_version() == "1"


def test_figures_read_as_people_read_them():
    from portal.model_views import measure_text
    assert measure_text("ROC AUC", 0.9612) == "0.96"
    assert measure_text("Lift in the top 10%", 9.31) == "9.3x"
    assert measure_text("Churned ARR caught in the top 10%", 0.96) == "96%"
    assert measure_text("ROC AUC", float("nan")) == "—"
