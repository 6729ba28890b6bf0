"""The rule-based health score: thresholds, renormalised weights, coverage, staleness, tiers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import health
from features.warehouse import connect

CFG = health.load_config()


def frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"account_id": [f"a{i}" for i in range(n)], "as_of": ["2026-03-31"] * n, **cols})


def test_default_weights_follow_the_playbook():
    assert {c.name: c.weight for c in CFG.categories} == {"pulse": 5, "technical": 15, "relationships": 25, "utilisation": 55}


@pytest.mark.parametrize("value, expected", [(0, 100), (1, 100), (3, 50), (5, 0), (9, 0)])
def test_defect_tickets_below_2_healthy_5_or_more_poor(value, expected):
    assert health.trait_score(pd.Series([value]), 1, 5)[0] == expected


@pytest.mark.parametrize("value, expected", [(0.35, 100), (0.3, 100), (0.25, 50), (0.2, 0)])
def test_dau_mau_03_healthy_02_poor(value, expected):
    assert health.trait_score(pd.Series([value]), 0.3, 0.2)[0] == pytest.approx(expected)


def test_missing_traits_renormalise_and_coverage_says_how_much_had_data():
    h = health.score(frame(dau_mau=[0.25], active_users_over_seats=[np.nan]), CFG).iloc[0]
    assert h.health_score == 50
    assert h.coverage == pytest.approx(27.5 / 100)
    assert "Active users over seats" in h.missing_traits and "CSM pulse" in h.missing_traits
    assert h.cat_utilisation == 50 and np.isnan(h.cat_technical)


def test_a_manual_trait_older_than_stale_days_counts_as_missing_and_is_flagged():
    h = health.score(frame(dau_mau=[0.3, 0.3], pulse_score=[0, 0], pulse_age_days=[10, 120]), CFG)
    fresh, stale = h.iloc[0], h.iloc[1]
    assert fresh.trait_pulse_score == 0 and fresh.stale_traits == ""
    assert np.isnan(stale.trait_pulse_score) and stale.stale_traits == "CSM pulse"
    assert stale.health_score == 100 and fresh.health_score < 100


def test_tiers_from_the_thresholds():
    h = health.score(frame(dau_mau=[0.3, 0.26, 0.2, np.nan]), CFG)
    assert list(h.health_tier) == ["healthy", "concerning", "poor", "unknown"]


def test_health_table_has_a_row_per_snapshot(sample_db):
    with connect(sample_db) as con:
        n_feat = con.execute("select count(*) from features").fetchone()[0]
        h = con.execute("select * from health").df()
    assert len(h) == n_feat
    assert h["health_score"].between(0, 100).all()
    assert set(h["health_tier"]) <= {"healthy", "concerning", "poor", "unknown"}
    assert h["coverage"].between(0, 1).all()
