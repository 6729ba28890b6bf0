"""How the alerts, expansion and plays tables read: human headers, values in the form people read
them (dates 2026-03-31, money $1.2M, percents 12%), empty cells for missing values, links encoded.
Pure, apart from `show`. A view declares its columns once: {"arr": ("ARR", "money")}."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from features.catalog import money
from portal import safe

KINDS = ("text", "money", "percent", "number", "date", "link")


def _missing(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


def formatted(values: pd.Series, kind: str) -> pd.Series:
    if kind not in KINDS:
        raise ValueError(f"column kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "link":
        return values.map(safe.account_link)
    if kind == "date":
        return pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d").fillna("")
    fmt = {"text": str, "money": lambda v: money(float(v)), "percent": lambda v: f"{float(v):.0%}",
           "number": lambda v: f"{float(v):,.0f}"}[kind]
    return values.map(lambda v: "" if _missing(v) else fmt(v))


def display(frame: pd.DataFrame, cols: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """The declared columns of `frame`, under their headers, as text a person reads."""
    return pd.DataFrame({header: formatted(frame[name], kind).to_numpy() for name, (header, kind) in cols.items()})


def show(frame: pd.DataFrame, cols: dict[str, tuple[str, str]], key: str) -> pd.DataFrame:
    """Lay the table out; returns what was shown (the same frame a CSV of it should hold)."""
    shown = display(frame, cols)
    links = {header: st.column_config.LinkColumn(header, display_text="open")
             for header, kind in cols.values() if kind == "link"}
    st.dataframe(shown, hide_index=True, key=key, column_config=links)
    return shown
