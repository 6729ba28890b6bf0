"""Typed portal settings from portal/config.toml. Reading them does no other work."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONFIG = Path(__file__).with_name("config.toml")


@dataclass(frozen=True)
class PortalSettings:
    stale_after_days: int
    low_coverage: float
    compare_days: int
    renewal_windows: tuple[int, ...]
    active_within_days: int
    recent_rows: int
    top_links: int
    platform_share_at: float


@lru_cache(maxsize=1)
def load_settings(path: Path = CONFIG) -> PortalSettings:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    return PortalSettings(
        stale_after_days=raw["freshness"]["stale_after_days"], low_coverage=raw["freshness"]["low_coverage"],
        compare_days=raw["compare"]["days_back"], renewal_windows=tuple(raw["renewals"]["windows_days"]),
        active_within_days=raw["account"]["active_within_days"], recent_rows=raw["account"]["recent_rows"],
        top_links=raw["portfolio"]["top_links"], platform_share_at=raw["activity"]["platform_share_at"])
