"""The Alerts page, per role: a leader sees every book, a SAM only theirs and acts only on it, an
analyst reads but does not act; every action is audited; the digest download covers one's own book."""
from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from features import appstore
from features.warehouse import connect
from portal import signal_actions
from portal.access import AccessDenied, Identity
from tests.portal.conftest import open_page, texts
from tests.portal.signals_fixtures import (alerted_db, account_names, busiest_owner, latest_alerts,  # noqa: F401
                                           owner_accounts, served, signals_db)

PAGE = "views/alerts.py"


def metric(at, label: str) -> int:
    return int(next(m for m in at.metric if m.label == label).value.replace(",", ""))


def shown_accounts(at) -> set[str]:
    return {n for d in at.dataframe for n in d.value.get("Account", pd.Series(dtype=str))}


def test_a_leader_sees_every_books_alerts(signals_db):
    at = open_page(PAGE, role="leader")
    assert not at.exception and not at.error
    a = latest_alerts(signals_db)
    crit = a[a["severity"] == "critical"]
    assert metric(at, "Critical, this week's alerts") == int((crit["delivery"] == "notify").sum())
    assert metric(at, "Critical, over the budget") == int(crit["capped"].sum()) > 0
    owners = {o for d in at.dataframe if "Owner" in d.value for o in d.value["Owner"]}
    assert len(owners) > 1


def test_a_sam_sees_only_their_own_books_alerts(signals_db):
    owner = busiest_owner(signals_db)
    at = open_page(PAGE, role="sam", owner=owner)
    assert not at.exception and not at.error
    mine = latest_alerts(signals_db).query("owner == @owner")
    assert metric(at, "Critical, this week's alerts") == int(((mine["severity"] == "critical") &
                                                              (mine["delivery"] == "notify")).sum())
    assert metric(at, "Warnings") == int((mine["severity"] == "warning").sum())
    names = shown_accounts(at)
    assert names and names <= set(account_names(signals_db, owner).values())
    assert at.selectbox(key="digest_scope").options == [owner]
    picks = at.selectbox(key="alerts_pick").options
    assert len(picks) == len(mine)
    assert {label.split(" · ")[0] for label in picks} <= set(account_names(signals_db, owner).values())


def acknowledged_by_their_sam(signals_db):
    """The Alerts page after the busiest owner's SAM acknowledged their first alert with a note."""
    owner = busiest_owner(signals_db)
    at = open_page(PAGE, role="sam", owner=owner)
    at.radio(key="alerts_action").set_value("acknowledge")
    at.text_input(key="alerts_text").input("Called the sponsor on Monday")
    at.get("form_submit_button")[0].click().run()
    return owner, at


def test_a_sam_acknowledges_an_alert_and_it_is_audited(signals_db):
    owner, at = acknowledged_by_their_sam(signals_db)
    assert not at.exception and not at.error
    assert "Acknowledged" in texts(at, "success")
    log = appstore.audit_log(appstore.engine())
    row = log[log["action"] == "alert acknowledge"].iloc[0]
    assert (row.actor, row.role) == (f"demo sam ({owner})", "sam")
    assert row.target in owner_accounts(signals_db, owner)
    statuses = [s for d in at.dataframe if "Status" in d.value for s in d.value["Status"]]
    assert sum(s.startswith("acknowledged") for s in statuses) == 1


def test_a_dismissal_needs_a_reason_and_then_sets_the_alert_aside(signals_db):
    owner = busiest_owner(signals_db)
    at = open_page(PAGE, role="sam", owner=owner)
    before = metric(at, "Snoozed or dismissed")
    at.radio(key="alerts_action").set_value("dismiss")
    at.get("form_submit_button")[0].click().run()
    assert "Not saved: say why" in texts(at, "error")
    assert appstore.alert_action_log(appstore.engine()).empty
    at.text_input(key="alerts_text").input("Known: the customer paused for a migration")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and "Dismissed" in texts(at, "success")
    assert metric(at, "Snoozed or dismissed") == before + 1
    stored = appstore.alert_action_log(appstore.engine())
    assert stored[["action", "reason"]].values.tolist() == [["dismiss", "Known: the customer paused for a migration"]]


def test_a_saved_note_is_cleared_so_it_cannot_become_the_next_dismissals_reason(signals_db):
    _, at = acknowledged_by_their_sam(signals_db)
    assert "Acknowledged" in texts(at, "success") and at.text_input(key="alerts_text").value == ""
    at.selectbox(key="alerts_pick").set_value(1)
    at.radio(key="alerts_action").set_value("dismiss")
    at.get("form_submit_button")[0].click().run()
    assert "Not saved: say why" in texts(at, "error")
    assert appstore.alert_action_log(appstore.engine())["action"].tolist() == ["acknowledge"]


def test_a_snooze_is_stored_until_its_date(signals_db):
    owner = busiest_owner(signals_db)
    at = open_page(PAGE, role="sam", owner=owner)
    until = dt.date.today() + dt.timedelta(days=10)
    at.radio(key="alerts_action").set_value("snooze")
    at.date_input(key="alerts_until").set_value(until)
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and "Snoozed until" in texts(at, "success")
    assert appstore.alert_action_log(appstore.engine())["until"].iat[0] == until


