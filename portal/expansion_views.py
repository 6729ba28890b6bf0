"""Blocks of the Expansion page: figures, the signals with their evidence, and the CSV a CRM imports."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from features.catalog import money
from portal import safe
from portal import components as ui


def figures(signals: pd.DataFrame) -> None:
    c = st.columns(3)
    c[0].metric("Accounts with a signal", f"{signals['account_id'].nunique():,}")
    c[1].metric("Signals", f"{len(signals):,}")
    c[2].metric("Estimated opportunity", ui.usd(signals["amount"].sum()),
                help="Planning estimates from model/expansion.toml, for a seller to check: not quotes")
    by = signals.groupby("label").agg(n=("account_id", "count"), amount=("amount", "sum")).sort_values("amount", ascending=False)
    st.markdown(" · ".join(f"{safe.md(label)}: {ui.plural(int(r.n), 'account')}, {money(r.amount)}"
                           for label, r in by.iterrows()))


def table(signals: pd.DataFrame) -> None:
    shown = signals.assign(link=signals["account_id"].map(safe.account_link))[
        ["name", "owner", "label", "evidence", "amount", "link"]]
    st.dataframe(ui.as_money(shown, "amount"), hide_index=True, key="expansion_table", column_config={
        "name": "Account", "owner": "Owner", "label": "Signal", "evidence": "Evidence", "amount": "Estimated ARR",
        "link": st.column_config.LinkColumn("Open", display_text="open")})


def crm_download(signals: pd.DataFrame) -> None:
    """One opportunity per row, as CRMs import them; formulas neutralised (safe.csv_bytes)."""
    from model.expansion import crm_frame
    st.download_button("Download for the CRM (CSV)", safe.csv_bytes(crm_frame(signals)),
                       file_name="expansion_signals.csv", mime="text/csv", key="expansion_csv")
