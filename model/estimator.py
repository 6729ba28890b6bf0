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
    """Raw score (log-odds) -> probability. With enough positives, centred isotonic regression: the
    isotonic fit's blocks at their mean raw score, joined by straight lines, with logistic tails past
    the first and last block, so it never falls and never ties accounts the raw score tells apart
    (plain isotonic steps give a whole block one probability, and rankings lose what the model
    knew). Else Platt scaling."""

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
            fitted = iso.predict(raw)
            blocks = pd.DataFrame({"raw": raw, "p": fitted}).groupby("p", sort=True)["raw"].mean()
            return cls("isotonic", blocks.to_numpy(), blocks.index.to_numpy())
        from sklearn.linear_model import LogisticRegression
        lr = LogisticRegression(C=1e4).fit(raw.reshape(-1, 1), y)
        return cls("platt", [lr.coef_[0, 0]], [lr.intercept_[0]])

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, float)
        if self.kind == "isotonic":
            x, y = np.asarray(self.x), np.asarray(self.y)
            p = np.interp(raw, x, y)
            low, high = raw < x[0], raw > x[-1]
            p[low] = y[0] * np.exp(raw[low] - x[0])
            p[high] = 1 - (1 - y[-1]) * np.exp(-(raw[high] - x[-1]))
            return p
        return 1 / (1 + np.exp(-(self.x[0] * raw + self.y[0])))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "x": self.x, "y": self.y}

    @classmethod
    def from_dict(cls, d: dict) -> "Calibration":
        return cls(d["kind"], d["x"], d["y"])


