"""Ingest throughput, measured with the command a user runs: `radar ingest SOURCE --db TMP`, several
times, median wall time and events per second. Run it with PYTHONPATH pointing at the code tree to
measure (so two trees compare on the same files and machine):

    python -m radar sample --out /tmp/bench --accounts 2000 --months 24 --end 2026-06-30
    python -m tests.benchmarks.ingest_speed /tmp/bench [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def time_ingest(source: Path, db: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "radar", "ingest", str(source), "--db", str(db)],
                   check=True, stdout=subprocess.DEVNULL, env=os.environ | {"RADAR_APP_DB": f"sqlite:///{db}.app"})
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source", type=Path, help="a source folder (e.g. written by `radar sample`)")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        secs = [time_ingest(a.source, db) for _ in range(a.repeats)]
        with duckdb.connect(str(db), read_only=True) as con:
            events = con.execute("select count(*) from events").fetchall()[0][0]
    median = statistics.median(secs)
    print(f"radar ingest {a.source}: {events:,} events; runs {', '.join(f'{s:.1f}s' for s in secs)}; "
          f"median {median:.1f}s = {events / median:,.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
