"""Sidebar filters shared by the portfolio views: owner, segment, and the risk tier (the health
tier while no churn model has scored)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from features.health import TIERS
from portal import components as ui
from portal import state

HEALTH_ORDER = (*reversed(TIERS), "unknown")  # worst first, as the risk tiers


def sidebar_filters(frame: pd.DataFrame, by_health: bool = False) -> tuple[list, list, list]:
    """The picked owners, segments and tiers (risk tiers, or health tiers `by_health`)."""
    st.sidebar.header("Filters")
    owners = st.sidebar.multiselect("Owner", sorted(frame["owner"].unique()), key=state.FILTER_OWNER)
    segments = st.sidebar.multiselect("Segment", sorted(frame["segment"].unique()), key=state.FILTER_SEGMENT)
    if by_health:
        present = set(frame["health_tier"])
        tiers = st.sidebar.multiselect("Health tier", [t for t in HEALTH_ORDER if t in present],
                                       key=state.FILTER_HEALTH_TIER)
    else:
        tiers = st.sidebar.multiselect("Risk tier", ui.RISK_ORDER, key=state.FILTER_TIER)
    return owners, segments, tiers
