"""The rule-based health score: thresholds, renormalised weights, coverage, staleness, tiers."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from features import health, pipeline
from features.traits import load_traits
from features.warehouse import connect
from features.writeback import save
from tests.conftest import quiet

CFG = health.load_config()


def frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"account_id": [f"a{i}" for i in range(n)], "as_of": ["2026-03-31"] * n, **cols})


def rules(*traits: health.Trait, healthy_at=70, poor_below=40, weights=None) -> health.HealthConfig:
    """A config with one category per trait (weights default to 1 each): no TOML involved."""
    weights = weights or [1] * len(traits)
    return health.HealthConfig(tuple(health.Category(t.feature, t.label, w, (t,)) for t, w in zip(traits, weights)),
                               healthy_at, poor_below)


TICKETS = health.Trait("tickets", "Tickets", healthy=10, poor=20)  # fewer is better
USAGE = health.Trait("usage", "Usage", healthy=0.8, poor=0.4)  # more is better
PULSE = health.Trait("pulse_score", "Pulse", healthy=100, poor=0, age_feature="pulse_age_days", stale_days=90)


@pytest.mark.parametrize("tickets, expected", [(10, 100), (20, 0), (15, 50), (0, 100), (99, 0)])
def test_at_healthy_100_at_poor_0_halfway_50_and_clipped_outside_when_lower_is_better(tickets, expected):
    assert health.score(frame(tickets=[tickets]), rules(TICKETS)).iloc[0].health_score == expected


@pytest.mark.parametrize("usage, expected", [(0.8, 100), (0.4, 0), (0.6, 50), (1.5, 100), (0.1, 0)])
def test_at_healthy_100_at_poor_0_halfway_50_and_clipped_outside_when_higher_is_better(usage, expected):
    assert health.score(frame(usage=[usage]), rules(USAGE)).iloc[0].health_score == pytest.approx(expected)


def test_each_pulse_value_scores_what_traits_toml_maps_it_to():
    pulse = next(t for t in load_traits() if t.name == "pulse")
    h = health.score(frame(pulse_score=list(pulse.scores), pulse_age_days=[0] * len(pulse.scores)), CFG)
    assert dict(zip(pulse.values, h.trait_pulse_score)) == {"healthy": 100, "concerning": 50, "poor": 0}


def test_a_missing_trait_is_left_out_and_the_others_weights_renormalise():
    cfg = rules(TICKETS, USAGE, weights=[1, 3])
    h = health.score(frame(tickets=[15, 15], usage=[0.8, np.nan]), cfg)
    assert h.health_score.tolist() == [pytest.approx((50 * 1 + 100 * 3) / 4), 50]
    assert h.coverage.tolist() == [1.0, 0.25]
    assert h.missing_traits.tolist() == ["", "Usage"]


def test_a_trait_absent_from_the_features_counts_as_missing():
    h = health.score(frame(tickets=[10]), rules(TICKETS, USAGE)).iloc[0]
    assert h.health_score == 100 and h.coverage == 0.5 and h.missing_traits == "Usage"


@pytest.mark.parametrize("age, stale", [(0, False), (90, False), (91, True)])
def test_a_manual_trait_older_than_its_stale_days_counts_as_missing(age, stale):
    h = health.score(frame(pulse_score=[0.0], pulse_age_days=[age], usage=[0.8]), rules(PULSE, USAGE)).iloc[0]
    assert h.stale_traits == ("Pulse" if stale else "")
    assert h.health_score == (100 if stale else 50)
    assert h.coverage == (0.5 if stale else 1.0)


@pytest.mark.parametrize("usage, tier", [(0.8, "healthy"), (0.68, "healthy"), (0.6788, "healthy"),
                                         (0.6776, "concerning"), (0.56, "concerning"), (0.5596, "concerning"),
                                         (0.5576, "poor"), (np.nan, "unknown")])
def test_tiers_at_their_boundaries_as_the_score_is_shown(usage, tier):
    # usage 0.68 scores exactly 70 (healthy from 70), 0.56 exactly 40 (poor below 40); a score is
    # shown as a whole number, so 69.7 (0.6788) reads 70 and is healthy, 39.9 (0.5596) reads 40 and
    # is concerning, 69.4 and 39.4 read 69 and 39
    h = health.score(frame(usage=[usage]), rules(USAGE, healthy_at=70, poor_below=40)).iloc[0]
    assert h.health_tier == tier


def test_manual_traits_in_health_toml_take_thresholds_and_staleness_from_traits_toml():
    by_feature = {t.feature: t for c in CFG.categories for t in c.traits}
    for spec in load_traits():
        t = by_feature[spec.feature]
        assert (t.label, t.healthy, t.poor, t.age_feature, t.stale_days) == \
            (spec.label, max(spec.scores), min(spec.scores), spec.age_feature, spec.stale_days)


def test_a_health_toml_naming_an_undeclared_trait_is_refused(tmp_path):
    toml = tmp_path / "health.toml"
    toml.write_text('[tiers]\nhealthy = 70\npoor = 40\n[[categories]]\nname = "x"\nlabel = "X"\n'
                    'weight = 1\ntraits = [{ trait = "mood" }]\n')
    with pytest.raises(ValueError, match="trait 'mood', which traits.toml does not declare"):
        health.load_config(toml)


def test_health_table_has_a_row_per_snapshot(sample_db):
    with connect(sample_db) as con:
        n_feat = con.execute("select count(*) from features").fetchone()[0]
        h = con.execute("select * from health").df()
    assert len(h) == n_feat
    assert h["health_score"].between(0, 100).all()
    assert set(h["health_tier"]) <= {"healthy", "concerning", "poor", "unknown"}
    assert h["coverage"].between(0, 1).all()


def test_health_reads_features_without_writing_them_and_still_sees_a_portal_edit(tiny_db):
    with connect(tiny_db) as con:
        pipeline.run(con, progress=quiet)  # one snapshot, at the data end 2026-03-31
        features = con.execute("select * from features order by all").df()
        catalog = con.execute("select * from feature_catalog order by all").df()
        before = health.run(con).iloc[0]
        save(con, "A", "Jordan", {"buyer_access": "yes"}, at=dt.datetime(2026, 4, 2, 9, 0))
        h = health.run(con).iloc[0]
        assert con.execute("select * from features order by all").df().equals(features)
        assert con.execute("select * from feature_catalog order by all").df().equals(catalog)
    assert np.isnan(before.trait_buyer_access) and "Access to buyer" in before.missing_traits
    assert h.trait_buyer_access == 100 and h.health_score > before.health_score  # the edit counts
