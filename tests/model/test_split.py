"""Out-of-time split: latest months are test, then valid, then train, with horizon-long gaps."""
from __future__ import annotations

import pandas as pd
import pytest

from model.split import out_of_time


def frame(months=24, accounts=3):
    dates = pd.date_range("2024-01-31", periods=months, freq="ME")
    return pd.DataFrame([(a, d) for d in dates for a in range(accounts)], columns=["account_id", "as_of"])


def test_sets_are_disjoint_in_time_with_gaps_of_the_horizon():
    f = frame()
    s = out_of_time(f["as_of"], valid_months=3, test_months=3, gap_days=90)
    tr, va, te = (f.loc[i, "as_of"] for i in (s.train, s.valid, s.test))
    assert te.min() == pd.Timestamp("2025-10-31") and te.max() == pd.Timestamp("2025-12-31")
    assert (va.max() + pd.Timedelta(days=90)) <= te.min()
    assert (tr.max() + pd.Timedelta(days=90)) <= va.min()


def test_no_account_month_is_in_two_sets():
    f = frame()
    s = out_of_time(f["as_of"], 3, 3, 90)
    keys = [set(map(tuple, f.loc[i, ["account_id", "as_of"]].to_numpy())) for i in (s.train, s.valid, s.test)]
    assert not (keys[0] & keys[1]) and not (keys[1] & keys[2]) and not (keys[0] & keys[2])
    assert len(s.train) + len(s.valid) + len(s.test) < len(f)  # the gap months are in no set


def test_too_little_history_is_a_clear_error():
    with pytest.raises(ValueError, match="not enough history to train: 8 labelled observation dates"):
        out_of_time(frame(months=8)["as_of"], 3, 3, 90)


def test_rolling_origin_tests_each_of_the_latest_months_on_every_month_a_gap_before_it():
    from model.split import rolling_origin
    f = frame(months=10)
    folds = rolling_origin(f["as_of"], gap_days=90, max_folds=4)
    as_of = pd.to_datetime(f["as_of"]).to_numpy()
    assert [str(x.test_date) for x in folds] == ["2024-07-31", "2024-08-31", "2024-09-30", "2024-10-31"]
    for x in folds:
        assert (as_of[x.test] == pd.Timestamp(x.test_date).to_datetime64()).all()
        assert (as_of[x.train] + pd.Timedelta(days=90).to_timedelta64() <= as_of[x.test].min()).all()
    # the window expands: each fold trains on everything the one before did, and more
    sizes = [len(x.train) for x in folds]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert str(folds[0].train_dates[0]) == "2024-01-31" and str(folds[-1].train_dates[1]) == "2024-07-31"


def test_rolling_origin_with_no_month_a_gap_after_another_has_no_fold():
    from model.split import rolling_origin
    assert rolling_origin(frame(months=3)["as_of"], 90, 6) == []
