"""The feature-build profiler (tests/benchmarks/feature_profile.py) names each statement by the
SQL file it materialises and accounts for the build's time."""
from __future__ import annotations

import shutil

from tests.benchmarks.feature_profile import profile_run, statement_name


def test_statements_are_named_by_what_they_make():
    assert statement_name("create or replace temp table user_days as\n-- grain: ...") == "user_days (create)"
    assert statement_name('insert into feature_state.type_days by name select 1') == "type_days (insert)"
    assert statement_name('create or replace table "w".main.features as select 1') == "features (create)"
    assert statement_name("select count(*) from events") == "select count(*) from events"


def test_a_profiled_full_build_names_the_day_grains_and_its_statements_fit_in_its_time(tiny_db, tmp_path):
    db = tmp_path / "profiled.duckdb"
    shutil.copy(tiny_db, db)
    total, seconds, counts = profile_run(db, full=True)
    assert {"user_days (create)", "type_days (create)", "features (create)"} <= set(seconds)
    assert counts["user_days (create)"] == 1
    assert 0 < sum(seconds.values()) <= total
