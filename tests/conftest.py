"""Shared fixtures: a tiny hand-written warehouse and a small generated sample, built once."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from features import health, pipeline
from features.ingest import ingest
from features.sample.generate import generate
from features.warehouse import connect
from tests.fixtures import tiny_tables, write_source

SAMPLE_END = dt.date(2026, 6, 30)


def quiet(*args, **kwargs):
    pass


@pytest.fixture(scope="session", autouse=True)
def private_stores(tmp_path_factory):
    """No test reads or writes the developer's data/app.db or roles, or inherits their sign-in."""
    root = tmp_path_factory.mktemp("appstore")
    saved = {k: os.environ.get(k) for k in ("RADAR_APP_DB", "RADAR_ROLES", "RADAR_AUTH")}
    os.environ["RADAR_APP_DB"] = f"sqlite:///{root / 'app.db'}"
    os.environ["RADAR_ROLES"] = str(root / "roles.toml")
    os.environ.pop("RADAR_AUTH", None)
    yield root
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def tiny_source(tmp_path) -> Path:
    return write_source(tmp_path / "src", tiny_tables())


@pytest.fixture
def tiny_db(tiny_source, tmp_path) -> Path:
    db = tmp_path / "tiny.duckdb"
    ingest(tiny_source, db, progress=quiet)
    return db


@pytest.fixture(scope="session")
def sample_source(tmp_path_factory) -> Path:
    """A small generated portfolio: 150 accounts, 30 months ending 2026-06-30."""
    out = tmp_path_factory.mktemp("sample")
    generate(out, accounts=150, months=30, end=SAMPLE_END, seed=11, fmt="parquet", progress=quiet)
    return out


@pytest.fixture(scope="session")
def sample_db(sample_source, tmp_path_factory) -> Path:
    """The small sample ingested, with features and health built. Treat as read-only."""
    db = tmp_path_factory.mktemp("wh") / "sample.duckdb"
    ingest(sample_source, db, progress=quiet)
    with connect(db) as con:
        pipeline.run(con, progress=quiet)
        health.run(con)
    return db


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory, trained_store):
    """The session's MLflow store, already holding the two versions `trained` describes.
    Read it, never change it: a test that promotes, trains or breaks a store makes its own
    (monkeypatch MLFLOW_TRACKING_URI to sqlite:///{tmp_path}/mlflow.db)."""
    return trained_store["root"]


@pytest.fixture(scope="session")
def trained_store(sample_db, tmp_path_factory):
    """A temporary SQLite store where the small sample was trained twice with the configured seed:
    version 1 is @champion, version 2 @challenger. Built in one go, so no test depends on which
    test ran first. MLFLOW_TRACKING_URI points at it for the session."""
    from model.train import run as train
    root = tmp_path_factory.mktemp("mlruns")
    old = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    lines: list[str] = []
    runs = [train(sample_db, progress=lines.append) for _ in range(2)]
    assert [r["alias"] for r in runs] == ["champion", "challenger"], runs
    yield {"root": root, "runs": runs, "lines": lines}
    if old is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = old


@pytest.fixture(scope="session")
def trained(trained_store) -> dict:
    """The session store's two training runs: {"runs": [version 1, version 2], "lines": progress}."""
    return trained_store


@pytest.fixture(scope="session")
def scored_db(sample_db, trained, tmp_path_factory) -> Path:
    """A copy of the sample warehouse scored at every date by the champion (version 1)."""
    from model.score import main as score
    db = tmp_path_factory.mktemp("scored") / "scored.duckdb"
    shutil.copy(sample_db, db)
    assert score(db, progress=quiet, all_dates=True) == 0
    return db


@pytest.fixture
def own_store(tmp_path, monkeypatch) -> Path:
    """An empty MLflow store for this test only."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path
