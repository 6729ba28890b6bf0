"""portal/backtest_views.py, run on its own page: the latest backtest, the sentence when the health
score ranks worse than chance, the "not enough history" line and the health-fit proposal."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from features import health, pipeline
from features.warehouse import connect
from model import tracking
from tests.conftest import quiet


def page(db: str, role: str) -> None:
    from portal import backtest_views as views
    from portal.access import Identity
    who = Identity("tester@example.com", role)
    views.history_block(db)
    views.latest_backtest_block(db, who)
    views.health_fit_block(db, who)


def run_page(db, role="analyst") -> AppTest:
    at = AppTest.from_function(page, args=(str(db), role), default_timeout=120)
    at.run()
    return at


def text(at, *kinds) -> str:
    return " ".join(e.value for k in kinds for e in getattr(at, k))


def table(method_aucs: dict[str, tuple[float, float, float]], cutoff: str) -> pd.DataFrame:
    labels = {"model": "Churn model", "health": "Health score", "logreg": "Logistic regression"}
    return pd.DataFrame([{"cutoff": cutoff, "method": m, "label": labels[m], "accounts": 500, "churned": 20,
                          "base_rate": 0.04, "roc_auc": a, "roc_auc_lo": lo, "roc_auc_hi": hi, "pr_auc": 0.2,
                          "lift_at_10pct": 4.0, "recall_at_10pct": 0.4, "arr_recall_at_10pct": 0.5, "ece": 0.01,
                          "brier": 0.03, "mean_probability": 0.04} for m, (a, lo, hi) in method_aucs.items()])


@pytest.fixture
def logged(own_store):
    """One backtest in a store of this test's own, where the health score ranks worse than chance."""
    aucs = {"model": (0.86, 0.82, 0.90), "health": (0.39, 0.33, 0.45), "logreg": (0.80, 0.75, 0.85)}
    per = pd.concat([table(aucs, "2025-06-30"), table(aucs, "2025-09-30")], ignore_index=True)
    from model.backtest import health_verdict
    pooled = table(aucs, "pooled")
    tracking.log_backtest(run_name="t", params={"cutoffs": "2025-06-30,2025-09-30"}, metrics={"roc_auc": 0.86},
                          step_metrics={}, tables={"per_cutoff": per, "pooled": pooled},
                          record={"skipped": [{"cutoff": "2025-03-31", "reason": "not enough history to train: "
                                               "3 labelled months and 30 churn outcomes; need 4 labelled months"}],
                                  "training": [], "settings": {"data_end": "2026-01-31", "horizon_days": 90},
                                  "health_verdict": health_verdict(pooled)},
                          figures={}, tags={})
    return own_store


def test_the_latest_backtest_compares_the_three_methods_and_says_when_health_is_worse_than_chance(sample_db, logged):
    at = run_page(sample_db)
    assert not at.exception
    pooled = at.dataframe[0].value
    assert pooled["Method"].tolist() == ["Churn model", "Health score", "Logistic regression"]
    assert pooled["95% interval"].tolist()[1] == "0.33–0.45"
    assert "worse than chance" in text(at, "warning") and "0.39" in text(at, "warning")
    per = at.dataframe[1].value
    assert per["Cutoff"].tolist() == ["2025-06-30", "2025-09-30"]
    assert "Cutoff 2025-03-31 not backtested: not enough history" in text(at, "caption")


def test_without_a_backtest_the_page_says_how_to_run_one_and_only_analysts_get_the_button(sample_db, own_store):
    at = run_page(sample_db)
    assert not at.exception and "No backtest has been run yet" in text(at, "info")
    assert [b.key for b in at.button] == ["run_backtest", "health_fit"]
    leader = run_page(sample_db, role="leader")
    assert not leader.exception and not leader.button


@pytest.fixture
def short_db(tiny_db, tmp_path):
    db = tmp_path / "short.duckdb"
    shutil.copy(tiny_db, db)
    with connect(db) as con:
        pipeline.run(con, progress=quiet)
        health.run(con)
    return db


def test_too_little_history_is_said_in_the_line_radar_train_uses(short_db, own_store):
    at = run_page(short_db)
    assert not at.exception
    assert "The model cannot be trained yet: 0 labelled months and 0 churn outcomes; need 4 labelled months " \
           "and 15 churn outcomes" in text(at, "info")


def test_enough_history_says_nothing_about_it(sample_db, own_store):
    assert "cannot be trained yet" not in text(run_page(sample_db), "info")
