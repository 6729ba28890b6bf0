"""The warehouse's one transaction helper: all or nothing."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from features.warehouse import transaction, upsert_dates


def test_a_failure_inside_a_transaction_leaves_nothing_behind():
    con = duckdb.connect()
    con.execute("create table t (x integer)")
    with pytest.raises(duckdb.Error):
        with transaction(con):
            con.execute("insert into t values (1)")
            con.execute("insert into t values ('not a number')")
    assert con.execute("select count(*) from t").fetchone()[0] == 0
    with transaction(con):
        con.execute("insert into t values (2)")
    assert con.execute("select x from t").fetchall() == [(2,)]


def test_upsert_replaces_only_the_dates_it_brings():
    con = duckdb.connect()
    frame = pd.DataFrame({"account_id": ["a", "a"], "as_of": pd.to_datetime(["2026-01-31", "2026-02-28"]), "v": [1, 2]})
    upsert_dates(con, "f", frame)
    upsert_dates(con, "f", frame.iloc[1:].assign(v=20))
    assert con.execute("select v from f order by as_of").fetchall() == [(1,), (20,)]
