"""Account page: deep link, drivers in words, users, and trait write-back as the signed-in person."""
from __future__ import annotations

from features import appstore
from features.warehouse import connect
from tests.portal.conftest import open_page, texts


def riskiest(db):
    with connect(db, read_only=True) as con:
        return con.execute("""select s.account_id, a.name, a.owner from scores s join accounts a using (account_id)
                              where as_of = (select max(as_of) from scores)
                              order by churn_probability desc limit 1""").fetchall()[0]


def health_metric(at) -> str:
    return next(m for m in at.metric if m.label == "Health score").value


def test_deep_link_opens_the_account_with_its_drivers(portal_db):
    account_id, name, _ = riskiest(portal_db)
    at = open_page(account=account_id)
    assert not at.exception
    assert at.title[0].value == name
    text = " ".join(m.value for m in at.markdown)
    assert "pts of churn risk" in text and "In one sentence:" in text
    assert {m.label for m in at.metric} >= {"Health score", "Churn probability (90 days)", "Licensed seats"}


def test_a_saved_trait_is_stored_audited_and_shown_at_once(portal_db):
    account_id, _, owner = riskiest(portal_db)
    at = open_page(role="sam", owner=owner, account=account_id)
    before = health_metric(at)
    at.selectbox(key="edit_pulse").set_value("poor")
    at.text_input(key="edit_note").input("Sponsor left; renewal call booked for Friday")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and not at.error
    assert "Saved at" in texts(at, "success")
    eng = appstore.engine()
    who = f"demo sam ({owner})"
    assert appstore.edits(eng, [account_id])[["trait", "value", "edited_by"]].values.tolist() == [["pulse", "poor", who]]
    assert appstore.notes(eng, [account_id])["note"].tolist() == ["Sponsor left; renewal call booked for Friday"]
    assert "Sponsor left" in texts(at, "info")  # the status banner shows the new note
    with connect(portal_db, read_only=True) as con:  # the portal never writes the warehouse
        assert con.execute("select count(*) from trait_edits").fetchall()[0][0] == 0
    from features.health import assess
    with connect(portal_db, read_only=True) as con:
        con.execute("create temp table trait_edits as select ? as account_id, 'pulse' as trait, 'poor' as value, "
                    "? as edited_by, now()::timestamp as edited_at", [account_id, who])
        expected = assess(con, "where account_id = ? and as_of = (select max(as_of) from features)", [account_id])
    assert health_metric(at).startswith(f"{expected['health_score'].iat[0]:.0f} ·")
    assert expected["trait_pulse_score"].iat[0] == 0
    assert health_metric(at) != before or expected["health_score"].iat[0] == float(before.split(" ")[0])


def test_saving_the_current_values_again_records_nothing(portal_db):
    account_id, _, owner = riskiest(portal_db)
    at = open_page(role="sam", owner=owner, account=account_id)
    for _ in range(2):
        at.selectbox(key="edit_pulse").set_value("poor")
        at.get("form_submit_button")[0].click().run()
    assert "Nothing changed" in texts(at, "success")
    assert len(appstore.edits(appstore.engine(), [account_id])) == 1


def test_an_empty_save_is_refused_and_nothing_is_stored(portal_db):
    account_id, _, owner = riskiest(portal_db)
    at = open_page(role="sam", owner=owner, account=account_id)
    at.get("form_submit_button")[0].click().run()
    assert "Not saved: nothing to save" in texts(at, "error")
    assert appstore.edits(appstore.engine()).empty


def test_an_unknown_account_in_the_link_shows_no_account(portal_db):
    at = open_page(account="NOPE-1")
    assert not at.exception
    assert "No such account: NOPE\\-1" in texts(at, "warning")
    assert not at.metric and not at.get("form_submit_button")


def test_a_hostile_account_parameter_is_shown_as_text(portal_db):
    at = open_page(account="[Click here to re-login](https://evil.example)")
    assert not at.exception
    shown = texts(at, "warning")
    assert "\\[Click here to re\\-login\\]\\(https\\:" in shown
