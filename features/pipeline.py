"""`radar features`: point-in-time feature snapshots, one row per (account_id, as_of).

Runs the SQL under sql/ on DuckDB: staging views, daily base tables, the spine, then one file
per feature family, each keyed by (account_id, as_of). Windows end on as_of, inclusive, so
no feature sees a row stamped after its observation date.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import pandas as pd

from features.catalog import Feature, event_type_features, load_catalog, persona_feature, slug, workflow_feature
from features.settings import PipelineSettings, load_settings
from features.warehouse import ensure_history_tables, has_table, require_table, upsert_dates, write_parquet

SQL = Path(__file__).parent / "sql"
KEYS = ["account_id", "as_of"]
STAGING = ("accounts", "contracts", "events", "users", "tickets", "touchpoints", "traits")
FAMILIES = ("usage", "seats", "engagement", "traits", "support", "commercial", "delivery")


def sql(rel: str) -> str:
    return (SQL / rel).read_text()


def data_end(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The last day the data describes: the latest event (or ticket or touchpoint) date."""
    row = con.execute("""select greatest(
        (select max(cast(occurred_at as date)) from events),
        (select max(cast(opened_at as date)) from tickets),
        (select max(cast(occurred_at as date)) from touchpoints))""").fetchall()[0]
    return row[0] or dt.date.today()


def observation_dates(con: duckdb.DuckDBPyConnection, warmup_days: int) -> list[dt.date]:
    """Month ends from `warmup_days` after the first event to the data end, plus the data end."""
    end = data_end(con)
    first = con.execute("select min(cast(occurred_at as date)) from events").fetchall()[0][0] or end
    start = min(first + dt.timedelta(days=warmup_days), end)
    dates = [d.date() for d in pd.date_range(start, end, freq="ME")]
    return dates + ([end] if not dates or dates[-1] != end else [])


