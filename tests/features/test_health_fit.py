"""`radar health --fit`: weights and thresholds proposed from outcomes, within the playbook's
structure and readable bounds, and nothing written until the analyst accepts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import health

USAGE = health.Trait("usage", "Usage", healthy=0.8, poor=0.4)  # higher is better
TICKETS = health.Trait("tickets", "Tickets", healthy=2, poor=6)  # fewer is better
CFG = health.HealthConfig((health.Category("use", "Utilisation", 50, (USAGE,)),
                           health.Category("support", "Support", 50, (TICKETS,))), 70, 40)


def outcomes(n=2000, seed=1) -> tuple[pd.DataFrame, np.ndarray]:
    """Churn follows usage below 0.2 (where the playbook's 0.4..0.8 sees nothing); tickets are noise."""
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 0.4, n)
    frame = pd.DataFrame({"account_id": [f"a{i}" for i in range(n)], "as_of": "2026-03-31", "usage": usage,
                          "tickets": rng.integers(0, 10, n).astype(float)})
    churned = (rng.random(n) < np.where(usage < 0.2, 0.3, 0.02)).astype(int)
    return frame, churned


def test_a_fit_ranks_the_outcomes_better_than_the_playbook_it_started_from():
    frame, y = outcomes()
    fitted = health.fit(frame, y, CFG)
    assert health.ranking_auc(frame, y, fitted) > health.ranking_auc(frame, y, CFG) + 0.2


def test_a_fit_keeps_the_structure_directions_and_readable_numbers():
    frame, y = outcomes()
    fitted = health.fit(frame, y, CFG)
    assert [c.name for c in fitted.categories] == ["use", "support"]
    assert [t.feature for c in fitted.categories for t in c.traits] == ["usage", "tickets"]
    assert sum(c.weight for c in fitted.categories) == 100 and all(c.weight % 5 == 0 for c in fitted.categories)
    u, t = fitted.categories[0].traits[0], fitted.categories[1].traits[0]
    assert u.healthy > u.poor and t.healthy < t.poor  # a higher value stays better, or worse
    for v in (u.healthy, u.poor, t.healthy, t.poor):
        assert float(f"{v:.2g}") == v  # two significant digits
    assert (fitted.healthy_at, fitted.poor_below) == (CFG.healthy_at, CFG.poor_below)
    # the noise category loses weight to the one that carries the signal
    assert fitted.categories[0].weight > fitted.categories[1].weight


def test_changes_say_what_moved_in_words():
    frame, y = outcomes()
    lines = health.changes(CFG, health.fit(frame, y, CFG))
    assert any(line.startswith("Utilisation: weight 50% -> ") for line in lines)
    assert any(line.startswith("Usage: healthy at 0.8 -> ") for line in lines)


def test_a_written_proposal_reads_back_as_the_same_config_with_its_comment(tmp_path):
    frame, y = outcomes()
    fitted = health.fit(frame, y, health.load_config())
    path = health.write_config(fitted, tmp_path / "health.fitted.toml", "Fitted on 2026-07-01 from test data")
    assert path.read_text().startswith("# Fitted on 2026-07-01 from test data\n")
    back = health.load_config(path)
    assert back == fitted
    assert "{ trait = \"pulse\" }" in path.read_text()  # manual traits stay declared by name


def test_the_shipped_config_round_trips_unchanged(tmp_path):
    cfg = health.load_config()
    assert health.load_config(health.write_config(cfg, tmp_path / "copy.toml", "copy")) == cfg


def test_categories_without_any_data_keep_their_weight():
    frame, y = outcomes()
    cfg = health.HealthConfig(CFG.categories + (health.Category("pulse", "Pulse", 20, (
        health.Trait("pulse_score", "Pulse", 100, 0, "pulse_age_days", 90),)),), 70, 40)
    fitted = health.fit(frame, y, cfg)
    # it had 20 of 120 (17%): it keeps that share to the nearest 5 points, the others split the rest
    assert [c.weight for c in fitted.categories][2] == 15 and sum(c.weight for c in fitted.categories) == 100
