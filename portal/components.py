"""Shared display pieces: tier colours, number formats, messages that say how to fix things."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from features.catalog import money
from portal import safe
from portal.style import RISK_ORDER, TIER_COLORS  # noqa: F401  (the views' palette)
from portal.tables import Col, display_frame, export_frame


def usd(v) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else money(float(v))


def pct(v, digits: int = 0) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):.{digits}%}"


def day(v) -> str:
    return "—" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")


def badge(tier: str) -> str:
    """A coloured tier label for st.markdown."""
    color = TIER_COLORS.get(str(tier), "#95a5a6")
    return f":{_named(color)}-background[{tier}]"


def _named(color: str) -> str:
    return {"#c0392b": "red", "#e67e22": "orange", "#27ae60": "green"}.get(color, "gray")


def tier_scale(order: list[str]):
    import altair as alt
    return alt.Scale(domain=order, range=[TIER_COLORS[t] for t in order])


def stop_with(message: str, fix: str | None = None) -> None:
    """Show a clear message (and the command that fixes it) instead of a traceback, then stop the page.
    `message` is Markdown: escape data in it with safe.md."""
    st.warning(message)
    if fix:
        st.code(fix, language="bash")
    st.stop()


def plural(n: int, word: str) -> str:
    """'1 account', '3 accounts'."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def table(frame: pd.DataFrame, cols: dict[str, Col], csv: str | None = None, key: str | None = None,
          csv_label: str = "Download CSV") -> None:
    """A table with human headers and formats, and (when `csv` names a file) its download."""
    shown = display_frame(frame, cols)
    config = {}
    for c in cols.values():
        fmt = {"percent": f"%.{c.digits}f%%", "number": f"%.{c.digits}f", "int": "%d"}.get(c.kind)
        if c.kind == "link":
            config[c.header] = st.column_config.LinkColumn(c.header, display_text="Open", width=c.width or "small")
        elif c.kind == "progress":
            config[c.header] = st.column_config.ProgressColumn(c.header, format=f"%.{c.digits}f%%", min_value=0,
                                                               max_value=100, width=c.width)
        elif fmt:
            config[c.header] = st.column_config.NumberColumn(c.header, format=fmt, width=c.width)
        elif c.width:
            config[c.header] = st.column_config.Column(c.header, width=c.width)
    st.dataframe(shown, hide_index=True, column_config=config, key=key)
    if csv:
        csv_button(export_frame(frame, cols), csv, csv_label)


def csv_button(frame: pd.DataFrame, name: str, label: str = "Download CSV", key: str | None = None) -> None:
    st.download_button(label, safe.csv_bytes(frame), file_name=name, mime="text/csv",
                       key=key or f"dl_{name}")


def as_percent(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """A display copy with shares (0-1) as percents (0-100), for `%.0f%%` column formats."""
    return frame.assign(**{c: frame[c] * 100 for c in cols if c in frame})


def as_money(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """A display copy with amounts as $1.2M / $48k text."""
    return frame.assign(**{c: frame[c].map(usd) for c in cols if c in frame})
