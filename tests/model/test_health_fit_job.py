"""`radar health --fit` on a warehouse: a proposal with its backtest ROC AUC before and after, and
nothing written until it is accepted (then with a comment saying when and on what data)."""
from __future__ import annotations

import datetime as dt

import numpy as np

from features import health
from features.paths import FEATURES_CONFIG
from model import health_fit
from tests.conftest import quiet


def test_a_proposal_writes_nothing_until_accepted(plans_db):
    shipped = (FEATURES_CONFIG / "health.toml").read_bytes()
    lines = []
    result = health_fit.run(plans_db, progress=lines.append)
    assert result["written"] is None and (FEATURES_CONFIG / "health.toml").read_bytes() == shipped
    assert any("nothing written" in line for line in lines)
    b = result["backtest"]
    assert b["per_cutoff"] and np.isfinite(b["before"]) and np.isfinite(b["after"])
    assert all(set(c) == {"cutoff", "accounts", "churned", "before", "after"} for c in b["per_cutoff"])
    # refitted at each cutoff on what was known then; judged on that day's accounts
    assert all(dt.date.fromisoformat(c["cutoff"]) + dt.timedelta(days=120) <= dt.date(2026, 6, 30)
               for c in b["per_cutoff"])


def test_an_accepted_proposal_is_written_where_asked_with_when_and_on_what_data(plans_db, tmp_path):
    target = tmp_path / "health.fitted.toml"
    result = health_fit.run(plans_db, accept_to=target, accept_it=True, progress=quiet)
    assert result["written"] == target
    text = target.read_text()
    assert text.startswith("# Fitted by `radar health --fit` on ")
    f = result["fitted_on"]
    assert f"{f['rows']:,} labelled snapshots" in text and f"data to {f['data_end']}" in text
    assert "Backtest ROC AUC before" in text
    assert health.load_config(target) == result["proposal"]
