"""`radar features`: point-in-time feature snapshots, one row per (account_id, as_of).

The SQL under sql/ (staging views, day grains, the spine, one file per feature family) is
materialised by the runner in the order the files' `-- reads:` headers give. Windows end on
as_of, inclusive, so no feature sees a row stamped after its observation date. Families with
one row per (account_id, as_of) are joined side by side; long ones (per event type, persona,
workflow, trait) are pivoted into one column each, declared in the catalog as they appear
(features/assemble.py writes that SELECT).

A build computes only the dates that are new or whose inputs changed since the last one
(features/incremental.py); `full=True` rebuilds every date.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Sequence

import duckdb
import pandas as pd

from features import incremental
from features.assemble import KEYS as _KEYS, Layout, ident, layout, trait_update
from features.catalog import Feature, load_catalog
from features.inputs import (SOURCES, data_end, feature_runner, first_event_day, month_ends, observation_dates,
                             register_trait_values)
from features.marts import publish_marts
from features.outputs import columns_of, main_table, replace_rows, write_catalog
from features.runner import Keep, Runner
from features.settings import PipelineSettings, load_settings
from features.warehouse import ensure_history_tables, require_table, transaction, unordered, write_parquet

__all__ = ["build", "run", "data_end", "observation_dates", "available_sources", "KEYS", "FAMILIES"]

KEYS = list(_KEYS)
# families joined side by side, in column order; manual_traits is long and pivoted by trait
FAMILIES = (
    "usage",
    "seats",
    "engagement",
    "manual_traits",
    "support",
    "commercial",
    "contract_history",
    "delivery",
)


def available_sources(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Loaded tables and table.columns; traits count as loaded once the portal has recorded one."""
    rows = con.execute("select table_name, column_name from source_columns where present").fetchall()
    have = {t for t, _ in rows} | {f"{t}.{c}" for t, c in rows}
    if con.execute("select count(*) from trait_edits").fetchall()[0][0]:
        have.add("traits")
    return have


def build(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None,
          settings: PipelineSettings | None = None, progress=print) -> tuple[pd.DataFrame, list[Feature]]:
    """Compute the feature frame (one row per account_id, as_of; at `as_of`, or every observation
    date) and the catalog of its columns. Writes nothing the warehouse keeps."""
    s = settings or load_settings()
    _require(con)
    dates = [as_of] if as_of else observation_dates(con, s.warmup_days)
    runner = feature_runner(con, dates, s)
    lay = _layout(con, runner, s, progress)
    return _rows(con, lay), list(lay.features)


def run(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, out: Path | None = None,
        progress=print, full: bool = False, dates: Sequence[dt.date] | None = None) -> pd.DataFrame:
    """Build features and write tables `features` and `feature_catalog` and the portal's marts
    (and every snapshot as Parquet to `out`), in one transaction. Returns the snapshots this
    build computed.

    Without `as_of`: of the observation dates (`dates`, default every month end after the
    warm-up and the data end), those that are new since the last build (and the trait columns
    of the dates whose traits changed), or every one with `full`, or when an incremental build
    cannot be trusted (the progress says why: other dates than last time, for one). With
    `as_of`: that one date, replacing it in `features` (the build state is left alone)."""
    with unordered(con):
        return _run(con, as_of, out, progress, full, dates)


def _run(con: duckdb.DuckDBPyConnection, as_of: dt.date | None, out: Path | None, progress, full: bool,
         dates: Sequence[dt.date] | None) -> pd.DataFrame:
    s = load_settings()
    _require(con)
    if as_of is not None:
        return _one_date(con, as_of, s, out, progress)
    end, first = data_end(con), first_event_day(con)
    p = incremental.plan(con, dates or month_ends(first, end, s.warmup_days), s, end, full)
    if p.nothing:
        progress(f"  up to date: {len(p.dates)} dates, nothing new or changed since the last build")
        _write_all(con, out)
        return con.execute("select * from features limit 0").df()
    _say_plan(p, progress)
    runner, lay = _incremental_layout(con, p, s, end, first, progress)
    if not p.full and (existing := columns_of(con, "features")) != lay.columns:
        progress(f"  the feature columns change ({_column_change(existing, lay.columns)}): building every date")
        p = incremental.Plan(p.dates, True, "the feature columns change")
        runner, lay = _incremental_layout(con, p, s, end, first, lambda *a, **k: None)
    t0 = time.perf_counter()
    con.execute(f"create or replace temp table feature_rows as {lay.sql}")
    runner.register_list("all_dates", "as_of", p.dates, "date")
    replaced = "true" if p.full else "as_of > $since or as_of not in (select as_of from all_dates)"
    values = {} if p.full else {"since": p.since}
    with transaction(con):
        replace_rows(con, "features", "feature_rows", replaced, values, "account_id, as_of")
        write_catalog(con, list(lay.features))
        publish_marts(con, runner, replaced, values)  # details the portal shows beside the features
        incremental.record(con, p, s, end, compacted="user_history" in runner.built)
        if not p.full and p.traits_from is not None:
            _update_traits(con, p, s, end, lay)
    progress(f"  written       {time.perf_counter() - t0:5.1f}s")
    _write_all(con, out)
    return _rows(con, lay, "feature_rows")


