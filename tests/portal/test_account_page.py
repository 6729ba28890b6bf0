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
    at.selectbox(key=f"edit_pulse_{account_id}").set_value("poor")
    at.text_input(key=f"edit_note_{account_id}").input("Sponsor left; renewal call booked for Friday")
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


def test_after_a_save_the_form_shows_the_current_values_and_saving_them_again_records_nothing(portal_db):
    account_id, _, owner = riskiest(portal_db)
    at = open_page(role="sam", owner=owner, account=account_id)
    at.selectbox(key=f"edit_pulse_{account_id}").set_value("poor")
    at.get("form_submit_button")[0].click().run()
    fresh = open_page(role="sam", owner=owner, account=account_id)  # a reload
    assert fresh.selectbox(key=f"edit_pulse_{account_id}").value == "poor"
    fresh.get("form_submit_button")[0].click().run()
    assert "Nothing changed" in texts(fresh, "info")
    assert len(appstore.edits(appstore.engine(), [account_id])) == 1
    history = next(d.value for d in fresh.dataframe if "What" in d.value.columns)
    assert history["What"].tolist() == ["CSM pulse"] and history["Value"].tolist() == ["poor"]


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


def former_customer(db):
    with connect(db, read_only=True) as con:
        return con.execute("""select a.account_id, a.name, a.owner from accounts a
                              where a.account_id not in (select account_id from scores
                                                         where as_of = (select max(as_of) from scores))
                                and a.account_id in (select account_id from scores)
                              order by a.account_id limit 1""").fetchall()[0]


def test_a_former_customer_opens_as_itself_read_only(portal_db):
    account_id, name, _ = former_customer(portal_db)
    at = open_page(account=account_id)
    assert not at.exception
    assert at.title[0].value == name
    assert "Former customer: the last day a contract covered it was" in texts(at, "warning")
    assert not at.get("form_submit_button")  # nothing can be written to it
    said = next(d.value for d in at.dataframe if "Days before" in d.value.columns)
    assert set(said["Days before"]) <= {90, 30} and len(said) >= 1
