"""Typed model settings, read from model/config.toml (each value is declared there once).

Importing this module reads nothing; `load_settings()` does.
"""
from __future__ import annotations

import tomllib
import typing
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

CONFIG = Path(__file__).with_name("config.toml")


@dataclass(frozen=True)
class LightGBMSettings:
    """LightGBM's own parameters, then how the booster is grown around them."""
    objective: str
    learning_rate: float
    num_leaves: int
    max_depth: int
    min_data_in_leaf: int
    feature_fraction: float
    bagging_fraction: float
    bagging_freq: int
    lambda_l2: float
    max_bin: int
    num_threads: int
    num_boost_round: int
    early_stopping_rounds: int
    max_pos_weight: float
    holdout_fraction: float

    PROCEDURE: typing.ClassVar[tuple[str, ...]] = (
        "num_boost_round", "early_stopping_rounds", "max_pos_weight", "holdout_fraction")

    def booster_params(self) -> dict:
        """The parameters lightgbm.train takes in its params dict."""
        return {k: v for k, v in asdict(self).items() if k not in self.PROCEDURE}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "LightGBMSettings":
        return typed(cls, raw, "lightgbm")


@dataclass(frozen=True)
class ModelSettings:
    registered_model: str
    experiment: str
    seed: int
    horizon_days: int
    grace_days: int
    test_months: int
    valid_months: int
    refit_latest: bool
    lightgbm: LightGBMSettings
    linear: bool
    min_positives_isotonic: int
    high_risk: float
    medium_risk: float
    unknown_health_score: float
    drivers_each_way: int
    min_points: float
    lookback_days: int
    min_labelled_months: int
    min_churn_outcomes: int
    holdout_min_churns: int
    max_folds: int
    backtest_every: str
    bootstrap: int
    backtest_experiment: str

    def __post_init__(self):
        if not 0 < self.medium_risk < self.high_risk < 1:
            raise ValueError(f"risk tiers need 0 < medium < high < 1, got medium {self.medium_risk}, high {self.high_risk}")
        if self.backtest_every not in ("month", "quarter"):
            raise ValueError(f"[backtest] every must be month or quarter, got {self.backtest_every!r}")

    def with_(self, **changes) -> "ModelSettings":
        """A copy with `changes`; a change of None keeps the configured value (CLI defaults are None)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def typed(cls, raw: dict, section: str, file: str = "model/config.toml"):
    """`cls(**raw)` with each value cast to its declared type; unknown or missing keys name the file
    and section."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    unknown, missing = set(raw) - set(names), set(names) - set(raw)
    if unknown or missing:
        raise ValueError(f"{file} [{section}]: unknown {sorted(unknown)}, missing {sorted(missing)}")
    cast = {int: int, float: float, str: str, bool: bool, tuple[str, ...]: lambda v: tuple(str(x) for x in v)}
    return cls(**{n: cast.get(hints[n], lambda v: v)(raw[n]) for n in names})


def load_settings(path: Path | None = None) -> ModelSettings:
    with open(path or CONFIG, "rb") as f:
        raw = tomllib.load(f)
    return typed(ModelSettings, {
        "registered_model": raw["registered_model"], "experiment": raw["experiment"], "seed": raw["seed"],
        **raw["labels"], **raw["split"], "lightgbm": LightGBMSettings.from_dict(raw["lightgbm"]),
        "linear": raw["blend"]["linear"],
        "min_positives_isotonic": raw["calibration"]["min_positives_isotonic"],
        "high_risk": raw["risk_tiers"]["high"], "medium_risk": raw["risk_tiers"]["medium"],
        "unknown_health_score": raw["baselines"]["unknown_health_score"], **raw["explain"],
        **raw["protocol"], "backtest_every": raw["backtest"]["every"], "bootstrap": raw["backtest"]["bootstrap"],
        "backtest_experiment": raw["backtest"]["experiment"],
    }, "model")
