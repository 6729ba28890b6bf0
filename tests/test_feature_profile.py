"""The feature-build profiler (tests/benchmarks/feature_profile.py) names each statement by the
SQL file it materialises and accounts for the build's time."""
from __future__ import annotations

import shutil

import pytest

from tests.benchmarks.feature_profile import profile_run, statement_name


def test_statements_are_named_by_what_they_make():
    assert statement_name("create or replace temp table user_days as\n-- grain: ...") == "user_days (create)"
    assert statement_name('insert into feature_state.type_days by name select 1') == "type_days (insert)"
    assert statement_name('create or replace table "w".main.features as select 1') == "features (create)"
    assert statement_name("select count(*) from events") == "select count(*) from events"


def test_a_profiled_build_names_what_each_statement_makes_and_builds_what_an_unprofiled_one_does(tiny_db, tmp_path):
    from features import pipeline
    from features.warehouse import connect
    profiled, plain = tmp_path / "profiled.duckdb", tmp_path / "plain.duckdb"
    shutil.copy(tiny_db, profiled)
    shutil.copy(tiny_db, plain)
    _, seconds, counts = profile_run(profiled, full=True)
    assert {"user_days (create)", "type_days (create)", "features (create)"} <= set(seconds)
    assert counts["user_days (create)"] == 1
    with connect(plain) as con:
        pipeline.run(con, full=True, progress=lambda *a: None)
        expected = con.execute("select * from features order by all").df()
    with connect(profiled) as con:
        assert con.execute("select * from features order by all").df().equals(expected)


def test_a_refresh_profile_refuses_a_build_that_was_not_incremental(tiny_db, tmp_path):
    db = tmp_path / "never_built.duckdb"
    shutil.copy(tiny_db, db)
    with pytest.raises(RuntimeError, match="not incremental: .*no previous build"):
        profile_run(db, full=False)
