"""Batch jobs publish by building aside and swapping, one job at a time, while others read."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

import duckdb
import pytest

from features.publish import JobBusy, building_copy, job_lock, publishing, wal_path


def make_db(path, value=1):
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace table t as select ? as v", [value])
    return path


def value(path):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select v from t").fetchall()[0][0]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


HOLD = """
import sys, time
from pathlib import Path
from features.publish import job_lock
with job_lock(Path(sys.argv[1]), "features"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(db, seconds):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_job_that_will_not_wait_is_told_which_job_runs(tmp_path):
    db = make_db(tmp_path / "w.duckdb")
    proc = hold_lock(db, 30)
    try:
        with pytest.raises(JobBusy, match=r"`radar features` \(pid \d+, started .*\) is writing"):
            with job_lock(db, "score", wait=False):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_a_second_job_waits_for_the_first_and_then_runs(tmp_path):
    db = make_db(tmp_path / "w.duckdb")
    proc = hold_lock(db, 1.5)
    said = []
    t0 = time.monotonic()
    with job_lock(db, "score", say=said.append):
        waited = time.monotonic() - t0
    proc.wait()
    assert waited > 0.5 and "waiting for `radar features`" in said[0]


def test_a_killed_job_leaves_no_lock_behind(tmp_path):
    db = make_db(tmp_path / "w.duckdb")
    proc = hold_lock(db, 60)
    proc.kill()
    proc.wait()
    with job_lock(db, "score", wait=False):
        pass


def test_a_failed_job_leaves_the_warehouse_byte_identical(tmp_path):
    db = make_db(tmp_path / "w.duckdb")
    before = digest(db)
    with pytest.raises(RuntimeError):
        with building_copy(db) as work:
            make_db(work, 2)
            raise RuntimeError("the job failed half way")
    assert digest(db) == before and value(db) == 1
    assert not list(tmp_path.glob("*.building*"))


def test_readers_keep_their_snapshot_and_new_connections_see_the_new_one(tmp_path):
    db = make_db(tmp_path / "w.duckdb")
    reader = duckdb.connect(str(db), read_only=True)  # held open through the swap, as a page would
    try:
        with publishing(db, "health") as work:
            make_db(work, 2)
        assert reader.execute("select v from t").fetchall()[0][0] == 1
    finally:
        reader.close()
    assert value(db) == 2


def test_the_swap_keeps_the_mode_and_drops_a_stale_wal(tmp_path):
    db = make_db(tmp_path / "w.duckdb")
    os.chmod(db, 0o640)
    wal_path(db).write_bytes(b"left by a killed writer")
    with publishing(db, "score") as work:
        wal_path(work).unlink(missing_ok=True)  # the stale log is not the copy's business in this test
        make_db(work, 3)
    assert value(db) == 3 and (db.stat().st_mode & 0o777) == 0o640 and not wal_path(db).exists()


def test_a_read_only_warehouse_is_not_replaced(tmp_path):
    db = make_db(tmp_path / "w.duckdb")
    os.chmod(db, 0o444)
    with pytest.raises(PermissionError, match="read-only"):
        with publishing(db, "score"):
            pass


def test_each_job_that_succeeds_is_recorded_in_the_file_it_swaps_in_and_a_failed_one_is_not(tmp_path):
    from features.publish import last_runs
    db = make_db(tmp_path / "w.duckdb")
    with publishing(db, "features", say=lambda *a: None) as work:
        with duckdb.connect(str(work)) as con:
            con.execute("update t set v = 2")
    with pytest.raises(RuntimeError):
        with publishing(db, "health", say=lambda *a: None) as work:
            raise RuntimeError("the health step broke")
    with publishing(db, "score", say=lambda *a: None):
        pass
    with duckdb.connect(str(db), read_only=True) as con:
        runs, since = last_runs(con)
        rows = con.execute("select job, started_at <= finished_at from job_runs order by finished_at").fetchall()
        first_start = con.execute("select min(started_at) from job_runs").fetchall()[0][0]
    assert rows == [("features", True), ("score", True)]
    assert set(runs) == {"features", "score"} and runs["features"] <= runs["score"]
    assert since == first_start
    assert value(db) == 2
