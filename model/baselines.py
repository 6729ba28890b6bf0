"""What the model must beat: the rule-based health score, and a logistic regression on the same features."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler


def health_risk(health_score: pd.Series, unknown_score: float) -> np.ndarray:
    """The health score (0-100, higher is healthier) as a churn ranking: 100 - score. An account
    without a score counts as `unknown_score` (model/config.toml [baselines]: the middle)."""
    return (100 - health_score.astype(float).fillna(unknown_score)).to_numpy()


def signed_log(x):
    return np.sign(x) * np.log1p(np.abs(x))


def logistic_regression(seed: int | None = None):
    """Median-imputed (with missing flags), log-compressed, standardised, L2 logistic regression."""
    return make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                         FunctionTransformer(signed_log), StandardScaler(),
                         LogisticRegression(C=0.1, max_iter=3000, random_state=seed))


def timing_model(seed: int | None = None):
    """Renewal timing alone: shallow gradient boosting on the features that say when the term ends
    (catalog `timing`), so it can learn steps such as 'ends within the horizon'. On a portfolio
    whose churn is random, nothing should beat it."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    return HistGradientBoostingClassifier(max_depth=3, max_iter=100, learning_rate=0.05, min_samples_leaf=40,
                                          random_state=seed)
