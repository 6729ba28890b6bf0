"""Page load times in a real browser, while the nightly refresh runs beside the portal and without it.

    python -m tests.benchmarks.portal_under_refresh [--accounts 5000] [--loads 7]

A load is the time from navigation until the page's main content is on screen (portfolio: the
at-risk list; account: its drivers), in headless Chromium against `radar portal`.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.support import browser as chromium
from tests.support import servers

END = "2026-06-30"


def radar(args: list[str], env: dict) -> int:
    return subprocess.call([sys.executable, "-m", "radar", *args], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)


def build(work: Path, accounts: int, env: dict) -> tuple[Path, Path]:
    """A model trained on a long history of 800 accounts, then a warehouse of `accounts` accounts
    and 6 months (what the portal reads) scored with it."""
    train_src, train_db = work / "train_src", work / "train.duckdb"
    assert radar(["sample", "--out", str(train_src), "--accounts", "800", "--months", "30", "--end", END], env) == 0
    for step in (["ingest", str(train_src)], ["features"], ["health"], ["train"]):
        assert radar([*step, "--db", str(train_db)], env) == 0, step
    src, db = work / "src", work / "w.duckdb"
    assert radar(["sample", "--out", str(src), "--accounts", str(accounts), "--months", "6", "--end", END], env) == 0
    for step in (["ingest", str(src)], ["features"], ["health"], ["score", "--all-dates"]):
        assert radar([*step, "--db", str(db)], env) == 0, step
    return src, db


def load_times(url: str, account: str, loads: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright
    times = {"portfolio": [], "account": []}
    with sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        for _ in range(loads):
            for name, path, ready in (("portfolio", "/", "Highest ARR at risk"),
                                      ("account", f"/?account={account}", "Why it is flagged")):
                t0 = time.perf_counter()
                page.goto(url + path)
                page.get_by_text(ready).first.wait_for(timeout=120_000)
                times[name].append(time.perf_counter() - t0)
        browser.close()
    return times


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--loads", type=int, default=7)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
                            "RADAR_APP_DB": f"sqlite:///{work / 'app.db'}"}
        env.pop("RADAR_AUTH", None)
        src, db = build(work, a.accounts, env)
        import duckdb
        with duckdb.connect(str(db), read_only=True) as con:
            account = con.execute("select account_id from scores order by churn_probability desc limit 1").fetchall()[0][0]
        with servers.portal(db, env, work / "portal.log") as url:
            quiet = load_times(url, account, a.loads)
            stop, refreshes, failures = threading.Event(), [0], []

            def refresh_loop():
                while not stop.is_set():
                    for step in (["ingest", str(src)], ["features"], ["health"], ["score", "--all-dates"]):
                        if radar([*step, "--db", str(db)], env) != 0:
                            failures.append(step[0])
                    refreshes[0] += 1
            t = threading.Thread(target=refresh_loop, daemon=True)
            t.start()
            busy = load_times(url, account, a.loads)
            stop.set()
            t.join()
        print(f"| page | {a.accounts:,} accounts | median seconds (n={a.loads}) | max |\n|---|---|---|---|")
        for name in ("portfolio", "account"):
            for label, times in (("idle", quiet), ("during a refresh", busy)):
                print(f"| {name} | {label} | {statistics.median(times[name]):.2f} | {max(times[name]):.2f} |")
        print(f"refresh cycles run meanwhile: {refreshes[0]}; failed steps: {failures or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
