"""`radar features`: point-in-time feature snapshots, one row per (account_id, as_of).

The SQL under sql/ (staging views, daily base tables, the spine, one file per feature family)
is materialised by the runner in the order the files' `-- reads:` headers give. Windows end on
as_of, inclusive, so no feature sees a row stamped after its observation date. Families with
one row per (account_id, as_of) are joined side by side; long ones (per event type, persona,
workflow, trait) are pivoted into one column each, declared in the catalog as they appear.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import pandas as pd

from features import traits
from features.catalog import Feature, event_type_features, load_catalog, persona_feature, slug, workflow_feature
from features.inputs import data_end, feature_runner, observation_dates
from features.marts import build_marts
from features.runner import Runner
from features.settings import PipelineSettings, load_settings
from features.warehouse import (ensure_history_tables, replace_dates, require_table, transaction,
                                write_parquet)

__all__ = ["build", "run", "data_end", "observation_dates", "available_sources", "KEYS"]

KEYS = ["account_id", "as_of"]
# families joined side by side, in column order; manual_traits is long and pivoted by trait
FAMILIES = ("usage", "seats", "engagement", "manual_traits", "support", "commercial", "contract_history", "delivery")


def available_sources(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Loaded tables and table.columns; traits count as loaded once the portal has recorded one."""
    rows = con.execute("select table_name, column_name from source_columns where present").fetchall()
    have = {t for t, _ in rows} | {f"{t}.{c}" for t, c in rows}
    if con.execute("select count(*) from trait_edits").fetchall()[0][0]:
        have.add("traits")
    return have


def _pivot(long: pd.DataFrame, column: str, values: str, names: dict) -> pd.DataFrame:
    if long.empty:
        return pd.DataFrame(columns=KEYS)
    wide = long.pivot_table(index=KEYS, columns=column, values=values, aggfunc="first")
    wide = wide.rename(columns=names).reset_index()
    wide.columns.name = None
    return wide


def build(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None,
          settings: PipelineSettings | None = None, progress=print) -> tuple[pd.DataFrame, list[Feature]]:
    """Compute the feature frame (one row per account_id, as_of) and the catalog of its columns."""
    frame, features, _ = _build(con, as_of, settings or load_settings(), progress)
    return frame, features


def _build(con: duckdb.DuckDBPyConnection, as_of: dt.date | None, s: PipelineSettings,
           progress) -> tuple[pd.DataFrame, list[Feature], Runner]:
    require_table(con, "events", "radar ingest SOURCE_DIR")
    ensure_history_tables(con)
    dates = [as_of] if as_of else observation_dates(con, s.warmup_days)
    t0 = time.perf_counter()
    run = feature_runner(con, dates, s)
    run.build("spine", "user_days", "type_days")
    progress(f"  base tables   {time.perf_counter() - t0:5.1f}s")
    catalog = load_catalog(traits=s.traits)
    frame = run.df("spine")
    for family in FAMILIES:
        part = (traits.feature_columns(run.df(family), s.traits) if family == "manual_traits"
                else run.df(family))
        frame = frame.merge(part, on=KEYS, how="left")
        progress(f"  {family:<13} {time.perf_counter() - t0:5.1f}s")

    tracked = run.df("tracked_event_types")["event_type"].tolist()
    evt = run.df("event_types")
    for t in tracked:
        for f in event_type_features(t):
            catalog[f.name] = f
    frame = frame.merge(_pivot(evt, "event_type", "events_recent", {t: f"evt_{slug(t)}_30d" for t in tracked}),
                        on=KEYS, how="left")
    frame = frame.merge(_pivot(evt, "event_type", "trend", {t: f"evt_{slug(t)}_trend" for t in tracked}),
                        on=KEYS, how="left")
    for t in tracked:  # an event type with no events in the window is a count of zero
        col = f"evt_{slug(t)}_30d"
        frame[col] = frame[col].fillna(0) if col in frame else 0

    personas = run.df("persona_activity")
    for p in personas["persona"].unique():
        catalog[persona_feature(p).name] = persona_feature(p)
    frame = frame.merge(_pivot(personas, "persona", "share", {p: persona_feature(p).name
                                                              for p in personas["persona"].unique()}),
                        on=KEYS, how="left")
    flows = run.df("workflow_attainment")
    present = set(run.df("workflows")["name"])
    for w in s.workflows:
        if w.name in set(flows["workflow"]):
            catalog[workflow_feature(w.name, w.description).name] = workflow_feature(w.name, w.description)
    frame = frame.merge(_pivot(flows, "workflow", "attainment",
                               {w.name: workflow_feature(w.name, w.description).name for w in s.workflows}),
                        on=KEYS, how="left")
    frame = frame.merge(run.df("adoption_summary"), on=KEYS, how="left")
    frame = frame.merge(run.df("derived"), on=KEYS, how="left")
    progress(f"  adoption      {time.perf_counter() - t0:5.1f}s")

    have = available_sources(con)
    frame, features = _keep_available(frame, catalog, have, progress)
    skipped = [w.name for w in s.workflows if w.name not in present]
    if skipped and "users.persona" in have:
        progress(f"  note: workflows left out, their event type is not in the data: {', '.join(skipped)}")
    frame = frame.sort_values(KEYS, ignore_index=True)
    return frame, features, run


def _keep_available(frame, catalog, have, progress) -> tuple[pd.DataFrame, list[Feature]]:
    """Drop features whose sources were not loaded, and say so once per missing source."""
    keep, missing = [], {}
    for col in frame.columns:
        if col in KEYS:
            continue
        f = catalog.get(col)
        if f is None:
            raise KeyError(f"feature column '{col}' has no declaration in the catalog")
        lacking = [r for r in f.requires if r not in have]
        if lacking:
            missing.setdefault(lacking[0], []).append(col)
        else:
            keep.append(f)
    for source, cols in missing.items():
        progress(f"  note: {source} not loaded; leaving out {len(cols)} features ({', '.join(cols)})")
    return frame[KEYS + [f.name for f in keep]], keep


def _write_catalog(con: duckdb.DuckDBPyConnection, features: list[Feature]) -> None:
    """Table `feature_catalog`: one row per feature column of `features`."""
    text = ["family", "description", "unit", "direction", "requires", "sentence", "yes", "no"]
    con.register("cat", pd.DataFrame([f.to_row() for f in features]).astype({c: "string" for c in text}))
    try:
        con.execute("create or replace table feature_catalog as select * from cat")
    finally:
        con.unregister("cat")


def run(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, out: Path | None = None,
        progress=print) -> pd.DataFrame:
    """Build features and write tables `features` and `feature_catalog` and the portal's marts
    (and Parquet to `out`), in one transaction."""
    frame, features, runner = _build(con, as_of, load_settings(), progress)
    existing = [r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_name = 'features' and table_schema = 'main'").fetchall()]
    # one date into a table with the same columns replaces that date only; anything else rebuilds it
    keep_history = as_of is not None and set(existing) == set(frame.columns)
    if as_of is not None and existing and not keep_history:
        progress("  note: the feature columns changed, so `features` now holds only this date; "
                 "run `radar features` for the full history")
    with transaction(con):
        replace_dates(con, "features", frame, replace_all=not keep_history)
        _write_catalog(con, features)
        build_marts(con, runner)  # details the portal shows beside the features (not model inputs)
    write_parquet(frame, out)
    return frame
