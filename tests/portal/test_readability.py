"""Every table a reader meets has human headers and no 'None', 'nan' or 17-decimal numbers."""
from __future__ import annotations

import re

import pytest

from features.warehouse import connect
from tests.portal.conftest import open_page

RAW = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # snake_case, as in a column name


def riskiest(db):
    with connect(db, read_only=True) as con:
        return con.execute("""select s.account_id, a.owner from scores s join accounts a using (account_id)
                              where as_of = (select max(as_of) from scores) order by churn_probability desc
                              limit 1""").fetchall()[0]


def problems(at) -> list[str]:
    found = []
    for d in at.dataframe:
        frame = d.value
        for col in frame.columns:
            if RAW.match(str(col)):
                found.append(f"raw header {col!r}")
            text = frame[col].astype(str)
            for bad in ("None", "nan", "NaT", "<NA>"):
                if (text == bad).any():
                    found.append(f"{bad!r} in column {col!r}")
            if frame[col].dtype == object and text.str.match(r"^-?\d+\.\d{6,}$").any():
                found.append(f"long decimals in column {col!r}")
    return found


@pytest.mark.parametrize("role", ["leader", "sam", "analyst"])
def test_portfolio_and_account_tables_read_as_people_read_them(portal_db, role):
    account_id, owner = riskiest(portal_db)
    for query in ({}, {"account": account_id}):
        at = open_page(role=role, owner=owner if role == "sam" else None, **query)
        assert not at.exception
        assert problems(at) == [], query


def test_models_page_tables_read_as_people_read_them(portal_db, mlflow_store):
    at = open_page("views/models.py", role="analyst")
    assert not at.exception
    assert problems(at) == []
