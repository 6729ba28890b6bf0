"""How batch jobs write the warehouse while people read it: one job at a time, and every change
built on a copy that is swapped in whole.

- `job_lock(db, job)`: one writing job per warehouse. A second job waits for the first (saying
  which one it waits for), or with `wait=False` stops with one line naming the running job. The
  lock is the kernel's (flock), so a killed job never leaves a stale lock behind.
- `building_copy(db)`: copies the warehouse aside, lets the job write the copy, and renames it over
  the warehouse in one step. Readers keep reading the snapshot they opened; the next connection
  sees the new one. A failed job leaves the warehouse byte-identical.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

POLL_S = 0.5


class JobBusy(Exception):
    """Another job holds the warehouse; the message names it. Exit status 1."""


def lock_path(db: Path) -> Path:
    return Path(db).with_name(Path(db).name + ".lock")


def _holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 4096) or b"{}")
    except (OSError, ValueError):
        return {}


def _describe(h: dict) -> str:
    if not h:
        return "another job"
    return f"`radar {h.get('job', '?')}` (pid {h.get('pid', '?')}, started {h.get('started_at', '?')})"


@contextmanager
def job_lock(db: Path, job: str, wait: bool = True, timeout_s: float | None = None, say=print) -> Iterator[None]:
    """Hold the warehouse's job lock for the body of the `with`."""
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o664)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            running = _describe(_holder(fd))
            if not wait:
                raise JobBusy(f"{db}: {running} is writing this warehouse; try again when it ends") from None
            say(f"  waiting for {running} to finish with {db}")
            deadline = None if timeout_s is None else time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() > deadline:
                        raise JobBusy(f"{db}: {running} still holds the warehouse after {timeout_s:.0f}s") from None
                    time.sleep(POLL_S)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps({"job": job, "pid": os.getpid(),
                                 "started_at": dt.datetime.now().isoformat(timespec="seconds")}).encode())
        yield
    finally:
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)  # closing releases the flock


def running_job(db: Path) -> dict | None:
    """The job writing `db` now ({job, pid, started_at}), or None. Read from what the holder wrote
    into the lock file, without touching the lock (a probe must never make a starting job wait);
    a holder that is no longer alive (killed before it could clear the file) is no job."""
    try:
        h = json.loads(lock_path(db).read_text() or "{}")
    except (OSError, ValueError):
        return None
    pid = h.get("pid")
    return h if isinstance(pid, int) and _alive(pid) else None


def wal_path(db: Path) -> Path:
    return Path(db).with_name(Path(db).name + ".wal")


def building_path(db: Path) -> Path:
    """Where this process builds the next version of `db`: beside it, named for the process."""
    return Path(db).with_name(f"{Path(db).name}.{os.getpid()}.building")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_copies(db: Path) -> int:
    """Delete copies (and their WALs) left by killed jobs, never one a running process is building.
    Also removes the hidden `.NAME.PID.building` copies that ingests before this one left."""
    db, n = Path(db), 0
    for p in [*db.parent.glob(db.name + ".*.building*"), *db.parent.glob("." + db.name + ".*.building*")]:
        pid = p.name.removeprefix(".").removeprefix(db.name + ".").split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        p.unlink(missing_ok=True)
        n += 1
    return n


def refuse_read_only(db: Path) -> None:
    """PermissionError when the warehouse file exists and is read-only: it is not to be replaced."""
    db = Path(db)
    if db.is_file() and (not db.stat().st_mode & 0o222 or not os.access(db, os.W_OK)):  # mode bits bind root too
        raise PermissionError(f"{db}: the warehouse is read-only (mode {db.stat().st_mode & 0o777:o}); "
                              "make it writable to refresh it")


@contextmanager
def building_copy(db: Path) -> Iterator[Path]:
    """Yield a private copy of the warehouse to write; swap it in when the body succeeds.

    The caller must hold `job_lock(db, ...)` and must close its connections to the copy before
    the body ends (DuckDB then checkpoints it, so no .wal travels with the swap).
    """
    db = Path(db)
    if not db.exists():
        raise FileNotFoundError(db)
    refuse_read_only(db)
    remove_stale_copies(db)
    copy = building_path(db)
    try:
        shutil.copy2(db, copy)
        if wal_path(db).exists():  # left by a killed writer: the copy replays it on open
            shutil.copy2(wal_path(db), wal_path(copy))
        yield copy
        swap_in(copy, db)
    finally:
        copy.unlink(missing_ok=True)
        wal_path(copy).unlink(missing_ok=True)


def swap_in(built: Path, db: Path) -> None:
    """Rename `built` over `db` in one step, keeping `db`'s mode and owner, and drop `db`'s old WAL
    (which belongs to the file being replaced and would corrupt the new one)."""
    built, db = Path(built), Path(db)
    if wal_path(built).exists():
        import duckdb
        with duckdb.connect(str(built)) as con:  # fold the copy's own log into it before the swap
            con.execute("checkpoint")
    if db.exists():
        st = db.stat()
        os.chmod(built, st.st_mode & 0o7777)
        try:
            os.chown(built, st.st_uid, st.st_gid)
        except PermissionError:
            pass
    wal_path(db).unlink(missing_ok=True)
    os.replace(built, db)


@contextmanager
def publishing(db: Path, job: str, wait: bool = True, say=print) -> Iterator[Path]:
    """The job lock plus a building copy: `with publishing(db, "score") as work: run(work)`. A job
    that succeeds is recorded in the copy's `job_runs` before the swap (see `record_run`)."""
    with job_lock(db, job, wait=wait, say=say), building_copy(db) as work:
        started = dt.datetime.now()
        yield work
        record_run(work, job, started)


JOB_RUNS = "job_runs"  # one row per finished job: job, started_at, finished_at


def record_run(db: Path, job: str, started: dt.datetime) -> None:
    """Add a finished `job` to `db`'s job_runs, so readers can tell which steps ran after which
    (health and scores older than the features they were computed from, say)."""
    import duckdb
    with duckdb.connect(str(db)) as con:
        con.execute(f"create table if not exists {JOB_RUNS} (job varchar, started_at timestamp, finished_at timestamp)")
        con.execute(f"insert into {JOB_RUNS} values (?, ?, ?)", [job, started, dt.datetime.now()])


def last_runs(con) -> tuple[dict[str, dt.datetime], dt.datetime | None]:
    """({job: when it last finished}, when the first recorded job started) from the warehouse open
    on `con`; ({}, None) when no job is recorded (a warehouse from before job_runs, or built
    without the jobs)."""
    from features.warehouse import has_table  # duckdb: kept out of this module's import (`radar --help`)
    if not has_table(con, JOB_RUNS):
        return {}, None
    rows = con.execute(f"select job, max(finished_at), min(min(started_at)) over () from {JOB_RUNS} "
                       "group by job").fetchall()
    return {job: finished for job, finished, _ in rows}, (rows[0][2] if rows else None)
