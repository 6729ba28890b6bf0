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
    from model.train import main as train
    lines = []
    assert train(sample_db, progress=lines.append) == 0
    return lines


@pytest.fixture(scope="session")
def scored_db(sample_db, trained, tmp_path_factory) -> Path:
    """A copy of the sample warehouse scored at every date by the champion."""
    from model.score import main as score
    db = tmp_path_factory.mktemp("scored") / "scored.duckdb"
    shutil.copy(sample_db, db)
    assert score(db, progress=quiet, all_dates=True) == 0
    return db
