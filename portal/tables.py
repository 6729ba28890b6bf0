"""How a table reads: which columns, under which human header, in which format. No Streamlit.

A view declares its columns once (`{"arr": Col("ARR", "money")}`); the same declaration shapes
what is shown and what is downloaded, so the screen and the CSV always agree. Empty values are
empty cells, dates read 2026-03-31, probabilities are percents, money is $1.2M on screen and a
plain number in the CSV.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.catalog import money
from portal import safe

KINDS = ("text", "date", "datetime", "money", "percent", "number", "int", "link", "progress", "flag")


@dataclass(frozen=True)
class Col:
    header: str
    kind: str = "text"
    width: str | None = None  # "small" | "medium" | "large"
    digits: int = 0  # decimals for numbers and percents

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column kind {self.kind!r} is not one of {', '.join(KINDS)}")


def _text(s: pd.Series) -> pd.Series:
    return s.map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))


def _day(s: pd.Series, fmt: str) -> pd.Series:
    t = pd.to_datetime(s, errors="coerce")
    return t.dt.strftime(fmt).fillna("")


def display_frame(frame: pd.DataFrame, cols: dict[str, Col]) -> pd.DataFrame:
    """The columns to show, under their headers, with values in the form the screen shows them
    (percents as 0-100 for `%` formats, links as URLs, money as $1.2M text, empty for missing)."""
    out = {}
    for name, c in cols.items():
        s = frame[name]
        if c.kind == "text":
            s = _text(s)
        elif c.kind == "date":
            s = _day(s, "%Y-%m-%d")
        elif c.kind == "datetime":
            s = _day(s, "%Y-%m-%d %H:%M")
        elif c.kind == "money":
            s = s.map(lambda v: "" if pd.isna(v) else money(float(v)))
        elif c.kind in ("percent", "progress"):
            s = pd.to_numeric(s, errors="coerce") * 100
        elif c.kind == "link":
            s = s.map(safe.account_link)
        elif c.kind == "flag":
            s = s.map(lambda v: "" if pd.isna(v) else ("yes" if bool(v) else "no"))
        elif c.kind == "int":  # rounded here: the column's %d format would cut 93.9 to 93 (the CSV says 94)
            s = pd.to_numeric(s, errors="coerce").round(0)
        else:
            s = pd.to_numeric(s, errors="coerce")
        out[c.header] = s.reset_index(drop=True)
    return pd.DataFrame(out)


def export_frame(frame: pd.DataFrame, cols: dict[str, Col]) -> pd.DataFrame:
    """The same columns for a CSV: human headers, plain numbers (money unformatted, shares 0-1 to
    4 decimals), ISO dates, empty cells for missing values; links dropped (the id column stays)."""
    out = {}
    for name, c in cols.items():
        if c.kind == "link":
            continue
        s = frame[name]
        if c.kind == "text":
            s = _text(s)
        elif c.kind == "date":
            s = _day(s, "%Y-%m-%d")
        elif c.kind == "datetime":
            s = _day(s, "%Y-%m-%d %H:%M")
        elif c.kind in ("percent", "progress"):
            s = pd.to_numeric(s, errors="coerce").round(4)
        elif c.kind == "money":
            s = pd.to_numeric(s, errors="coerce").round(2)
        elif c.kind == "flag":
            s = s.map(lambda v: "" if pd.isna(v) else ("yes" if bool(v) else "no"))
        elif c.kind == "int":
            s = pd.to_numeric(s, errors="coerce").round(0).astype("Int64")
        else:
            s = pd.to_numeric(s, errors="coerce").round(max(c.digits, 2))
        out[c.header] = s.reset_index(drop=True)
    return pd.DataFrame(out)
