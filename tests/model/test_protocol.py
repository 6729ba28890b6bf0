"""The protocol the history allows: one line when it is too short, the holdout split with plenty,
rolling-origin folds otherwise; and out-of-fold predictions that never saw their own outcome."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import protocol
from model.settings import load_settings

S = load_settings()


def labelled(months: int, accounts: int, churn_every: int, seed: int = 0) -> pd.DataFrame:
    """`accounts` accounts at `months` month ends; every `churn_every`-th account-month churned (each
    its own churn outcome). One feature, higher when churned."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-31", periods=months, freq="ME")
    rows = [(f"A{a}", d) for d in dates for a in range(accounts)]
    f = pd.DataFrame(rows, columns=["account_id", "as_of"])
    f["churned"] = (np.arange(len(f)) % churn_every == 0).astype(int)
    f["churn_date"] = np.where(f["churned"] == 1, f["as_of"] + pd.Timedelta(days=30), pd.NaT)
    f["signal"] = f["churned"] * 1.5 + rng.normal(size=len(f))
    f["days_to_renewal"] = rng.integers(0, 365, len(f)).astype(float)
    return f


def test_too_little_history_says_what_exists_and_what_is_needed():
    assert protocol.shortfall(9, 7, S) == ("not enough history to train: 9 labelled months and 7 churn outcomes; "
                                           "need 15 churn outcomes")
    assert protocol.shortfall(3, 30, S).endswith("need 4 labelled months")
    assert protocol.shortfall(2, 3, S).endswith("need 4 labelled months and 15 churn outcomes")
    assert protocol.shortfall(4, 15, S) is None  # a year exported mid-month has 5 labelled months


def test_require_counts_distinct_churns_not_churned_rows():
    f = labelled(months=8, accounts=20, churn_every=40)  # 4 churned rows, each its own churn
    f.loc[f["churned"] == 1, ["account_id", "churn_date"]] = ["A0", pd.Timestamp("2024-12-31")]  # ... the same churn
    with pytest.raises(protocol.NotEnoughHistory, match="8 labelled months and 1 churn outcomes"):
        protocol.require(f, S)


def test_plenty_of_history_and_outcomes_use_the_holdout_split():
    f = labelled(months=20, accounts=100, churn_every=12)  # 8 or 9 churns a month, 25 in three
    plan = protocol.choose(f, S)
    assert plan.protocol == protocol.HOLDOUT and plan.split.dates["test"][1] == pd.Timestamp("2025-08-31").date()


def test_fewer_months_or_outcomes_use_rolling_origin_folds():
    f = labelled(months=10, accounts=100, churn_every=25)
    plan = protocol.choose(f, S)
    assert plan.protocol == protocol.ROLLING and len(plan.folds) == min(S.max_folds, 10 - 3)
    parts = protocol.parts(f, plan)
    assert parts[-1]["part"].startswith("all labelled") and parts[-1]["months"] == 10
    assert all(p["churners"] > 0 for p in parts)


def test_a_rolling_fit_grows_the_pooled_number_of_trees_on_every_row_and_calibrates_out_of_fold():
    from tests.model.helpers import fast_model
    f = labelled(months=9, accounts=120, churn_every=12)
    plan = protocol.choose(f, S)
    X, y = f[["signal", "days_to_renewal"]], f["churned"].to_numpy()
    m = fast_model(num_boost_round=200, early_stopping_rounds=20).fit(X, y, folds=plan.folds)
    assert m.booster_.current_iteration() == m.best_iteration_ == int(np.argmin(
        np.array([len(x.test) for x in m.folds_]) @ m.fold_curves_)) + 1
    assert m.fold_curves_.shape[0] == len(m.folds_) and len({len(c) for c in m.fold_curves_}) == 1
    # every fold's booster saw only months at least a horizon before its test month
    as_of = pd.to_datetime(f["as_of"]).to_numpy()
    for fold in m.folds_:
        assert as_of[fold.train].max() <= as_of[fold.test].min() - np.timedelta64(S.horizon_days, "D")
    p = m.predict_proba(X)[:, 1]
    assert p[y == 1].mean() > 2 * p[y == 0].mean()


def test_cross_fitted_predictions_ignore_their_own_fold(monkeypatch):
    """Flip the outcomes of one fold's test month: its own cross-fitted predictions must not move."""
    from tests.model.helpers import fast_model
    f = labelled(months=9, accounts=120, churn_every=12)
    X, y = f[["signal", "days_to_renewal"]], f["churned"].to_numpy()
    plan = protocol.choose(f, S)
    m = fast_model(num_boost_round=200, early_stopping_rounds=20).fit(X, y, folds=plan.folds)
    first = protocol.cross_fitted(m, y, X)
    last = m.folds_[-1]
    y2 = y.copy()
    y2[last.test] = 1 - y2[last.test]  # the last month's outcomes, inverted
    m.fold_curves_ = m.fold_curves_.copy()
    again = protocol.cross_fitted(m, y2, X)
    np.testing.assert_allclose(again[-1], first[-1])
    assert not np.allclose(again[0], first[0])  # ... while the other folds' calibration did see them


def test_plenty_of_months_but_few_outcomes_in_valid_use_rolling_origin():
    f = labelled(months=20, accounts=100, churn_every=25)  # 4 a month: 12 in three months, fewer than 20
    assert protocol.choose(f, S).protocol == protocol.ROLLING
