"""Out-of-time split by observation date: train, then valid, then test, each separated by a gap
of the label horizon so no label window spans two sets."""
from __future__ import annotations

from dataclasses import dataclass

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
