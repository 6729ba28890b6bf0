"""Plays (CS leadership, analysts): what SAMs did, what followed, and how that compares with
comparable accounts where nothing was logged."""
from __future__ import annotations

import streamlit as st

from portal import auth, data, signal_data
from portal import components as ui
from portal.play_views import detail, summary

auth.require("play_outcomes", "see what followed the plays")
db = data.db_path()
stamp = data.stamp(db)
st.title("Plays")
if (missing := data.readiness(db, stamp)) is not None:
    ui.stop_with(*missing)
from model.plays import NOT_PROOF, load_settings  # noqa: E402

review = signal_data.plays_review(db, stamp, data.app_stamp())
st.caption("Each play is followed at the first snapshot 30, 60 and 90 days after it, and to its renewal; comparable "
           "accounts had no play near that time and the nearest churn probability at the same snapshot.")
summary(review["summary"], NOT_PROOF)
detail(review["plays"], load_settings().label)
