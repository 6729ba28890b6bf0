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

deep_link = state.ACCOUNT_PARAM in st.query_params  # /?account=ID (digest and QBR links) opens an account
pages = [
    st.Page("views/portfolio.py", title="Portfolio", url_path="portfolio"),
    st.Page("views/account.py", title="Account", url_path="account"),
    st.Page("views/alerts.py", title="Alerts", url_path="alerts"),
    st.Page("views/expansion.py", title="Expansion", url_path="expansion"),
]
if access.can(who, "play_outcomes"):
    pages.append(st.Page("views/plays.py", title="Plays", url_path="plays"))
if access.can(who, "view_models"):
    pages.append(st.Page("views/models.py", title="Models", url_path="models"))
if access.can(who, "audit"):
    pages.append(st.Page("views/audit.py", title="Audit", url_path="audit"))
# `/` shows the portfolio, or the account its link names, in place (a redirect would leave an entry
# that Back returns to and that redirects again); last, so links to a view name its own address
pages.append(st.Page("views/account.py" if deep_link else "views/portfolio.py", title="Account Radar",
                     url_path="start", default=True, visibility="hidden"))
st.navigation(pages).run()
