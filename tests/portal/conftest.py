"""Portal tests run the real app against a scored copy of the small sample."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "portal" / "app.py")


@pytest.fixture
def portal_db(scored_db, tmp_path, monkeypatch) -> Path:
    """A private copy per test, so edits in one test never leak into another."""
    db = tmp_path / "portal.duckdb"
    shutil.copy(scored_db, db)
    monkeypatch.setenv("RADAR_DB", str(db))
    return db


def open_page(page: str | None = None, **query) -> AppTest:
    """Run the app as a new session would, optionally on another page. Caches are never cleared:
    each test has its own warehouse path, and a changed warehouse must show by itself."""
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at
