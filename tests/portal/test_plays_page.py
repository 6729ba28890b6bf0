"""Plays: logged from the account page by its SAM (audited), refused in the future or on another
book; the Plays page for leaders and analysts, never SAMs, says what followed as an association."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from features import appstore
from model.plays import NOT_PROOF
from portal import signal_actions, state
from portal.access import Identity
from tests.portal.conftest import APP, open_page, texts
from tests.portal.signals_fixtures import alerted_db, busiest_owner, owner_accounts, signals_db  # noqa: F401

PAGE = "views/plays.py"


def test_a_sam_logs_a_play_from_the_account_page(signals_db):
    owner = busiest_owner(signals_db)
    account = sorted(owner_accounts(signals_db, owner))[0]
    at = open_page(role="sam", owner=owner, account=account)
    at.selectbox(key="play_pick").set_value("success_plan")
    at.date_input(key="play_done").set_value(dt.date.today() - dt.timedelta(days=3))
    at.text_input(key="play_note").input("Agreed three goals with the sponsor")
    next(b for b in at.get("form_submit_button") if "play_form" in b.proto.form_id).click().run()
    assert not at.exception and not at.error
    assert "Logged" in texts(at, "success")
    play = appstore.play_log(appstore.engine()).iloc[0]
    assert (play["account_id"], play["play"], play["logged_by"]) == (account, "success_plan", f"demo sam ({owner})")
    assert play["done_on"] == dt.date.today() - dt.timedelta(days=3)
    assert appstore.audit_log(appstore.engine())["action"].tolist() == ["log play"]


@pytest.mark.parametrize("done_on, message", [(dt.date.today() + dt.timedelta(days=1), "once it is done"),
                                              (dt.date.today() - dt.timedelta(days=400), "within 365 days")])
def test_a_play_on_an_impossible_date_is_refused(signals_db, done_on, message):
    owner = busiest_owner(signals_db)
    account = sorted(owner_accounts(signals_db, owner))[0]
    with pytest.raises(ValueError, match=message):
        signal_actions.log_play(Identity("x@example.com", "sam", owner), account, owner, "training", done_on)
    with pytest.raises(ValueError, match="unknown play"):
        signal_actions.log_play(Identity("x@example.com", "sam", owner), account, owner, "bribe", dt.date.today())
    assert appstore.play_log(appstore.engine()).empty


def test_leaders_see_what_followed_each_play_as_an_association(signals_db):
    owner = busiest_owner(signals_db)
    eng = appstore.engine()
    from features.warehouse import connect
    with connect(signals_db, read_only=True) as con:  # accounts scored then, so the plays have a baseline
        scored = {r[0] for r in con.execute("select account_id from scores where as_of = '2026-01-31'").fetchall()}
    for account in sorted(owner_accounts(signals_db, owner) & scored)[:3]:  # done months ago: followed up since
        appstore.log_play(eng, account, "exec_sponsor_call", dt.date(2026, 2, 10), None, "jo", "sam")
    at = open_page(PAGE, role="leader")
    assert not at.exception and not at.error
    assert NOT_PROOF in texts(at, "info")
    said = texts(at, "markdown")
    assert "Executive sponsor call" in said and "comparable accounts with no play" in said
    assert "Too few with a known result" in said
    detail = next(d.value for d in at.dataframe if "90 days on" in d.value)
    assert len(detail) == 3 and (detail["Risk then"] != "").all() and (detail["90 days on"] != "").any()
    assert detail["Risk then"].str.fullmatch(r"\d+%").all()


def test_an_analyst_sees_the_plays_page(signals_db):
    at = open_page(PAGE, role="analyst")
    assert not at.exception and not at.error
    assert "No play has been logged yet" in texts(at, "caption")


def test_a_sam_is_not_offered_the_plays_page_and_is_refused_when_run(signals_db):
    owner = busiest_owner(signals_db)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(PAGE, role="sam", owner=owner)
    direct = AppTest.from_file(str(Path(APP).parent / PAGE), default_timeout=60)
    direct.session_state[state.IDENTITY] = Identity("x@example.com", "sam", owner)
    direct.run()
    assert not direct.exception and "you cannot" in texts(direct, "error")
    assert not direct.dataframe
