"""`radar alerts` and `radar digest` on a 5,000-account portfolio: whole commands, as cron runs them.

    python -m tests.benchmarks.alerts_digest [--accounts 5000] [--months 6] [--repeats 3]

Builds the sample, ingests it, builds features and health, and scores it with a model trained on a
smaller sample of the same generator (none of that timed), then times `radar alerts` at the latest
snapshot, `radar alerts --all-dates` (every snapshot replayed), and `radar digest` for the whole
portfolio and for one owner, in Markdown and HTML.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.timing import median_seconds

END = "2026-06-30"


def radar(args: list[str], env: dict, out=subprocess.DEVNULL) -> None:
    subprocess.run([sys.executable, "-m", "radar", *args], env=env, check=True, stdout=out, stderr=subprocess.DEVNULL)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("--train-accounts", type=int, default=400)
    ap.add_argument("--train-months", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
                            "RADAR_APP_DB": f"sqlite:///{work / 'app.db'}"}
        src, db = work / "src", work / "bench.duckdb"
        t0 = time.perf_counter()
        train_src, train_db = work / "train_src", work / "train.duckdb"  # a model that knows the same features
        radar(["sample", "--out", str(train_src), "--accounts", str(a.train_accounts), "--months", str(a.train_months),
               "--end", END], env)
        for step in (["ingest", str(train_src)], ["features"], ["health"], ["train"]):
            radar([*step, "--db", str(train_db)], env)
        radar(["sample", "--out", str(src), "--accounts", str(a.accounts), "--months", str(a.months), "--end", END], env)
        for step in (["ingest", str(src)], ["features"], ["health"], ["score", "--all-dates"]):
            radar([*step, "--db", str(db)], env)
        print(f"built {a.accounts:,} accounts x {a.months} months in {time.perf_counter() - t0:.0f}s (not timed below)",
              flush=True)
        import duckdb
        with duckdb.connect(str(db), read_only=True) as con:
            scored = con.execute("select count(*) from scores where as_of = (select max(as_of) from scores)").fetchall()[0][0]
            dates = con.execute("select count(distinct as_of) from features").fetchall()[0][0]
            owner = con.execute("select owner from accounts group by owner order by count(*) desc limit 1").fetchall()[0][0]
        rows = []
        secs, _ = median_seconds(lambda: radar(["alerts", "--db", str(db)], env), a.repeats)
        with duckdb.connect(str(db), read_only=True) as con:
            n = con.execute("select count(*) from alerts").fetchall()[0][0]
        rows.append(("radar alerts", f"{scored:,} scored accounts, latest snapshot -> {n:,} alerts", secs))
        secs, _ = median_seconds(lambda: radar(["alerts", "--db", str(db), "--all-dates"], env), 1)
        rows.append(("radar alerts --all-dates", f"{dates} snapshots replayed in order (1 run)", secs))
        radar(["alerts", "--db", str(db)], env)  # back to a normal latest run for the digests
        for args, what in ((["--format", "md"], "whole portfolio, Markdown"), (["--format", "html"], "whole portfolio, HTML"),
                           (["--owner", owner, "--format", "md"], f"one owner ({owner}), Markdown")):
            secs, _ = median_seconds(lambda: radar(["digest", "--db", str(db), *args], env), a.repeats)
            rows.append(("radar digest", what, secs))
        secs, _ = median_seconds(lambda: radar(["--help"], env), a.repeats)
        rows.append(("radar --help", "Python start-up, for comparison", secs))
    print(f"\n| command | size | median seconds (of {a.repeats}) |\n|---|---|---|")
    for command, size, secs in rows:
        print(f"| `{command}` | {size} | {secs:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
