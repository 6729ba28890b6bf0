"""Sidebar filters shared by the portfolio views: owner, segment, risk tier."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import components as ui
from portal import state


def sidebar_filters(frame: pd.DataFrame) -> tuple[list, list, list]:
    st.sidebar.header("Filters")
    owners = st.sidebar.multiselect("Owner", sorted(frame["owner"].unique()), key=state.FILTER_OWNER)
    segments = st.sidebar.multiselect("Segment", sorted(frame["segment"].unique()), key=state.FILTER_SEGMENT)
    tiers = st.sidebar.multiselect("Risk tier", ui.RISK_ORDER, key=state.FILTER_TIER)
    return owners, segments, tiers
