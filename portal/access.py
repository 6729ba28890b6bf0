"""Who may see and do what, with no Streamlit in it.

Identities (as the sign-in gives them) map to a role, and SAMs to the owner name their accounts
carry in the data, in a roles file (TOML; $RADAR_ROLES, default data/roles.toml):

    [users."avery@example.com"]
    role = "sam"
    owner = "Avery Chen"

Rights per role live in portal/config.toml's [roles] table, never in the views.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.paths import DATA_DIR
from portal.settings import CONFIG

ROLES = ("leader", "sam", "analyst")
MAX_IDENTITY = 200


class AccessDenied(Exception):
    """The signed-in person may not see or do this; the message says why, in words."""


@dataclass(frozen=True)
class Identity:
    name: str  # e-mail or user name from the sign-in, the `edited_by` of every write
    role: str
    owner: str | None = None  # a SAM's book: the owner name on their accounts
    demo: bool = False


def roles_path() -> Path:
    return Path(os.environ.get("RADAR_ROLES") or DATA_DIR / "roles.toml")


def load_roles(path: Path | None = None) -> dict[str, dict]:
    """identity -> {"role": ..., "owner": ...}; a missing file is an empty mapping."""
    p = path or roles_path()
    if not p.exists():
        return {}
    with open(p, "rb") as f:
        users = tomllib.load(f).get("users", {})
    for who, entry in users.items():
        if entry.get("role") not in ROLES:
            raise ValueError(f"{p}: {who!r} has role {entry.get('role')!r}; expected one of {', '.join(ROLES)}")
        if entry["role"] == "sam" and not entry.get("owner"):
            raise ValueError(f"{p}: SAM {who!r} needs an `owner` (the owner name on their accounts)")
    return {who.strip().lower(): entry for who, entry in users.items()}


def rights(role: str) -> frozenset[str]:
    with open(CONFIG, "rb") as f:
        table = tomllib.load(f)["roles"]
    return frozenset(table.get(role, []))


def identify(name: str | None, roles: dict[str, dict]) -> Identity:
    """The Identity for a signed-in name, or AccessDenied saying what is wrong."""
    name = (name or "").strip()
    if not name:
        raise AccessDenied("You are not signed in.")
    if len(name) > MAX_IDENTITY or any(ord(c) < 32 for c in name):
        raise AccessDenied("The sign-in gave an identity this portal cannot accept.")
    entry = roles.get(name.lower())
    if entry is None:
        raise AccessDenied(f"You are signed in as {name}, who has no role in Account Radar yet. "
                           f"Ask an administrator to add you to the roles file.")
    return Identity(name=name, role=entry["role"], owner=entry.get("owner"))


def can(who: Identity, right: str) -> bool:
    return right in rights(who.role)


def require(who: Identity, right: str, what: str) -> None:
    if not can(who, right):
        raise AccessDenied(f"As {who.role} you cannot {what}.")


def sees_all(who: Identity) -> bool:
    return can(who, "see_all")


def visible(frame: pd.DataFrame, who: Identity, owner_column: str = "owner") -> pd.DataFrame:
    """The rows this person may see: everything, or a SAM's own book."""
    if sees_all(who):
        return frame
    return frame[frame[owner_column] == who.owner]


def check_account(who: Identity, account_owner: str | None) -> None:
    """AccessDenied unless this person may open an account with this owner."""
    if not sees_all(who) and account_owner != who.owner:
        raise AccessDenied("This account is in another owner's book, so it is not shown to you.")


def may_edit(who: Identity, account_owner: str | None) -> bool:
    """Editing traits and notes: a right of the role, and for a SAM only on their own accounts."""
    return can(who, "edit_traits") and (sees_all(who) or account_owner == who.owner)


LOOPBACK = {"localhost", "127.0.0.1", "::1", ""}


def auth_mode() -> str:
    """$RADAR_AUTH: "oidc", "header", or "demo" when unset."""
    return (os.environ.get("RADAR_AUTH") or "demo").strip().lower()


def refusal_to_serve(address: str | None, auth_mode: str) -> str | None:
    """Why the portal must not serve on this address with this sign-in, or None."""
    if auth_mode not in ("demo", "oidc", "header"):
        return f"RADAR_AUTH={auth_mode!r} is not a sign-in method; use oidc, header, or leave it unset for the demo"
    if auth_mode == "demo" and (address or "").strip() not in LOOPBACK:
        return (f"the portal is bound to {address} with no sign-in configured; set RADAR_AUTH=oidc or "
                f"RADAR_AUTH=header (see the README), or serve on localhost")
    return None
