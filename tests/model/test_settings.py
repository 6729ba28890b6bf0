"""Model settings: typed, read from model/config.toml, and None never overrides them."""
from __future__ import annotations

import pytest

from model.settings import CONFIG, LightGBMSettings, load_settings


def test_none_keeps_the_configured_value_and_a_value_replaces_it():
    s = load_settings()
    assert s.with_(horizon_days=None, seed=None) == s
    changed = s.with_(horizon_days=30, seed=None)
    assert (changed.horizon_days, changed.seed) == (30, s.seed)


def test_lightgbm_settings_are_typed_and_split_booster_from_procedure():
    lgb = load_settings().lightgbm
    assert isinstance(lgb, LightGBMSettings)
    assert isinstance(lgb.num_threads, int) and isinstance(lgb.lambda_l2, float)
    params = lgb.booster_params()
    assert "num_threads" in params and "learning_rate" in params
    assert not set(params) & {"num_boost_round", "early_stopping_rounds", "max_pos_weight", "holdout_fraction"}


def test_a_misspelt_key_names_its_section(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text(CONFIG.read_text().replace("num_leaves = ", "num_leafs = "))
    with pytest.raises(ValueError, match=r"\[lightgbm\].*num_leafs.*num_leaves"):
        load_settings(bad)


def test_risk_tiers_must_be_ordered(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text(CONFIG.read_text().replace("high = 0.15", "high = 0.01"))
    with pytest.raises(ValueError, match="medium < high"):
        load_settings(bad)
