"""The portal's charts (Altair, no Streamlit): probabilities on a percent axis, health on its full
0-100 scale so small moves look small, human labels, legends that are not cut off."""
from __future__ import annotations

import altair as alt
import pandas as pd

from portal.style import RISK_ORDER, TIER_COLORS

HEIGHT = 240
# the height is the plot's own: a legend that wraps onto more rows adds to it instead of squeezing it
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
LEGEND = alt.Legend(orient="bottom", labelLimit=400, title=None, columns=2)  # wraps, never cut off


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(as_of=pd.to_datetime(frame["as_of"]))


def probability_over_time(scores: pd.DataFrame) -> alt.Chart:
    """The account's churn probability at each snapshot, on a percent axis from 0."""
    top = max(0.2, float(scores["churn_probability"].max() or 0) * 1.1)
    return alt.Chart(_dates(scores)).mark_line(point=True).encode(
        x=alt.X("as_of:T", title=None, axis=alt.Axis(format="%Y-%m")),
        y=alt.Y("churn_probability:Q", title="Churn probability (90 days)",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, min(1.0, top)])),
        tooltip=[alt.Tooltip("as_of:T", title="Snapshot", format="%Y-%m-%d"),
                 alt.Tooltip("churn_probability:Q", title="Churn probability", format=".1%")],
    ).properties(height=HEIGHT, autosize=FIT_WIDTH)


def risk_contributions_over_time(contributions: pd.DataFrame, label) -> alt.Chart:
    """Per snapshot, the points each feature family adds to (above zero) or takes from (below)
    the churn probability against renewed peers, stacked; the line is their sum: how far the
    account's probability sits above or below its peers'. `label` names a family for readers."""
    frame = contributions.assign(month=pd.to_datetime(contributions["as_of"]).dt.strftime("%Y-%m"),
                                 family=contributions["family"].map(label))
    net = frame.groupby("month", as_index=False)["points"].sum()
    x = alt.X("month:O", title=None, axis=alt.Axis(labelAngle=0))  # one full-width bar per month
    bars = alt.Chart(frame).mark_bar().encode(
        x=x, y=alt.Y("points:Q", title="Points vs renewed peers", stack="zero"),
        color=alt.Color("family:N", legend=LEGEND, title=None),
        tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("family:N", title="Kind of signal"),
                 alt.Tooltip("points:Q", title="Points", format="+.1f")])
    line = alt.Chart(net).mark_line(point=True, color="black").encode(
        x=x, y="points:Q",
        tooltip=[alt.Tooltip("month:O", title="Month"),
                 alt.Tooltip("points:Q", title="Above peers (points)", format="+.1f")])
    return (bars + line).properties(height=HEIGHT, autosize=FIT_WIDTH)


def health_over_time(health: pd.DataFrame, categories: dict[str, str]) -> alt.Chart:
    """The health score and each category over time, on the full 0-100 scale."""
    cols = {"health_score": "Health score", **{f"cat_{k}": v for k, v in categories.items()}}
    present = [c for c in cols if c in health]
    long = _dates(health)[["as_of", *present]].melt("as_of", var_name="measure", value_name="score")
    long["measure"] = long["measure"].map(cols)
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("as_of:T", title=None, axis=alt.Axis(format="%Y-%m")),
        y=alt.Y("score:Q", title="Score (0-100)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("measure:N", legend=LEGEND, sort=list(cols.values())),
        strokeWidth=alt.condition(alt.datum.measure == "Health score", alt.value(3), alt.value(1.5)),
        tooltip=[alt.Tooltip("as_of:T", title="Snapshot", format="%Y-%m-%d"), alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("score:Q", title="Score", format=".0f")],
    ).properties(height=HEIGHT, autosize=FIT_WIDTH)


