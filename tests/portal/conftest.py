"""Portal tests run the real app against a scored copy of the small sample, each with its own
warehouse and operational store, signed in (demo mode) as the role the test names."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from portal import state

APP = str(Path(__file__).resolve().parents[2] / "portal" / "app.py")


@pytest.fixture
def portal_db(scored_db, tmp_path, monkeypatch) -> Path:
    """A private copy per test, so edits in one test never leak into another."""
    db = tmp_path / "portal.duckdb"
    shutil.copy(scored_db, db)
    monkeypatch.setenv("RADAR_DB", str(db))
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.delenv("RADAR_AUTH", raising=False)
    return db


def served_copy(scored_db: Path, mlflow_store: Path, tmp_path: Path) -> tuple[Path, dict, list[tuple[str, str]]]:
    """For a portal served as a real process: a private copy of the scored warehouse and of the
    registry, the environment that points at them (and a private app store), and the accounts at
    the latest scores as (owner, account_id), riskiest first."""
    db = tmp_path / "w.duckdb"
    shutil.copy(scored_db, db)
    shutil.copy(mlflow_store / "mlflow.db", tmp_path / "mlflow.db")
    env = {"RADAR_APP_DB": f"sqlite:///{tmp_path / 'app.db'}", "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("""select a.owner, s.account_id from scores s join accounts a using (account_id)
                              where s.as_of = (select max(as_of) from scores) order by s.churn_probability desc""").fetchall()
    return db, env, rows


@pytest.fixture
def unscored_db(sample_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the sample built up to health and never scored: a portfolio no churn
    model could train on yet (too little history, no churned account)."""
    db = tmp_path / "unscored.duckdb"
    shutil.copy(sample_db, db)
    monkeypatch.setenv("RADAR_DB", str(db))
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.delenv("RADAR_AUTH", raising=False)
    return db


def open_page(page: str | None = None, role: str = "leader", owner: str | None = None, **query) -> AppTest:
    """Run the app as a new session would, signed in as `role` (a SAM with `owner`'s book),
    optionally on another page. Caches are never cleared: each test has its own warehouse path,
    and a changed warehouse must show by itself."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[state.DEMO_ROLE] = role
    if owner is not None:
        at.session_state[state.DEMO_OWNER] = owner
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def texts(at, *kinds: str) -> str:
    """Every message of the given kinds (warning, error, info, caption, markdown...) as one string."""
    return " ".join(e.value for kind in kinds for e in getattr(at, kind))
