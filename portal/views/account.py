"""Account (SAM): the account the link or the picker asks for, and only that one: an active
customer's page, a former customer's last picture (read-only), or a plain "no such account"."""
from __future__ import annotations

import streamlit as st

from portal import access, auth, data, safe, state
from portal import components as ui
from portal.account_page import show_active
from portal.former_views import show_former
from portal.settings import load_settings

s = load_settings()
db = data.db_path()
stamp = data.stamp(db)
scored = (missing := data.readiness(db, stamp)) is None
if not scored and not data.unscored(db, stamp):
    st.title("Account")
    ui.stop_with(*missing)
who = auth.who()
if scored:
    latest = data.score_dates(db, stamp)[-1]
    options = access.visible(data.account_options(db, stamp, latest), who)
else:  # no churn model yet: the accounts with a health score, worst first
    options = data.health_portfolio(db, stamp, data.app_stamp())
    if options.empty:
        st.title("Account")
        ui.stop_with("No account has a health score yet.", "radar features && radar health")
    options = access.visible(options, who)
    latest = options["as_of"].iat[0] if len(options) else None
ids = list(options["account_id"])
wanted = st.query_params.get(state.ACCOUNT_PARAM)
if wanted is not None and wanted not in ids:  # never show another account in its place
    known = data.account_record(db, stamp, wanted)
    if known is None:
        st.title("Account")
        ui.stop_with(f"No such account: {safe.md(wanted)}.")
    try:
        access.check_account(who, known["owner"])
    except access.AccessDenied as e:
        st.title("Account")
        st.error(str(e))
        st.stop()
    if not scored:
        st.title(safe.md(known["name"]))
        ui.stop_with("This account has no health score at the latest snapshot: no contract covers it.")
    show_former(db, stamp, known, latest)
    st.stop()
if not ids:
    st.title("Account")
    ui.stop_with("No account in your book has a score yet." if scored
                 else "No account in your book has a health score yet.")
labels = dict(zip(options["account_id"], options["name"] + " (" + options["account_id"] + ")"))
account_id = st.selectbox("Account", ids, index=ids.index(wanted) if wanted in ids else 0,
                          format_func=labels.get, key=state.ACCOUNT_PICK)
st.query_params[state.ACCOUNT_PARAM] = account_id
show_active(db, stamp, who, account_id, s, scored)
