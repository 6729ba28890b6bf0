"""`radar ingest`: a source folder into the warehouse, every bad row quarantined with its reason,
nothing half-written, and a load that lost too much refused with the previous warehouse kept.

    readers.py     find each table's file, read CSV (one dialect for the whole file) and Parquet
    parse.py       SQL that reads numbers, times and ids from a file's raw columns, never guessing
    stage.py       the checks, and one table loaded: good rows in, bad rows to quarantine
    quarantine.py  the quarantine table, its summary, and the loss rule (exit 3)
    run.py         the whole ingest: build aside, carry the history, swap in
    settings.py    config/ingest.toml, typed
"""
from __future__ import annotations

import datetime as dt

import duckdb

from features.ingest.quarantine import QuarantineExceeded, quarantine_summary
from features.ingest.readers import IngestError
from features.ingest.run import ingest
from features.ingest.settings import IngestSettings, load_ingest_settings

__all__ = ["IngestError", "IngestSettings", "QuarantineExceeded", "ingest", "load_ingest_settings",
           "quarantine_summary", "recorded_data_end"]


def recorded_data_end(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The data end the latest ingest recorded (the last day the data describes), or None for a
    warehouse ingested before ingest recorded it."""
    cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                      "where table_name = 'ingest_runs' and table_schema = 'main'").fetchall()}
    if "data_end" not in cols:
        return None
    row = con.execute("select data_end from ingest_runs order by finished_at desc limit 1").fetchall()
    return row[0][0] if row else None
