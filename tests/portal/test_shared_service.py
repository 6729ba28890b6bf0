"""The portal as a team uses it: real processes side by side.

The portal runs behind nginx (HTTP sign-in, the user passed on as a trusted header); the nightly
refresh (`radar ingest` -> `features` -> `health` -> `score`) runs twice while a leader and a SAM
load pages in headless Chromium, and the SAM saves a trait during the refresh.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from features.catalog import money
from tests.support import browser as chromium
from tests.support import servers

pytestmark = pytest.mark.browser
LEADER, SAM = "lee@example.com", "sam@example.com"
REFRESH = ("ingest", "features", "health", "score")


def owners(db: Path) -> tuple[str, str, str]:
    """A SAM's owner name, one of their scored accounts, and an account of another owner."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("""select a.owner, s.account_id from scores s join accounts a using (account_id)
                              where s.as_of = (select max(as_of) from scores) order by s.churn_probability desc""").fetchall()
    owner = rows[0][0]
    return owner, rows[0][1], next(a for o, a in rows if o != owner)


def total_arr(db: Path) -> float:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select sum(arr) from scores where as_of = (select max(as_of) from scores)").fetchall()[0][0]


def run_refresh(src: Path, db: Path, env: dict, results: list, log: Path) -> None:
    """The nightly refresh, as cron would run it: one `radar` process per step."""
    for step in REFRESH:
        args = {"ingest": ["ingest", str(src)], "score": ["score", "--all-dates"]}.get(step, [step])
        with open(log, "a") as out:
            rc = subprocess.call([sys.executable, "-m", "radar", *args, "--db", str(db)],
                                 env=os.environ | env, stdout=out, stderr=subprocess.STDOUT)
        results.append((step, rc))


def page_problems(page) -> list[str]:
    found = []
    if page.locator("[data-testid='stException']").count():
        found.append(page.locator("[data-testid='stException']").first.inner_text()[:300])
    body = page.locator("body").inner_text()
    for bad in ("Traceback", "Conflicting lock", "does not exist!", "different configuration", "table yet"):
        if bad in body:
            found.append(bad)
    return found


@pytest.mark.skipif(not chromium.available(), reason="Debian's chromium is not installed (apt-get install chromium)")
@pytest.mark.skipif(not servers.nginx_available(), reason="nginx is not installed (apt-get install nginx-light)")
def test_a_team_uses_the_portal_through_two_nightly_refreshes(scored_db, sample_source, mlflow_store, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    db = tmp_path / "team.duckdb"
    shutil.copy(scored_db, db)
    src = tmp_path / "src"
    shutil.copytree(sample_source, src)
    owner, mine, other = owners(db)
    roles = tmp_path / "roles.toml"
    roles.write_text(f'[users."{LEADER}"]\nrole = "leader"\n\n[users."{SAM}"]\nrole = "sam"\nowner = "{owner}"\n')
    env = {"RADAR_AUTH": "header", "RADAR_ROLES": str(roles), "RADAR_APP_DB": f"sqlite:///{tmp_path / 'app.db'}",
           "RADAR_DB": str(db), "MLFLOW_TRACKING_URI": os.environ["MLFLOW_TRACKING_URI"]}
    # the second night's export: every contract's ARR doubled, so new figures must show
    contracts = pd.read_parquet(src / "contracts.parquet")

    problems, results, jobs_log, loads = [], [], tmp_path / "jobs.log", []
    with servers.portal(db, env, tmp_path / "portal.log") as upstream, \
            servers.signing_proxy(upstream, {LEADER: "pw-lee", SAM: "pw-sam"}, tmp_path / "nginx") as url, \
            sync_playwright() as p:
        browser = chromium.launch(p)
        lead = browser.new_context(http_credentials={"username": LEADER, "password": "pw-lee"},
                                   viewport={"width": 1440, "height": 1200}).new_page()
        sam = browser.new_context(http_credentials={"username": SAM, "password": "pw-sam"},
                                  viewport={"width": 1440, "height": 1200}).new_page()
        lead.goto(url)
        lead.get_by_text("Highest ARR at risk").wait_for(timeout=60_000)
        assert f"Signed in as {LEADER}" in lead.locator("body").inner_text()

        for night in (1, 2):
            if night == 2:
                contracts.assign(arr=contracts["arr"] * 2).to_parquet(src / "contracts.parquet", index=False)
            refresh = threading.Thread(target=run_refresh, args=(src, db, env, results, jobs_log))
            refresh.start()
            if night == 1:  # the SAM saves a trait while the ingest runs
                sam.goto(f"{url}/?account={mine}")
                sam.get_by_text("Update traits").click(timeout=60_000)
                sam.locator("[data-testid='stSelectbox']").filter(has_text="CSM pulse").click()
                sam.get_by_role("option", name="poor", exact=True).click()
                sam.get_by_role("button", name="Save").click()
                try:
                    sam.get_by_text("Saved at").wait_for(timeout=90_000)
                except Exception:  # say what the SAM saw and what the server logged
                    raise AssertionError(sam.locator("body").inner_text()[:3000] + "\n--- portal log ---\n"
                                         + (tmp_path / "portal.log").read_text()[-3000:]) from None
            while refresh.is_alive():  # both people keep working while the refresh runs
                for page, path in ((lead, "/"), (sam, f"/?account={mine}"), (lead, f"/?account={other}")):
                    page.goto(url + path)
                    page.wait_for_load_state("networkidle")
                    time.sleep(0.5)
                    problems += page_problems(page)
                    loads.append(night)
            refresh.join()

        assert [rc for _, rc in results] == [0] * 8, (results, jobs_log.read_text()[-3000:])
        lead.goto(url)
        lead.get_by_text("Highest ARR at risk").wait_for(timeout=60_000)
        # the new figures, without a restart: the metric labelled exactly "ARR" (not "ARR at risk"),
        # waited for while a rerun may still be replacing the page's elements
        arr_metric = lead.locator("[data-testid='stMetric']").filter(
            has=lead.locator("[data-testid='stMetricLabel']", has_text=re.compile(r"^\s*ARR\s*$"))).first
        try:
            expect(arr_metric).to_contain_text(money(total_arr(db)), timeout=60_000)
        except AssertionError:
            raise AssertionError(f"expected {money(total_arr(db))} in the ARR metric; the page said: "
                                 + lead.locator("[data-testid='stMetric']").all_inner_texts().__repr__()) from None
        sam.goto(f"{url}/?account={other}")
        sam.get_by_text("another owner's book").wait_for(timeout=60_000)
        sam.goto(f"{url}/?account={mine}")
        sam.get_by_text("Update traits").click(timeout=60_000)
        sam.get_by_text("History", exact=True).wait_for(timeout=30_000)
        sam.screenshot(path=str(tmp_path / "sam_account.png"), full_page=True)
        browser.close()

    assert problems == []
    assert loads.count(1) >= 3 and loads.count(2) >= 3  # pages were really served during each refresh
    from features import appstore
    saved = appstore.edits(appstore.engine(env["RADAR_APP_DB"]))
    assert saved[["account_id", "trait", "value", "edited_by"]].values.tolist() == [[mine, "pulse", "poor", SAM]]
    with duckdb.connect(str(db), read_only=True) as con:  # the refresh after the save used it
        pulse = con.execute("select trait_pulse_score from health where account_id = ? "
                            "and as_of = (select max(as_of) from health)", [mine]).fetchall()[0][0]
    assert pulse == 0


def test_two_ingests_at_once_lose_nothing(sample_source, tmp_path):
    """Two nightly ingests started while another job holds the warehouse: both wait for it, then run
    one after the other, and both loads are recorded. (The test holds the job lock itself until both
    say they wait, so the overlap does not depend on how fast either starts.)"""
    from features.publish import job_lock
    db = tmp_path / "w.duckdb"
    env = os.environ | {"RADAR_APP_DB": f"sqlite:///{tmp_path / 'app.db'}", "PYTHONUNBUFFERED": "1"}
    outs: list[list[str]] = [[], []]
    waiting = [threading.Event(), threading.Event()]

    def read(i: int, proc) -> None:
        for line in proc.stdout:
            outs[i].append(line)
            if "waiting for `radar features`" in line:
                waiting[i].set()

    with job_lock(db, "features", say=lambda *_: None):
        procs = [subprocess.Popen([sys.executable, "-m", "radar", "ingest", str(sample_source), "--db", str(db)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(2)]
        readers = [threading.Thread(target=read, args=(i, p), daemon=True) for i, p in enumerate(procs)]
        for r in readers:
            r.start()
        assert all(w.wait(timeout=120) for w in waiting), outs  # both wait for the job holding the warehouse
    for p, r in zip(procs, readers):
        p.wait(timeout=300)
        r.join(timeout=30)
    assert [p.returncode for p in procs] == [0, 0], outs
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("select started_at, finished_at from ingest_runs order by started_at").fetchall()
    assert len(runs) == 2
    assert runs[0][1] <= runs[1][0], runs  # one after the other, never both at once
    assert not list(tmp_path.glob("*.building*"))
