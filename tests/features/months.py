"""A warehouse as it was at an earlier day, and the month that followed: how the incremental
tests and benchmarks stand in for "yesterday's ingest, then today's"."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

# (table, time column that says when a row arrived, columns that hold a later event's time)
STAMPS = (("events", "occurred_at", ()), ("tickets", "opened_at", ("closed_at",)),
          ("touchpoints", "occurred_at", ()), ("traits", "as_of", ()),
          ("users", "created_at", ("deactivated_at",)), ("contracts", "start_date", ()),
          ("trait_edits", "edited_at", ()))


def cut_at(con: duckdb.DuckDBPyConnection, day: dt.date) -> None:
    """Leave only what was known at the end of `day`: later rows go, later closings and
    deactivations are not known yet. The ingest's recorded data end (when it keeps one) moves too."""
    after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    for table, stamp, later in STAMPS:
        con.execute(f"delete from {table} where {stamp} >= ?", [after])
        for col in later:
            con.execute(f"update {table} set {col} = null where {col} >= ?", [after])
    cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                      "where table_name = 'ingest_runs'").fetchall()}
    if "data_end" in cols:
        con.execute("update ingest_runs set data_end = ?", [day])


def restore_sources(con: duckdb.DuckDBPyConnection, full: Path) -> None:
    """Replace every source table with `full`'s, as an ingest does (it carries the feature build
    over): the warehouse now holds the month that followed."""
    con.execute(f"attach '{full}' as full_db (read_only)")
    try:
        for table, _, _ in STAMPS + (("ingest_runs", None, ()), ("source_columns", None, ())):
            con.execute(f"create or replace table main.{table} as select * from full_db.main.{table}")
    finally:
        con.execute("detach full_db")
