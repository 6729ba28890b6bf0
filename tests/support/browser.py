"""Debian's Chromium for browser tests and benchmarks (never a downloaded browser)."""
from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def available() -> bool:
    return Path(CHROMIUM).exists()


def launch(playwright):
    """A headless Chromium from Playwright's sync API (`with sync_playwright() as p: launch(p)`)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
