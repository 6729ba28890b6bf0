"""ChurnModel: LightGBM with early stopping on validation rows and a calibration map fitted on
them. Follows scikit-learn's contract: __init__ stores settings, fit returns self, learned
attributes end in `_`, predict_proba gives calibrated probabilities."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin


class Calibration:
    """Raw LightGBM score (log-odds) -> probability. Isotonic with enough positives, else Platt."""

    def __init__(self, kind: str, x: list[float], y: list[float]):
        self.kind, self.x, self.y = kind, list(map(float, x)), list(map(float, y))

    @classmethod
    def fit(cls, raw: np.ndarray, y: np.ndarray, min_positives_isotonic: int = 40) -> "Calibration":
        if y.sum() >= min_positives_isotonic:
            from sklearn.isotonic import IsotonicRegression
            iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-4, y_max=1 - 1e-4).fit(raw, y)
            return cls("isotonic", iso.X_thresholds_, iso.y_thresholds_)
        from sklearn.linear_model import LogisticRegression
        lr = LogisticRegression(C=1e4).fit(raw.reshape(-1, 1), y)
        return cls("platt", [lr.coef_[0, 0]], [lr.intercept_[0]])

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, float)
        if self.kind == "isotonic":
            return np.interp(raw, self.x, self.y)
        return 1 / (1 + np.exp(-(self.x[0] * raw + self.y[0])))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "x": self.x, "y": self.y}

    @classmethod
    def from_dict(cls, d: dict) -> "Calibration":
        return cls(d["kind"], d["x"], d["y"])


class ChurnModel(BaseEstimator, ClassifierMixin):
    def __init__(self, params: dict | None = None, num_boost_round: int = 2000,
                 early_stopping_rounds: int = 100, max_pos_weight: float = 10.0, seed: int = 42):
        self.params = params
        self.num_boost_round = num_boost_round
        self.early_stopping_rounds = early_stopping_rounds
        self.max_pos_weight = max_pos_weight
        self.seed = seed

    def fit(self, X: pd.DataFrame, y, X_valid: pd.DataFrame, y_valid) -> "ChurnModel":
        import lightgbm as lgb
        y, y_valid = np.asarray(y), np.asarray(y_valid)
        pos = max(y.sum(), 1)
        weight = min(np.sqrt((len(y) - pos) / pos), self.max_pos_weight)
        params = {"objective": "binary", "metric": "binary_logloss", "verbosity": -1,
                  "seed": self.seed, "deterministic": True, "force_row_wise": True, "num_threads": 2,
                  "scale_pos_weight": float(weight), **(self.params or {})}
        train = lgb.Dataset(X, y, free_raw_data=False)
        valid = lgb.Dataset(X_valid, y_valid, reference=train)
        self.booster_ = lgb.train(params, train, num_boost_round=self.num_boost_round, valid_sets=[valid],
                                  callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)])
        self.best_iteration_ = self.booster_.best_iteration or self.booster_.current_iteration()
        self.feature_names_ = list(X.columns)
        self.classes_ = np.array([0, 1])
        self.calibration_ = Calibration.fit(self.raw_score(X_valid), y_valid)
        return self

    @classmethod
    def from_parts(cls, booster, calibration: Calibration) -> "ChurnModel":
        m = cls()
        m.booster_, m.calibration_ = booster, calibration
        m.feature_names_ = booster.feature_name()
        m.best_iteration_ = booster.best_iteration or booster.current_iteration()
        m.classes_ = np.array([0, 1])
        return m

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        return self.booster_.predict(X[self.feature_names_], raw_score=True, num_iteration=self.best_iteration_)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.calibration_(self.raw_score(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """TreeSHAP values in log-odds: (rows x features, base value per row); they sum to raw_score."""
        c = self.booster_.predict(X[self.feature_names_], pred_contrib=True, num_iteration=self.best_iteration_)
        return c[:, :-1], c[:, -1]
