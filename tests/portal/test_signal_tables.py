"""Every table on the alerts, expansion and plays pages and in the account's alerts block reads as
people read it: human headers, no 'None', 'nan' or long decimals; per role."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from features import appstore
from portal import signal_tables
from tests.portal.conftest import open_page
from tests.portal.signals_fixtures import alerted_db, busiest_owner, latest_alerts, signals_db  # noqa: F401

RAW = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def problems(at) -> list[str]:
    found = []
    for d in at.dataframe:
        for col in d.value.columns:
            if RAW.match(str(col)):
                found.append(f"raw header {col!r}")
            text = d.value[col].astype(str)
            for bad in ("None", "nan", "NaT", "<NA>"):
                if (text == bad).any():
                    found.append(f"{bad!r} in {col!r}")
            if text.str.match(r"^-?\d+\.\d{6,}$").any():
                found.append(f"long decimals in {col!r}")
    return found


@pytest.mark.parametrize("role", ["leader", "sam", "analyst"])
def test_the_new_pages_tables_read_as_people_read_them(signals_db, role):
    owner = busiest_owner(signals_db)
    account = latest_alerts(signals_db).query("owner == @owner")["account_id"].iat[0]
    appstore.log_play(appstore.engine(), account, "training", dt.date(2026, 2, 10), None, "jo", "sam")
    pages = ["views/alerts.py", "views/expansion.py"] + (["views/plays.py"] if role != "sam" else [])
    for page in pages:
        at = open_page(page, role=role, owner=owner if role == "sam" else None)
        assert not at.exception
        assert problems(at) == [], page
    at = open_page(role=role, owner=owner if role == "sam" else None, account=account)
    assert not at.exception
    mine = [d for d in at.dataframe if "Reached its owner" in d.value or "Answering" in d.value]
    assert mine and not [p for d in mine for p in problems(_One(d))]


class _One:
    """One dataframe element, shaped like an AppTest for `problems`."""
    def __init__(self, d):
        self.dataframe = [d]


def test_missing_values_are_empty_cells_and_kinds_are_checked():
    frame = pd.DataFrame({"a": [None, "x"], "m": [float("nan"), 1_250_000.0], "p": [0.1234, None],
                          "d": [pd.NaT, pd.Timestamp("2026-03-31 10:00")], "id": ["A B", "C"]})
    shown = signal_tables.display(frame, {"a": ("A", "text"), "m": ("ARR", "money"), "p": ("Share", "percent"),
                                          "d": ("Day", "date"), "id": ("Open", "link")})
    assert shown.to_dict("list") == {"A": ["", "x"], "ARR": ["", "$1.2M"], "Share": ["12%", ""],
                                     "Day": ["", "2026-03-31"], "Open": ["/?account=A%20B", "/?account=C"]}
    with pytest.raises(ValueError, match="column kind"):
        signal_tables.display(frame, {"a": ("A", "fancy")})
