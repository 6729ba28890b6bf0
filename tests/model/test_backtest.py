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


# ---- the rolling-origin backtest ------------------------------------------------------------------

def test_quarter_cutoffs_count_back_from_the_latest_whose_outcome_is_known():
    from model.settings import load_settings
    s = load_settings()
    dates = [d.date() for d in pd.date_range("2024-01-31", "2026-06-30", freq="ME")]
    got = backtest.candidate_cutoffs(dates, D("2026-06-30"), s, "quarter")
    assert got[-1] == D("2026-02-28")  # + 90 + 30 days is 2026-06-28, the last month end known by then
    assert all((b.year * 12 + b.month) - (a.year * 12 + a.month) == 3 for a, b in zip(got, got[1:]))
    assert len(backtest.candidate_cutoffs(dates, D("2026-06-30"), s, "month")) == 26
    assert backtest.resolve_cutoffs(dates, [D("2025-06-15"), D("2025-06-30")]) == [D("2025-05-31"), D("2025-06-30")]


@pytest.fixture(scope="module")
def sample_backtest(plans_db):
    """The plans portfolio backtested at three cutoffs, with what each cutoff trained on recorded."""
    from features.warehouse import connect
    from model import protocol
    from model.settings import load_settings
    from model import dataset
    seen, real, reads, read = {}, protocol.fit_final, [], dataset.snapshots

    def spy(X, y, data, plan, s):
        seen[pd.Timestamp(data["as_of"].max()).date()] = data
        return real(X, y, data, plan, s)

    def counted(*args, **kwargs):
        reads.append(kwargs)
        return read(*args, **kwargs)
    protocol.fit_final, dataset.snapshots = spy, counted
    try:
        with connect(plans_db, read_only=True) as con:
            b = backtest.run(con, load_settings(), [D("2025-06-30"), D("2025-09-30"), D("2026-01-31")],
                             progress=lambda *a, **k: None)
    finally:
        protocol.fit_final, dataset.snapshots = real, read
    b.feature_reads = reads
    return b, seen


def test_features_are_read_once_for_every_cutoff(sample_backtest):
    b, _ = sample_backtest
    assert len(b.settings["cutoffs"]) + len(b.skipped) == 3 and len(b.settings["cutoffs"]) >= 2
    assert b.feature_reads == [{}]  # one read of every date, whatever the number of cutoffs


def test_each_cutoff_trains_only_on_outcomes_known_that_day(sample_backtest):
    from model.settings import load_settings
    s = load_settings()
    b, seen = sample_backtest
    assert [t["cutoff"] for t in b.training] == b.settings["cutoffs"]
    for t, data in zip(b.training, seen.values()):
        cutoff = pd.Timestamp(t["cutoff"])
        closed = cutoff - pd.Timedelta(days=s.horizon_days + s.grace_days)
        assert pd.to_datetime(data["as_of"]).max() <= closed  # every training label's window closed by then
        churned = data[data["churned"] == 1]
        assert (pd.to_datetime(churned["churn_date"]) + pd.Timedelta(days=s.grace_days) <= cutoff).all()


def test_each_cutoff_scores_the_accounts_active_that_day_against_the_next_horizon(sample_backtest, plans_db):
    from features.warehouse import connect
    b, _ = sample_backtest
    with connect(plans_db, read_only=True) as con:
        active = dict(con.execute("select cast(as_of as varchar), count(*) from features group by 1").fetchall())
    counts = b.rows.groupby("cutoff").size()
    assert all(counts[c] == active[c] for c in b.settings["cutoffs"])
    assert set(b.rows.columns) >= {"model", "health", "logreg", "timing", "churned", "arr"}
    pooled = b.pooled.set_index("method")
    assert pooled.loc["model", "accounts"] == len(b.rows) and pooled.loc["model", "churned"] == b.rows["churned"].sum()
    assert (pooled["roc_auc_lo"] <= pooled["roc_auc"]).all() and (pooled["roc_auc"] <= pooled["roc_auc_hi"]).all()
    assert b.metric("model", "roc_auc") > b.metric("health", "roc_auc")
    assert np.isnan(pooled.loc["health", "ece"]) and np.isfinite(pooled.loc["model", "ece"])


def test_a_cutoff_too_early_or_too_recent_is_skipped_with_its_reason(plans_db):
    from features.warehouse import connect
    from model.settings import load_settings
    with connect(plans_db, read_only=True) as con:
        b = backtest.run(con, load_settings(), [D("2024-10-31"), D("2026-01-31"), D("2026-05-31")],
                         progress=lambda *a, **k: None)
    reasons = {x["cutoff"]: x["reason"] for x in b.skipped}
    assert reasons["2024-10-31"].startswith("not enough history to train: 0 labelled months")
    assert "is not over by the data end 2026-06-30" in reasons["2026-05-31"]
    assert b.settings["cutoffs"] == ["2026-01-31"]


def test_the_pooled_top_decile_is_taken_within_each_cutoff():
    from model.settings import load_settings
    frame = pd.DataFrame({"cutoff": ["a"] * 10 + ["b"] * 10, "account_id": [f"x{i}" for i in range(20)],
                          "arr": 1.0, "churned": [1] + [0] * 9 + [1] + [0] * 9,
                          "model": [0.9] + [0.1] * 9 + [0.5] + [0.01] * 9})
    t = backtest.scorecard(frame, load_settings()).set_index("method")
    # within each cutoff the churner ranks first: both are caught though b's 0.5 is below a's 0.1s... pooled
    assert t.loc["model", "recall_at_10pct"] == 1.0 and t.loc["model", "lift_at_10pct"] == pytest.approx(10.0)


def test_the_health_verdict_speaks_only_when_the_score_ranks_below_chance():
    def table(auc, lo, hi):
        return pd.DataFrame([{"method": "health", "roc_auc": auc, "roc_auc_lo": lo, "roc_auc_hi": hi}])
    assert "worse than chance" in backtest.health_verdict(table(0.39, 0.33, 0.45))
    assert "no better than chance" in backtest.health_verdict(table(0.47, 0.40, 0.55))
    assert backtest.health_verdict(table(0.61, 0.55, 0.66)) is None


def test_one_backtest_is_one_mlflow_run_with_its_tables_and_plots(plans_db, own_store):
    from model import tracking
    from model.backtest_run import run
    out = run(plans_db, [D("2025-09-30"), D("2026-01-31")], progress=lambda *a, **k: None)
    latest = tracking.latest_backtest()
    assert latest["run_id"] == out["run_id"] and tracking.runs().empty  # apart from training runs
    assert latest["per_cutoff"]["cutoff"].unique().tolist() == ["2025-09-30", "2026-01-31"]
    assert set(latest["pooled"]["method"]) == {"model", "health", "logreg", "timing"}
    assert latest["metrics"]["roc_auc"] == pytest.approx(out["backtest"].metric("model", "roc_auc"))
    assert {"health_roc_auc", "logreg_roc_auc", "roc_auc_lo", "ece", "lift_at_10pct"} <= set(latest["metrics"])
    for plot in ("auc_by_cutoff", "roc", "pr", "lift", "calibration"):
        assert tracking.artifact(out["run_id"], f"plots/{plot}.png").stat().st_size > 0