def test_a_play_logged_from_an_alert_names_the_alert(signals_db):
    owner = busiest_owner(signals_db)
    at = open_page(PAGE, role="sam", owner=owner)
    at.radio(key="alerts_action").set_value("log a play")
    at.selectbox(key="alerts_play").set_value("exec_sponsor_call")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and "Logged\\: Executive sponsor call" in texts(at, "success")
    play = appstore.play_log(appstore.engine()).iloc[0]
    assert play["play"] == "exec_sponsor_call" and play["alert_kind"] is not None
    assert "log play" in set(appstore.audit_log(appstore.engine())["action"])


def test_an_analyst_reads_alerts_but_cannot_act(signals_db):
    at = open_page(PAGE, role="analyst")
    assert not at.exception and not at.error
    assert metric(at, "Warnings") > 0
    assert not at.get("form_submit_button")
    assert "Acting on these alerts is for the account's owner" in texts(at, "caption")


def test_a_sam_cannot_act_on_another_owners_alert(signals_db):
    owner = busiest_owner(signals_db)
    a = latest_alerts(signals_db)
    theirs = a[a["owner"] != owner].iloc[0].to_dict()
    sam = Identity(f"x@example.com", "sam", owner)
    with pytest.raises(AccessDenied):
        signal_actions.act_on_alert(sam, theirs, "dismiss", reason="not mine")
    with pytest.raises(AccessDenied):
        signal_actions.log_play(sam, theirs["account_id"], theirs["owner"], "training", dt.date.today())
    analyst = Identity("ana@example.com", "analyst")
    with pytest.raises(AccessDenied):
        signal_actions.act_on_alert(analyst, theirs, "acknowledge")
    assert appstore.alert_action_log(appstore.engine()).empty and appstore.audit_log(appstore.engine()).empty


@pytest.mark.parametrize("change, message", [
    ({"action": "snooze", "until": dt.date.today()}, "after today"),
    ({"action": "snooze", "until": dt.date.today() + dt.timedelta(days=91)}, "at most 90 days"),
    ({"action": "dismiss", "reason": "x" * 281}, "keep it to 280"),
    ({"action": "dismiss", "reason": "two\nlines"}, "one line"),
    ({"action": "delete"}, "unknown action"),
])
def test_bad_actions_are_refused_with_a_reason(signals_db, change, message):
    owner = busiest_owner(signals_db)
    mine = latest_alerts(signals_db).query("owner == @owner").iloc[0].to_dict()
    with pytest.raises(ValueError, match=message):
        signal_actions.act_on_alert(Identity("x@example.com", "sam", owner), mine, change.pop("action"), **change)


def test_the_page_says_what_to_run_before_alerts_exist(scored_db, tmp_path, monkeypatch):
    db = tmp_path / "no_alerts.duckdb"
    shutil.copy(scored_db, db)
    monkeypatch.setenv("RADAR_DB", str(db))
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    at = open_page(PAGE, role="leader")
    assert not at.exception
    assert "No alerts have been computed yet" in texts(at, "warning")
    assert [c.value for c in at.code] == ["radar alerts"]


def test_a_sam_downloads_the_digest_of_their_own_book_only(signals_db, served):
    owner = busiest_owner(signals_db)
    at = open_page(PAGE, role="sam", owner=owner)
    at.button(key="digest_prepare").click().run()
    assert not at.exception and not at.error
    text = served[f"digest_{owner.replace(' ', '_')}.md"].decode()
    others = set(account_names(signals_db).values()) - set(account_names(signals_db, owner).values())
    mine = set(account_names(signals_db, owner).values())
    assert any(n.replace(" ", " ") in text for n in mine)
    assert not any(f"[{n}]" in text for n in others)
    assert "account=" in text and not (owner_accounts_in(text) - owner_accounts(signals_db, owner))


def owner_accounts_in(text: str) -> set[str]:
    import re
    return set(re.findall(r"account=([A-Za-z0-9%_.\-]+)", text))


def test_a_leader_downloads_the_portfolio_digest(signals_db, served):
    at = open_page(PAGE, role="leader")
    at.button(key="digest_prepare").click().run()
    assert not at.exception
    assert "## By owner" in served["digest_portfolio.md"].decode()


def test_before_any_churn_score_the_alerts_that_need_no_model_are_shown_with_the_digest(unscored_db, served):
    from model import alerts
    db = unscored_db
    with connect(db) as con:
        alerts.run(con, progress=lambda *a: None)
        raised = con.execute("select account_id, owner, kind, severity from alerts "
                             "where as_of = (select max(as_of) from alerts)").df()
    assert len(raised)
    at = open_page(PAGE, role="leader")
    assert not at.exception and not at.error
    crit = raised[raised["severity"] == "critical"]
    shown = metric(at, "Critical, this week's alerts") + metric(at, "Critical, over the budget")
    assert shown == len(crit) > 0
    owner = crit["owner"].iat[0]
    sam = open_page(PAGE, role="sam", owner=owner)
    assert not sam.exception and shown_accounts(sam) <= set(account_names(db, owner).values())
    sam.button(key="digest_prepare").click().run()
    assert not sam.exception and not sam.error
    assert "uses the rule-based health score" in served[f"digest_{owner.replace(' ', '_')}.md"].decode()
