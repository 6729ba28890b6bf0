"""Who may see and do what: the roles file, identities, books, and where the portal may serve."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from portal import access
from portal.access import AccessDenied, Identity

ROLES = """
[users."Lee@Example.com"]
role = "leader"

[users."sam@example.com"]
role = "sam"
owner = "Avery Chen"

[users."ana@example.com"]
role = "analyst"
"""


@pytest.fixture
def roles(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(ROLES)
    return access.load_roles(path)


def test_identities_map_to_roles_case_insensitively(roles):
    assert access.identify("lee@example.com", roles) == Identity("lee@example.com", "leader")
    assert access.identify("sam@example.com", roles) == Identity("sam@example.com", "sam", "Avery Chen")


@pytest.mark.parametrize("name, message", [
    ("", "not signed in"), (None, "not signed in"),
    ("stranger@example.com", "no role in Account Radar"),
    ("x" * 1_000_012, "cannot accept"), ("evil\nname", "cannot accept"),
])
def test_unknown_or_impossible_identities_are_refused(roles, name, message):
    with pytest.raises(AccessDenied, match=message):
        access.identify(name, roles)


def test_a_roles_file_with_a_bad_role_or_a_sam_without_a_book_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[users."x@y"]\nrole = "admin"\n')
    with pytest.raises(ValueError, match="role 'admin'"):
        access.load_roles(bad)
    bad.write_text('[users."x@y"]\nrole = "sam"\n')
    with pytest.raises(ValueError, match="needs an `owner`"):
        access.load_roles(bad)


def test_a_sam_sees_only_their_book_and_others_see_everything():
    frame = pd.DataFrame({"account_id": ["a", "b", "c"], "owner": ["Avery Chen", "Bo", "Avery Chen"]})
    sam = Identity("sam@example.com", "sam", "Avery Chen")
    assert access.visible(frame, sam)["account_id"].tolist() == ["a", "c"]
    for role in ("leader", "analyst"):
        assert len(access.visible(frame, Identity("x", role))) == 3


def test_opening_and_editing_accounts_by_role():
    sam, leader, analyst = Identity("s", "sam", "Avery Chen"), Identity("l", "leader"), Identity("a", "analyst")
    access.check_account(sam, "Avery Chen")
    with pytest.raises(AccessDenied, match="another owner's book"):
        access.check_account(sam, "Bo")
    access.check_account(analyst, "Bo")
    assert access.may_edit(sam, "Avery Chen") and not access.may_edit(sam, "Bo")
    assert access.may_edit(leader, "Bo") and not access.may_edit(analyst, "Bo")
    assert access.can(analyst, "promote") and not access.can(leader, "promote") and not access.can(sam, "train")


@pytest.mark.parametrize("address, mode, refused", [
    ("localhost", "demo", False), ("127.0.0.1", "demo", False), ("0.0.0.0", "demo", True),
    ("0.0.0.0", "header", False), ("0.0.0.0", "oidc", False), ("localhost", "magic", True),
])
def test_the_portal_serves_beyond_localhost_only_with_sign_in(address, mode, refused):
    assert (access.refusal_to_serve(address, mode) is not None) == refused


def test_radar_portal_refuses_to_start_on_all_interfaces_without_sign_in(tmp_path, monkeypatch):
    monkeypatch.delenv("RADAR_AUTH", raising=False)
    out = subprocess.run([sys.executable, "-m", "radar", "portal", "--address", "0.0.0.0", "--db",
                          str(tmp_path / "w.duckdb")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "error: not starting: the portal is bound to 0.0.0.0 with no sign-in configured; set RADAR_AUTH=oidc "
        "or RADAR_AUTH=header (see the README), or serve on localhost"]