def categories_now(row: pd.Series, categories: dict[str, str]) -> alt.Chart:
    """Each health category's score at the latest snapshot, 0-100."""
    frame = pd.DataFrame({"category": list(categories.values()),
                          "score": [row.get(f"cat_{k}") for k in categories]}).dropna()
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("score:Q", title="Score (0-100)", scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("category:N", title=None, sort=list(categories.values()), axis=alt.Axis(labelLimit=400)),
        tooltip=[alt.Tooltip("category:N", title="Category"), alt.Tooltip("score:Q", title="Score", format=".0f")],
    ).properties(height=40 * max(len(frame), 1) + 40)


def drivers_bar(drivers: pd.DataFrame) -> alt.Chart:
    """Each listed driver's points of churn probability, raising in red, lowering in green."""
    return alt.Chart(drivers.assign(points=drivers["contribution"])).mark_bar().encode(
        x=alt.X("points:Q", title="Points of churn probability"),
        y=alt.Y("description:N", sort="-x", title=None, axis=alt.Axis(labelLimit=420)),
        color=alt.condition("datum.points > 0", alt.value(TIER_COLORS["high"]), alt.value(TIER_COLORS["low"])),
        tooltip=[alt.Tooltip("sentence:N", title="Why")],
    )


def usage_over_time(features: pd.DataFrame, labels: dict[str, str]) -> alt.Chart:
    long = _dates(features)[["as_of", *labels]].melt("as_of", var_name="measure", value_name="value")
    long["measure"] = long["measure"].map(labels)
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("as_of:T", title=None, axis=alt.Axis(format="%Y-%m")),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=True)),
        color=alt.Color("measure:N", legend=LEGEND),
        tooltip=[alt.Tooltip("as_of:T", title="Snapshot", format="%Y-%m-%d"), alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("value:Q", title="Value", format=",.0f")],
    ).properties(height=HEIGHT, autosize=FIT_WIDTH)


def arr_by_tier_over_time(history: pd.DataFrame) -> alt.Chart:
    """ARR in each risk tier at every snapshot (one row per as_of and tier with `arr`)."""
    return alt.Chart(_dates(history)).mark_area().encode(
        x=alt.X("as_of:T", title=None, axis=alt.Axis(format="%Y-%m")),
        y=alt.Y("arr:Q", title="ARR", stack=True, axis=alt.Axis(format="$~s")),
        color=alt.Color("risk_tier:N", title="Risk tier", legend=LEGEND,
                        scale=alt.Scale(domain=RISK_ORDER, range=[TIER_COLORS[t] for t in RISK_ORDER]),
                        sort=RISK_ORDER),
        order=alt.Order("tier_order:Q"),
        tooltip=[alt.Tooltip("as_of:T", title="Snapshot", format="%Y-%m-%d"), alt.Tooltip("risk_tier:N", title="Risk"),
                 alt.Tooltip("arr:Q", title="ARR", format="$,.0f"), alt.Tooltip("accounts:Q", title="Accounts")],
    ).transform_calculate(tier_order=f"indexof({RISK_ORDER!r}, datum.risk_tier)").properties(height=HEIGHT, autosize=FIT_WIDTH)


def health_vs_risk(view: pd.DataFrame) -> alt.Chart:
    return alt.Chart(view).mark_circle(opacity=0.75).encode(
        x=alt.X("health_score:Q", title="Health score (rule-based)", scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("churn_probability:Q", title="Churn probability, next 90 days", axis=alt.Axis(format="%")),
        size=alt.Size("arr:Q", title="ARR", legend=None, scale=alt.Scale(range=[20, 900])),
        color=alt.Color("risk_tier:N", title="Risk tier", legend=LEGEND,
                        scale=alt.Scale(domain=RISK_ORDER, range=[TIER_COLORS[t] for t in RISK_ORDER])),
        tooltip=[alt.Tooltip("name:N", title="Account"), alt.Tooltip("owner:N", title="Owner"),
                 alt.Tooltip("arr:Q", title="ARR", format="$,.0f"),
                 alt.Tooltip("churn_probability:Q", title="Churn probability", format=".0%"),
                 alt.Tooltip("health_score:Q", title="Health", format=".0f"),
                 alt.Tooltip("top_driver:N", title="Top reason")])
