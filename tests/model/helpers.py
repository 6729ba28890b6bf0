"""Small synthetic data and a fast ChurnModel, for tests that need a fitted model but not the sample."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from model.estimator import ChurnModel
from model.settings import load_settings


def churn_data(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """`n` rows of three features; churn is likelier when `usage` is low. Rows in time order."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"usage": rng.normal(size=n), "tickets": rng.poisson(2, n).astype(float),
                      "noise": rng.normal(size=n)})
    y = (rng.random(n) < 1 / (1 + np.exp(2 + 1.5 * X["usage"]))).astype(int)
    return X, y


def fast_model(**changes) -> ChurnModel:
    """A ChurnModel with the configured settings, shrunk to grow in well under a second."""
    s = load_settings()
    lgb = replace(s.lightgbm, **{"num_boost_round": 60, "early_stopping_rounds": 10, "min_data_in_leaf": 10,
                                 "num_threads": 1, **changes})
    return ChurnModel(lightgbm=lgb, seed=s.seed, min_positives_isotonic=s.min_positives_isotonic,
                      linear=s.linear)
