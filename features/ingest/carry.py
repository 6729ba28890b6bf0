"""What an ingest takes over from the warehouse it replaces: the ingest history (`ingest_runs`),
the last feature build (features/incremental.py `carry_over`: the features, the marts and the
state the next build starts from) and every table a later step published (health, scores,
drivers, alerts, ...), so the portal keeps showing the last figures until the steps after the
ingest replace them. The build and the figures stay only when the export continues the same
portfolio ([portfolio] same_share in config/ingest.toml).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from features import contract, incremental
from features.ingest.readers import IngestError, sql_str
from features.publish import building_path, wal_path
from features.warehouse import ensure_history_tables

CARRIED = ("ingest_runs",)  # history every ingest takes over
OWN = {t.name for t in contract.TABLES} | {"quarantine", "source_columns"}  # what an ingest loads anew
PREVIOUS = "radar_previous_warehouse"  # the replaced warehouse's name while attached


def take_over(con: duckdb.DuckDBPyConnection, old: Path, progress) -> tuple[list[str], list[str]]:
    """Take over from the warehouse being replaced the CARRIED history, the last feature build and
    the tables later steps published (returned: (feature build, published)), and keep its account
    ids in temp table `previous_accounts`; refuse to replace a file that is not a warehouse."""
    if not old.exists():
        return [], []
    copy = None
    try:
        try:
            con.execute(f"attach {sql_str(old)} as {PREVIOUS} (read_only)")
        except duckdb.Error as e:
            if "not a valid DuckDB database" in str(e):
                raise IngestError(f"{old}: exists but is not a DuckDB warehouse; "
                                  "move it away or choose another --db") from None
            if "WAL" not in str(e):
                raise
            # a log left by a killed job that does not match the file: read the file without it
            progress(f"  note: {wal_path(old).name} does not match {old.name} (left by a killed job); ignored")
            copy = Path(f"{building_path(old)}.history")
            shutil.copyfile(old, copy)
            con.execute(f"attach {sql_str(copy)} as {PREVIOUS} (read_only)")
        have = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                          f"where table_catalog = '{PREVIOUS}' and table_schema = 'main'").fetchall()}
        ensure_history_tables(con)
        for name in CARRIED:
            if name in have:
                con.execute(f"insert into {name} by name select * from {PREVIOUS}.{name}")
        kept = incremental.carry_over(con, PREVIOUS)
        published = _published(con, have)
        accounts = f"select account_id from {PREVIOUS}.accounts" if "accounts" in have else "select ''::varchar as account_id limit 0"
        con.execute(f"create or replace temp table previous_accounts as {accounts}")
        columns = (f"select table_name, column_name from {PREVIOUS}.source_columns where present"
                   if "source_columns" in have else "select ''::varchar as table_name, ''::varchar as column_name limit 0")
        con.execute(f"create or replace temp table previous_columns as {columns}")
        con.execute(f"detach {PREVIOUS}")
        return kept, published
    finally:
        if copy is not None:
            copy.unlink(missing_ok=True)
            wal_path(copy).unlink(missing_ok=True)


def say_lost_columns(con: duckdb.DuckDBPyConnection, progress) -> None:
    """After the load: the sources and columns the previous load had and this one lacks (a file
    that stopped coming, a column an export renamed), one note per table: the features that need
    them will be left out, so say it before anyone wonders where they went."""
    if not con.execute("select count(*) from duckdb_tables() where temporary and table_name = 'previous_columns'"
                       ).fetchall()[0][0]:
        return  # no earlier warehouse
    lost = con.execute("""select p.table_name, list(p.column_name order by p.column_name),
                                 bool_and(coalesce(now.present, false) = false) and count(*) = max(n.cols)
                          from previous_columns as p
                          left join source_columns as now using (table_name, column_name)
                          join (select table_name, count(*) as cols from previous_columns group by all) as n
                            using (table_name)
                          where not coalesce(now.present, false)
                          group by p.table_name order by p.table_name""").fetchall()
    for table, cols, whole in lost:
        what = f"{table} was loaded last time and is absent now" if whole else \
            f"{table}: {', '.join(cols)} loaded last time, absent now"
        progress(f"  note: {what}; the features that need it will be left out")


def keep_if_same_portfolio(con: duckdb.DuckDBPyConnection, carried: tuple[list[str], list[str]], share: float,
                           progress) -> None:
    """After the load: keep what `take_over` carried when the export continues the same portfolio
    (`share` of the old accounts are in it); drop it when it is another one, whose figures would
    be wrong here."""
    kept, published = carried
    if not kept and not published:
        return
    old, still = con.execute("select count(*), count(*) filter (where account_id in (select account_id from accounts)) "
                             "from previous_accounts").fetchall()[0]
    if old and still < share * old:
        for name in kept + published:
            con.execute(f"drop table {name}")
        progress(f"  another portfolio ({still:,} of the {old:,} accounts before are in this export): "
                 "the last build and published figures are not carried over; run features, health and score")
        return
    if kept:
        progress(f"  carried over the last feature build ({len(kept)} tables): `radar features` builds what is new")
    if published:
        progress(f"  carried over what the portal shows until the next steps replace it: {', '.join(published)}")


def _published(con: duckdb.DuckDBPyConnection, have: set[str]) -> list[str]:
    """Copy every other table of the attached previous warehouse that the ingest does not load
    itself (health, scores, drivers, alerts, ...). Returns their names."""
    present = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                         "where table_catalog = current_database() and table_schema = 'main'").fetchall()}
    published = sorted(have - present - OWN)
    for name in published:
        con.execute(f'create table "{name}" as select * from {PREVIOUS}."{name}"')
    return published
