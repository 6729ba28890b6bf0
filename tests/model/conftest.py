"""A portfolio shaped like the ones customers start with: plans and add-ons billed monthly and
yearly, accounts/contracts/events only, two years of history. Built once per session."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features import health, pipeline
from features.ingest import ingest
from features.sample.generate import generate
from features.warehouse import connect
from tests.conftest import quiet

PLANS_END = dt.date(2026, 6, 30)


def build_portfolio(folder: Path, accounts: int, months: int, keep_events: float = 0.1, seed: int = 21,
                    churn: str = "modelled", end: dt.date = PLANS_END) -> Path:
    """A plans portfolio with only the required files, a share of its events kept (the model needs
    their shape, not their volume), built up to health."""
    src = folder / "src"
    generate(src, accounts=accounts, months=months, end=end, seed=seed, pricing="plans", sources="required",
             churn=churn, progress=quiet)
    events = pd.read_parquet(src / "events.parquet")
    events.sample(frac=keep_events, random_state=1).sort_values("occurred_at").to_parquet(src / "events.parquet")
    db = folder / "wh.duckdb"
    ingest(src, db, progress=quiet)
    with connect(db) as con:
        pipeline.run(con, progress=quiet)
        health.run(con)
    return db


@pytest.fixture(scope="session")
def plans_db(tmp_path_factory) -> Path:
    """300 accounts over 24 months to 2026-06-30. Treat as read-only."""
    return build_portfolio(tmp_path_factory.mktemp("plans"), 300, 24)
