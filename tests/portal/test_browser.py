"""End to end in a real headless Chromium: portfolio -> account link -> its drivers, with a screenshot."""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from portal.launch import command

CHROMIUM = "/usr/bin/chromium"
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


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install chromium)")
def test_portfolio_to_account_drivers_in_a_real_browser(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
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
