"""Fixtures for the alerts, expansion, plays, digest and QBR tests: the scored sample with every
snapshot's alerts replayed and the expansion signals written (built once), a private copy per test,
and a recorder of what the pages offer for download."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st

from features.warehouse import connect


@pytest.fixture(scope="session")
def alerted_db(scored_db, tmp_path_factory) -> Path:
    """The scored sample after `radar alerts --all-dates` (history replayed, nobody acting) and the
    expansion signals at the latest snapshot. Treat as read-only."""
    from model import alerts, expansion
    db = tmp_path_factory.mktemp("alerted") / "alerted.duckdb"
    shutil.copy(scored_db, db)
    with connect(db) as con:
        out = alerts.run(con, all_dates=True, progress=lambda *a: None)
        expansion.run(con, out["as_of"], progress=lambda *a: None)
    return db


@pytest.fixture
def signals_db(alerted_db, tmp_path, monkeypatch) -> Path:
    """A private copy per test, with its own empty operational store, signed in through the demo."""
    db = tmp_path / "signals.duckdb"
    shutil.copy(alerted_db, db)
    monkeypatch.setenv("RADAR_DB", str(db))
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.delenv("RADAR_AUTH", raising=False)
    return db


@pytest.fixture
def served(monkeypatch) -> dict[str, bytes]:
    """Every file a page offers for download in this test, by file name (as it would be served)."""
    from streamlit.delta_generator import DeltaGenerator
    files: dict[str, bytes] = {}
    real_st, real_dg = st.download_button, DeltaGenerator.download_button

    def keep(data, file_name):
        files[file_name] = data if isinstance(data, bytes) else str(data).encode()

    def record_st(label, data, file_name=None, *args, **kwargs):
        keep(data, file_name)
        return real_st(label, data, file_name, *args, **kwargs)

    def record_dg(self, label, data, file_name=None, *args, **kwargs):  # columns, tabs, expanders
        keep(data, file_name)
        return real_dg(self, label, data, file_name, *args, **kwargs)
    monkeypatch.setattr(st, "download_button", record_st)
    monkeypatch.setattr(DeltaGenerator, "download_button", record_dg)
    return files


def latest_alerts(db: Path):
    with connect(db, read_only=True) as con:
        return con.execute("select * from alerts where as_of = (select max(as_of) from alerts)").df()


def busiest_owner(db: Path) -> str:
    """The owner with the most critical alerts at the latest run (capped ones first)."""
    a = latest_alerts(db)
    crit = a[a["severity"] == "critical"]
    return crit.assign(c=crit["capped"].astype(int)).groupby("owner")[["c"]].sum() \
        .join(crit.groupby("owner").size().rename("n")).sort_values(["c", "n"], ascending=False).index[0]


def owner_accounts(db: Path, owner: str) -> set[str]:
    with connect(db, read_only=True) as con:
        return {r[0] for r in con.execute("select account_id from accounts where owner = ?", [owner]).fetchall()}


def account_names(db: Path, owner: str | None = None) -> dict[str, str]:
    with connect(db, read_only=True) as con:
        rows = con.execute("select account_id, name, owner from accounts").fetchall()
    return {a: n for a, n, o in rows if owner is None or o == owner}
