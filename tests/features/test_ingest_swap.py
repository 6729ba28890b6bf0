"""A bad load never replaces a good warehouse: the loss rule (exit 3), the swap that keeps mode and
owner, stale build files and logs left by killed jobs, and the quarantine summary the portal shows."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from features.ingest import QuarantineExceeded, ingest, quarantine_summary
from features.publish import wal_path
from features.warehouse import connect
from radar import cli
from tests.conftest import quiet
from tests.fixtures import tiny_tables, write_source


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*argv) -> int:
    return cli.main(["ingest", *map(str, argv)])


def with_bad_events(tmp_path, n_bad: int):
    tables = tiny_tables()
    tables["events"] += [{"account_id": "ZZZ", "occurred_at": "2026-03-01 10:00:00", "event_type": "login"}] * n_bad
    return write_source(tmp_path / "bad", tables)


def test_a_table_that_loses_more_than_5_percent_exits_3_and_keeps_the_warehouse(tiny_db, tmp_path, capsys):
    before = digest(tiny_db)
    assert run(with_bad_events(tmp_path, 1), "--db", tiny_db) == 3
    out, err = capsys.readouterr()
    assert digest(tiny_db) == before
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("error: events.csv lost 1 of 6 rows (16.7%): unknown account 1 (e.g. 'ZZZ'); more than the 5% "
                          "allowed") and "--accept-quarantine" in err
    assert "  events.csv: 1 of 6 rows quarantined (16.7%):" in out and "unknown account  e.g. 'ZZZ'" in out
    assert [p.name for p in tiny_db.parent.iterdir() if "building" in p.name] == []


def test_accept_quarantine_loads_anyway_and_the_run_says_so(tiny_db, tmp_path):
    assert run(with_bad_events(tmp_path, 1), "--db", tiny_db, "--accept-quarantine") == 0
    with connect(tiny_db) as con:
        assert con.execute("select accepted_quarantine from ingest_runs order by finished_at").fetchall() == [(False,), (True,)]


def test_a_loss_within_the_share_loads(tmp_path):
    tables = tiny_tables()
    tables["events"] += [{"account_id": "A", "occurred_at": f"2026-03-{d:02d} 10:00:00", "event_type": "login"}
                         for d in range(1, 29)] * 2
    tables["events"].append({"account_id": "ZZZ", "occurred_at": "2026-03-01 10:00:00", "event_type": "login"})
    assert ingest(write_source(tmp_path / "src", tables), tmp_path / "w.duckdb", progress=quiet)["events"] == (61, 1)


def test_a_required_table_left_empty_is_refused_even_when_accepting_quarantine(tiny_db, tmp_path, capsys):
    tables = tiny_tables()
    for c in tables["contracts"]:
        c["end_date"] = "2020-01-01"
    before = digest(tiny_db)
    assert run(write_source(tmp_path / "bad", tables), "--db", tiny_db, "--accept-quarantine") == 3
    assert capsys.readouterr().err.startswith("error: contracts.csv lost all 3 rows and contracts is required: "
                                              "end_date before start_date 3")
    assert digest(tiny_db) == before


def test_integer_parquet_ids_against_zero_padded_csv_ids_exit_3_with_the_fix(tiny_db, tmp_path, capsys):
    n = 60
    tables = tiny_tables()
    tables["accounts"] = [{"account_id": f"{i:03d}", "name": f"Account {i}"} for i in range(1, n + 1)]
    for c in tables["contracts"]:
        c["account_id"] = "001"
    for name in ("users", "tickets", "touchpoints", "traits"):
        del tables[name]
    src = write_source(tmp_path / "ints", tables)
    (src / "events.csv").unlink()
    pd.DataFrame({"account_id": pd.Series(range(1, n + 1), dtype="int64").repeat(20).to_numpy(),
                  "occurred_at": pd.Timestamp("2026-03-01 10:00"), "event_type": "login"}).to_parquet(src / "events.parquet")
    before = digest(tiny_db)
    assert run(src, "--db", tiny_db) == 3
    out, err = capsys.readouterr()
    assert err.startswith("error: events.parquet lost all 1,200 rows and events is required: unknown account 1,200 "
                          "(e.g. '1'); the previous warehouse is kept")
    assert "hint: events.parquet has integer account ids" in out and "set integer_id_digits = 3 under [ids]" in out
    assert digest(tiny_db) == before


def test_integer_account_ids_against_zero_padded_ids_elsewhere_get_the_fix_the_other_way_round(tiny_db, tmp_path,
                                                                                                capsys):
    n = 60
    tables = tiny_tables()
    for name in ("users", "tickets", "touchpoints", "traits", "accounts"):
        del tables[name]
    for c in tables["contracts"]:
        c["account_id"] = "0001"
    tables["events"] = [{"account_id": f"{i:04d}", "occurred_at": "2026-03-01 10:00:00", "event_type": "login"}
                        for i in range(1, n + 1) for _ in range(20)]
    src = write_source(tmp_path / "padded", tables)
    pd.DataFrame({"account_id": pd.Series(range(1, n + 1), dtype="int64"),
                  "name": [f"Account {i}" for i in range(1, n + 1)]}).to_parquet(src / "accounts.parquet")
    assert run(src, "--db", tiny_db) == 3
    out, _ = capsys.readouterr()
    assert "hint: accounts.parquet has integer account ids while contracts.csv writes them zero-padded to 4 digits; " \
           "set integer_id_digits = 4 under [ids]" in out


def test_account_ids_written_as_decimals_get_a_hint(tiny_db, tmp_path, capsys):
    tables = tiny_tables()
    for name in ("users", "tickets", "touchpoints", "traits"):
        del tables[name]
    tables["accounts"] = [{"account_id": str(i), "name": f"Account {i}"} for i in range(1, 61)]
    for c in tables["contracts"]:
        c["account_id"] = "1"
    tables["events"] = [{"account_id": f"{i}.0", "occurred_at": "2026-03-01 10:00:00", "event_type": "login"}
                        for i in range(1, 61) for _ in range(20)]
    assert run(write_source(tmp_path / "floats", tables), "--db", tiny_db) == 3
    out, _ = capsys.readouterr()
    assert "hint: events.csv writes account ids as decimals (7 -> '7.0')" in out


def test_the_swap_keeps_the_warehouse_mode_and_owner(tiny_db, tiny_source):
    os.chmod(tiny_db, 0o640)
    if os.geteuid() == 0:
        os.chown(tiny_db, 4321, 4321)
    ingest(tiny_source, tiny_db, progress=quiet)
    st = tiny_db.stat()
    assert st.st_mode & 0o777 == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 4321)


def test_a_read_only_warehouse_is_not_replaced(tiny_db, tiny_source, capsys):
    os.chmod(tiny_db, 0o444)
    before = digest(tiny_db)
    assert run(tiny_source, "--db", tiny_db) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: {tiny_db}: the warehouse is read-only (mode 444); make it writable to refresh it"
    assert digest(tiny_db) == before


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid  # reaped: no process has it now (until the kernel reuses it)


def test_the_next_ingest_removes_copies_left_by_killed_jobs_but_not_a_running_ones(tiny_db, tiny_source):
    d, name = tiny_db.parent, tiny_db.name
    stale = [d / f"{name}.{dead_pid()}.building", d / f"{name}.{dead_pid()}.building.wal", d / f".{name}.{dead_pid()}.building"]
    live = d / f"{name}.{os.getppid()}.building"
    for p in stale + [live]:
        p.write_bytes(b"x" * 1000)
    ingest(tiny_source, tiny_db, progress=quiet)
    assert [p.exists() for p in stale] == [False, False, False]
    assert live.exists()


def kill_a_writer(db, sql: str) -> None:
    """Leave a WAL beside `db` the way a killed `radar features` does."""
    code = (f"import duckdb, os; c = duckdb.connect({str(db)!r}); c.execute(\"set checkpoint_threshold = '1GB'\"); "
            f"c.execute({sql!r}); os._exit(9)")
    subprocess.run([sys.executable, "-c", code], check=False)
    assert wal_path(db).exists()


def test_the_wal_of_a_killed_job_goes_with_the_warehouse_it_belongs_to(tiny_db, tiny_source):
    kill_a_writer(tiny_db, "insert into ingest_runs (run_id) values ('from the killed job')")
    ingest(tiny_source, tiny_db, progress=quiet)
    assert not wal_path(tiny_db).exists()
    with connect(tiny_db) as con:  # opens cleanly; the log's committed run was carried over
        assert ("from the killed job",) in con.execute("select run_id from ingest_runs").fetchall()
        assert con.execute("select count(*) from events").fetchone()[0] == 5


def test_a_wal_that_does_not_match_the_warehouse_is_ignored_and_removed(tiny_db, tiny_source, tmp_path):
    other = tmp_path / "other.duckdb"
    kill_a_writer(other, "create table t as select 1 as x")
    wal_path(other).rename(wal_path(tiny_db))
    said = []
    ingest(tiny_source, tiny_db, progress=said.append)
    assert f"  note: {tiny_db.name}.wal does not match {tiny_db.name} (left by a killed job); ignored" in said
    assert not wal_path(tiny_db).exists()
    with connect(tiny_db) as con:
        assert con.execute("select count(*) from ingest_runs").fetchone()[0] == 2


def test_a_file_that_is_not_a_warehouse_is_not_replaced(tmp_path, tiny_source, capsys):
    notes = tmp_path / "notes.duckdb"
    notes.write_text("my notes")
    assert run(tiny_source, "--db", notes) == 2
    assert capsys.readouterr().err.strip() == (f"error: {notes}: exists but is not a DuckDB warehouse; "
                                               "move it away or choose another --db")
    assert notes.read_text() == "my notes"


def test_a_folder_as_the_warehouse_is_refused(tmp_path, tiny_source, capsys):
    assert run(tiny_source, "--db", tmp_path) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path}: is a folder; --db takes the warehouse file's path")


def test_quarantine_summary_counts_by_table_and_reason(tmp_path):
    tables = tiny_tables()
    tables["events"] += [{"account_id": "ZZZ", "occurred_at": "2026-03-01 10:00:00", "event_type": "login"},
                         {"account_id": "YYY", "occurred_at": "2026-03-01 10:00:00", "event_type": "login"},
                         {"account_id": "A", "occurred_at": "soon", "event_type": "login"}]
    tables["contracts"].append({"contract_id": "c9", "account_id": "A", "start_date": "2026-01-01",
                                "end_date": "2026-12-31", "arr": "inf"})
    db = tmp_path / "w.duckdb"
    ingest(write_source(tmp_path / "src", tables), db, progress=quiet, accept_quarantine=True)
    with connect(db) as con:
        frame = quarantine_summary(con)
    assert list(frame.columns) == ["table_name", "reason", "rows"]
    assert frame.values.tolist() == [["events", "unknown account", 2], ["contracts", "arr is not a finite number", 1],
                                     ["events", "unparseable occurred_at", 1]]


def test_quarantine_summary_is_empty_with_nothing_quarantined_or_no_table(tiny_db):
    with connect(tiny_db) as con:
        assert quarantine_summary(con).empty
    with duckdb.connect() as con:
        frame = quarantine_summary(con)
    assert frame.empty and list(frame.columns) == ["table_name", "reason", "rows"]


def test_quarantine_summary_reads_a_warehouse_from_before_reason_kinds(tmp_path):
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("create table quarantine (run_id varchar, file varchar, row_number bigint, reason varchar, "
                    "row_json varchar)")
        con.execute("insert into quarantine values ('r', 'events.csv', 1, 'unknown account: Z', '{}'), "
                    "('r', 'events.csv', 2, 'unknown account: Y', '{}')")
        assert quarantine_summary(con).values.tolist() == [["events", "unknown account", 2]]


def test_a_refused_load_raises_quarantine_exceeded_from_the_function(tmp_path):
    with pytest.raises(QuarantineExceeded, match="events.csv lost 1 of 6 rows"):
        ingest(with_bad_events(tmp_path, 1), tmp_path / "w.duckdb", progress=quiet)
    assert not (tmp_path / "w.duckdb").exists()


def test_an_ingest_keeps_what_the_portal_shows_until_the_next_steps_replace_it(scored_db, sample_source, tmp_path):
    """Between the nightly ingest and `radar score`, a page shows yesterday's figures, never an
    empty warehouse: every published table is carried into the warehouse the ingest swaps in."""
    db = tmp_path / "w.duckdb"
    shutil.copy(scored_db, db)
    with duckdb.connect(str(db), read_only=True) as con:
        before = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0]
                  for t in ("features", "health", "scores", "drivers", "risk_contributions")}
        scores = con.execute("select * from scores order by account_id, as_of").df()
    said = []
    ingest(sample_source, db, progress=said.append)
    assert any("carried over what the portal shows" in s and "scores" in s for s in said), said
    with duckdb.connect(str(db), read_only=True) as con:
        after = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in before}
        pd.testing.assert_frame_equal(con.execute("select * from scores order by account_id, as_of").df(), scores)
        assert con.execute("select count(*) from ingest_runs").fetchall()[0][0] == 2
    assert after == before


def test_an_export_of_another_portfolio_carries_no_figures_over(scored_db, tiny_source, tmp_path):
    """Yesterday's scores describe yesterday's accounts: a warehouse reused for another portfolio
    starts without them (and without the last feature build) rather than mixing the two."""
    db = tmp_path / "w.duckdb"
    shutil.copy(scored_db, db)
    said = []
    ingest(tiny_source, db, progress=said.append)
    assert any(s.strip().startswith("another portfolio (0 of the") for s in said), said
    assert not any(s.strip().startswith("carried over") for s in said)
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert not tables & {"features", "health", "scores", "drivers", "type_days"}
    assert "ingest_runs" in tables
