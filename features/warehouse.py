"""The DuckDB warehouse: opening it, and the tables that keep history across ingests."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

# tables that are not rebuilt from the source folder; an ingest carries `ingest_runs` over (what
# people write lives in the operational store, and `radar features` copies trait edits in)
HISTORY_TABLES = ("ingest_runs", "trait_edits", "status_notes")
HISTORY_DDL = {
    # data_end: the last day the data describes (the latest event, capped at the export time, or
    # --data-end); exported_at: the newest source file's time (UTC)
    "ingest_runs": "run_id varchar, started_at timestamp, finished_at timestamp, "
                   "source_dir varchar, rows_loaded bigint, rows_quarantined bigint, "
                   "data_end date, exported_at timestamp, accepted_quarantine boolean",
    "trait_edits": "account_id varchar, trait varchar, value varchar, edited_by varchar, "
                   "edited_at timestamp",
    "status_notes": "account_id varchar, note varchar, edited_by varchar, edited_at timestamp",
}


class WarehouseError(Exception):
    """The warehouse is missing or lacks a table a step needs; the message names the fix."""


def connect(db: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(db), read_only=read_only)
    con.execute("set enable_progress_bar = false")
    con.execute("set TimeZone = 'UTC'")  # offsets in source timestamps are normalised to UTC
    return con


def open_existing(db: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not Path(db).exists():
        raise WarehouseError(f"{db}: no warehouse here; run `radar ingest SOURCE_DIR` (or `radar demo`)")
    return connect(db, read_only)


@contextmanager
def unordered(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Let DuckDB build tables in any row order inside the block (about a tenth faster on the
    feature build's large GROUP BYs); anything whose order matters says ORDER BY."""
    before = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("set preserve_insertion_order = false")
    try:
        yield con
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if before else 'false'}")


def ensure_history_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name, ddl in HISTORY_DDL.items():
        con.execute(f"create table if not exists {name} ({ddl})")


def has_table(con: duckdb.DuckDBPyConnection, name: str, schema: str = "main") -> bool:
    return con.execute("select count(*) from information_schema.tables where table_name = ? "
                       "and table_schema = ?", [name, schema]).fetchall()[0][0] > 0


def require_table(con: duckdb.DuckDBPyConnection, name: str, fix: str) -> None:
    if not has_table(con, name):
        raise WarehouseError(f"the warehouse has no `{name}` table yet; run `{fix}`")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Everything inside happens, or (on any error) nothing does."""
    con.execute("begin")
    try:
        yield con
    except BaseException:
        try:
            con.execute("rollback")
        except duckdb.Error:  # the error already ended the transaction: report the error, not this
            pass
        raise
    con.execute("commit")


def replace_dates(con: duckdb.DuckDBPyConnection, table: str, frame, replace_all: bool = False) -> None:
    """Write `frame` (with an as_of column) into `table`: replace the rows of the dates it holds,
    or the whole table with `replace_all`; as_of is stored as a DATE. No transaction of its own."""
    con.register("incoming", frame)
    select = "select * replace (cast(as_of as date) as as_of) from incoming"
    try:
        if replace_all or not has_table(con, table):
            con.execute(f"create or replace table {table} as {select}")
        else:
            con.execute(f"delete from {table} where as_of in (select distinct cast(as_of as date) from incoming)")
            con.execute(f"insert into {table} by name {select}")
    finally:
        con.unregister("incoming")


def upsert_dates(con: duckdb.DuckDBPyConnection, table: str, frame, replace_all: bool = False) -> None:
    """`replace_dates` in one transaction of its own."""
    with transaction(con):
        replace_dates(con, table, frame, replace_all)


def write_parquet(frame, out) -> None:
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(out, index=False)
