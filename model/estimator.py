"""ChurnModel: LightGBM early-stopped on validation rows, and a calibration map fitted on them.

Follows scikit-learn's contract: __init__ stores hyperparameters only, fit returns self, learned
attributes end in `_`, predict_proba gives calibrated probabilities, and `clone` works.

Validation rows: pass them (`fit(X, y, X_valid, y_valid)`, as training does with its out-of-time
split), or `fit(X, y)` holds out the last `holdout_fraction` of the rows in the order given (the
latest, when rows come oldest first as model.dataset returns them) for early stopping and
calibration, and trains on the rest. The booster never sees the rows it is calibrated on.
"""
from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from model.settings import LightGBMSettings


class Calibration:
    """Raw LightGBM score (log-odds) -> probability. Isotonic with enough positives, else Platt."""

    def __init__(self, kind: str, x: list[float], y: list[float]):
        self.kind, self.x, self.y = kind, list(map(float, x)), list(map(float, y))

    @classmethod
    def fit(cls, raw: np.ndarray, y: np.ndarray, min_positives_isotonic: int) -> "Calibration":
        raw, y = np.asarray(raw, float), np.asarray(y)
        if len(np.unique(y)) < 2:
            raise ValueError(f"calibration needs churned and retained rows; got {len(y)} rows, {int(y.sum())} churned")
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
    """Hyperparameters left as None are read from model/config.toml when fitting."""

    def __init__(self, lightgbm: LightGBMSettings | None = None, seed: int | None = None,
                 min_positives_isotonic: int | None = None):
        self.lightgbm = lightgbm
        self.seed = seed
        self.min_positives_isotonic = min_positives_isotonic

    @classmethod
    def from_settings(cls, s) -> "ChurnModel":
        """The model a ModelSettings describes."""
        return cls(lightgbm=s.lightgbm, seed=s.seed, min_positives_isotonic=s.min_positives_isotonic)

    def _resolved(self) -> tuple[LightGBMSettings, int, int]:
        if None in (self.lightgbm, self.seed, self.min_positives_isotonic):
            from model.settings import load_settings
            s = load_settings()
            return (self.lightgbm or s.lightgbm, s.seed if self.seed is None else self.seed,
                    s.min_positives_isotonic if self.min_positives_isotonic is None else self.min_positives_isotonic)
        return self.lightgbm, self.seed, self.min_positives_isotonic

    def fit(self, X: pd.DataFrame, y, X_valid: pd.DataFrame | None = None, y_valid=None) -> "ChurnModel":
        import lightgbm as lgb
        settings, seed, min_pos = self._resolved()
        y = np.asarray(y)
        if X_valid is None:
            X, y, X_valid, y_valid = _holdout(X, y, settings.holdout_fraction)
        y_valid = np.asarray(y_valid)
        pos = max(y.sum(), 1)
        weight = min(np.sqrt((len(y) - pos) / pos), settings.max_pos_weight)
        params = {"metric": "binary_logloss", "verbosity": -1, "seed": seed, "deterministic": True,
                  "force_row_wise": True, "scale_pos_weight": float(weight), **settings.booster_params()}
        train = lgb.Dataset(X, y, free_raw_data=False)
        valid = lgb.Dataset(X_valid, y_valid, reference=train)
        self.booster_ = lgb.train(params, train, num_boost_round=settings.num_boost_round, valid_sets=[valid],
                                  callbacks=[lgb.early_stopping(settings.early_stopping_rounds, verbose=False)])
        self.best_iteration_ = self.booster_.best_iteration or self.booster_.current_iteration()
        self.feature_names_ = list(X.columns)
        self.classes_ = np.array([0, 1])
        self.calibration_ = Calibration.fit(self.raw_score(X_valid), y_valid, min_pos)
        self.hyperparameters_ = {"lightgbm": asdict(settings), "seed": seed, "min_positives_isotonic": min_pos}
        return self

    @classmethod
    def from_parts(cls, booster, calibration: Calibration, hyperparameters: dict | None = None) -> "ChurnModel":
        """A fitted model from a saved booster and calibration. `hyperparameters` (as in
        `hyperparameters_` at fit) make get_params report what it was trained with; without them
        (artifacts saved before they were recorded), the booster's own recorded parameters over the
        configured procedure settings."""
        hp = hyperparameters or _recorded(booster)
        m = cls(lightgbm=LightGBMSettings.from_dict(hp["lightgbm"]), seed=int(hp["seed"]),
                min_positives_isotonic=int(hp["min_positives_isotonic"]))
        m.booster_, m.calibration_ = booster, calibration
        m.feature_names_ = booster.feature_name()
        m.best_iteration_ = booster.best_iteration or booster.current_iteration()
        m.classes_ = np.array([0, 1])
        m.hyperparameters_ = hp
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


def _holdout(X: pd.DataFrame, y: np.ndarray, fraction: float):
    """The first rows to train on, the last `fraction` of them to early-stop and calibrate on."""
    n_valid = max(1, math.ceil(len(y) * fraction))
    if n_valid >= len(y) or len(np.unique(y[-n_valid:])) < 2:
        raise ValueError(f"fit without a validation set holds out the last {n_valid} of {len(y)} rows, and they "
                         "need churned and retained rows; pass X_valid and y_valid")
    cut = len(y) - n_valid
    return X.iloc[:cut], y[:cut], X.iloc[cut:], y[cut:]


def _recorded(booster) -> dict:
    """Hyperparameters for a booster saved without them: what its model file records, the rest configured."""
    from model.settings import load_settings
    s = load_settings()
    saved = booster.params or {}
    lgb = {k: saved.get(k, v) for k, v in asdict(s.lightgbm).items()}
    return {"lightgbm": lgb, "seed": saved.get("seed", s.seed), "min_positives_isotonic": s.min_positives_isotonic}
