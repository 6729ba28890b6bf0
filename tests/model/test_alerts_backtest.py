"""The alert backtest scores each replayed run out of time: with a model trained at a cutoff on or
before the run, on labels whose outcome window and grace period had closed by then; before the
first such model, the kinds that read the model do not run, and the headline leaves those churns out."""
from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from features.warehouse import connect
from model import alerts, alerts_backtest, backtest
from model.settings import load_settings

D = dt.date.fromisoformat
S, MS = alerts.load_settings(), load_settings()


class Constant:
    """A stand-in model: every row gets probability `p` (high enough for the model's kinds to fire)."""

    def __init__(self, p: float):
        self.p = p

    def predict_proba(self, X):
        return np.column_stack([np.full(len(X), 1 - self.p), np.full(len(X), self.p)])


def test_retraining_happens_at_month_or_quarter_ends_never_mid_month():
    dates = [D("2025-01-31"), D("2025-02-28"), D("2025-03-31"), D("2025-04-30"), D("2025-06-30"), D("2025-07-15")]
    assert alerts_backtest.retrain_cutoffs(dates, "month") == dates[:5]
    assert alerts_backtest.retrain_cutoffs(dates, "quarter") == [D("2025-03-31"), D("2025-06-30")]


def test_each_run_is_scored_by_the_latest_model_trained_on_or_before_it():
    models = [alerts_backtest.Trained(D("2025-03-31"), Constant(0.30), {}),
              alerts_backtest.Trained(D("2025-04-30"), Constant(0.02), {})]
    snaps = pd.DataFrame({"account_id": ["A"] * 4, "as_of": pd.to_datetime(["2025-03-30", "2025-03-31", "2025-04-29",
                                                                            "2025-04-30"]),
                          "x": [1.0] * 4, "arr": [1000.0] * 4})
    got = alerts_backtest.score_history(models, snaps, ["x"], MS)
    assert list(got.columns) == alerts_backtest.SCORE_COLUMNS
    assert got.set_index("as_of")["model_version"].to_dict() == {  # 2025-03-30: no model yet, no score
        pd.Timestamp("2025-03-31"): "out-of-time 2025-03-31", pd.Timestamp("2025-04-29"): "out-of-time 2025-03-31",
        pd.Timestamp("2025-04-30"): "out-of-time 2025-04-30"}
    assert list(got["risk_tier"]) == ["high", "high", "low"] and list(got["arr_at_risk"]) == [300.0, 300.0, 20.0]


@pytest.fixture(scope="module")
def replayed(sample_db, tmp_path_factory):
    """The sample replayed on a copy with every training recorded: what it was given (the labelled
    rows) and a Constant model whose probability identifies it."""
    db = tmp_path_factory.mktemp("alerts_bt") / "copy.duckdb"
    shutil.copy(sample_db, db)
    given = []

    def spy(known, names, s):
        given.append(known.copy())
        return Constant(0.5 + len(given) / 1000), {"protocol": "spy", "labelled_months": known["as_of"].nunique(),
                                                   "churn_outcomes": 0, "train_rows": len(known)}
    mp = pytest.MonkeyPatch()
    mp.setattr(backtest, "train_at", spy)
    try:
        with connect(db) as con:
            r = alerts_backtest.replay(con, None, S, MS, "month", progress=lambda *a, **k: None)
            scores = con.execute("select * from scores").df()
            stored = [x[0] for x in con.execute("select distinct as_of from features order by 1").fetchall()]
    finally:
        mp.undo()
    return {"replay": r, "given": given, "scores": scores, "dates": stored}


def test_every_score_comes_from_a_model_whose_labels_had_all_closed_by_that_date(replayed):
    given, scores = replayed["given"], replayed["scores"]
    assert len(given) >= 3 and len(scores)
    trained_on = {round(0.5 + (i + 1) / 1000, 6): g for i, g in enumerate(given)}
    window = pd.Timedelta(days=MS.horizon_days + MS.grace_days)
    for (p, as_of), _ in scores.groupby([scores["churn_probability"].round(6), "as_of"]):
        known = trained_on[p]
        assert pd.to_datetime(known["as_of"]).max() + window <= pd.Timestamp(as_of)  # outcome window and grace closed
        churned = pd.to_datetime(known["churn_date"].dropna())
        assert churned.empty or churned.max() + pd.Timedelta(days=MS.grace_days) <= pd.Timestamp(as_of)
    # and each run used the newest model it could: the one trained at the latest month end on or before it
    cutoffs = [m.cutoff for m in replayed["replay"].models]
    for as_of, p in scores.groupby("as_of")["churn_probability"].first().items():
        newest = max(c for c in cutoffs if c <= pd.Timestamp(as_of).date())
        assert round(p, 6) == round(0.5 + (cutoffs.index(newest) + 1) / 1000, 6)


def test_runs_before_the_first_possible_model_get_no_model_alerts(replayed):
    r = replayed["replay"]
    first = r.models[0].cutoff
    assert r.skipped and all("not enough history" in x["reason"] for x in r.skipped)
    assert max(x["cutoff"] for x in r.skipped) < first
    assert min(pd.to_datetime(replayed["scores"]["as_of"])).date() == first == r.first_scored
    h = r.history.assign(as_of=pd.to_datetime(r.history["as_of"]))
    early = h[h["as_of"] < pd.Timestamp(first)]
    assert any(d < first for d in replayed["dates"]) and len(early)  # the other kinds ran before it
    assert not early["kind"].isin(alerts.MODEL_KINDS).any()
    later = h[h["as_of"] >= pd.Timestamp(first)]
    assert later["kind"].isin(["renewal_risk"]).any()  # with a model, its kinds fire (the check above can fail)


def test_the_figures_count_only_churns_a_model_could_have_warned_in_time():
    runs = [pd.Timestamp("2026-01-05") + pd.Timedelta(days=7 * i) for i in range(30)]
    since = runs[10]
    rows = [{"account_id": "A", "kind": "delivery_gap", "severity": "critical", "as_of": runs[1], "first_seen": runs[1],
             "owner": "Avery", "delivery": "notify", "capped": False},  # before any model: still counts for B
            {"account_id": "B", "kind": "delivery_gap", "severity": "critical", "as_of": runs[1], "first_seen": runs[1],
             "owner": "Avery", "delivery": "notify", "capped": False},
            *({"account_id": f"W{i}", "kind": "silence", "severity": "warning", "as_of": d, "first_seen": d,
               "owner": "Avery", "delivery": "digest", "capped": False} for i, d in enumerate(runs[10:]))]
    churns = pd.DataFrame({"account_id": ["A", "B"], "churn_date": [runs[10] + pd.Timedelta(days=59),
                                                                    runs[10] + pd.Timedelta(days=60)]})
    whole = alerts.backtest_figures(pd.DataFrame(rows), churns, S)
    assert (whole["churns"], whole["warned"], whole["left_out"]) == (2, 2, 0)
    f = alerts.backtest_figures(pd.DataFrame(rows), churns, S, since=since.date())
    assert (f["churns"], f["warned"], f["left_out"]) == (1, 1, 1)  # A churned too soon after the first model
    assert (f["since"], f["runs_since"], f["weeks"]) == (since.date(), 20, 19)
    assert f["new_alerts_per_owner_week"]["median"] == 1 and f["accounts_with_critical"] == 0
