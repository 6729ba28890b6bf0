"""`radar ingest`: load a source folder into a new warehouse built beside the old one, and swap it in
only when every table loaded and none lost too much to quarantine. A failed, refused or interrupted
ingest leaves the previous warehouse exactly as it was. What it takes over from the warehouse it
replaces (the ingest history, the last feature build, the published figures) is in carry.py. What
people write lives in the operational store (features/appstore.py).
"""
from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import replace
from pathlib import Path

import duckdb

from features import contract
from features.ingest import carry, quarantine, stage
from features.ingest.readers import IngestError, Source, discover
from features.ingest.settings import IngestSettings, load_ingest_settings
from features.ingest.stage import Bounds
from features.publish import building_path, refuse_read_only, remove_stale_copies, swap_in, wal_path
from features.traits import TraitSpec, load_traits
from features.warehouse import connect, ensure_history_tables



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
        carried = carry.take_over(con, db, progress)
        ensure_history_tables(con)
        quarantine.create(con)
        con.execute("create table source_columns (table_name varchar, column_name varchar, "
                    "present boolean, file varchar)")
        for src in sources:
            t0 = time.perf_counter()
            good, bad = summary[src.table.name] = stage.load(con, src, run_id, settings, bounds, progress)
            if src.table.is_required and good + bad == 0:
                raise IngestError(f"{src.file}: no rows; {src.table.name} is a required table")
            empty = _empty_columns(con, src, good, progress)
            con.executemany("insert into source_columns values (?, ?, ?, ?)",
                            [[src.table.name, c, src.path is not None and c in src.columns and c not in empty, src.file]
                             for c, _ in src.table.columns])
            note = "absent (optional)" if src.path is None else f"{good:,} rows loaded, {bad:,} quarantined"
            progress(f"  {src.table.name:<12} {note}  ({time.perf_counter() - t0:.1f}s)")
            _say_columns(src, progress)
            if src.table.name == contract.EVENTS and bounds.data_end is None:
                bounds = replace(bounds, data_end=con.execute(
                    "select max(cast(occurred_at as date)) from events").fetchall()[0][0])
        carry.say_lost_columns(con, progress)
        _say_uncontracted(con, progress)
        carry.keep_if_same_portfolio(con, carried, settings.same_portfolio_share, progress)
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


def _say_columns(src, progress) -> None:
    """Headers read under another spelling, and the file's columns nothing reads: one note each."""
    if src.path is None:
        return
    if spelled := src.respelled():
        progress(f"  note: {src.file}: reading " + ", ".join(f"'{n}' as {c}" for c, n in spelled.items()))
    if src.unused:
        shown = ", ".join(f"'{n[:40]}'" for n in src.unused[:6]) + (f" and {len(src.unused) - 6} more"
                                                                   if len(src.unused) > 6 else "")
        progress(f"  note: {src.file}: not read (no such column in the contract): {shown}")


def _empty_columns(con, src, loaded: int, progress) -> set[str]:
    """Columns of `src`'s file with no value in any loaded row: counted as absent (an export with a
    `user_id` header and nothing under it has no users, not users who were never active), and said."""
    cols = [c for c, _ in src.table.columns if src.path is not None and c in src.columns]
    if not loaded or not cols:
        return set()
    counts = con.execute(f"select {', '.join(f'count({c})' for c in cols)} from {src.table.name}").fetchall()[0]
    empty = [c for c, n in zip(cols, counts) if n == 0]
    named = dict(zip(cols, counts)).get("user_id", 0)
    if src.table.name == contract.EVENTS and 0 < named < loaded:
        progress(f"  note: {src.file}: {loaded - named:,} of {loaded:,} events ({1 - named / loaded:.1%}) name no "
                 "user_id: they count toward the account's events, not toward anyone's activity (active users, "
                 "never logged in)")
    if empty:
        progress(f"  note: {src.file}: {', '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty in every row; "
                 "treated as absent")
    return set(empty)


def _say_uncontracted(con, progress) -> None:
    """Accounts no contract names: no snapshot, score or portfolio figure includes them until one
    is loaded, so say how many (and a few ids) instead of letting them vanish."""
    rows = con.execute("""select account_id from accounts as a
                          where not exists (select 1 from contracts as c where c.account_id = a.account_id)
                          order by account_id""").fetchall()
    if rows:
        ids = ", ".join(r[0] for r in rows[:5]) + (f" and {len(rows) - 5:,} more" if len(rows) > 5 else "")
        progress(f"  note: {len(rows):,} of the accounts have no contract ({ids}): no snapshot, score or "
                 "portfolio figure includes them until a contract names them")
