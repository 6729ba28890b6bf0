"""Each role in a real browser at 1440 px, signed in through nginx: the paths people take, with a
screenshot of every page they see (under the test's temporary folder)."""
from __future__ import annotations

import duckdb
import pytest

from tests.portal.conftest import served_copy
from tests.support import browser as chromium
from tests.support import servers

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium.available(), reason="Debian's chromium is not installed"),
              pytest.mark.skipif(not servers.nginx_available(), reason="nginx is not installed")]
USERS = {"lee@example.com": "leader", "sam@example.com": "sam", "ana@example.com": "analyst"}


@pytest.fixture
def site(scored_db, mlflow_store, tmp_path):
    """The portal behind nginx sign-in, on a private warehouse, app store and registry copy."""
    db, env, rows = served_copy(scored_db, mlflow_store, tmp_path)
    with duckdb.connect(str(db), read_only=True) as con:
        former = con.execute("""select account_id, name from accounts where account_id in (select account_id from scores)
                                and account_id not in (select account_id from scores
                                                       where as_of = (select max(as_of) from scores))
                                order by account_id limit 1""").fetchall()[0]
    owner, mine = rows[0]
    roles = tmp_path / "roles.toml"
    roles.write_text("".join(f'[users."{u}"]\nrole = "{r}"\n' + (f'owner = "{owner}"\n' if r == "sam" else "") + "\n"
                             for u, r in USERS.items()))
    env |= {"RADAR_AUTH": "header", "RADAR_ROLES": str(roles)}
    with servers.portal(db, env, tmp_path / "portal.log") as upstream, \
            servers.signing_proxy(upstream, {u: "pw" for u in USERS}, tmp_path / "nginx") as url:
        yield {"url": url, "mine": mine, "owner": owner, "other": next(a for o, a in rows if o != owner),
               "former": former, "shots": tmp_path / "screenshots"}


def browse(p, user: str):
    browser = chromium.launch(p)
    page = browser.new_context(http_credentials={"username": user, "password": "pw"},
                               viewport={"width": 1440, "height": 1000}).new_page()
    return browser, page


def shot(page, site, name):
    """A full-page screenshot once the page has finished drawing (no skeletons left)."""
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0",
                           timeout=60_000)
    page.wait_for_timeout(1000)
    site["shots"].mkdir(exist_ok=True)
    page.screenshot(path=str(site["shots"] / f"{name}.png"), full_page=True)


def no_exception(page):
    assert page.locator("[data-testid='stException']").count() == 0


def test_a_leader_reads_the_portfolio_a_former_customer_and_an_unknown_id(site):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser, page = browse(p, "lee@example.com")
        page.goto(site["url"])
        page.get_by_text("Highest ARR at risk").wait_for(timeout=90_000)
        page.wait_for_load_state("networkidle")
        assert "changes are vs" in page.locator("body").inner_text()
        assert "Deploy" not in page.locator("body").inner_text()
        shot(page, site, "leader_portfolio")
        no_exception(page)
        page.goto(f"{site['url']}/?account={site['former'][0]}")
        page.get_by_text("Former customer").wait_for(timeout=60_000)
        assert page.get_by_role("button", name="Save").count() == 0
        shot(page, site, "leader_former_account")
        page.goto(f"{site['url']}/?account=NOPE-404")
        page.get_by_text("No such account").wait_for(timeout=60_000)
        assert page.locator("[data-testid='stMetric']").count() == 0
        shot(page, site, "leader_unknown_account")
        page.get_by_role("link", name="Audit").click()
        page.get_by_text("Every trait, note, retrain and promotion").wait_for(timeout=60_000)
        shot(page, site, "leader_audit")
        browser.close()


def test_a_sam_saves_a_trait_and_sees_the_new_values(site):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser, page = browse(p, "sam@example.com")
        page.goto(f"{site['url']}/?account={site['mine']}")
        page.get_by_text("Why it is flagged").wait_for(timeout=90_000)
        shot(page, site, "sam_account")
        page.get_by_role("tab", name="Trends").click()
        page.get_by_text("What moved the risk, month by month").wait_for(timeout=30_000)
        assert "the churn probability went from" in page.locator("body").inner_text()
        page.set_viewport_size({"width": 1440, "height": 2000})  # Streamlit scrolls inside: a tall window shows it all
        shot(page, site, "sam_account_trends")
        page.set_viewport_size({"width": 1440, "height": 1000})
        page.get_by_text("Update traits").click()
        page.locator("[data-testid='stSelectbox']").filter(has_text="CSM pulse").click()
        page.get_by_role("option", name="poor", exact=True).click()
        page.get_by_label("One-line status note").fill("Sponsor left; call booked")
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Saved at").wait_for(timeout=60_000)
        page.get_by_text("Status: Sponsor left; call booked").wait_for(timeout=60_000)  # the new values show
        page.get_by_text("Update traits").click()
        page.get_by_text("History", exact=True).wait_for(timeout=30_000)
        shot(page, site, "sam_after_save")
        page.goto(f"{site['url']}/?account={site['other']}")
        page.get_by_text("another owner's book").wait_for(timeout=60_000)
        no_exception(page)
        browser.close()


def test_an_analyst_promotes_and_sees_the_new_champion(site):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser, page = browse(p, "ana@example.com")
        page.goto(site["url"])
        page.get_by_text("Highest ARR at risk").wait_for(timeout=90_000)
        page.get_by_role("link", name="Models").click()
        runs = page.get_by_role("tab", name="Runs side by side")  # no backtest yet: the runs come first
        runs.wait_for(timeout=90_000)
        assert runs.get_attribute("aria-selected") == "true"
        page.get_by_text("Retrain & promote").click(timeout=90_000)
        page.get_by_text("Current champion: version 1").wait_for(timeout=60_000)
        page.get_by_role("button", name="Promote…").click()
        page.get_by_role("button", name="Yes, promote").click(timeout=30_000)
        page.get_by_text("Current champion: version 2").wait_for(timeout=180_000)
        assert page.get_by_text("Make version").count() == 0
        shot(page, site, "analyst_models")
        no_exception(page)
        browser.close()
