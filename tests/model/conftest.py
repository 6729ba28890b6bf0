"""A private MLflow store per test session, and a model trained on the small sample."""
from __future__ import annotations

import os

import pytest

from model.train import main as train


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory):
    """Point MLflow at a temporary SQLite store for the whole session."""
    root = tmp_path_factory.mktemp("mlruns")
    old = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    yield root
    if old is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = old


@pytest.fixture(scope="session")
def trained(sample_db, mlflow_store):
    """Version 1 (the champion), trained on the small sample."""
    lines = []
    assert train(sample_db, progress=lines.append) == 0
    return lines
