"""One table declaration shapes what the screen shows and what the CSV holds."""
from __future__ import annotations

import pandas as pd
import pytest

from portal.tables import Col, display_frame, export_frame

COLS = {"account_id": Col("Open", "link"), "name": Col("Account"), "arr": Col("ARR", "money"),
        "p": Col("Churn probability", "percent"), "renews": Col("Renewal", "date"), "n": Col("Users", "int")}
ROWS = pd.DataFrame({"account_id": ["A 1", "B"], "name": ["Acme", None], "arr": [1_200_000.0, None],
                     "p": [0.123456789, None], "renews": pd.to_datetime(["2026-03-31 10:00", None]), "n": [3.0, None]})


def test_the_screen_shows_headers_formats_and_empty_cells():
    shown = display_frame(ROWS, COLS)
    assert list(shown.columns) == ["Open", "Account", "ARR", "Churn probability", "Renewal", "Users"]
    assert shown.iloc[0].tolist()[:3] == ["/?account=A%201", "Acme", "$1.2M"]
    assert shown["Churn probability"].iat[0] == pytest.approx(12.3456789)
    assert shown["Renewal"].tolist() == ["2026-03-31", ""] and shown["Account"].iat[1] == "" and shown["ARR"].iat[1] == ""


def test_the_csv_has_the_same_headers_plain_rounded_numbers_and_no_links():
    out = export_frame(ROWS, COLS)
    assert list(out.columns) == ["Account", "ARR", "Churn probability", "Renewal", "Users"]
    assert out["ARR"].iat[0] == 1_200_000.0 and out["Churn probability"].iat[0] == 0.1235
    assert out["Users"].iat[0] == 3 and pd.isna(out["Users"].iat[1]) and out["Renewal"].iat[1] == ""


def test_a_whole_number_column_rounds_on_screen_as_the_csv_does():
    rows = pd.DataFrame({"h": [93.9, 16.4, 41.85, None]})
    cols = {"h": Col("Health", "int")}
    assert display_frame(rows, cols)["Health"].tolist()[:3] == [94, 16, 42]
    assert export_frame(rows, cols)["Health"].tolist()[:3] == [94, 16, 42]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="column kind 'fancy'"):
        Col("X", "fancy")
