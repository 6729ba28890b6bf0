"""How long `radar backtest` takes: features built once, then 4 cutoffs (12, 15, 18 and 21 months
into the history) on an 800-account portfolio. Not part of `make test`.

    python -m tests.benchmarks.backtest_speed [--accounts 800] [--months 25] [--pricing plans]
        [--sources required] [--churn modelled] [--seed 5]

Prints the machine, the portfolio, the seconds of each step and the backtest's pooled figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.run import END, machine, quiet


def month_end(start: dt.date, months: int) -> dt.date:
    """The month end `months` months after `start`'s month."""
    y, m = divmod(start.year * 12 + start.month - 1 + months + 1, 12)
    return dt.date(y, m + 1, 1) - dt.timedelta(days=1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=800)
    ap.add_argument("--months", type=int, default=25)
    ap.add_argument("--pricing", default="plans")
    ap.add_argument("--sources", default="required")
    ap.add_argument("--churn", default="modelled")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--into", default="12,15,18,21", help="cutoffs, in months into the history")
    a = ap.parse_args()
    from features import health, pipeline
    from features.ingest import ingest
    from features.sample.generate import generate, window
    from features.warehouse import connect
    from model import backtest
    from model.settings import load_settings
    print(f"machine: {machine()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        counts = generate(work / "src", a.accounts, a.months, END, a.seed, "parquet", progress=quiet,
                          pricing=a.pricing, churn=a.churn, sources=a.sources)
        rows.append(("radar sample", f"{a.accounts:,} accounts x {a.months} months, {a.pricing}, {a.sources} sources, "
                                     f"{a.churn} churn: {counts['events']:,} events", time.perf_counter() - t))
        db = work / "bench.duckdb"
        t = time.perf_counter()
        ingest(work / "src", db, progress=quiet)
        rows.append(("radar ingest", "", time.perf_counter() - t))
        with connect(db) as con:
            t = time.perf_counter()
            frame = pipeline.run(con, progress=quiet)
            rows.append(("radar features (once, for every cutoff)",
                         f"{len(frame):,} snapshots x {frame.shape[1] - 2} features", time.perf_counter() - t))
            t = time.perf_counter()
            health.run(con)
            rows.append(("radar health", "", time.perf_counter() - t))
        start, _ = window(END, a.months)
        cutoffs = [month_end(start, int(k)) for k in a.into.split(",")]
        with connect(db, read_only=True) as con:
            t = time.perf_counter()
            b = backtest.run(con, load_settings(), cutoffs, progress=quiet)
            secs = time.perf_counter() - t
        rows.append(("backtest", f"{len(b.settings['cutoffs'])} cutoffs ({', '.join(b.settings['cutoffs'])}), "
                                 f"{len(b.rows):,} account-cutoffs scored", secs))
    print("\n| step | size | seconds |\n|---|---|---|")
    for step, size, secs in rows:
        print(f"| {step} | {size} | {secs:.1f} |")
    print("\n" + "\n".join(backtest.summary_lines(b)))
    for t in b.training:
        print(f"  trained at {t['cutoff']}: {t['protocol']}, {t['labelled_months']} labelled months, "
              f"{t['churn_outcomes']} churn outcomes, {t['trees']} trees, {t['calibration']} calibration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
