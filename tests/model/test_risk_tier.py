"""Risk tiers: a probability exactly at a threshold belongs to the higher tier."""
from __future__ import annotations

import numpy as np

from model.score import risk_tier
from model.settings import load_settings


def test_tiers_at_and_around_the_thresholds():
    s = load_settings().with_(high_risk=0.2, medium_risk=0.1)
    p = np.array([1.0, 0.2, 0.1999, 0.1, 0.0999, 0.0])
    assert risk_tier(p, s).tolist() == ["high", "high", "medium", "medium", "low", "low"]


def test_the_configured_thresholds_are_inclusive():
    s = load_settings()
    p = np.array([s.high_risk, np.nextafter(s.high_risk, 0), s.medium_risk, np.nextafter(s.medium_risk, 0)])
    assert risk_tier(p, s).tolist() == ["high", "medium", "medium", "low"]
