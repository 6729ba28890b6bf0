"""The portal's marts: tables the warehouse keeps beside `features` (not model inputs).

Every SQL file of kind `mart` under sql/ (user_activity, recent_activity, adoption_personas,
adoption_workflows); files of kind `query` there (run by the portal with its own parameters)
are left alone.
"""
from __future__ import annotations

import duckdb

from features.inputs import feature_runner, observation_dates
from features.runner import Runner
from features.settings import load_settings


def mart_names(runner: Runner) -> list[str]:
    return sorted(name for name, m in runner.models.items() if m.kind == "mart")


def build_marts(con: duckdb.DuckDBPyConnection, runner: Runner | None = None) -> list[str]:
    """(Re)write every mart table; returns their names. With `runner` (the one a feature build
    used) the tables it built are reused; without, the marts are built at the default
    observation dates from the warehouse's sources."""
    if runner is None:
        s = load_settings()
        runner = feature_runner(con, observation_dates(con, s.warmup_days), s)
    names = mart_names(runner)
    runner.build(*names)
    return names
