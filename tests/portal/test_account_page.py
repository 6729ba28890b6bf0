"""Account page: deep link, drivers in words, users, and trait write-back with validation."""
from __future__ import annotations

from features.warehouse import connect
from tests.portal.conftest import open_page


def riskiest(db):
    with connect(db, read_only=True) as con:
        return con.execute("""select s.account_id, a.name from scores s join accounts a using (account_id)
                              where as_of = (select max(as_of) from scores)
                              order by churn_probability desc limit 1""").fetchall()[0]


def test_deep_link_opens_the_account_with_its_drivers(portal_db):
    account_id, name = riskiest(portal_db)
    at = open_page(account=account_id)
    assert not at.exception
    assert at.title[0].value == name
    text = " ".join(m.value for m in at.markdown)
    assert "pts of churn risk" in text and "In one sentence:" in text
    assert {m.label for m in at.metric} >= {"Health score", "Churn probability (90 days)", "Licensed seats"}


def test_a_trait_edit_persists_and_feeds_the_health_score(portal_db):
    account_id, _ = riskiest(portal_db)
    at = open_page(account=account_id)
    at.text_input(key="edit_who").input("Jordan Patel")
    at.selectbox(key="edit_pulse").set_value("poor")
    at.text_input(key="edit_note").input("Sponsor left; renewal call booked for Friday")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and not at.error
    with connect(portal_db, read_only=True) as con:
        edit = con.execute("select trait, value, edited_by from trait_edits where account_id = ?", [account_id]).fetchall()
        note = con.execute("select note from status_notes where account_id = ?", [account_id]).fetchall()
        pulse = con.execute("""select trait_pulse_score from health where account_id = ?
                               and as_of = (select max(as_of) from health)""", [account_id]).fetchall()[0][0]
    assert edit == [("pulse", "poor", "Jordan Patel")]
    assert note == [("Sponsor left; renewal call booked for Friday",)]
    assert pulse == 0


def test_a_bad_edit_is_refused_and_nothing_is_stored(portal_db):
    account_id, _ = riskiest(portal_db)
    at = open_page(account=account_id)
    at.selectbox(key="edit_pulse").set_value("poor")  # but no name given
    at.get("form_submit_button")[0].click().run()
    assert "Not saved: say who you are" in at.error[0].value
    with connect(portal_db, read_only=True) as con:
        assert con.execute("select count(*) from trait_edits").fetchall()[0][0] == 0


def test_unknown_account_in_the_link_says_so(portal_db):
    at = open_page(account="NOPE-1")
    assert not at.exception
    assert "NOPE-1" in at.warning[0].value
