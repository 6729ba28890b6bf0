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

    def fit(self, X: pd.DataFrame, y, X_valid: pd.DataFrame | None = None, y_valid=None,
            folds: list | None = None) -> "ChurnModel":
        """Early-stop and calibrate on (X_valid, y_valid), on the last rows of X (neither given), or
        with `folds` (model.split.Fold, positions in X) out of fold: each fold's booster is grown on its
        training months while its test month's log loss is recorded (to the round where the slowest fold
        stops improving), the number of trees is where the folds' pooled loss is lowest, the calibration
        is fitted on every fold's test rows scored at that many trees, and the booster kept is grown on
        all of X with that many trees."""
        settings, seed, min_pos = self._resolved()
        y = np.asarray(y)
        if folds is not None:
            return self._fit_folds(X, y, folds, settings, seed, min_pos)
        if X_valid is None:
            X, y, X_valid, y_valid = _holdout(X, y, settings.holdout_fraction)
        y_valid = np.asarray(y_valid)
        self.booster_ = _grow(X, y, settings, seed, settings.num_boost_round, (X_valid, y_valid))
        self.best_iteration_ = self.booster_.best_iteration or self.booster_.current_iteration()
        self._fitted(X, settings, seed, min_pos)
        self.calibration_ = Calibration.fit(self.raw_score(X_valid), y_valid, min_pos)
        return self

    def _fit_folds(self, X, y, folds, settings, seed, min_pos) -> "ChurnModel":
        usable = [f for f in folds if len(np.unique(y[f.train])) == 2 and len(np.unique(y[f.test])) == 2]
        if not usable:
            raise ValueError(f"none of the {len(folds)} rolling-origin folds has churned and retained rows both in "
                             "its training months and in its test month; need more history")
        grown = [_grow(X.iloc[f.train], y[f.train], settings, seed, settings.num_boost_round,
                       (X.iloc[f.test], y[f.test]), record=True) for f in usable]
        rounds = max(len(curve) for _, curve in grown)
        # every fold's curve runs to the longest, so the pooled curve compares like with like
        grown = [(b, c) if len(c) == rounds else
                 _grow(X.iloc[f.train], y[f.train], settings, seed, rounds, (X.iloc[f.test], y[f.test]),
                       record=True, stop=False) for (b, c), f in zip(grown, usable)]
        self.folds_ = usable
        self.fold_boosters_ = [b for b, _ in grown]
        self.fold_curves_ = np.array([c for _, c in grown])
        self._fitted(X, settings, seed, min_pos)
        self.best_iteration_ = pooled_trees(self.fold_curves_, [len(f.test) for f in usable])
        raw = self.fold_raw(X, self.best_iteration_)
        self.calibration_ = Calibration.fit(np.concatenate(raw), np.concatenate([y[f.test] for f in usable]), min_pos)
        self.booster_ = _grow(X, y, settings, seed, self.best_iteration_)
        return self

    def fold_raw(self, X: pd.DataFrame, trees: int) -> list[np.ndarray]:
        """Each used fold's test rows, scored (log-odds) by that fold's booster at `trees` trees."""
        return [b.predict(X.iloc[f.test][self.feature_names_], raw_score=True, num_iteration=min(trees, b.current_iteration()))
                for b, f in zip(self.fold_boosters_, self.folds_)]

    def _fitted(self, X, settings, seed, min_pos) -> None:
        self.feature_names_ = list(X.columns)
        self.classes_ = np.array([0, 1])
        self.hyperparameters_ = {"lightgbm": asdict(settings), "seed": seed, "min_positives_isotonic": min_pos}

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


def pooled_trees(curves: np.ndarray, rows: list[int]) -> int:
    """The number of trees where the folds' validation log loss, pooled (weighted by test rows),
    is lowest. `curves` holds one fold's loss per boosting round in each row."""
    pooled = np.asarray(rows, float) @ np.asarray(curves, float)
    return int(np.argmin(pooled)) + 1


def _grow(X: pd.DataFrame, y: np.ndarray, settings: LightGBMSettings, seed: int, rounds: int, valid=None,
          record: bool = False, stop: bool = True):
    """A LightGBM booster on (X, y), class-weighted; early-stopped on `valid` (X, y) when given
    (unless `stop` is false). With `record`: (booster, the validation log loss at every round)."""
    import lightgbm as lgb
    pos = max(y.sum(), 1)
    weight = min(np.sqrt((len(y) - pos) / pos), settings.max_pos_weight)
    params = {"metric": "binary_logloss", "verbosity": -1, "seed": seed, "deterministic": True,
              "force_row_wise": True, "scale_pos_weight": float(weight), **settings.booster_params()}
    train = lgb.Dataset(X, y, free_raw_data=False)
    if valid is None:
        return lgb.train(params, train, num_boost_round=rounds)
    v = lgb.Dataset(valid[0], np.asarray(valid[1]), reference=train)
    evals: dict = {}
    callbacks = [lgb.record_evaluation(evals)] + \
        ([lgb.early_stopping(settings.early_stopping_rounds, verbose=False)] if stop else [])
    booster = lgb.train(params, train, num_boost_round=rounds, valid_sets=[v], valid_names=["valid"],
                        callbacks=callbacks)
    return (booster, np.array(evals["valid"]["binary_logloss"])) if record else booster


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
