"""Models (analysts): would it have warned us, runs side by side, retrain, promote."""
from __future__ import annotations

import streamlit as st

from features import paths
from portal import auth, data
from portal.backtest_views import health_fit_block, history_block, latest_backtest, latest_backtest_block
from portal.model_views import backtest_block, manage_block, runs_block, runs_or_stop

who = auth.require("view_models", "open the Models page")
st.title("Models")
runs_or_stop()  # a store that cannot be read gets one message and the fix, before any tab reads it
db = data.db_path()
RUNS = "Runs side by side"
# until a backtest has run, open on what there is to read: the trained runs
tab_back, tab_scores, tab_runs, tab_manage, tab_health = st.tabs(
    ["Would it have warned us?", "Past scores", RUNS, "Retrain & promote", "Tune the health score"],
    default=None if latest_backtest(paths.tracking_uri()) is not None else RUNS)
with tab_back:
    history_block(db)
    latest_backtest_block(db, who)
with tab_scores:
    if (missing := data.readiness(db, data.stamp(db))) is not None:
        st.warning(missing[0])
        st.code(missing[1], language="bash")
    else:
        backtest_block(db)
with tab_runs:
    runs_block()
with tab_manage:
    manage_block(db, who)
with tab_health:
    health_fit_block(db, who)
