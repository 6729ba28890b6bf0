"""A corrupt warehouse or MLflow store gets one message with the fix, never a traceback."""
from __future__ import annotations

import pytest

from tests.portal.conftest import open_page, texts


@pytest.fixture
def corrupt_db(portal_db):
    portal_db.write_bytes(b"this is not a DuckDB file\n" * 100)
    return portal_db


@pytest.mark.parametrize("query", [{}, {"account": "ACC-00001"}])
def test_a_corrupt_warehouse_says_what_is_wrong_and_how_to_fix_it(corrupt_db, query):
    at = open_page(**query)
    assert not at.exception
    assert f"The warehouse at {corrupt_db} cannot be read" in texts(at, "warning")
    assert "radar ingest" in at.code[0].value


def test_a_corrupt_mlflow_store_says_what_is_wrong_and_how_to_fix_it(portal_db, tmp_path, monkeypatch):
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database" * 1000)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{broken}")
    at = open_page("views/models.py", role="analyst")
    assert not at.exception
    assert f"The MLflow store at sqlite:///{broken} cannot be read" in texts(at, "error")
    assert "MLFLOW_TRACKING_URI" in at.code[0].value
