"""`radar demo`: the whole path on the built-in sample, step by step with timings, then the portal:
alerts and the weekly digest included, so the Alerts page and a digest are there at once."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from features import paths
from radar import jobs


def run(db: Path, accounts: int = 400, seed: int = 7, end: dt.date | None = None,
        portal: bool = True, port: int = 8501, say=print) -> int:
    t0 = time.perf_counter()
    say(f"1/7 sample: {accounts} accounts, 36 months -> {paths.SAMPLE_DIR}")
    jobs.sample(paths.SAMPLE_DIR, accounts, 36, end, seed, "parquet", say)
    say(f"2/7 ingest -> {db}")
    jobs.ingest(paths.SAMPLE_DIR, db, say)
    say("3/7 features")
    jobs.features(db, None, None, say)
    say("4/7 health")
    jobs.health(db, None, None, say)
    say("5/7 train")
    trained = jobs.train(db, None, None, None, say)
    # the demo never moves an alias it did not create: with a champion already in the registry
    # (an analyst's), it scores with the version it just trained and leaves the champion alone
    version = None if trained["alias"] == "champion" else trained["version"]
    say(f"6/7 score with version {trained['version']}" + ("" if version is None else
        " (the registry's @champion is left as it is; promote it on the Models page if you want it)"))
    jobs.score(db, None, version, None, True, say)
    say("7/7 alerts, expansion signals and the weekly digest")
    jobs.alerts(db, None, True, say)  # replayed over the history: first-seen dates and the weekly budget as after months of runs
    for fmt in ("md", "html"):
        jobs.digest(db, None, fmt, False, None, Path(db).parent / f"digest.{fmt}", say)
    say(f"demo ready in {time.perf_counter() - t0:.0f}s")
    if portal:
        from portal.launch import launch
        return launch(db, port)
    return 0
