"""`make bench`: the feature build on Spark (local mode) against DuckDB on the same events, and
how Spark's cost grows with the events. Not part of `make test`; needs pyspark and Java 17.

    python -m tests.benchmarks.spark_scale [--accounts 2000] [--sizes 455,940,1880] [--months 24] [--repeats 3]

- DuckDB vs Spark: one generated portfolio (default 2,000 accounts x 24 months, about 43M events)
  ingested; `pipeline.run(full=True)` against `spark_engine.build` + `write` (the Parquet folder
  `radar features --engine spark` writes) on the same source files, in one run.
- Spark at more sizes: portfolios of 455, 940 and 1,880 accounts (about 10M, 21M and 41M events).
Each figure is the median of --repeats runs (about 45 minutes in all on 2 cores); Spark's
session start is shown apart.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.run import END, machine, quiet


def portfolio(work: Path, accounts: int, months: int) -> tuple[Path, int]:
    from features.sample.generate import generate
    src = work / f"src_{accounts}"
    counts = generate(src, accounts, months, END, 7, "parquet", progress=quiet)
    return src, counts["events"]


def duckdb_seconds(src: Path, work: Path, repeats: int) -> tuple[float, object]:
    from features import pipeline
    from features.ingest import ingest
    from features.inputs import data_end
    from features.warehouse import connect
    db = work / f"{src.name}.duckdb"
    ingest(src, db, progress=quiet)
    times = []
    with connect(db) as con:
        for _ in range(repeats):
            t0 = time.perf_counter()
            pipeline.run(con, full=True, progress=quiet)
            times.append(time.perf_counter() - t0)
        return statistics.median(times), data_end(con)


def spark_seconds(spark, src: Path, work: Path, end, repeats: int) -> float:
    from features import spark_engine, spark_folder
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        built = spark_engine.build(spark, src, end, progress=quiet)
        spark_folder.write(built, work / f"{src.name}.spark{i}", progress=quiet)
        times.append(time.perf_counter() - t0)
        spark.catalog.clearCache()
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=2000, help="the portfolio both engines build (0: none)")
    ap.add_argument("--sizes", default="455,940,1880", help="accounts of the portfolios Spark alone builds")
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--master", default="local[*]")
    a = ap.parse_args()
    from features import spark_engine
    print(f"machine: {machine()}; Spark {a.master}, driver memory "
          f"{os.environ.get('RADAR_SPARK_DRIVER_MEMORY', '4g')}; medians of {a.repeats} run(s)", flush=True)
    t0 = time.perf_counter()
    spark = spark_engine.session(a.master)
    spark.sparkContext.setLogLevel("ERROR")
    print(f"Spark session start: {time.perf_counter() - t0:.1f}s\n", flush=True)
    print("| engine | accounts | events | median seconds | events/s |\n|---|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if a.accounts:  # 0: the sizes only
            src, events = portfolio(work, a.accounts, a.months)
            secs, end = duckdb_seconds(src, work, a.repeats)
            print(f"| DuckDB (`radar features --full`) | {a.accounts:,} | {events:,} | {secs:.1f} | {events / secs:,.0f} |", flush=True)
            secs = spark_seconds(spark, src, work, end, a.repeats)
            print(f"| Spark {a.master} (build + write Parquet) | {a.accounts:,} | {events:,} | {secs:.1f} | {events / secs:,.0f} |", flush=True)
        for accounts in (int(x) for x in a.sizes.split(",") if x):
            src, events = portfolio(work, accounts, a.months)
            secs = spark_seconds(spark, src, work, None, a.repeats)
            print(f"| Spark {a.master} | {accounts:,} | {events:,} | {secs:.1f} | {events / secs:,.0f} |", flush=True)
            for p in src.iterdir():
                p.unlink()
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
