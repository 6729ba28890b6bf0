"""`radar ingest`: load a source folder into a new warehouse built beside the old one, and swap it in
only when every table loaded and none lost too much to quarantine. A failed, refused or interrupted
ingest leaves the previous warehouse exactly as it was. Carried over: the ingest history
(`ingest_runs`), the last feature build (features/incremental.py `carry_over`: the features, the
marts and the state the next build starts from) and every table a later step published (health,
scores, drivers, alerts, ...), so the portal keeps showing the last figures until the steps after
the ingest replace them. What people write lives in the operational store (features/appstore.py).
"""
from __future__ import annotations

import datetime as dt
import shutil
import time
import uuid
from dataclasses import replace
from pathlib import Path

import duckdb

from features import contract, incremental
from features.ingest import quarantine, stage
from features.ingest.readers import IngestError, Source, discover, sql_str
from features.ingest.settings import IngestSettings, load_ingest_settings
from features.ingest.stage import Bounds
from features.publish import building_path, refuse_read_only, remove_stale_copies, swap_in, wal_path
from features.traits import TraitSpec, load_traits
from features.warehouse import connect, ensure_history_tables

CARRIED = ("ingest_runs",)  # tables an ingest takes over from the warehouse it replaces
OWN = {t.name for t in contract.TABLES} | {"quarantine", "source_columns"}  # what an ingest loads anew
SAME_PORTFOLIO = 0.5  # carry the last build only when this share of the old accounts is in the new export
PREVIOUS = "radar_previous_warehouse"  # its name while attached


def ingest(folder: Path, db: Path, progress=print, traits: tuple[TraitSpec, ...] | None = None, *,
           data_end: dt.date | None = None, accept_quarantine: bool = False,
           settings: IngestSettings | None = None) -> dict[str, tuple[int, int]]:
    """Load `folder` into a new warehouse and swap it in at `db`. Returns {table: (loaded, quarantined)}.

    Trait values are checked against `traits` (default: config/traits.toml). `data_end` overrides
    the data end (default: the latest event, capped at the export time). Raises IngestError (bad
    input, exit 2) or QuarantineExceeded (too much lost; exit 3, unless `accept_quarantine`)."""
    folder, db = Path(folder), Path(db)
    settings = settings or load_ingest_settings()
    _check_target(db)
    remove_stale_copies(db)
    tmp = building_path(db)
    tmp.unlink(missing_ok=True)
    run_id, started = uuid.uuid4().hex[:12], dt.datetime.now()  # run times local, as the portal shows them
    summary: dict[str, tuple[int, int]] = {}
    con = None
    try:
        con = _create(tmp)
        sources = discover(con, folder, settings.max_line_bytes)
        exported_at = _export_time(sources)
        bounds = _bounds(settings, exported_at, data_end)
        _register_trait_values(con, load_traits() if traits is None else traits)
        carried = _carry_over(con, db, progress)
        ensure_history_tables(con)
        quarantine.create(con)
        con.execute("create table source_columns (table_name varchar, column_name varchar, "
                    "present boolean, file varchar)")
        for src in sources:
            t0 = time.perf_counter()
            good, bad = summary[src.table.name] = stage.load(con, src, run_id, settings, bounds, progress)
            if src.table.is_required and good + bad == 0:
                raise IngestError(f"{src.file}: no rows; {src.table.name} is a required table")
            con.executemany("insert into source_columns values (?, ?, ?, ?)",
                            [[src.table.name, c, src.path is not None and c in src.columns, src.file]
                             for c, _ in src.table.columns])
            note = "absent (optional)" if src.path is None else f"{good:,} rows loaded, {bad:,} quarantined"
            progress(f"  {src.table.name:<12} {note}  ({time.perf_counter() - t0:.1f}s)")
            if src.table.name == contract.EVENTS and bounds.data_end is None:
                bounds = replace(bounds, data_end=con.execute(
                    "select max(cast(occurred_at as date)) from events").fetchall()[0][0])
        _keep_carried(con, carried, progress)
        quarantine.refuse_losses(con, run_id, sources, summary, settings, accept_quarantine, progress)
        con.execute("""insert into ingest_runs by name select $run_id as run_id, $started as started_at,
                              $finished as finished_at, $source as source_dir, $loaded as rows_loaded,
                              $quarantined as rows_quarantined, $data_end as data_end,
                              $exported as exported_at, $accepted as accepted_quarantine""",
                    {"run_id": run_id, "started": started, "finished": dt.datetime.now(), "source": str(folder.resolve()),
                     "loaded": sum(g for g, _ in summary.values()), "quarantined": sum(b for _, b in summary.values()),
                     "data_end": bounds.data_end, "exported": exported_at,
                     "accepted": accept_quarantine and any(b for _, b in summary.values())})
        con.close()
        con = None
        swap_in(tmp, db)
    finally:
        if con is not None:
            con.close()
        tmp.unlink(missing_ok=True)
        wal_path(tmp).unlink(missing_ok=True)
    progress(f"  data end {bounds.data_end}" + (" (--data-end)" if data_end else
                                                f" (the latest event; files exported {exported_at:%Y-%m-%d %H:%M} UTC)"))
    return summary


