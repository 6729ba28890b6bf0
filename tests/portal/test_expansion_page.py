"""The Expansion page per role, and its CSV: the columns a CRM imports, formulas neutralised."""
from __future__ import annotations

import io

import pandas as pd

from features.warehouse import connect
from tests.portal.conftest import open_page, texts
from tests.portal.signals_fixtures import alerted_db, served, signals_db  # noqa: F401

PAGE = "views/expansion.py"


def signals(db) -> pd.DataFrame:
    with connect(db, read_only=True) as con:
        return con.execute("select * from expansion").df()


def test_a_leader_sees_every_signal_and_downloads_the_crm_csv(signals_db, served):
    at = open_page(PAGE, role="leader")
    assert not at.exception and not at.error
    s = signals(signals_db)
    assert len(s) > 0
    assert next(m for m in at.metric if m.label == "Signals").value == f"{len(s):,}"
    csv = pd.read_csv(io.BytesIO(served["expansion_signals.csv"]))
    assert list(csv.columns) == ["Account ID", "Account Name", "Owner", "Signal", "Evidence", "Amount"]
    assert len(csv) == len(s) and csv["Amount"].sum() == s["amount"].round(0).sum()


def test_a_sam_sees_only_their_books_signals(signals_db, served):
    s = signals(signals_db)
    owner = s["owner"].value_counts().index[0]
    at = open_page(PAGE, role="sam", owner=owner)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert set(table["Owner"]) == {owner} and len(table) == int((s["owner"] == owner).sum())
    assert set(pd.read_csv(io.BytesIO(served["expansion_signals.csv"]))["Owner"]) == {owner}


def test_a_sam_with_no_signal_is_told_so(signals_db):
    with connect(signals_db, read_only=True) as con:
        owners = {r[0] for r in con.execute("select distinct owner from accounts").fetchall()}
    quiet = sorted(owners - set(signals(signals_db)["owner"]))
    if not quiet:  # every owner has a signal in this sample: make one owner's signals go away
        owner = sorted(owners)[0]
        with connect(signals_db) as con:
            con.execute("delete from expansion where owner = ?", [owner])
        quiet = [owner]
    at = open_page(PAGE, role="sam", owner=quiet[0])
    assert not at.exception
    assert "No account in your book shows an expansion signal." in texts(at, "warning")


def test_the_csv_neutralises_formulas_from_the_data(signals_db, served):
    target = signals(signals_db)["account_id"].iat[0]
    with connect(signals_db) as con:
        con.execute("update expansion set name = '=HYPERLINK(\"https://evil.example\",\"x\")' where account_id = ?", [target])
    at = open_page(PAGE, role="leader")
    assert not at.exception
    names = pd.read_csv(io.BytesIO(served["expansion_signals.csv"]))["Account Name"]
    assert not names.str.startswith("=").any() and names.str.startswith("'=HYPERLINK").sum() >= 1


def test_before_any_churn_score_the_expansion_signals_show(unscored_db):
    from model import alerts, expansion
    db = unscored_db
    with connect(db) as con:
        out = alerts.run(con, progress=lambda *a: None)
        expansion.run(con, out["as_of"], progress=lambda *a: None)
    s = signals(db)
    assert len(s) > 0
    at = open_page(PAGE, role="leader")
    assert not at.exception and not at.error
    assert next(m for m in at.metric if m.label == "Signals").value == f"{len(s):,}"
