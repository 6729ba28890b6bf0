"""Blocks of the Expansion page: figures, the signals with their evidence, and the CSV a CRM imports."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from features.catalog import money
from portal import safe
from portal import components as ui
from portal import signal_tables as tables


def figures(signals: pd.DataFrame) -> None:
    c = st.columns(3)
    c[0].metric("Accounts with a signal", f"{signals['account_id'].nunique():,}")
    c[1].metric("Signals", f"{len(signals):,}")
    c[2].metric("Estimated opportunity", ui.usd(signals["amount"].sum()),
                help="Planning estimates from model/expansion.toml, for a seller to check: not quotes")
    by = signals.groupby("label").agg(n=("account_id", "count"), amount=("amount", "sum")).sort_values("amount", ascending=False)
    st.markdown(" · ".join(f"{safe.md(label)}: {ui.plural(int(r.n), 'account')}, {money(r.amount)}"
                           for label, r in by.iterrows()))


COLUMNS = {"name": ("Account", "text"), "owner": ("Owner", "text"), "label": ("Signal", "text"),
           "evidence": ("Evidence", "text"), "amount": ("Estimated ARR", "money"), "account_id": ("Open", "link")}


def table(signals: pd.DataFrame) -> None:
    tables.show(signals, COLUMNS, "expansion_table")


def crm_download(signals: pd.DataFrame) -> None:
    """One opportunity per row, as CRMs import them; formulas neutralised (safe.csv_bytes)."""
    from model.expansion import crm_frame
    st.download_button("Download for the CRM (CSV)", safe.csv_bytes(crm_frame(signals)),
                       file_name="expansion_signals.csv", mime="text/csv", key="expansion_csv")