def _keep_carried(con: duckdb.DuckDBPyConnection, carried: tuple[list[str], list[str]], progress) -> None:
    """Keep what was carried over when the export continues the same portfolio (SAME_PORTFOLIO of
    the old accounts are in it); drop it when it is another one, whose figures would be wrong here."""
    kept, published = carried
    if not kept and not published:
        return
    old, still = con.execute("select count(*), count(*) filter (where account_id in (select account_id from accounts)) "
                             "from previous_accounts").fetchall()[0]
    if old and still < SAME_PORTFOLIO * old:
        for name in kept + published:
            con.execute(f"drop table {name}")
        progress(f"  another portfolio ({still:,} of the {old:,} accounts before are in this export): "
                 "the last build and published figures are not carried over; run features, health and score")
        return
    if kept:
        progress(f"  carried over the last feature build ({len(kept)} tables): `radar features` builds what is new")
    if published:
        progress(f"  carried over what the portal shows until the next steps replace it: {', '.join(published)}")


def _carry_published(con: duckdb.DuckDBPyConnection, have: set[str]) -> list[str]:
    """Copy every other table of the attached previous warehouse that the ingest does not load
    itself (health, scores, drivers, alerts, ...). Returns their names."""
    present = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                         "where table_catalog = current_database() and table_schema = 'main'").fetchall()}
    published = sorted(have - present - OWN)
    for name in published:
        con.execute(f'create table "{name}" as select * from {PREVIOUS}."{name}"')
    return published


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _check_target(db: Path) -> None:
    if db.is_dir():
        raise IngestError(f"{db}: is a folder; --db takes the warehouse file's path (e.g. {db / 'radar.duckdb'})")
    refuse_read_only(db)
    db.parent.mkdir(parents=True, exist_ok=True)


def _create(tmp: Path) -> duckdb.DuckDBPyConnection:
    try:
        return connect(tmp)
    except duckdb.IOException as e:
        if "ermission denied" in str(e):
            raise PermissionError(f"{tmp.parent}: cannot write there (permission denied); "
                                  "make the folder writable or choose another --db") from None
        raise


def _export_time(sources: list[Source]) -> dt.datetime:
    """When the files were exported: the newest one's modification time (never later than now), UTC."""
    newest = max(src.path.stat().st_mtime for src in sources if src.path is not None)
    return min(dt.datetime.fromtimestamp(newest, dt.timezone.utc).replace(tzinfo=None), _utcnow())


def _bounds(s: IngestSettings, exported_at: dt.datetime, data_end: dt.date | None) -> Bounds:
    if data_end is not None:
        if data_end < s.floor:
            raise IngestError(f"--data-end {data_end} is before the floor {s.floor} (config/ingest.toml)")
        return Bounds(s.floor, dt.datetime.combine(data_end + dt.timedelta(days=1), dt.time()),
                      f"after --data-end {data_end}", data_end)
    cutoff = exported_at + dt.timedelta(hours=s.future_tolerance_hours)
    return Bounds(s.floor, cutoff, f"after the export ({exported_at:%Y-%m-%d %H:%M} UTC)")


def _register_trait_values(con: duckdb.DuckDBPyConnection, traits: tuple[TraitSpec, ...]) -> None:
    """Temporary table `trait_values` (trait, value): every accepted spelling of each declared trait."""
    con.execute("create or replace temp table trait_values (trait varchar, value varchar)")
    rows = [[name, value] for t in traits for name, value, _ in t.score_rows()]
    if rows:
        con.executemany("insert into trait_values values (?, ?)", rows)


def _carry_over(con: duckdb.DuckDBPyConnection, old: Path, progress) -> tuple[list[str], list[str]]:
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
        published = _carry_published(con, have)
        accounts = f"select account_id from {PREVIOUS}.accounts" if "accounts" in have else "select ''::varchar as account_id limit 0"
        con.execute(f"create or replace temp table previous_accounts as {accounts}")
        con.execute(f"detach {PREVIOUS}")
        return kept, published
    finally:
        if copy is not None:
            copy.unlink(missing_ok=True)
            wal_path(copy).unlink(missing_ok=True)
