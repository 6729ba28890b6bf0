"""Account Radar portal: the router. Establishes who is signed in, then offers the pages their
role may see. Pages live in views/ (not pages/, which Streamlit would also auto-register on a
first direct request); queries in queries.py behind data.py's caches."""
from __future__ import annotations

import streamlit as st

from portal import access, auth, data, state

st.set_page_config(page_title="Account Radar", layout="wide")
db = data.db_path()
who = auth.current(data.owners(db, data.stamp(db)))
st.sidebar.text(f"Signed in as {who.name} · {who.role}" + (f" · book of {who.owner}" if who.owner else ""))
auth.sign_out_button()

portfolio = st.Page("views/portfolio.py", title="Portfolio", url_path="portfolio")
account = st.Page("views/account.py", title="Account", url_path="account")


def _start() -> None:
    """`/` opens the portfolio, or with ?account=ID (the links in digests and QBR packs) that
    account's page; each page keeps its own address (/portfolio, /account?account=ID)."""
    st.switch_page(account if state.ACCOUNT_PARAM in st.query_params else portfolio,
                   query_params=st.query_params.to_dict())


pages = [
    st.Page(_start, title="Account Radar", url_path="start", default=True, visibility="hidden"),
    portfolio,
    account,
    st.Page("views/alerts.py", title="Alerts", url_path="alerts"),
    st.Page("views/expansion.py", title="Expansion", url_path="expansion"),
]
if access.can(who, "play_outcomes"):
    pages.append(st.Page("views/plays.py", title="Plays", url_path="plays"))
if access.can(who, "view_models"):
    pages.append(st.Page("views/models.py", title="Models", url_path="models"))
if access.can(who, "audit"):
    pages.append(st.Page("views/audit.py", title="Audit", url_path="audit"))
st.navigation(pages).run()
