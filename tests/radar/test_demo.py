"""`radar demo` runs every step in order and never moves an alias it did not create."""
from __future__ import annotations

import pytest

from radar import demo, jobs


@pytest.fixture
def calls(monkeypatch):
    seen = []
    for name in ("sample", "ingest", "features", "health", "score", "promote", "alerts", "digest"):
        monkeypatch.setattr(jobs, name, lambda *a, _n=name, **k: seen.append((_n, a)))
    return seen


@pytest.mark.parametrize("alias, scored_with", [("champion", None), ("challenger", "7")])
def test_the_demo_scores_with_its_own_model_and_leaves_the_champion_alone(calls, monkeypatch, tmp_path, alias, scored_with):
    monkeypatch.setattr(jobs, "train", lambda *a, **k: calls.append(("train", a)) or {"alias": alias, "version": "7"})
    assert demo.run(tmp_path / "w.duckdb", portal=False, say=lambda *a: None) == 0
    assert [n for n, _ in calls] == ["sample", "ingest", "features", "health", "train", "score", "alerts",
                                     "digest", "digest"]
    assert dict(calls)["score"][2] == scored_with  # the version argument of jobs.score
