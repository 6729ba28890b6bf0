"""`make bench`: the feature build against the least any point-in-time usage feature needs, and
an incremental refresh against a full build. Not part of `make test`.

    python -m tests.benchmarks.feature_speed [--accounts 600] [--months 24] [--repeats 3]

Each repeat runs, in turn so the machine's load hits all three alike, each on a connection of
its own as a command would:
- the bare scan: the daily user grain built from `events` (one GROUP BY, the least any
  point-in-time usage feature needs), into a temporary table;
- the full build: `pipeline.run(full=True)` (every date, features, catalog, marts and build
  state written), which is `radar features --full` without the copy and swap;
- the incremental refresh, as a nightly run does it: the sample ingested up to the month end
  before its last (`radar ingest --data-end`) and fully built, once and untimed, is copied; the
  whole sample is ingested over the copy (untimed; the ingest carries the last build over), and
  `pipeline.run()` builds what is new; its features are checked against the full build's.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import pandas as pd

from tests.benchmarks.run import END, machine, quiet
from tests.benchmarks.timing import median_seconds

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


def prepare_before(src: Path, work: Path) -> Path:
    """The warehouse as yesterday's export left it: `src` ingested up to the month end before its
    last (what came after quarantined), fully built."""
    from features import pipeline
    from features.ingest import ingest
    from features.warehouse import connect
    cut_day = (pd.Timestamp(END).to_period("M") - 1).to_timestamp(how="end").date()
    before = work / "before.duckdb"
    ingest(src, before, progress=quiet, data_end=cut_day, accept_quarantine=True)
    with connect(before) as con:
        pipeline.run(con, full=True, progress=quiet)
    return before


def refresh_once(src: Path, before: Path, copy: Path) -> tuple[float, str, pd.DataFrame]:
    """Seconds of the build after today's export (all of `src`) is ingested over a copy of
    `before` (the ingest untimed; it carries the last build over), what the build said it
    computed, and its features."""
    from features import pipeline
    from features.ingest import ingest
    from features.warehouse import connect
    shutil.copy(before, copy)
    try:
        ingest(src, copy, progress=quiet)
        with connect(copy) as con:
            lines: list[str] = []
            secs, _ = median_seconds(lambda: pipeline.run(con, progress=lines.append), 1)
            said = next((l.strip() for l in lines if "incremental" in l or "every date" in l), "?")
            return secs, said, con.execute("select * from features order by account_id, as_of").df()
    finally:
        copy.unlink(missing_ok=True)


def measure(db: Path, work: Path, repeats: int) -> dict:
    """Medians of the bare scan, the full build and the incremental refresh, run in turn in each
    repeat so the machine's load hits all three alike, each on a connection of its own (as each
    would be a command of its own); and whether the refresh equals the full build."""
    from features import pipeline
    from features.warehouse import connect, unordered
    before = prepare_before(work / "src", work)
    bare, full, inc, said, equal, frame = [], [], [], "", True, None
    for i in range(repeats):
        with connect(db) as con:
            with unordered(con):  # the setting the feature build runs with
                bare.append(median_seconds(lambda: con.execute(BARE), 1)[0])
        with connect(db) as con:
            secs, frame = median_seconds(lambda: pipeline.run(con, full=True, progress=quiet), 1)
            full.append(secs)
            expected = con.execute("select * from features order by account_id, as_of").df()
        secs, said, got = refresh_once(work / "src", before, work / f"refresh{i}.duckdb")
        inc.append(secs)
        equal = equal and got.equals(expected)
    med = statistics.median
    return {"bare": med(bare), "full": med(full), "incremental": med(inc), "said": said, "equal": equal,
            "frame": frame, "runs": {"bare": bare, "full": full, "incremental": inc}}


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
        m = measure(db, work, a.repeats)
        bare, full, inc, frame = m["bare"], m["full"], m["incremental"], m["frame"]
        print(f"\n{events:,} events, {a.accounts:,} accounts x {a.months} months -> "
              f"{len(frame):,} snapshots x {frame.shape[1] - 2} features ({frame['as_of'].nunique()} dates)")
        print("| step | median seconds | events/s | each run |\n|---|---|---|---|")
        runs = {k: ", ".join(f"{x:.2f}" for x in v) for k, v in m["runs"].items()}
        print(f"| bare daily user grain (one GROUP BY over events) | {bare:.2f} | {events / bare:,.0f} | {runs['bare']} |")
        print(f"| full feature build (`radar features --full`) | {full:.2f} | {events / full:,.0f} | {runs['full']} |")
        print(f"| incremental refresh, one month more (`radar features`) | {inc:.2f} | | {runs['incremental']} |")
        each = ", ".join(f"{f / b:.2f}" for f, b in zip(m["runs"]["full"], m["runs"]["bare"]))
        print(f"\nfull build / bare scan: {full / bare:.2f}x (goal: at most 3x); in each run: {each}")
        print(f"incremental refresh / full build: {inc / full:.3f} (goal: at most 0.1); {m['said']}; "
              f"features equal to the full build's: {'yes' if m['equal'] else 'NO'}", flush=True)
    return 0 if m["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
