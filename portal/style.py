"""Colours and orders shared by every view and chart (no Streamlit)."""
from __future__ import annotations

# one colour per tier, everywhere: risk tiers and health tiers share the traffic-light scale
TIER_COLORS = {"high": "#c0392b", "medium": "#e67e22", "low": "#27ae60",
               "poor": "#c0392b", "concerning": "#e67e22", "healthy": "#27ae60", "unknown": "#95a5a6"}
RISK_ORDER = ["high", "medium", "low"]
