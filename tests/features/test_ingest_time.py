"""Where the data ends: implausible times are quarantined, and the ingest records the data end (the
latest event, capped at the export time, or --data-end) for the other steps."""
from __future__ import annotations

import datetime as dt
import os

import duckdb

from features.ingest import ingest, recorded_data_end
from features.warehouse import connect
from radar import cli
from tests.conftest import quiet
from tests.fixtures import tiny_tables, write_source

TINY_END = dt.date(2026, 3, 31)  # the tiny portfolio's latest event


def load(tmp_path, tables, **kw):
    db = tmp_path / "w.duckdb"
    summary = ingest(write_source(tmp_path / "src", tables), db, progress=quiet, accept_quarantine=True, **kw)
    return db, summary


def reasons(db) -> list[str]:
    with connect(db) as con:
        return [r[0] for r in con.execute("select reason from quarantine order by table_name, row_number").fetchall()]


def data_end(db) -> dt.date | None:
    with connect(db) as con:
        return recorded_data_end(con)


def event(at: str) -> dict:
    return {"account_id": "A", "user_id": "u1", "occurred_at": at, "event_type": "login"}


def test_an_event_stamped_2999_is_quarantined_and_the_data_end_stays_put(tmp_path):
    tables = tiny_tables()
    tables["events"].append(event("2999-12-31 00:00:00"))
    db, summary = load(tmp_path, tables)
    assert summary["events"] == (5, 1)
    [reason] = reasons(db)
    assert reason.startswith("occurred_at after the export (") and reason.endswith("UTC): 2999-12-31 00:00:00")
    assert data_end(db) == TINY_END


def test_times_before_the_floor_are_quarantined(tmp_path):
    tables = tiny_tables()
    tables["events"] += [event("1900-01-01 00:00:00"), event("1970-01-01")]  # a placeholder and epoch zero
    tables["contracts"][0]["start_date"] = "1899-12-30"  # Excel's day zero
    db, summary = load(tmp_path, tables)
    assert summary["events"] == (5, 2) and summary["contracts"] == (2, 1)
    assert reasons(db) == ["start_date before 1990-01-01: 1899-12-30", "occurred_at before 1990-01-01: 1900-01-01 00:00:00",
                           "occurred_at before 1990-01-01: 1970-01-01"]


def test_rows_that_happened_after_the_data_end_are_quarantined(tmp_path):
    tables = tiny_tables()
    tables["touchpoints"].append({"account_id": "A", "occurred_at": "2026-04-30 15:00:00", "kind": "qbr"})  # scheduled
    tables["tickets"].append({"ticket_id": "t9", "account_id": "A", "opened_at": "2026-04-01 09:00:00"})
    tables["contracts"].append({"contract_id": "c9", "account_id": "A", "start_date": "2027-01-01",
                                "end_date": "2027-12-31", "arr": "13000"})  # a renewal signed ahead: fine
    db, summary = load(tmp_path, tables)
    assert summary["contracts"] == (4, 0)
    assert reasons(db) == ["opened_at after the data end (2026-03-31): 2026-04-01 09:00:00",
                           "occurred_at after the data end (2026-03-31): 2026-04-30 15:00:00"]


def test_the_data_end_is_capped_at_the_export_time(tmp_path):
    src = write_source(tmp_path / "src", tiny_tables())
    exported = dt.datetime(2026, 3, 25, 12, 0, tzinfo=dt.timezone.utc).timestamp()
    for f in src.iterdir():
        os.utime(f, (exported, exported))
    db = tmp_path / "w.duckdb"
    ingest(src, db, progress=quiet, accept_quarantine=True)
    assert data_end(db) == dt.date(2026, 3, 25)
    assert reasons(db) == ["occurred_at after the export (2026-03-25 12:00 UTC): 2026-03-31 10:00:00"]
    with connect(db) as con:
        assert con.execute("select exported_at from ingest_runs").fetchall() == [(dt.datetime(2026, 3, 25, 12, 0),)]


def test_a_naive_local_time_a_few_hours_after_the_export_is_kept(tmp_path):
    src = write_source(tmp_path / "src", tiny_tables())
    exported = dt.datetime(2026, 3, 31, 1, 0, tzinfo=dt.timezone.utc).timestamp()  # 10:00 in UTC+9
    for f in src.iterdir():
        os.utime(f, (exported, exported))
    db = tmp_path / "w.duckdb"
    assert ingest(src, db, progress=quiet)["events"] == (5, 0)
    assert data_end(db) == TINY_END


def test_data_end_overrides_and_later_rows_are_quarantined(tmp_path, capsys):
    src = write_source(tmp_path / "src", tiny_tables())
    db = tmp_path / "w.duckdb"
    assert cli.main(["ingest", str(src), "--db", str(db), "--data-end", "2026-03-15", "--accept-quarantine"]) == 0
    assert "data end 2026-03-15 (--data-end)" in capsys.readouterr().out
    assert data_end(db) == dt.date(2026, 3, 15)
    assert reasons(db) == ["occurred_at after --data-end 2026-03-15: 2026-03-31 10:00:00",
                           "occurred_at after --data-end 2026-03-15: 2026-03-25 10:00:00",
                           "opened_at after the data end (2026-03-15): 2026-03-20 09:00:00"]


def test_recorded_data_end_is_none_for_a_warehouse_from_before_it_was_recorded(tmp_path, tiny_source):
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table ingest_runs (run_id varchar, started_at timestamp, finished_at timestamp, "
                    "source_dir varchar, rows_loaded bigint, rows_quarantined bigint)")
        con.execute("insert into ingest_runs values ('old', now(), now(), '/x', 10, 0)")
        assert recorded_data_end(con) is None
        con.execute("create or replace table ingest_runs as select 1 as run_id")
        assert recorded_data_end(con) is None
    with duckdb.connect() as con:
        assert recorded_data_end(con) is None
    ingest(tiny_source, tmp_path / "new.duckdb", progress=quiet)
    assert data_end(tmp_path / "new.duckdb") == TINY_END


def test_reingest_over_an_old_warehouse_keeps_its_runs_and_records_the_data_end(tmp_path, tiny_source):
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table ingest_runs (run_id varchar, started_at timestamp, finished_at timestamp, "
                    "source_dir varchar, rows_loaded bigint, rows_quarantined bigint)")
        con.execute("insert into ingest_runs values ('old', '2026-01-01', '2026-01-01', '/x', 10, 0)")
    ingest(tiny_source, db, progress=quiet)
    with connect(db) as con:
        runs = con.execute("select run_id = 'old', data_end from ingest_runs order by finished_at").fetchall()
    assert runs == [(True, None), (False, TINY_END)]
    assert data_end(db) == TINY_END
