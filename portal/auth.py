"""Sign-in for the portal: who is this session, and may they be here at all.

RADAR_AUTH=oidc uses Streamlit's st.login (provider in .streamlit/secrets.toml); RADAR_AUTH=header
trusts a header set by an authenticating reverse proxy; unset, the portal runs in a demo mode that
serves localhost only, shows a banner and lets the visitor pick a role.
"""
from __future__ import annotations

import os
import tomllib

import streamlit as st

from portal import access, state
from portal.access import AccessDenied, Identity
from portal.settings import CONFIG

mode = access.auth_mode
refusal_to_serve = access.refusal_to_serve


def header_name() -> str:
    with open(CONFIG, "rb") as f:
        default = tomllib.load(f)["auth"]["header"]
    return os.environ.get("RADAR_AUTH_HEADER") or default


def _demo(owners: list[str]) -> Identity:
    st.warning("Demo mode: no sign-in is configured, so anyone on this machine can pick a role. "
               "Configure sign-in before sharing the portal (README, 'Running it for a team').", icon="🧪")
    role = st.sidebar.selectbox("View as (demo)", access.ROLES, key=state.DEMO_ROLE,
                                format_func=lambda r: {"leader": "CS leader", "sam": "Account manager (SAM)",
                                                       "analyst": "Analyst"}[r])
    owner = None
    if role == "sam":
        owner = st.sidebar.selectbox("Whose book (demo)", owners or ["Unassigned"], key=state.DEMO_OWNER)
    return Identity(name=f"demo {role}" + (f" ({owner})" if owner else ""), role=role, owner=owner, demo=True)


def _signed_in_name() -> str | None:
    if mode() == "header":
        return st.context.headers.get(header_name())
    if not st.user.is_logged_in:
        st.title("Account Radar")
        st.button("Sign in", on_click=st.login, type="primary")
        st.stop()
    return st.user.get("email") or st.user.get("name")


def current(owners: list[str]) -> Identity:
    """This session's identity; stops the page with a message when there is none to serve."""
    problem = refusal_to_serve(st.get_option("server.address"), mode())
    if problem:
        st.error(f"Account Radar will not serve this page: {problem}.")
        st.stop()
    if mode() == "demo":
        who = _demo(owners)
    else:
        try:
            who = access.identify(_signed_in_name(), access.load_roles())
        except (AccessDenied, ValueError) as e:
            st.error(str(e))
            st.stop()
    st.session_state[state.IDENTITY] = who
    return who


def who() -> Identity:
    """The identity app.py established for this run (pages call this)."""
    identity = st.session_state.get(state.IDENTITY)
    if identity is None:
        st.error("You are not signed in.")
        st.stop()
    return identity


def require(right: str, what: str) -> Identity:
    """The identity, or a refusal that stops the page."""
    identity = who()
    if not access.can(identity, right):
        st.error(f"As {identity.role} you cannot {what}.")
        st.stop()
    return identity


def sign_out_button() -> None:
    if mode() == "oidc" and st.user.is_logged_in:
        st.sidebar.button("Sign out", on_click=st.logout)
