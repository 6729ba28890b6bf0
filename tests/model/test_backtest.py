"""Backtest arithmetic on frames of a few rows, every expected number worked out by hand."""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from features.warehouse import WarehouseError
from model import backtest

D = dt.date.fromisoformat
T = pd.Timestamp


@pytest.fixture
def con():
    """A (churned 2025-12-31, no renewal) and B (covered to 2026-12-31), scored at two month ends
    and once after; only A has a health score. Data ends 2026-06-30."""
    con = duckdb.connect()
    con.execute("create table contracts (account_id varchar, start_date date, end_date date)")
    con.execute("insert into contracts values ('A', '2025-01-01', '2025-12-31'), ('B', '2025-01-01', '2026-12-31')")
    con.execute("create table events (occurred_at timestamp)")
    con.execute("insert into events values ('2026-06-30 12:00:00')")
    con.execute("create table tickets (opened_at timestamp)")
    con.execute("create table touchpoints (occurred_at timestamp)")
    con.execute("""create table scores (account_id varchar, as_of date, churn_probability double,
                                        risk_tier varchar, arr double)""")
    con.execute("""insert into scores values ('A', '2025-09-30', 0.04, 'low', 1000), ('A', '2025-10-31', 0.20, 'high', 1000),
                   ('B', '2025-09-30', 0.02, 'low', 5000), ('B', '2025-10-31', 0.06, 'medium', 5000),
                   ('B', '2026-05-31', 0.03, 'low', 5000)""")
    con.execute("create table health (account_id varchar, as_of date, health_score double, health_tier varchar)")
    con.execute("insert into health values ('A', '2025-09-30', 55, 'concerning'), ('A', '2025-10-31', 30, 'poor')")
    return con


def keyed(frame):
    return {(r.account_id, r.as_of.date()): r for r in frame.itertuples()}


def test_labelled_scores_keep_only_known_outcomes_with_both_views(con):
    out = backtest.labelled_scores(con, horizon_days=90, grace_days=30)
    assert list(out.columns) == backtest.COLUMNS
    rows = keyed(out)
    # 2026-05-31 + 90 + 30 days is after the data end: not known yet
    assert set(rows) == {("A", D("2025-09-30")), ("A", D("2025-10-31")), ("B", D("2025-09-30")), ("B", D("2025-10-31"))}
    # 2025-09-30 + 90 days is 2025-12-29, two days short of A's churn; 2025-10-31 sees it
    assert [rows[k].churned for k in sorted(rows)] == [0, 1, 0, 0]
    assert rows[("A", D("2025-10-31"))].churn_date == T("2025-12-31")
    assert rows[("A", D("2025-10-31"))].health_tier == "poor" and rows[("A", D("2025-10-31"))].arr == 1000
    assert rows[("B", D("2025-10-31"))].health_tier == "unknown" and np.isnan(rows[("B", D("2025-10-31"))].health_score)


def test_an_earlier_cutoff_knows_fewer_outcomes(con):
    out = backtest.labelled_scores(con, 90, 30, cutoff=D("2026-02-15"))  # as_of + 120 days <= cutoff
    assert set(keyed(out)) == {("A", D("2025-09-30")), ("B", D("2025-09-30"))}


def test_labelled_scores_without_scores_says_what_to_run(con):
    con.execute("drop table scores")
    with pytest.raises(WarehouseError, match="radar score"):
        backtest.labelled_scores(con, 90, 30)


def ten_rows(health_2):
    """Rows 0 and 2 churn (ARR 300 and 100). The model ranks row 0 first and row 2 third."""
    return pd.DataFrame({
        "churned": [1, 0, 1, 0, 0, 0, 0, 0, 0, 0],
        "churn_probability": [0.90, 0.50, 0.40, 0.30, 0.20, 0.10, 0.09, 0.08, 0.07, 0.06],
        "arr": [300.0] + [100.0] * 9,
        "health_score": [60, 20, health_2, 70, 75, 80, 85, 90, 95, 99]})


def test_scope_metrics_compare_the_model_and_the_health_score():
    got = backtest.scope_metrics(ten_rows(np.nan), unknown_health=50).set_index("Measure")
    assert list(got.columns) == ["Churn model", "Health score"]
    # model: row 0 beats all 8 retained rows, row 2 beats 7 of them -> 15/16; the top row (10%)
    # is row 0: churn rate 1 over a base rate 0.2 = 5x, and 300 of the 400 churned ARR
    assert got["Churn model"].tolist() == pytest.approx([15 / 16, 5.0, 0.75])
    # health risk = 100 - score, unknown counts as 50: row 1 (risk 80) ranks first, then row 2
    # (50) and row 0 (40) each beat 7 retained rows -> 14/16; the top row caught no churn
    assert got["Health score"].tolist() == pytest.approx([14 / 16, 0.0, 0.0])
    assert got.index.tolist() == ["ROC AUC", "Lift in the top 10%", "Churned ARR caught in the top 10%"]


def test_a_missing_health_score_counts_as_the_value_given():
    got = backtest.scope_metrics(ten_rows(np.nan), unknown_health=10).set_index("Measure")
    # unknown -> risk 90: row 2 now ranks first (beats 8) and row 0 beats 7; top row: 100 of 400 ARR
    assert got["Health score"].tolist() == pytest.approx([15 / 16, 5.0, 0.25])


def test_first_warnings_take_each_churn_as_first_seen():
    frame = pd.DataFrame({
        "account_id": ["A", "A", "C", "A", "B"],
        "as_of": pd.to_datetime(["2025-11-30", "2025-10-31", "2026-01-31", "2026-07-31", "2025-10-31"]),
        "churned": [1, 1, 1, 1, 0],
        "churn_date": pd.to_datetime(["2025-12-31", "2025-12-31", "2026-03-31", "2026-09-30", None]),
        "risk_tier": ["high", "medium", "low", "low", "high"],
        "health_tier": ["poor", "concerning", "healthy", "unknown", "poor"]})
    got = backtest.first_warnings(frame)
    assert [(r.account_id, r.as_of.date(), r.churn_date.date(), r.lead_days, r.model_warned, r.health_warned)
            for r in got.itertuples()] == [
        ("A", D("2025-10-31"), D("2025-12-31"), 61, True, True),   # Nov 30 + Dec 31 days
        ("C", D("2026-01-31"), D("2026-03-31"), 59, False, False),  # Feb 28 + Mar 31 days
        ("A", D("2026-07-31"), D("2026-09-30"), 61, False, False),  # churned again after returning
    ]


def test_flag_rates_are_shares_of_all_account_months():
    frame = pd.DataFrame({"risk_tier": ["high", "medium", "low", "low", "low"],
                          "health_tier": ["poor", "concerning", "healthy", "unknown", "poor"]})
    assert backtest.flag_rates(frame) == {"model": pytest.approx(0.4), "health": pytest.approx(0.6)}
    empty = backtest.flag_rates(frame.iloc[:0])
    assert np.isnan(empty["model"]) and np.isnan(empty["health"])


def test_the_sample_backtest_runs_end_to_end(scored_db):
    from features.warehouse import connect
    from model.settings import load_settings
    s = load_settings()
    with connect(scored_db, read_only=True) as c:
        frame = backtest.labelled_scores(c, s.horizon_days, s.grace_days)
    assert len(frame) and frame["churned"].sum() > 0 and frame[["account_id", "as_of"]].value_counts().max() == 1
    first = backtest.first_warnings(frame)
    assert len(first) == frame.loc[frame.churned == 1, ["account_id", "churn_date"]].drop_duplicates().shape[0]
    assert (first["lead_days"].between(0, s.horizon_days)).all()
