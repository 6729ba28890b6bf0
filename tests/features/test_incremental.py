"""Incremental feature builds: only the dates that are new or whose inputs changed are computed,
and the result is what a full build gives, value for value."""
from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from features import incremental, pipeline
from features.warehouse import connect
from features.writeback import save
from tests.conftest import quiet
from tests.features.months import cut_at, restore_sources

MARTS = ("adoption_personas", "adoption_workflows", "user_activity", "recent_activity")


def table(con, name: str) -> pd.DataFrame:
    return con.execute(f"select * from {name} order by all").df()


def full_build_of(con, db, tmp_path) -> dict[str, pd.DataFrame]:
    """The features and marts a full build makes from the sources `con` (open on `db`) holds, on a copy."""
    con.execute("checkpoint")
    copy = tmp_path / "full.duckdb"
    shutil.copy(db, copy)
    with connect(copy) as con:
        pipeline.run(con, full=True, progress=quiet)
        return {t: table(con, t) for t in ("features", "feature_catalog") + MARTS}


def assert_same(con, expected: dict[str, pd.DataFrame]) -> None:
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(table(con, name), frame, check_exact=True, obj=name)


@pytest.fixture
def month_before(sample_db, tmp_path):
    """The sample warehouse as it stood at 2026-05-31, fully built; the sample has one month more."""
    db = tmp_path / "before.duckdb"
    shutil.copy(sample_db, db)
    with connect(db) as con:
        cut_at(con, dt.date(2026, 5, 31))
        pipeline.run(con, full=True, progress=quiet)
    return db


def test_after_a_month_arrives_only_the_new_date_is_built_and_equals_a_full_build(month_before, sample_db, tmp_path):
    said = []
    with connect(month_before) as con:
        kept = con.execute("select * from features where as_of <= '2026-05-31' order by all").df()
        restore_sources(con, sample_db)
        built = pipeline.run(con, progress=said.append)
        assert sorted(built["as_of"].dt.date.unique()) == [dt.date(2026, 6, 30)]
        assert any("incremental: 1 of 28 dates new (2026-06-30)" in s for s in said), said
        # the dates kept were not touched
        pd.testing.assert_frame_equal(con.execute("select * from features where as_of <= '2026-05-31' "
                                                  "order by all").df(), kept)
        assert_same(con, full_build_of(con, month_before, tmp_path))


def test_month_after_month_the_kept_user_history_grows_by_a_period_is_compacted_and_stays_exact(
        sample_db, tmp_path, monkeypatch):
    """Five nightly months in a row, as a team runs it: each build appends its new periods to the
    users' kept history instead of rewriting it, until the history holds COMPACT_AFTER periods and
    a build folds the old ones into one row per user; the features and marts still equal a full
    build's at the end."""
    monkeypatch.setattr(incremental, "COMPACT_AFTER", 4)
    db = tmp_path / "chain.duckdb"
    shutil.copy(sample_db, db)
    months = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30),
              dt.date(2026, 5, 31), dt.date(2026, 6, 30)]
    periods = []
    with connect(db) as con:
        cut_at(con, months[0])
        pipeline.run(con, full=True, progress=quiet)
        for month in months[1:]:
            restore_sources(con, sample_db)
            cut_at(con, month)
            said = []
            pipeline.run(con, progress=said.append)
            assert any(f"incremental: 1 of " in s and f"({month})" in s for s in said), said
            periods.append(con.execute("select count(distinct period) from feature_state.user_history").fetchall()[0][0])
        assert_same(con, full_build_of(con, db, tmp_path))
    # a full build keeps two periods; each month adds one until the fourth, which compacts to two
    assert periods == [3, 4, 2, 3, 4]


def test_a_second_build_with_nothing_new_changes_nothing(month_before):
    said = []
    with connect(month_before) as con:
        before = table(con, "features")
        assert len(pipeline.run(con, progress=said.append)) == 0
        assert table(con, "features").equals(before)
    assert said == ["  up to date: 27 dates, nothing new or changed since the last build"]


