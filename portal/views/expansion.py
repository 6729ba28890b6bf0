"""Expansion (SAMs, leadership, sales): accounts that may buy more, with the evidence in a sentence,
an estimated opportunity, and a CSV a CRM can import."""
from __future__ import annotations

import streamlit as st

from portal import access, auth, data, signal_data
from portal import components as ui
from portal.expansion_views import crm_download, figures, table

db = data.db_path()
stamp = data.stamp(db)
st.title("Expansion")
if (missing := data.readiness(db, stamp)) is not None and not data.unscored(db, stamp):
    ui.stop_with(*missing)  # (the signals need no churn model)
who = auth.who()
if "expansion" not in data.tables(db, stamp):
    ui.stop_with("No expansion signals have been computed yet.", "radar alerts")
signals = access.visible(signal_data.expansion_now(db, stamp), who)
if signals.empty:
    ui.stop_with("No account in your book shows an expansion signal." if not access.sees_all(who)
                 else "No account shows an expansion signal.")
st.caption(f"Signals at {ui.day(signals['as_of'].iat[0])}: seats nearly full while active users grow, critical "
           "workflows spreading to new personas, heavy use around a product the account does not have.")
figures(signals)
table(signals)
crm_download(signals)
