"""`make bench`: the feature build against the least any point-in-time usage feature needs, and
an incremental refresh against a full build. Not part of `make test`.

    python -m tests.benchmarks.feature_speed [--accounts 600] [--months 24] [--repeats 3]

One run measures, interleaved so the machine's load hits both alike:
- the bare scan: the daily user grain built from `events` (sql/base/user_days.sql's query), and
  `pipeline.run(full=True)` (every date, features, catalog, marts and build state written);
- the incremental refresh: a warehouse cut at the month end before the sample's end gets a full
  build, then its sources are replaced by the whole sample (as an ingest carrying the feature
  state over would) and `pipeline.run()` builds what is new; its features are checked against
  the full build's.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from tests.benchmarks.run import END, machine, quiet
from tests.benchmarks.timing import median_seconds
from tests.features.months import cut_at, restore_sources

BARE = ("create or replace temp table bare_user_days as select account_id, user_id, "
        "cast(occurred_at as date) as event_date, count(*) as events from events "
        "where user_id is not null group by account_id, user_id, cast(occurred_at as date)")


def sample(work: Path, accounts: int, months: int) -> tuple[Path, int]:
    from features.ingest import ingest
    from features.sample.generate import generate
    counts = generate(work / "src", accounts, months, END, 7, "parquet", progress=quiet)
    db = work / "full.duckdb"
    ingest(work / "src", db, progress=quiet)
    return db, counts["events"]


def speed(db: Path, repeats: int) -> tuple[float, float, pd.DataFrame]:
    """Medians of the bare scan and of the full build, run alternately on one connection."""
    from features import pipeline
    from features.warehouse import connect
    bare, full, frame = [], [], None
    with connect(db) as con:
        for _ in range(repeats):
            secs, _ = median_seconds(lambda: con.execute(BARE), 1)
            bare.append(secs)
            secs, frame = median_seconds(lambda: pipeline.run(con, full=True, progress=quiet), 1)
            full.append(secs)
        con.execute("drop table bare_user_days")
    return sorted(bare)[len(bare) // 2], sorted(full)[len(full) // 2], frame


def refresh(db: Path, work: Path, repeats: int) -> tuple[float, str, bool]:
    """Median seconds of an incremental build after the last month arrives, what it built,
    and whether its features equal the full build's."""
    from features import pipeline
    from features.warehouse import connect
    cut_day = (pd.Timestamp(END).to_period("M") - 1).to_timestamp(how="end").date()
    before = work / "before.duckdb"
    shutil.copy(db, before)
    with connect(before) as con:
        cut_at(con, cut_day)
        pipeline.run(con, full=True, progress=quiet)
    times, said, equal = [], "", True
    with connect(db, read_only=True) as con:
        expected = con.execute("select * from features order by account_id, as_of").df()
    for i in range(repeats):
        copy = work / f"refresh{i}.duckdb"
        shutil.copy(before, copy)
        with connect(copy) as con:
            restore_sources(con, db)
            lines: list[str] = []
            secs, _ = median_seconds(lambda: pipeline.run(con, progress=lines.append), 1)
            times.append(secs)
            said = next((l.strip() for l in lines if "incremental" in l or "every date" in l), "?")
            got = con.execute("select * from features order by account_id, as_of").df()
        equal = equal and got.equals(expected)
        copy.unlink()
    return sorted(times)[len(times) // 2], said, equal


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=600)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    print(f"machine: {machine()}; medians of {a.repeats} runs", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db, events = sample(work, a.accounts, a.months)
        bare, full, frame = speed(db, a.repeats)
        print(f"\n{events:,} events, {a.accounts:,} accounts x {a.months} months -> "
              f"{len(frame):,} snapshots x {frame.shape[1] - 2} features ({frame['as_of'].nunique()} dates)")
        print("| step | median seconds | events/s |\n|---|---|---|")
        print(f"| bare daily user grain (one GROUP BY over events) | {bare:.2f} | {events / bare:,.0f} |")
        print(f"| full feature build (`radar features --full`) | {full:.2f} | {events / full:,.0f} |")
        print(f"\nfull build / bare scan: {full / bare:.2f}x (goal: at most 3x)", flush=True)
        inc, said, equal = refresh(db, work, a.repeats)
        print(f"incremental refresh after one more month: {inc:.2f}s = {inc / full:.3f} of a full build "
              f"(goal: at most 0.1); {said}; features equal to the full build's: {'yes' if equal else 'NO'}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
