"""Every error a `radar` command meets on bad input or a bad environment is one line naming the file
and the fix, never a traceback: exit 2 for bad input, 1 for a failure."""
from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import pytest

from features.publish import wal_path
from features.warehouse import connect, transaction
from radar import cli

WAREHOUSE_COMMANDS = [["features"], ["health"], ["score"], ["train"]]


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("command", WAREHOUSE_COMMANDS)
def test_a_folder_given_as_the_warehouse_is_one_line_exit_2(command, tmp_path, capsys):
    assert cli.main([*command, "--db", str(tmp_path)]) == 2
    line = one_line(capsys)
    assert str(tmp_path) in line and "point --db (or $RADAR_DB) at the warehouse file" in line


@pytest.mark.parametrize("command", WAREHOUSE_COMMANDS)
def test_a_file_that_is_not_a_warehouse_is_one_line_exit_2(command, tmp_path, capsys):
    (tmp_path / "notes.duckdb").write_text("not a database")
    assert cli.main([*command, "--db", str(tmp_path / "notes.duckdb")]) == 2
    line = one_line(capsys)
    assert "notes.duckdb" in line and "not a valid DuckDB database file" in line and "radar ingest" in line


def test_a_wal_that_does_not_match_the_warehouse_is_one_line_naming_the_fix(tiny_db, tmp_path, capsys):
    other = tmp_path / "other.duckdb"
    code = (f"import duckdb, os; c = duckdb.connect({str(other)!r}); c.execute(\"set checkpoint_threshold = '1GB'\"); "
            "c.execute('create table t as select 1 as x'); os._exit(9)")
    subprocess.run([sys.executable, "-c", code], check=False)
    shutil.move(wal_path(other), wal_path(tiny_db))
    assert cli.main(["features", "--db", str(tiny_db)]) == 1
    line = one_line(capsys)
    assert "WAL does not match database file" in line and "move the .wal file away" in line


def test_a_corrupt_mlflow_store_is_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "mlflow.db").write_text("garbage")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert cli.main(["promote", "1"]) == 1
    line = one_line(capsys)
    assert line.startswith(f"error: the MLflow store (sqlite:///{tmp_path / 'mlflow.db'}) cannot be used: ")
    assert "fix MLFLOW_TRACKING_URI" in line


def test_permission_denied_while_building_names_the_file_not_a_rollback(tiny_db, monkeypatch, capsys):
    """A folder the job cannot write (simulated: the tests run as root, whom mode bits do not stop)."""
    import features.publish as publish

    def denied(src, dst, *a, **k):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(publish.shutil, "copy2", denied)
    assert cli.main(["features", "--db", str(tiny_db)]) == 1
    line = one_line(capsys)
    assert line.startswith(f"error: {tiny_db}.") and line.endswith(": permission denied; make it writable or choose another place")


def test_an_error_that_ended_the_transaction_is_reported_not_the_rollback(tmp_path):
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(OSError, match="Permission denied"):
        with transaction(con):
            con.execute("commit")  # as a failed write that aborted the transaction does
            raise OSError(13, "Permission denied")


def test_an_unexpected_error_is_one_line_and_radar_debug_shows_the_traceback(tiny_db, monkeypatch, capsys):
    import features.pipeline as pipeline

    def broken(*a, **k):
        raise RuntimeError("something new\nwith detail")

    monkeypatch.setattr(pipeline, "run", broken)
    assert cli.main(["features", "--db", str(tiny_db)]) == 1
    assert one_line(capsys) == "error: RuntimeError: something new (set RADAR_DEBUG=1 to see where)"
    monkeypatch.setenv("RADAR_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["features", "--db", str(tiny_db)])


def test_ingest_into_a_folder_that_cannot_be_written_says_so(tiny_source, tmp_path, monkeypatch, capsys):
    import features.ingest.run as run

    def refuse(path):
        raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Permission denied')

    monkeypatch.setattr(run, "connect", refuse)
    assert cli.main(["ingest", str(tiny_source), "--db", str(tmp_path / "w.duckdb")]) == 1
    assert one_line(capsys) == (f"error: {tmp_path}: cannot write there (permission denied); "
                                "make the folder writable or choose another --db")