def _write_all(con: duckdb.DuckDBPyConnection, out: Path | None) -> None:
    """Every snapshot the warehouse now holds, as Parquet at `out`."""
    if out:
        write_parquet(con.execute(f"select * from {main_table(con, 'features')} order by account_id, as_of").df(), out)


def _incremental_layout(con, p: incremental.Plan, s: PipelineSettings, end: dt.date, first, progress):
    runner = feature_runner(con, p.build, s, Keep(None if p.full else p.since), end, first, p.dates)
    if not p.full:
        incremental.provide_history(runner, p.since)
    return runner, _layout(con, runner, s, progress)


def _update_traits(con: duckdb.DuckDBPyConnection, p: incremental.Plan, s: PipelineSettings, end: dt.date,
                   lay: Layout) -> None:
    """Recompute the trait columns of the kept dates from `p.traits_from` (the others need nothing:
    the manual traits feed only these). Runs last: it replaces this connection's `spine`."""
    runner = Runner(con, sources=SOURCES, params={"data_end": end})
    runner.provide("spine", "select account_id, as_of from features where as_of between ? and ?",
                   [p.traits_from, p.since])
    register_trait_values(runner, s.traits)
    runner.build("manual_traits")
    names = {n for t in s.traits for n in (t.feature, t.age_feature)}
    columns = [c for c in lay.columns if c in names]
    if not columns:
        return
    con.execute(f"create or replace temp table trait_rows as {trait_update(s, columns)}")
    sets = ", ".join(f"{ident(c)} = t.{ident(c)}" for c in columns)
    con.execute(f"update {main_table(con, 'features')} as f set {sets} from trait_rows as t "
                f"where f.account_id = t.account_id and f.as_of = t.as_of")


def _require(con: duckdb.DuckDBPyConnection) -> None:
    require_table(con, "events", "radar ingest SOURCE_DIR")
    ensure_history_tables(con)


def _layout(con: duckdb.DuckDBPyConnection, runner: Runner, s: PipelineSettings, progress) -> Layout:
    t0 = time.perf_counter()
    runner.build("spine", "user_days", "type_days")
    progress(f"  day grains    {time.perf_counter() - t0:5.1f}s")
    lay = layout(runner, s, load_catalog(traits=s.traits), available_sources(con), FAMILIES)
    progress(f"  families      {time.perf_counter() - t0:5.1f}s")
    for note in lay.notes:
        progress(f"  {note}")
    return lay


def _rows(con: duckdb.DuckDBPyConnection, lay: Layout, table: str | None = None) -> pd.DataFrame:
    source = table or f"({lay.sql})"
    return con.execute(f"select * from {source} order by account_id, as_of").df()


def _one_date(con: duckdb.DuckDBPyConnection, as_of: dt.date, s: PipelineSettings, out, progress) -> pd.DataFrame:
    runner = feature_runner(con, [as_of], s)
    lay = _layout(con, runner, s, progress)
    con.execute(f"create or replace temp table feature_rows as {lay.sql}")
    existing = columns_of(con, "features")
    # one date into a table with the same columns replaces that date only; anything else rebuilds it
    if existing and existing != lay.columns:
        progress("  note: the feature columns changed, so `features` now holds only this date; "
                 "run `radar features --full` for the full history")
    with transaction(con):
        replace_rows(con, "features", "feature_rows", "as_of = $as_of", {"as_of": as_of}, "account_id, as_of")
        write_catalog(con, list(lay.features))
        publish_marts(con, runner, "as_of = $as_of", {"as_of": as_of})
    frame = _rows(con, lay, "feature_rows")
    write_parquet(frame, out)
    return frame


def _say_plan(p: incremental.Plan, progress) -> None:
    if p.full:
        progress(f"  building every date ({len(p.dates)}): {p.reason}")
        return
    built = ", ".join(f"{d}" for d in p.build) or "none"
    progress(f"  incremental: {len(p.build)} of {len(p.dates)} dates new ({built}); day grains redone "
             f"after {p.since}" + (f"; trait columns from {p.traits_from}" if p.traits_from else ""))


def _column_change(before: list[str], after: list[str]) -> str:
    added = [c for c in after if c not in before]
    gone = [c for c in before if c not in after]
    parts = ([f"new: {', '.join(added)}"] if added else []) + ([f"gone: {', '.join(gone)}"] if gone else [])
    return "; ".join(parts) or "new order"
