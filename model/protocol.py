"""The out-of-time protocol the known history allows, and the model it fits: one implementation
for `radar train` and for every backtest cutoff.

- Too little history (fewer labelled months or churn outcomes than model/config.toml [protocol]
  asks): NotEnoughHistory, whose message is one line saying what exists and what is needed.
- Plenty (the split's months exist and valid and test each hold enough churn outcomes): the
  test/valid/train split of model.split.out_of_time.
- Otherwise rolling-origin folds (model.split.rolling_origin) pick the number of trees and fit the
  calibration out of fold, and the model is grown on every labelled row.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.estimator import Calibration, ChurnModel, mix, pooled_trees
from model.settings import ModelSettings
from model.split import Fold, Split, out_of_time, rolling_origin

HOLDOUT, ROLLING = "holdout", "rolling_origin"


class NotEnoughHistory(ValueError):
    """The labelled history is below the configured minimum; str() says what exists and what is needed."""


@dataclass
class Plan:
    """The protocol chosen for a labelled frame: the split (holdout) or the folds (rolling origin)."""
    protocol: str
    split: Split | None = None
    folds: list[Fold] = field(default_factory=list)


def outcomes(data: pd.DataFrame) -> int:
    """Distinct churns (account, churn date) among labelled rows."""
    churned = data[data["churned"] == 1]
    return int(churned[["account_id", "churn_date"]].drop_duplicates().shape[0])


def shortfall(months: int, churns: int, s: ModelSettings) -> str | None:
    """None when `months` labelled months and `churns` churn outcomes are enough, else the one line
    that says what exists and what is needed."""
    need = []
    if months < s.min_labelled_months:
        need.append(f"{s.min_labelled_months} labelled months")
    if churns < s.min_churn_outcomes:
        need.append(f"{s.min_churn_outcomes} churn outcomes")
    if not need:
        return None
    return (f"not enough history to train: {months} labelled months and {churns} churn outcomes; "
            f"need {' and '.join(need)}")


def require(data: pd.DataFrame, s: ModelSettings) -> None:
    """Raise NotEnoughHistory when the labelled frame is below the configured minimum."""
    text = shortfall(int(data["as_of"].nunique()), outcomes(data), s)
    if text:
        raise NotEnoughHistory(text)


def choose(data: pd.DataFrame, s: ModelSettings) -> Plan:
    """The holdout split when the history allows it with enough churn outcomes in valid and test,
    else rolling-origin folds. Row indices in the plan are positions in `data`."""
    pos = pd.Series(np.arange(len(data)), index=data.index)
    try:
        split = out_of_time(data["as_of"], s.valid_months, s.test_months, s.horizon_days)
    except ValueError:
        split = None
    if split is not None and all(outcomes(data.loc[idx]) >= s.holdout_min_churns for idx in (split.valid, split.test)) \
            and data.loc[split.train, "churned"].sum() > 0:
        return Plan(HOLDOUT, Split(pos[split.train].to_numpy(), pos[split.valid].to_numpy(), pos[split.test].to_numpy(),
                                   split.dates))
    folds = rolling_origin(data["as_of"].reset_index(drop=True), s.horizon_days, s.max_folds)
    if not folds:
        raise NotEnoughHistory(f"not enough history to train: {data['as_of'].nunique()} labelled months, and none is "
                               f"{s.horizon_days} days after another; need {s.min_labelled_months} labelled months")
    return Plan(ROLLING, folds=folds)


def part(data: pd.DataFrame, rows: np.ndarray, name: str) -> dict:
    """What one part of a protocol holds: its months, rows and churn outcomes."""
    d = data.iloc[rows]
    dates = pd.to_datetime(d["as_of"])
    return {"part": name, "from": str(dates.min().date()) if len(d) else None,
            "to": str(dates.max().date()) if len(d) else None, "months": int(dates.nunique()), "rows": int(len(d)),
            "churners": outcomes(d)}


def parts(data: pd.DataFrame, plan: Plan) -> list[dict]:
    """One record per part: train/valid/test for the holdout, each fold's training months and test
    month for rolling origin, and (always) everything the registered model is grown on."""
    if plan.protocol == HOLDOUT:
        sp = plan.split
        return [part(data, sp.train, "train"), part(data, sp.valid, "valid"), part(data, sp.test, "test")]
    out = []
    for i, f in enumerate(plan.folds, 1):
        out += [part(data, f.train, f"fold {i} train"), part(data, f.test, f"fold {i} test")]
    return out + [part(data, np.arange(len(data)), "all labelled (registered model)")]


def fit_final(X: pd.DataFrame, y: np.ndarray, data: pd.DataFrame, plan: Plan, s: ModelSettings) -> ChurnModel:
    """The model to score with: for the holdout, grown up to the test months less the gap and
    early-stopped and calibrated on them (refit_latest) or the evaluated model; for rolling origin,
    grown on every row with the folds' number of trees and out-of-fold calibration."""
    model = ChurnModel.from_settings(s)
    if plan.protocol == ROLLING:
        return model.fit(X, y, folds=plan.folds)
    sp = plan.split
    if not s.refit_latest:
        return model.fit(X.iloc[sp.train], y[sp.train], X.iloc[sp.valid], y[sp.valid])
    return model.fit(X.iloc[refit_rows(data, sp, s)], y[refit_rows(data, sp, s)], X.iloc[sp.test], y[sp.test])


def refit_rows(data: pd.DataFrame, split: Split, s: ModelSettings) -> np.ndarray:
    """Positions of the rows the holdout's refit trains on: every date at least a horizon before test."""
    as_of = pd.to_datetime(data["as_of"]).to_numpy()
    start = np.datetime64(pd.Timestamp(split.dates["test"][0])) - np.timedelta64(s.horizon_days, "D")
    return np.flatnonzero(as_of <= start)


def cross_fitted(model: ChurnModel, y: np.ndarray, X: pd.DataFrame) -> list[np.ndarray]:
    """Out-of-fold probabilities for each fold of a model fitted with folds, none tuned on its own
    outcome: fold k's booster and linear part (trained on months before its test month) scored at
    the number of trees the other folds pick, mixed and calibrated as the other folds alone say."""
    if len(model.folds_) < 2:
        raise NotEnoughHistory("rolling-origin evaluation needs two folds with churned and retained rows; "
                               "need more labelled months")
    rows = [len(f.test) for f in model.folds_]
    out = []
    for k in range(len(model.folds_)):
        others = [j for j in range(len(model.folds_)) if j != k]
        trees = pooled_trees(model.fold_curves_[others], [rows[j] for j in others])
        y_others = np.concatenate([y[model.folds_[j].test] for j in others])
        weights = (1.0, 0.0)
        if model.hyperparameters_.get("linear"):
            t = model.fold_trees_raw(X, trees)
            weights = mix(np.concatenate([t[j] for j in others]),
                          np.concatenate([model.fold_linear_raw_[j] for j in others]), y_others)
        raw = model.fold_raw(X, trees, weights)
        cal = Calibration.fit(np.concatenate([raw[j] for j in others]), y_others,
                              model.hyperparameters_["min_positives_isotonic"])
        out.append(cal(raw[k]))
    return out
