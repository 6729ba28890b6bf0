"""Audit (CS leadership): every write anyone made in the portal, newest first. Nothing deletes it."""
from __future__ import annotations

import streamlit as st

from portal import auth, data
from portal import components as ui

auth.require("audit", "see the audit log")
st.title("Audit")
log = data.audit_log(data.app_stamp())
st.caption("Every trait, note, retrain and promotion: who, when, what, before and after.")
if log.empty:
    st.info("Nobody has written anything yet.")
else:
    st.dataframe(log.drop(columns=["id"]), hide_index=True, column_config={
        "at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"), "actor": "Who", "role": "Role",
        "action": "What", "target": "Account or version", "before": "Before", "after": "After"})
    ui.csv_button(log, "audit.csv")
