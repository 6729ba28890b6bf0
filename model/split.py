"""Out-of-time splits by observation date, each part separated from the next by a gap of the label
horizon so no label window spans two parts: train, valid, test (plenty of history), or
rolling-origin folds with an expanding window (less of it)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Split:
    train: pd.Index
    valid: pd.Index
    test: pd.Index
    dates: dict[str, tuple]  # set name -> (first as_of, last as_of)


def out_of_time(as_of: pd.Series, valid_months: int, test_months: int, gap_days: int) -> Split:
    """Row indices per set. The latest `test_months` dates are test; `valid_months` dates ending
    at least `gap_days` before test are valid; dates at least `gap_days` before valid are train."""
    dates = sorted(pd.to_datetime(as_of).unique())
    gap = pd.Timedelta(days=gap_days)
    test = dates[-test_months:]
    before_test = [d for d in dates if d <= test[0] - gap]
    valid = before_test[-valid_months:]
    train = [d for d in dates if valid and d <= valid[0] - gap]
    if len(test) < test_months or len(valid) < valid_months or len(train) < 3:
        raise ValueError(
            f"not enough history to train: {len(dates)} labelled observation dates; need "
            f"{test_months} test + {valid_months} valid + 3 train months with {gap_days}-day gaps "
            f"(about {test_months + valid_months + 3 + 2 * round(gap_days / 30)} months)")
    ts = pd.to_datetime(as_of)
    pick = lambda ds: as_of.index[ts.isin(ds)]
    return Split(pick(train), pick(valid), pick(test),
                 {k: (min(v).date(), max(v).date()) for k, v in (("train", train), ("valid", valid), ("test", test))})


@dataclass(frozen=True)
class Fold:
    """One rolling-origin fold: row positions to train on and to test on, and their dates."""
    train: np.ndarray
    test: np.ndarray
    train_dates: tuple  # (first as_of, last as_of)
    test_date: object


def rolling_origin(as_of: pd.Series, gap_days: int, max_folds: int) -> list[Fold]:
    """Expanding-window folds, oldest first: each of the latest `max_folds` observation dates that
    has an earlier date at least `gap_days` before it is a test date; its model trains on every
    date at least `gap_days` before it. Positions index `as_of` as given (0..n-1)."""
    ts = pd.to_datetime(pd.Series(as_of)).to_numpy()
    dates = sorted(np.unique(ts))
    gap = np.timedelta64(gap_days, "D")
    testable = [d for d in dates if dates[0] <= d - gap]
    folds = []
    for d in testable[-max_folds:] if max_folds > 0 else []:
        train = np.flatnonzero(ts <= d - gap)
        folds.append(Fold(train, np.flatnonzero(ts == d),
                          (pd.Timestamp(ts[train].min()).date(), pd.Timestamp(ts[train].max()).date()),
                          pd.Timestamp(d).date()))
    return folds
