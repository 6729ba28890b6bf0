"""Labels: churn is the last covered day with no renewal within the grace period; unknown is not retained."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from model import labels

D = dt.date.fromisoformat


def contracts_db(rows):
    con = duckdb.connect()
    con.execute("create table contracts (contract_id varchar, account_id varchar, start_date date, end_date date)")
    con.executemany("insert into contracts values (?, ?, ?, ?)", rows)
    return con


def churns(rows, cutoff="2026-12-31", grace=30):
    df = labels.churn_events(contracts_db(rows), D(cutoff), grace)
    return {(r.account_id, r.churn_date.date() if hasattr(r.churn_date, "date") else r.churn_date) for r in df.itertuples()}


def test_no_renewal_means_churn_on_the_last_covered_day():
    assert churns([("c1", "A", D("2025-01-01"), D("2025-12-31"))]) == {("A", D("2025-12-31"))}


def test_a_late_renewal_within_grace_is_not_churn():
    assert churns([("c1", "A", D("2025-01-01"), D("2025-12-31")),
                   ("c2", "A", D("2026-01-20"), D("2026-12-31"))], cutoff="2027-03-01") == {("A", D("2026-12-31"))}


def test_a_renewal_after_grace_is_churn_then_return():
    assert ("A", D("2025-12-31")) in churns([("c1", "A", D("2025-01-01"), D("2025-12-31")),
                                             ("c2", "A", D("2026-03-01"), D("2026-12-31"))])


def test_an_add_on_ending_while_the_main_contract_runs_is_not_churn():
    assert churns([("c1", "A", D("2025-01-01"), D("2026-12-31")),
                   ("c2", "A", D("2025-03-01"), D("2025-08-31"))], cutoff="2026-12-31") == set()


def test_unknown_when_the_grace_period_is_not_over():
    assert churns([("c1", "A", D("2026-01-01"), D("2026-12-15"))], cutoff="2026-12-31") == set()


def test_an_earlier_cutoff_knows_only_earlier_outcomes():
    rows = [("c1", "A", D("2025-01-01"), D("2025-12-31")), ("c2", "A", D("2026-01-01"), D("2026-06-30"))]
    assert churns(rows, cutoff="2026-02-15") == set()
    assert churns(rows, cutoff="2026-08-15") == {("A", D("2026-06-30"))}


def test_snapshot_labels_and_unobserved_windows_dropped():
    snaps = pd.DataFrame({"account_id": ["A", "A", "A", "B"],
                          "as_of": pd.to_datetime(["2025-06-30", "2025-10-31", "2026-05-31", "2025-10-31"])})
    ch = pd.DataFrame({"account_id": ["A"], "churn_date": pd.to_datetime(["2025-12-31"])})
    out = labels.label(snaps, ch, D("2026-06-30"), horizon_days=90, grace_days=30)
    got = {(r.account_id, r.as_of.date()): r.churned for r in out.itertuples()}
    assert got == {("A", D("2025-06-30")): 0, ("A", D("2025-10-31")): 1, ("B", D("2025-10-31")): 0}
