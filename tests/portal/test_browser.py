"""End to end in a real headless Chromium: portfolio -> account link -> its drivers, with a screenshot."""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

import pytest

from portal.launch import command
from tests.support import browser as chromium

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(portal_db, mlflow_store):
    port = free_port()
    env = os.environ | {"RADAR_DB": str(portal_db)}
    proc = subprocess.Popen(command(port, headless=True), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://localhost:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the portal did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.mark.skipif(not chromium.available(), reason="Debian's chromium is not installed (apt-get install chromium)")
def test_portfolio_to_account_drivers_in_a_real_browser(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    with sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(server)
        expect(page.get_by_text("Highest ARR at risk")).to_be_visible(timeout=60_000)
        link = page.locator("a[href*='account?account=']").first
        expect(link).to_be_visible()
        link.click()
        expect(page.get_by_text("Why it is flagged")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Raising the risk")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("pts of churn risk").first).to_be_visible()
        assert "account=" in page.url
        shot = tmp_path / "account.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 10_000


@pytest.mark.skipif(not chromium.available(), reason="Debian's chromium is not installed (apt-get install chromium)")
def test_every_address_people_share_opens_its_page_and_back_leaves_it(server, portal_db):
    """/ and /portfolio open the portfolio; /?account=ID (the digest's and QBR pack's links) and
    /account?account=ID (the address bar on the account page) open that account; each keeps its
    address, and Back returns to wherever the link was clicked."""
    import duckdb
    from playwright.sync_api import expect, sync_playwright
    with duckdb.connect(str(portal_db), read_only=True) as con:
        account_id, name = con.execute("""select s.account_id, a.name from scores as s join accounts as a using (account_id)
                                          where s.as_of = (select max(as_of) from scores)
                                          order by s.churn_probability desc limit 1""").fetchone()
    with sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        for address, shows in [
            ("/", "Highest ARR at risk"),
            ("/portfolio", "Highest ARR at risk"),
            (f"/?account={account_id}", "Why it is flagged"),
            (f"/account?account={account_id}", "Why it is flagged"),
        ]:
            page.goto("data:text/html,<p>the email with the link</p>")
            page.goto(server + address)
            expect(page.get_by_text(shows).first).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Page not found")).to_have_count(0)
            if "account=" in address:
                expect(page.get_by_text(name).first).to_be_visible()
            assert page.url == server + address, f"{address} moved to {page.url}"
            page.go_back()
            expect(page.get_by_text("the email with the link")).to_be_visible(timeout=30_000)
        browser.close()
