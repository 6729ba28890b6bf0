"""Typed model settings from model/config.toml."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

CONFIG = Path(__file__).with_name("config.toml")


@dataclass(frozen=True)
class ModelSettings:
    registered_model: str
    experiment: str
    horizon_days: int
    grace_days: int
    test_months: int
    valid_months: int
    lightgbm: dict = field(default_factory=dict)
    high_risk: float = 0.15
    medium_risk: float = 0.05
    drivers_each_way: int = 5
    min_points: float = 0.05
    lookback_days: int = 90
    seed: int = 42
    refit_latest: bool = True

    def with_(self, **changes) -> "ModelSettings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_settings(path: Path | None = None) -> ModelSettings:
    with open(path or CONFIG, "rb") as f:
        raw = tomllib.load(f)
    return ModelSettings(
        registered_model=raw["registered_model"], experiment=raw["experiment"],
        horizon_days=raw["labels"]["horizon_days"], grace_days=raw["labels"]["grace_days"],
        test_months=raw["split"]["test_months"], valid_months=raw["split"]["valid_months"],
        lightgbm=dict(raw["lightgbm"]), high_risk=raw["risk_tiers"]["high"],
        medium_risk=raw["risk_tiers"]["medium"], drivers_each_way=raw["explain"]["drivers_each_way"],
        lookback_days=raw["explain"]["lookback_days"], min_points=raw["explain"].get("min_points", 0.05), refit_latest=raw["split"].get("refit_latest", True),
    )
