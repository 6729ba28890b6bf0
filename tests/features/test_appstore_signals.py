"""Alert actions and plays in the operational store: stored with their audit row in one transaction,
on SQLite always and on a throwaway PostgreSQL when its binaries are on the machine."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

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


SEEN = dt.date(2026, 3, 31)


def test_an_alert_action_is_stored_with_its_audit_row(store):
    appstore.act_on_alert(store, "A", "silence", SEEN, "snooze", "warning", 45.0, "jo@example.com", "sam",
                          until=dt.date(2026, 4, 14), at=dt.datetime(2026, 4, 1, 9))
    appstore.act_on_alert(store, "A", "silence", SEEN, "dismiss", "warning", 47.0, "lee@example.com", "leader",
                          reason="Customer on holiday", at=dt.datetime(2026, 4, 2, 9))
    log = appstore.alert_action_log(store)
    assert log[["action", "acted_by", "value"]].values.tolist() == [["snooze", "jo@example.com", 45.0],
                                                                    ["dismiss", "lee@example.com", 47.0]]
    audit = appstore.audit_log(store).sort_values("id")
    assert audit["action"].tolist() == ["alert snooze", "alert dismiss"]
    second = audit.iloc[1]
    assert (second.actor, second.role, second.target) == ("lee@example.com", "leader", "A")
    assert json.loads(second.before) == {"action": "snooze", "until": "2026-04-14", "reason": None}
    assert json.loads(second.after)["reason"] == "Customer on holiday"


def test_a_play_is_stored_with_its_audit_row(store):
    new_id = appstore.log_play(store, "A", "training", dt.date(2026, 4, 1), "Two sessions booked", "jo", "sam",
                               alert_kind="seats_under", alert_first_seen=SEEN)
    plays = appstore.play_log(store)
    assert plays[["id", "play", "alert_kind", "logged_by"]].values.tolist() == [[new_id, "training", "seats_under", "jo"]]
    row = appstore.audit_log(store).iloc[0]
    assert row.action == "log play" and json.loads(row.after)["play"] == "training"


def test_nothing_is_stored_when_the_audit_row_cannot_be(store, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("audit down")
    monkeypatch.setattr(appstore, "record", broken)
    with pytest.raises(RuntimeError):
        appstore.log_play(store, "A", "training", dt.date(2026, 4, 1), None, "jo", "sam")
    with pytest.raises(RuntimeError):
        appstore.act_on_alert(store, "A", "silence", SEEN, "acknowledge", "warning", 1.0, "jo", "sam")
    assert appstore.play_log(store).empty and appstore.alert_action_log(store).empty


def test_the_stamp_moves_with_an_alert_action(store):
    before = appstore.stamp(store)
    appstore.act_on_alert(store, "A", "silence", SEEN, "acknowledge", "warning", 1.0, "jo", "sam")
    assert appstore.stamp(store) != before
    with store.connect() as con:
        assert con.execute(sa.select(sa.func.count()).select_from(appstore.alert_actions)).scalar_one() == 1
