"""Sign-in with OpenID Connect (RADAR_AUTH=oidc) in a real browser: the portal as a real process,
Streamlit's st.login through Authlib, and a throwaway provider (tests/support/oidc.py) that signs
in the person the test names. The whole redirect flow runs: portal -> provider -> callback ->
signed cookie -> the person's role from the roles file."""
from __future__ import annotations

import pytest

from tests.portal.conftest import served_copy
from tests.support import browser as chromium
from tests.support import oidc, servers

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium.available(), reason="Debian's chromium is not installed")]


@pytest.fixture
def site(scored_db, mlflow_store, tmp_path):
    """The portal signing people in through the provider; one SAM in the roles file."""
    db, env, rows = served_copy(scored_db, mlflow_store, tmp_path)
    owner, mine = rows[0]
    roles = tmp_path / "roles.toml"
    roles.write_text(f'[users."avery@example.com"]\nrole = "sam"\nowner = "{owner}"\n')
    port = servers.free_port()
    home = tmp_path / "portal"
    (home / ".streamlit").mkdir(parents=True)
    env |= {"RADAR_AUTH": "oidc", "RADAR_ROLES": str(roles)}
    with oidc.provider() as provider:
        (home / ".streamlit" / "secrets.toml").write_text(
            f'[auth]\nredirect_uri = "http://localhost:{port}/oauth2callback"\n'
            f'cookie_secret = "a-test-cookie-secret-of-some-length"\nclient_id = "{provider.client_id}"\n'
            f'client_secret = "{provider.client_secret}"\nserver_metadata_url = "{provider.metadata_url}"\n')
        with servers.portal(db, env, tmp_path / "portal.log", port=port, cwd=home) as url:
            yield {"url": url, "provider": provider, "owner": owner, "mine": mine,
                   "other": next(a for o, a in rows if o != owner)}


def sign_in(p, site, email: str, name: str):
    """A new browser that opens the portal and signs in as the person the provider knows as
    `email`; returns (browser, page) once the provider has issued their tokens."""
    site["provider"].person = {"email": email, "name": name}
    browser = chromium.launch(p)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(site["url"])
    page.get_by_role("button", name="Sign in").click(timeout=90_000)
    return browser, page


def test_a_sam_signs_in_with_the_identity_provider_sees_their_book_and_signs_out(site):
    from playwright.sync_api import expect, sync_playwright
    with sync_playwright() as p:
        browser, page = sign_in(p, site, "avery@example.com", "Avery")
        expect(page.get_by_text(f"Signed in as avery@example.com · sam · book of {site['owner']}")).to_be_visible(
            timeout=90_000)
        assert site["provider"].sign_ins == 1
        expect(page.get_by_text("Demo mode")).to_have_count(0)
        page.goto(f"{site['url']}/?account={site['mine']}")  # the cookie keeps them signed in
        expect(page.get_by_text("Why it is flagged")).to_be_visible(timeout=90_000)
        page.goto(f"{site['url']}/?account={site['other']}")
        expect(page.get_by_text("another owner's book")).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
        page.goto(f"{site['url']}/?account={site['mine']}")  # signed out: no page without signing in again
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Why it is flagged")).to_have_count(0)
        browser.close()


def test_someone_the_provider_knows_but_the_roles_file_does_not_sees_no_figures(site):
    from playwright.sync_api import expect, sync_playwright
    with sync_playwright() as p:
        browser, page = sign_in(p, site, "stranger@example.com", "Stranger")
        expect(page.get_by_text("stranger@example.com")).to_be_visible(timeout=90_000)
        assert site["provider"].sign_ins == 1
        expect(page.get_by_text("Highest ARR at risk")).to_have_count(0)
        expect(page.locator("[data-testid='stMetric']")).to_have_count(0)
        browser.close()
