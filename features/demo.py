"""`radar demo`: the whole path on the built-in sample, step by step with timings."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from features import paths


def run(db: Path, accounts: int = 400, seed: int = 7, end: dt.date | None = None,
        portal: bool = True, port: int = 8501, say=print) -> int:
    from features import health, pipeline
    from features.ingest import ingest
    from features.sample.generate import generate
    from features.warehouse import connect

    t0 = time.perf_counter()
    sample = paths.SAMPLE_DIR
    say(f"1/6 sample: {accounts} accounts, 36 months -> {sample}")
    counts = generate(sample, accounts, 36, end, seed, "parquet", progress=say)
    say(f"    {counts['events']:,} events in {counts['seconds']:.1f}s")
    say(f"2/6 ingest -> {db}")
    ingest(sample, db, progress=say)
    with connect(db) as con:
        say("3/6 features")
        frame = pipeline.run(con, progress=say)
        say(f"    {len(frame):,} snapshots x {frame.shape[1] - 2} features")
        say("4/6 health")
        health.run(con)
    from model import tracking
    from model.score import main as score
    from model.train import run as train
    say("5/6 train")
    trained = train(db, None, 90, 42, progress=say)
    if trained["alias"] != tracking.CHAMPION:  # a fresh sample deserves the model trained on it
        tracking.promote(trained["version"])
        say(f"    promoted version {trained['version']} to @champion")
    say(f"6/6 score with @champion (version {tracking.champion_version()})")
    score(db, None, None, None, progress=say, all_dates=True)
    say(f"demo ready in {time.perf_counter() - t0:.0f}s")
    if portal:
        from portal.launch import launch
        return launch(db, port)
    return 0
