"""The model works on any warehouse the contract accepts: monthly MRR contracts, other event
names, no user ids, and no users, tickets, touchpoints or traits at all."""
from __future__ import annotations

import pandas as pd
import pytest

from features import health, pipeline
from features.ingest import ingest
from features.warehouse import connect
from model.score import main as score
from model.train import main as train
from tests.conftest import quiet


def monthly(contracts: pd.DataFrame) -> pd.DataFrame:
    """Cut every contract into consecutive calendar-month contracts billed as MRR."""
    rows = []
    for c in contracts.itertuples():
        start, end = pd.Timestamp(c.start_date), pd.Timestamp(c.end_date)
        while start <= end:
            stop = min(start + pd.DateOffset(months=1) - pd.Timedelta(days=1), end)
            rows.append({"contract_id": f"{c.contract_id}-{start:%Y%m}", "account_id": c.account_id,
                         "start_date": start.date(), "end_date": stop.date(), "mrr": c.arr / 12})
            start = stop + pd.Timedelta(days=1)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def minimal_db(sample_source, tmp_path_factory):
    src = tmp_path_factory.mktemp("minimal")
    pd.read_parquet(sample_source / "accounts.parquet")[["account_id", "name"]].to_csv(src / "accounts.csv", index=False)
    monthly(pd.read_parquet(sample_source / "contracts.parquet")).to_csv(src / "contracts.csv", index=False)
    ev = pd.read_parquet(sample_source / "events.parquet", columns=["account_id", "occurred_at", "event_type"])
    names = {t: f"Action {i}" for i, t in enumerate(sorted(ev["event_type"].unique()))}
    ev.assign(event_type=ev["event_type"].map(names)).to_parquet(src / "events.parquet", index=False)
    db = src / "minimal.duckdb"
    ingest(src, db, progress=quiet)
    with connect(db) as con:
        pipeline.run(con, progress=quiet)
        health.run(con)
    return db


def test_minimal_warehouse_trains_and_scores(minimal_db, own_store):
    lines = []
    assert train(minimal_db, progress=lines.append) == 0
    assert score(minimal_db, progress=lines.append) == 0
    with connect(minimal_db, read_only=True) as con:
        cols = set(con.execute("select * from features limit 0").df().columns)
        s = con.execute("select * from scores").df()
        d = con.execute("select * from drivers").df()
        h = con.execute("select coverage, missing_traits from health").df()
    assert any(c.startswith("evt_action_") for c in cols) and "active_users_30d" not in cols and "tickets_90d" not in cols
    assert len(s) > 0 and s["churn_probability"].between(0, 1).all() and len(d) > 0
    assert (h["coverage"] == 0).all()  # no health trait has data: the score is unknown, not healthy