class LinearPart:
    """The additive half of the model: an L2 logistic regression (model.baselines.logistic_regression)
    kept as plain numbers, so it saves as JSON and explains exactly: each feature's contribution is
    its coefficients times its standardised columns (the value and, where learned, its missing flag)."""

    def __init__(self, medians, indicator, mean, scale, coef, intercept):
        self.medians, self.indicator = np.asarray(medians, float), np.asarray(indicator, int)
        self.mean, self.scale = np.asarray(mean, float), np.asarray(scale, float)
        self.coef, self.intercept = np.asarray(coef, float), float(intercept)

    @classmethod
    def fit(cls, X: pd.DataFrame, y, seed: int) -> "LinearPart":
        from model.baselines import logistic_regression
        pipe = logistic_regression(seed).fit(X, y)
        imputer, _, scaler, lr = (step for _, step in pipe.steps)
        indicator = imputer.indicator_.features_ if imputer.indicator_ is not None else np.array([], int)
        return cls(np.nan_to_num(imputer.statistics_), indicator, scaler.mean_, scaler.scale_, lr.coef_[0],
                   lr.intercept_[0])

    def _columns(self, X: np.ndarray) -> np.ndarray:
        missing = np.isnan(X)
        filled = np.where(missing, self.medians, X)
        u = np.hstack([filled, missing[:, self.indicator].astype(float)])
        return (np.sign(u) * np.log1p(np.abs(u)) - self.mean) / self.scale

    def raw(self, X: pd.DataFrame) -> np.ndarray:
        return self._columns(X.to_numpy(float)) @ self.coef + self.intercept

    def contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(rows x features in log-odds, the intercept per row); they sum to raw."""
        m = X.shape[1]
        parts = self._columns(X.to_numpy(float)) * self.coef
        phi = parts[:, :m].copy()
        np.add.at(phi.T, self.indicator, parts[:, m:].T)  # a missing flag belongs to its feature
        return phi, np.full(len(X), self.intercept)

    def to_dict(self) -> dict:
        return {"medians": self.medians.tolist(), "indicator": self.indicator.tolist(), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "intercept": self.intercept}

    @classmethod
    def from_dict(cls, d: dict) -> "LinearPart":
        return cls(**d)


class ChurnModel(BaseEstimator, ClassifierMixin):
    """Hyperparameters left as None are read from model/config.toml when fitting.

    With `linear` (the default), the raw score (log-odds) is a x LightGBM's + b x a logistic
    regression's (LinearPart) on the same rows, with a, b >= 0 learned where the calibration is
    fitted (the validation rows, or the folds' test rows): a logistic regression of the outcome on
    the two scores. The calibration then maps that blend to probabilities.
    """

    def __init__(self, lightgbm: LightGBMSettings | None = None, seed: int | None = None,
                 min_positives_isotonic: int | None = None, linear: bool | None = None):
        self.lightgbm = lightgbm
        self.seed = seed
        self.min_positives_isotonic = min_positives_isotonic
        self.linear = linear

    @classmethod
    def from_settings(cls, s) -> "ChurnModel":
        """The model a ModelSettings describes."""
        return cls(lightgbm=s.lightgbm, seed=s.seed, min_positives_isotonic=s.min_positives_isotonic, linear=s.linear)

    def _resolved(self) -> tuple[LightGBMSettings, int, int, bool]:
        if None in (self.lightgbm, self.seed, self.min_positives_isotonic, self.linear):
            from model.settings import load_settings
            s = load_settings()
            return (self.lightgbm or s.lightgbm, s.seed if self.seed is None else self.seed,
                    s.min_positives_isotonic if self.min_positives_isotonic is None else self.min_positives_isotonic,
                    s.linear if self.linear is None else self.linear)
        return self.lightgbm, self.seed, self.min_positives_isotonic, self.linear

    def fit(self, X: pd.DataFrame, y, X_valid: pd.DataFrame | None = None, y_valid=None,
            folds: list | None = None) -> "ChurnModel":
        """Early-stop, mix and calibrate on (X_valid, y_valid), on the last rows of X (neither given),
        or with `folds` (model.split.Fold, positions in X) out of fold: each fold's booster is grown on
        its training months while its test month's log loss is recorded (to the round where the slowest
        fold stops improving), the number of trees is where the folds' pooled loss is lowest, the mix
        and the calibration are fitted on every fold's test rows scored by that fold's booster (at that
        many trees) and linear part, and the booster and linear part kept are fitted on all of X."""
        settings, seed, min_pos, linear = self._resolved()
        y = np.asarray(y)
        self._fitted(X, settings, seed, min_pos, linear)
        if folds is not None:
            return self._fit_folds(X, y, folds, settings, seed, min_pos, linear)
        if X_valid is None:
            X, y, X_valid, y_valid = _holdout(X, y, settings.holdout_fraction)
        y_valid = np.asarray(y_valid)
        self.booster_ = _grow(X, y, settings, seed, settings.num_boost_round, (X_valid, y_valid))
        self.best_iteration_ = self.booster_.best_iteration or self.booster_.current_iteration()
        self.linear_ = LinearPart.fit(X, y, seed) if linear else None
        trees = self.booster_.predict(X_valid[self.feature_names_], raw_score=True, num_iteration=self.best_iteration_)
        lin = self.linear_.raw(X_valid[self.feature_names_]) if linear else np.zeros(len(y_valid))
        self.mix_ = mix(trees, lin, y_valid) if linear else (1.0, 0.0)
        self.calibration_ = Calibration.fit(self.raw_score(X_valid), y_valid, min_pos)
        return self

    def _fit_folds(self, X, y, folds, settings, seed, min_pos, linear) -> "ChurnModel":
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
        self.fold_linear_raw_ = [LinearPart.fit(X.iloc[f.train], y[f.train], seed).raw(X.iloc[f.test]) if linear
                                 else np.zeros(len(f.test)) for f in usable]
        self.best_iteration_ = pooled_trees(self.fold_curves_, [len(f.test) for f in usable])
        y_oof = np.concatenate([y[f.test] for f in usable])
        trees = np.concatenate(self.fold_trees_raw(X, self.best_iteration_))
        self.mix_ = mix(trees, np.concatenate(self.fold_linear_raw_), y_oof) if linear else (1.0, 0.0)
        self.calibration_ = Calibration.fit(np.concatenate(self.fold_raw(X, self.best_iteration_)), y_oof, min_pos)
        self.booster_ = _grow(X, y, settings, seed, self.best_iteration_)
        self.linear_ = LinearPart.fit(X, y, seed) if linear else None
        return self

    def fold_trees_raw(self, X: pd.DataFrame, trees: int) -> list[np.ndarray]:
        """Each used fold's test rows, scored (log-odds) by that fold's booster at `trees` trees."""
        return [b.predict(X.iloc[f.test][self.feature_names_], raw_score=True, num_iteration=min(trees, b.current_iteration()))
                for b, f in zip(self.fold_boosters_, self.folds_)]

    def fold_raw(self, X: pd.DataFrame, trees: int, weights: tuple[float, float] | None = None) -> list[np.ndarray]:
        """Each used fold's test rows scored by that fold's booster (at `trees` trees) and linear part,
        mixed with `weights` (default: the model's)."""
        a, b = weights or self.mix_
        return [a * t + b * lin for t, lin in zip(self.fold_trees_raw(X, trees), self.fold_linear_raw_)]

    def _fitted(self, X, settings, seed, min_pos, linear) -> None:
        self.feature_names_ = list(X.columns)
        self.classes_ = np.array([0, 1])
        self.hyperparameters_ = {"lightgbm": asdict(settings), "seed": seed, "min_positives_isotonic": min_pos,
                                 "linear": bool(linear)}

    @classmethod
    def from_parts(cls, booster, calibration: Calibration, hyperparameters: dict | None = None,
                   linear: LinearPart | None = None, weights: tuple[float, float] = (1.0, 0.0)) -> "ChurnModel":
        """A fitted model from a saved booster, calibration, linear part and mix `weights`.
        `hyperparameters` (as in `hyperparameters_` at fit) make get_params report what it was
        trained with; without them (artifacts saved before they were recorded), the booster's own
        recorded parameters over the configured procedure settings. Without a linear part the model
        is LightGBM alone, as versions saved before the blend were."""
        hp = dict(hyperparameters or _recorded(booster))
        hp["linear"] = linear is not None
        m = cls(lightgbm=LightGBMSettings.from_dict(hp["lightgbm"]), seed=int(hp["seed"]),
                min_positives_isotonic=int(hp["min_positives_isotonic"]), linear=hp["linear"])
        m.booster_, m.calibration_, m.linear_ = booster, calibration, linear
        m.mix_ = tuple(float(w) for w in weights) if linear is not None else (1.0, 0.0)
        m.feature_names_ = booster.feature_name()
        m.best_iteration_ = booster.best_iteration or booster.current_iteration()
        m.classes_ = np.array([0, 1])
        m.hyperparameters_ = hp
        return m

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        X = X[self.feature_names_]
        a, b = self.mix_
        raw = a * self.booster_.predict(X, raw_score=True, num_iteration=self.best_iteration_)
        return raw + b * self.linear_.raw(X) if b else raw

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.calibration_(self.raw_score(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """SHAP values in log-odds: (rows x features, base value per row); they sum to raw_score.
        TreeSHAP for LightGBM, exact linear contributions for the linear part, mixed alike."""
        X = X[self.feature_names_]
        a, b = self.mix_
        c = self.booster_.predict(X, pred_contrib=True, num_iteration=self.best_iteration_)
        phi, base = a * c[:, :-1], a * c[:, -1]
        if not b:
            return phi, base
        lphi, lbase = self.linear_.contributions(X)
        return phi + b * lphi, base + b * lbase


def mix(trees: np.ndarray, linear: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Weights a, b >= 0 for a x trees + b x linear: a logistic regression of `y` on the two scores
    (a part whose weight comes out negative is left out and the other refitted alone)."""
    from sklearn.linear_model import LogisticRegression
    cols = np.column_stack([trees, linear])
    coef = LogisticRegression(C=1e4, max_iter=1000).fit(cols, y).coef_[0]
    if (coef > 0).all():
        return float(coef[0]), float(coef[1])
    keep = int(np.argmax(coef))
    alone = LogisticRegression(C=1e4, max_iter=1000).fit(cols[:, [keep]], y).coef_[0, 0]
    w = max(float(alone), 1e-6)
    return (w, 0.0) if keep == 0 else (0.0, w)


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
    return {"lightgbm": lgb, "seed": saved.get("seed", s.seed), "min_positives_isotonic": s.min_positives_isotonic,
            "linear": False}
