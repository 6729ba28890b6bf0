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
