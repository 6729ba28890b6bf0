"""The folder a Spark feature run writes, and loading it into the warehouse
(`radar features --from PATH`). Neither needs pyspark or sqlglot: a warehouse on one machine
loads what a cluster wrote.

    features/as_of=YYYY-MM-DD/*.parquet   one row per (account_id, as_of), partitioned by date
    marts/NAME/*.parquet                  the portal's marts
    feature_catalog.parquet               one row per feature column (Feature.to_row)
    manifest.json                         the column order, the dates, the data end, the marts
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from pathlib import Path

import duckdb
import pandas as pd

from features.catalog import Feature
from features.outputs import replace_rows, write_catalog
from features.runner import STATE_SCHEMA
from features.warehouse import transaction

MANIFEST = "manifest.json"


def write(built, out: Path, progress=print) -> Path:
    """Write a Spark run's outputs (spark_engine.Built: lazy DataFrames and their layout) to
    folder `out`, replacing what is there; return `out`."""
    t0 = time.perf_counter()
    out = Path(out)
    built.features.write.mode("overwrite").partitionBy("as_of").parquet(str(out / "features"))
    for name, df in built.marts.items():
        df.write.mode("overwrite").parquet(str(out / "marts" / name))
    pd.DataFrame([f.to_row() for f in built.layout.features]).to_parquet(out / "feature_catalog.parquet", index=False)
    (out / MANIFEST).write_text(json.dumps({
        "columns": built.layout.columns, "dates": [d.isoformat() for d in built.dates],
        "data_end": built.data_end.isoformat(), "marts": sorted(built.marts),
        "dated_marts": [n for n in sorted(built.marts) if "as_of" in built.marts[n].columns],
        "written_at": dt.datetime.now().isoformat(timespec="seconds")}, indent=1))
    progress(f"  written to {out} {time.perf_counter() - t0:5.1f}s")
    return out


def load(con: duckdb.DuckDBPyConnection, out: Path, as_of: dt.date | None = None, progress=print) -> pd.DataFrame:
    """Load a Spark run's folder into the warehouse: `features`, `feature_catalog` and the marts,
    whole (or the one date `as_of`), in one transaction. The incremental build state is dropped
    (the next DuckDB build is a full one). Returns the feature rows loaded."""
    out = Path(out)
    if not (out / MANIFEST).exists():
        raise FileNotFoundError(f"{out}: no {MANIFEST} here; is it the folder `radar features --engine spark` wrote?")
    manifest = json.loads((out / MANIFEST).read_text())
    cols = ", ".join(f'cast("{c}" as date) as as_of' if c == "as_of" else f'"{c}"' for c in manifest["columns"])
    glob = str(out / "features" / "*" / "*.parquet")
    con.execute(f"create or replace temp table loaded_features as select {cols} from "
                f"read_parquet('{_sql_path(glob)}', hive_partitioning = true) order by account_id, as_of")
    where, values = ("as_of = $as_of", {"as_of": as_of}) if as_of else ("true", {})
    features = [_feature(row) for row in pd.read_parquet(out / "feature_catalog.parquet").to_dict("records")]
    with transaction(con):
        replace_rows(con, "features", "loaded_features", where, values, "account_id, as_of")
        write_catalog(con, features)
        for name in manifest["marts"]:
            path = _sql_path(str(out / "marts" / name / "*.parquet"))
            con.execute(f"create or replace temp table loaded_mart as select * from read_parquet('{path}')")
            dated = name in manifest["dated_marts"]
            replace_rows(con, name, "loaded_mart", where if dated else "true", values)
        con.execute(f"drop schema if exists {STATE_SCHEMA} cascade")
    frame = con.execute("select * from loaded_features" + (" where as_of = $as_of" if as_of else ""), values).df()
    progress(f"  loaded {len(frame):,} snapshots from {out}")
    return frame


_FLAGS = tuple(f.name for f in dataclasses.fields(Feature) if f.type == "bool")


def _feature(row: dict) -> Feature:
    """A catalog row (Feature.to_row) back into its declaration."""
    row = {k: (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v) for k, v in row.items()}
    return Feature(**row | {"requires": tuple(row["requires"].split(",")) if row["requires"] else ()}
                   | {k: bool(row[k]) for k in _FLAGS if k in row})


def _sql_path(path: str) -> str:
    return path.replace("'", "''")
