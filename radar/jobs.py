"""The batch jobs as the command line and the demo run them: call the layer's function, say what
happened in one line. Each job's inputs are its arguments; its output is the warehouse (or the
registry) it writes and the summary it returns.

Heavy modules are imported inside each job, so `radar --help` answers at once.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Callable

Say = Callable[..., None]


def sample(out: Path, accounts: int, months: int, end: dt.date | None, seed: int, fmt: str, say: Say,
           pricing: str = "seats", churn: str = "modelled", sources: str = "all") -> dict:
    from features.sample.generate import generate
    counts = generate(out, accounts, months, end, seed, fmt, progress=say, pricing=pricing, churn=churn,
                      sources=sources)
    secs = counts.pop("seconds")
    say(f"wrote {', '.join(f'{k} {v:,}' for k, v in counts.items())} to {out} in {secs:.1f}s "
        f"({counts['events'] / max(secs, 1e-9):,.0f} events/s)")
    return counts | {"seconds": secs}


def ingest(source_dir: Path, db: Path, say: Say, wait: bool = True) -> dict:
    from features.ingest import ingest as load
    from features.publish import job_lock
    t0 = time.perf_counter()
    with job_lock(db, "ingest", wait=wait, say=say):  # ingest builds aside and swaps by itself
        summary = load(source_dir, db, progress=say)
    good = sum(g for g, _ in summary.values())
    bad = sum(b for _, b in summary.values())
    say(f"loaded {good:,} rows into {db} in {time.perf_counter() - t0:.1f}s; "
        f"{bad:,} rows quarantined" + (" (see table `quarantine`)" if bad else ""))
    return summary


def features(db: Path, as_of: dt.date | None, out: Path | None, say: Say, wait: bool = True):
    from features import appstore, pipeline
    from features.publish import publishing
    from features.warehouse import open_existing
    t0 = time.perf_counter()
    open_existing(db).close()  # a missing warehouse says how to make one before any lock is taken
    with publishing(db, "features", wait=wait, say=say) as work, open_existing(work) as con:
        appstore.export_edits(con, appstore.engine())
        frame = pipeline.run(con, as_of, out, progress=say)
    say(f"features: {len(frame):,} snapshots x {frame.shape[1] - 2} features "
        f"({frame['as_of'].nunique()} dates) in {time.perf_counter() - t0:.1f}s")
    return frame


def health(db: Path, as_of: dt.date | None, out: Path | None, say: Say, wait: bool = True):
    from features import appstore
    from features import health as rules
    from features.publish import publishing
    from features.warehouse import open_existing
    open_existing(db).close()
    with publishing(db, "health", wait=wait, say=say) as work, open_existing(work) as con:
        appstore.export_edits(con, appstore.engine())  # traits people set since the last run count
        h = rules.run(con, as_of, out)
    latest = h[h["as_of"] == h["as_of"].max()]
    tiers = latest["health_tier"].value_counts().to_dict()
    say(f"health: {len(h):,} snapshots scored; at {latest['as_of'].max():%Y-%m-%d}: "
        + ", ".join(f"{k} {v}" for k, v in tiers.items())
        + f"; median coverage {latest['coverage'].median():.0%}")
    return h


def health_fit(db: Path, to: Path | None, accept: bool, say: Say) -> dict:
    from model.health_fit import run
    return run(db, to, accept, progress=say)


def train(db: Path, as_of: dt.date | None, horizon_days: int | None, seed: int | None, say: Say) -> dict:
    from model.train import run
    return run(db, as_of, horizon_days, seed, progress=say)


def backtest(db: Path, cutoffs: list[dt.date] | None, every: str | None, horizon_days: int | None,
             seed: int | None, say: Say) -> dict:
    from model.backtest_run import run
    return run(db, cutoffs, every, horizon_days, seed, progress=say)


def score(db: Path, as_of: dt.date | None, version: str | None, out: Path | None, all_dates: bool,
          say: Say, wait: bool = True) -> dict:
    from features.publish import publishing
    from features.warehouse import open_existing
    from model.score import run
    open_existing(db).close()
    with publishing(db, "score", wait=wait, say=say) as work:
        return run(work, as_of, version, out, progress=say, all_dates=all_dates)


def promote(version: str, say: Say) -> None:
    from model import tracking
    tracking.promote(version)
    say(f"version {version} of the churn model is now @champion")
