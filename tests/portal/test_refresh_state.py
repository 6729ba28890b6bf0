"""The portfolio's one sentence about figures older than the latest export or feature build: it
names only the steps this portfolio runs (no `radar score` where no model has ever scored)."""
from __future__ import annotations

import pandas as pd

from portal.queries import refresh_state

BUILT = pd.Timestamp("2026-12-08 01:00")
LATER = pd.Timestamp("2026-12-08 02:00")
RECORDED_SINCE = pd.Timestamp("2026-11-01")


def test_a_health_only_portfolio_is_told_to_run_health_not_score():
    f = {"features_built": BUILT, "job_runs": ({"features": BUILT}, RECORDED_SINCE), "scored": False}
    said = refresh_state(f, None)
    assert said.startswith("The health scores have not been recomputed") and "`radar health`" in said
    assert "radar score" not in said and "churn risks" not in said


def test_a_health_only_portfolio_with_health_done_is_told_nothing():
    f = {"features_built": BUILT, "job_runs": ({"features": BUILT, "health": LATER}, RECORDED_SINCE), "scored": False}
    assert refresh_state(f, None) is None


def test_a_scored_portfolio_is_told_both_steps():
    f = {"features_built": LATER, "job_runs": ({"features": LATER, "health": BUILT}, RECORDED_SINCE), "scored": True}
    said = refresh_state(f, None)
    assert "health scores and churn risks" in said and "`radar health` and `radar score`" in said


def test_an_export_not_built_yet_names_scoring_only_where_it_runs():
    run = {"finished_at": LATER}
    unscored = {"last_run": run, "features_built": BUILT, "job_runs": ({"health": BUILT}, RECORDED_SINCE), "scored": False}
    assert refresh_state(unscored, None).endswith("Run `radar features` and `radar health`.")
    scored = {"last_run": run, "features_built": BUILT, "job_runs": ({"health": BUILT}, RECORDED_SINCE), "scored": True}
    assert refresh_state(scored, None).endswith("Run `radar features`, `radar health` and `radar score`.")