def available_sources(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Loaded tables and table.columns; traits count as loaded once the portal has recorded one."""
    rows = con.execute("select table_name, column_name from source_columns where present").fetchall()
    have = {t for t, _ in rows} | {f"{t}.{c}" for t, c in rows}
    if con.execute("select count(*) from trait_edits").fetchall()[0][0]:
        have.add("traits")
    return have


def _list_table(con, name: str, column: str, values) -> None:
    con.execute(f"create or replace temp table {name} ({column} varchar)")
    if values:
        con.executemany(f"insert into {name} values (?)", [[v] for v in values])


def _staging(con: duckdb.DuckDBPyConnection, dates: list[dt.date]) -> None:
    ensure_history_tables(con)
    for name in STAGING:
        con.execute(f"create or replace temp view stg_{name} as {sql(f'staging/stg_{name}.sql')}")
    con.execute("create or replace temp table obs_dates (as_of date)")
    con.executemany("insert into obs_dates values (?)", [[d] for d in dates])
    con.execute("create or replace temp table current_snapshot as select ? as as_of", [data_end(con)])


def prepare(con: duckdb.DuckDBPyConnection, dates: list[dt.date], s: PipelineSettings) -> list[str]:
    """Create the temp views and tables the family SQL reads; return the tracked event types."""
    _staging(con, dates)
    for name in ("user_days", "type_days", "spine"):
        con.execute(f"create or replace temp table {name} as {sql(f'base/{name}.sql')}")
    tracked = list(s.event_types) or [r[0] for r in con.execute(
        "select event_type from stg_events where event_date <= (select max(as_of) from obs_dates) "
        "group by event_type order by count(*) desc, event_type limit ?", [s.top_event_types]).fetchall()]
    _list_table(con, "tracked_event_types", "event_type", tracked)
    _list_table(con, "qbr_kinds", "kind", s.qbr_kinds)
    _list_table(con, "defect_kinds", "kind", s.defect_kinds)
    _list_table(con, "help_kinds", "kind", s.help_kinds)
    _list_table(con, "high_priorities", "priority", s.high_priorities)
    _list_table(con, "key_personas", "persona", s.key_personas)
    con.execute("create or replace temp table workflows (name varchar, event_type varchar, "
                "persona varchar, per_user_per_30d double, description varchar)")
    present = {r[0] for r in con.execute("select distinct event_type from type_days").fetchall()}
    flows = [w for w in s.workflows if w.event_type in present]
    if flows:
        con.executemany("insert into workflows values (?, ?, ?, ?, ?)",
                        [[w.name, w.event_type, w.persona.lower(), w.per_user_per_30d, w.description]
                         for w in flows])
    con.execute(f"create or replace temp table workflow_user_days as {sql('base/workflow_user_days.sql')}")
    return tracked


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
    s = settings or load_settings()
    require_table(con, "events", "radar ingest SOURCE_DIR")
    dates = [as_of] if as_of else observation_dates(con, s.warmup_days)
    t0 = time.perf_counter()
    tracked = prepare(con, dates, s)
    progress(f"  base tables {time.perf_counter() - t0:5.1f}s")
    catalog = load_catalog()
    frame = con.execute("select account_id, as_of from spine").df()
    for family in FAMILIES:
        frame = frame.merge(con.execute(sql(f"families/{family}.sql")).df(), on=KEYS, how="left")
        progress(f"  {family:<11} {time.perf_counter() - t0:5.1f}s")

    evt = con.execute(sql("families/event_types.sql")).df()
    evt["trend"] = (evt["n_30d"] * 2.0 / evt["n_prior_60d"].where(evt["n_prior_60d"] > 0)) - 1
    for t in tracked:
        for f in event_type_features(t):
            catalog[f.name] = f
    frame = frame.merge(_pivot(evt, "event_type", "n_30d", {t: f"evt_{slug(t)}_30d" for t in tracked}),
                        on=KEYS, how="left")
    frame = frame.merge(_pivot(evt, "event_type", "trend", {t: f"evt_{slug(t)}_trend" for t in tracked}),
                        on=KEYS, how="left")
    for t in tracked:  # an event type with no events in the window is a count of zero
        col = f"evt_{slug(t)}_30d"
        frame[col] = frame[col].fillna(0) if col in frame else 0

    con.execute(f"create or replace temp table persona_counts as {sql('families/adoption_personas.sql')}")
    con.execute(f"create or replace temp table workflow_attainment as {sql('families/adoption_workflows.sql')}")
    personas = con.execute("select * from persona_counts").df()
    personas = personas[personas["persona"].isin(s.key_personas)]
    personas["share"] = personas["active_30d"] / personas["registered"]
    for p in personas["persona"].unique():
        catalog[persona_feature(p).name] = persona_feature(p)
    frame = frame.merge(_pivot(personas, "persona", "share", {p: persona_feature(p).name
                                                              for p in personas["persona"].unique()}),
                        on=KEYS, how="left")
    flows = con.execute("select * from workflow_attainment").df()
    for w in s.workflows:
        if w.name in set(flows["workflow"]):
            catalog[workflow_feature(w.name, w.description).name] = workflow_feature(w.name, w.description)
    frame = frame.merge(_pivot(flows, "workflow", "attainment",
                               {w.name: workflow_feature(w.name, w.description).name for w in s.workflows}),
                        on=KEYS, how="left")
    frame = frame.merge(con.execute(sql("families/adoption_summary.sql")).df(), on=KEYS, how="left")
    con.register("joined", frame)
    frame = con.execute(sql("families/derived.sql")).df()
    con.unregister("joined")
    progress(f"  adoption    {time.perf_counter() - t0:5.1f}s")

    have = available_sources(con)
    frame, features = _keep_available(frame, catalog, have, progress)
    skipped = [w.name for w in s.workflows if w.name not in set(flows["workflow"])]
    if skipped and "users.persona" in have:
        progress(f"  note: workflows left out, their event type is not in the data: {', '.join(skipped)}")
    frame = frame.sort_values(KEYS, ignore_index=True)
    return frame, features


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


def refresh_traits(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute the manual-trait features of every snapshot in `features` (after portal edits)."""
    cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                      "where table_name = 'features'").fetchall()}
    trait_cols = ("pulse_score", "pulse_age_days", "champion", "champion_age_days",
                  "buyer_access", "buyer_access_age_days")
    dates = [r[0] for r in con.execute("select distinct as_of from features").fetchall()]
    edits = con.execute("select count(*) from trait_edits").fetchall()[0][0] if has_table(con, "trait_edits") else 0
    if not dates or not edits:  # source traits are already in `features`; only portal edits are new
        return 0
    _staging(con, dates)
    con.execute("create or replace temp table spine as select account_id, as_of from features")
    fresh = con.execute(sql("families/traits.sql")).df()
    con.register("fresh", fresh)
    for c in trait_cols:
        if c not in cols:
            con.execute(f"alter table features add column {c} double")
    sets = ", ".join(f"{c} = fresh.{c}" for c in trait_cols)
    con.execute(f"update features set {sets} from fresh "
                "where features.account_id = fresh.account_id and features.as_of = fresh.as_of")
    con.unregister("fresh")
    if not cols >= set(trait_cols):  # declare the columns the first portal edit brought in
        cat = load_catalog()
        con.executemany("insert into feature_catalog by name select * from (select ? as name, ? as family, "
                        "? as description, ? as unit, ? as direction, ? as requires, ? as sentence, ? as yes, "
                        "? as no, ? as model)",
                        [list(cat[c].to_row().values()) for c in trait_cols if c not in cols])
    return len(fresh)


def run(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, out: Path | None = None,
        progress=print) -> pd.DataFrame:
    """Build features and write table `features` and `feature_catalog` (and Parquet to `out`)."""
    frame, features = build(con, as_of, progress=progress)
    existing = [r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_name = 'features'").fetchall()]
    # one date into a table with the same columns replaces that date only; anything else rebuilds it
    keep_history = as_of is not None and set(existing) == set(frame.columns)
    if as_of is not None and existing and not keep_history:
        progress("  note: the feature columns changed, so `features` now holds only this date; "
                 "run `radar features` for the full history")
    upsert_dates(con, "features", frame, replace_all=not keep_history)
    text = ["family", "description", "unit", "direction", "requires", "sentence", "yes", "no"]
    con.register("cat", pd.DataFrame([f.to_row() for f in features]).astype({c: "string" for c in text}))
    con.execute("begin")
    con.execute("create or replace table feature_catalog as select * from cat")
    # details the portal shows beside the features (not model inputs)
    con.execute(f"create or replace table user_activity as {sql('marts/user_activity.sql')}")
    con.execute(f"create or replace table recent_activity as {sql('marts/recent_activity.sql')}")
    con.execute("create or replace table adoption_personas as select * from persona_counts")
    con.execute("create or replace table adoption_workflows as select w.*, f.description, f.event_type, "
                "f.persona as intended_persona, f.per_user_per_30d from workflow_attainment as w "
                "join workflows as f on f.name = w.workflow")
    con.execute("commit")
    con.unregister("cat")
    write_parquet(frame, out)
    return frame
