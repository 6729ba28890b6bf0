"""The portal's marts: tables the warehouse keeps beside `features` (not model inputs).

Every SQL file of kind `mart` under sql/ (user_activity, recent_activity, adoption_personas,
adoption_workflows); files of kind `query` there (run by the portal with its own parameters)
are left alone. A mart `by as_of` holds one set of rows per observation date, so a build that
computes some dates replaces only those; the others are rebuilt whole.
"""
from __future__ import annotations

import duckdb

from features.inputs import feature_runner, observation_dates
from features.outputs import replace_rows
from features.runner import Runner
from features.settings import load_settings


def mart_names(runner: Runner) -> list[str]:
    return sorted(name for name, m in runner.models.items() if m.kind == "mart")


def build_marts(con: duckdb.DuckDBPyConnection, runner: Runner | None = None) -> list[str]:
    """(Re)write every mart table whole; returns their names. With `runner` (the one a feature
    build used) the tables it built are reused; without, the marts are built at the default
    observation dates from the warehouse's sources."""
    if runner is None:
        s = load_settings()
        runner = feature_runner(con, observation_dates(con, s.warmup_days), s)
    return publish_marts(con, runner)


def publish_marts(con: duckdb.DuckDBPyConnection, runner: Runner, where: str = "true",
                  values: dict | None = None) -> list[str]:
    """Build the marts on `runner` and write them into the warehouse: the per-date ones replace
    the rows `where` selects (all of them by default), the others are replaced whole. No
    transaction of its own."""
    names = mart_names(runner)
    runner.build(*names)
    for name in names:
        dated = runner.models[name].by == "as_of"
        replace_rows(con, name, f"temp.main.{name}", where if dated else "true", values)
        con.execute(f"drop table temp.main.{name}")  # later reads on this connection see the warehouse's
    return names