def test_a_trait_set_in_the_portal_recomputes_the_trait_columns_from_its_date_on(month_before, tmp_path):
    said = []
    with connect(month_before) as con:
        account = con.execute("select account_id from features where as_of = '2026-05-31' "
                              "order by account_id limit 1").fetchall()[0][0]
        before = table(con, "features")
        save(con, account, "Jordan", {"pulse": "poor"}, at=dt.datetime(2026, 4, 10, 9, 0))
        pipeline.run(con, progress=said.append)
        after = table(con, "features")
        assert any("trait columns from 2026-04-30" in s for s in said), said
        assert_same(con, full_build_of(con, month_before, tmp_path))
    changed = after.compare(before)
    touched = after.loc[changed.index]
    assert set(touched["account_id"]) == {account}
    assert touched["as_of"].min() == pd.Timestamp("2026-04-30")  # not before the edit's date
    assert {c for c, _ in changed.columns} <= {"pulse_score", "pulse_age_days"}


def test_a_rewritten_past_rebuilds_every_date(month_before, tmp_path):
    said = []
    with connect(month_before) as con:
        con.execute("delete from events where occurred_at < '2025-01-10' and occurred_at >= '2025-01-01'")
        pipeline.run(con, progress=said.append)
        assert "  building every date (27): events known on or before 2026-05-31 changed" in said
        assert_same(con, full_build_of(con, month_before, tmp_path))


def test_a_user_renamed_in_the_past_rebuilds_every_date(month_before):
    said = []
    with connect(month_before) as con:
        con.execute("update users set persona = 'admin' where user_id = (select min(user_id) from users "
                    "where persona <> 'admin' and created_at < '2025-01-01')")
        pipeline.run(con, progress=said.append)
    assert "  building every date (27): users known on or before 2026-05-31 changed" in said


def test_full_and_changed_definitions_build_every_date(month_before, monkeypatch):
    said = []
    with connect(month_before) as con:
        pipeline.run(con, full=True, progress=said.append)
        monkeypatch.setattr(incremental, "definitions", lambda s: "something else")
        pipeline.run(con, progress=said.append)
    assert "  building every date (27): asked for a full build" in said
    assert ("  building every date (27): the feature definitions changed (SQL, config, traits or code)"
            in said)


def test_a_warehouse_without_a_previous_build_gets_a_full_one(tiny_db):
    said = []
    with connect(tiny_db) as con:
        pipeline.run(con, progress=said.append)
        assert incremental.last_build(con)["mode"] == "full"
    assert "  building every date (1): no previous build in this warehouse" in said


def test_one_date_asked_for_leaves_the_build_state_alone(month_before):
    with connect(month_before) as con:
        builds = table(con, "feature_state.builds")
        pipeline.run(con, dt.date(2026, 5, 31), progress=quiet)
        assert table(con, "feature_state.builds").equals(builds)
        said = []
        pipeline.run(con, progress=said.append)
    assert said[0].startswith("  up to date")


def test_the_parquet_out_holds_every_date_even_when_a_build_computes_one_or_none(month_before, sample_db, tmp_path):
    out = tmp_path / "features.parquet"
    with connect(month_before) as con:
        restore_sources(con, sample_db)
        built = pipeline.run(con, out=out, progress=quiet)
        assert built["as_of"].nunique() == 1
        every = con.execute("select * from features order by account_id, as_of").df()
        pd.testing.assert_frame_equal(pd.read_parquet(out), every, check_dtype=False)
        out.unlink()
        assert len(pipeline.run(con, out=out, progress=quiet)) == 0  # up to date: still written
        pd.testing.assert_frame_equal(pd.read_parquet(out), every, check_dtype=False)


def test_the_next_ingest_carries_the_last_build_so_the_next_build_computes_only_the_new_month(sample_source, tmp_path):
    """The nightly flow itself: yesterday's export (nothing after May) ingested and built, then
    today's (one month more) ingested over it, then `radar features`."""
    from features.ingest import ingest
    db = tmp_path / "w.duckdb"
    ingest(sample_source, db, progress=quiet, data_end=dt.date(2026, 5, 31), accept_quarantine=True)
    with connect(db) as con:
        pipeline.run(con, progress=quiet)
    said = []
    ingest(sample_source, db, progress=said.append)
    assert any("carried over the last feature build" in s for s in said), said
    said = []
    with connect(db) as con:
        built = pipeline.run(con, progress=said.append)
        assert sorted(built["as_of"].dt.date.unique()) == [dt.date(2026, 6, 30)]
        assert any("incremental: 1 of 28 dates new (2026-06-30)" in s for s in said), said
        assert_same(con, full_build_of(con, db, tmp_path))


def test_an_ingest_into_a_new_warehouse_carries_nothing_and_the_first_build_is_full(tiny_source, tmp_path):
    from features.ingest import ingest
    said = []
    ingest(tiny_source, tmp_path / "new.duckdb", progress=said.append)
    assert not any("carried over" in s for s in said)
