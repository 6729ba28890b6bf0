"""Account Radar portal: the router. Pages live in views/ (not pages/, which Streamlit would also
auto-register on a first direct request), queries in data.py."""
from __future__ import annotations

import streamlit as st

from portal import state

st.set_page_config(page_title="Account Radar", layout="wide")
deep_link = state.ACCOUNT_PARAM in st.query_params  # /?account=ID opens the account page
pages = [
    st.Page("views/portfolio.py", title="Portfolio", url_path="portfolio", default=not deep_link),
    st.Page("views/account.py", title="Account", url_path="account", default=deep_link),
    st.Page("views/models.py", title="Models", url_path="models"),
]
st.navigation(pages).run()
