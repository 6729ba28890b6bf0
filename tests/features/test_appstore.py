"""The operational store: many writers, nothing lost, every write audited; on SQLite always and on a
throwaway PostgreSQL when its binaries are on the machine."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from features import appstore
from tests.support import postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield appstore.engine(f"sqlite:///{tmp_path / 'app.db'}")
        return
    if not postgres.available():
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not on this machine")
    with postgres.server() as url:
        eng = appstore.engine(url)
        yield eng
        eng.dispose()


def test_an_update_is_stored_with_its_audit_row(store):
    at = dt.datetime(2026, 3, 31, 9, 30)
    n = appstore.save_update(store, "A", "jo@example.com", "sam", {"pulse": "poor"}, "Sponsor left", at)
    assert n == 2
    assert appstore.edits(store)[["account_id", "trait", "value", "edited_by"]].values.tolist() == [
        ["A", "pulse", "poor", "jo@example.com"]]
    assert appstore.notes(store)["note"].tolist() == ["Sponsor left"]
    log = appstore.audit_log(store)
    assert sorted(log["action"]) == ["set traits", "status note"]
    traits = log[log["action"] == "set traits"].iloc[0]
    assert (traits.actor, traits.role, traits.target) == ("jo@example.com", "sam", "A")
    assert traits.before == '{"pulse": null}' and traits.after == '{"pulse": "poor"}'


def test_saving_an_unchanged_value_records_nothing(store):
    appstore.save_update(store, "A", "jo", "sam", {"pulse": "poor", "champion": "yes"}, None)
    assert appstore.save_update(store, "A", "jo", "sam", {"pulse": "poor", "champion": "no"}, None) == 1
    assert appstore.edits(store)["value"].tolist() == ["poor", "yes", "no"]
    assert appstore.audit_log(store)["before"].iloc[0] == '{"champion": "yes"}'


def test_the_stamp_moves_with_every_write(store):
    s0 = appstore.stamp(store)
    appstore.save_update(store, "A", "jo", "sam", {}, "a note")
    assert appstore.stamp(store) != s0


WRITER = """
import sys
from features import appstore
eng = appstore.engine(sys.argv[1])
for i in range(40):
    appstore.save_update(eng, f"A{i % 3}", sys.argv[2], "sam", {"pulse": ("poor", "healthy")[i % 2]}, f"note {i}")
"""


def test_writers_in_four_processes_at_once_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    appstore.engine(url)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, f"user{k}"]) for k in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    eng = appstore.engine(url)
    assert len(appstore.notes(eng)) == 160
    assert (appstore.audit_log(eng, limit=10_000)["action"] == "status note").sum() == 160


def test_nothing_deletes_or_rewrites_the_audit_log(store):
    appstore.save_update(store, "A", "jo", "sam", {}, "a note")
    for sql in ("delete from audit", "update audit set actor = 'someone else'"):
        with pytest.raises(Exception, match="append-only"):
            with store.begin() as con:
                con.exec_driver_sql(sql)
    assert appstore.audit_log(store)["actor"].tolist() == ["jo"]
