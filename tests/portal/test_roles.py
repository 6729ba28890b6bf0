"""Roles: a leader sees everything, a SAM only their own book (on every page and table), an analyst
every score and the Models page but edits no traits. Refusals, not empty pages."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from features.warehouse import connect
from portal import state
from portal.access import Identity
from tests.portal.conftest import APP, open_page, texts


def book(db):
    """(an owner, one of their scored accounts, an account of another owner, counts per owner)."""
    with connect(db, read_only=True) as con:
        rows = con.execute("""select a.owner, s.account_id from scores s join accounts a using (account_id)
                              where s.as_of = (select max(as_of) from scores) order by s.churn_probability desc""").fetchall()
    owner = rows[0][0]
    mine = next(a for o, a in rows if o == owner)
    other = next(a for o, a in rows if o != owner)
    return owner, mine, other, sum(o == owner for o, _ in rows)


def tables(at):
    return [d.value for d in at.dataframe]


def test_a_sam_sees_only_their_book_on_the_portfolio(portal_db):
    owner, _, _, n = book(portal_db)
    at = open_page(role="sam", owner=owner)
    assert not at.exception
    assert next(m for m in at.metric if m.label == "Accounts").value == f"{n:,}"
    for frame in tables(at):
        if "owner" in frame.columns:
            assert set(frame["owner"]) <= {owner}, frame.head()
        if "Owner" in frame.columns:
            assert set(frame["Owner"]) <= {owner}


def test_a_sam_opening_another_owners_account_by_link_is_refused(portal_db):
    owner, _, other, _ = book(portal_db)
    at = open_page(role="sam", owner=owner, account=other)
    assert not at.exception
    assert "another owner's book" in texts(at, "error")
    assert not at.metric and not at.get("form_submit_button")  # nothing of that account is shown


def test_a_sam_opens_and_edits_their_own_account(portal_db):
    owner, mine, _, _ = book(portal_db)
    at = open_page(role="sam", owner=owner, account=mine)
    assert not at.exception and not at.error
    assert at.get("form_submit_button")


@pytest.mark.parametrize("page, role", [("views/models.py", "sam"), ("views/audit.py", "sam"),
                                        ("views/audit.py", "analyst")])
def test_pages_outside_a_role_are_not_offered_and_refuse_when_run(portal_db, page, role):
    owner, _, _, _ = book(portal_db)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(page, role=role, owner=owner if role == "sam" else None)
    direct = AppTest.from_file(str(Path(APP).parent / page), default_timeout=60)
    direct.session_state[state.IDENTITY] = Identity("x@example.com", role, owner if role == "sam" else None)
    direct.run()
    assert not direct.exception
    assert "you cannot" in texts(direct, "error")
    assert not direct.dataframe and not direct.button


def test_an_analyst_reads_every_account_but_edits_no_traits(portal_db):
    _, mine, _, _ = book(portal_db)
    at = open_page(role="analyst", account=mine)
    assert not at.exception and not at.error
    assert not at.get("form_submit_button")
    assert "recorded by the account's owner and CS leadership" in texts(at, "info")


def test_only_an_analyst_can_retrain_or_promote(portal_db, mlflow_store):
    leader = open_page("views/models.py", role="leader")
    assert not leader.exception
    assert not [b for b in leader.button if b.key in ("retrain", "promote")]
    analyst = open_page("views/models.py", role="analyst")
    assert not analyst.exception
    assert [b for b in analyst.button if b.key == "retrain"]


def test_leaders_see_every_write_in_the_audit_log(portal_db):
    owner, mine, _, _ = book(portal_db)
    at = open_page(role="sam", owner=owner, account=mine)
    at.selectbox(key=f"edit_pulse_{mine}").set_value("poor")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and not at.error
    audit = open_page("views/audit.py", role="leader")
    assert not audit.exception
    log = tables(audit)[0]
    row = log[log["action"] == "set traits"].iloc[0]
    assert (row.actor, row.role, row.target) == (f"demo sam ({owner})", "sam", mine)
    assert row.after == '{"pulse": "poor"}'
