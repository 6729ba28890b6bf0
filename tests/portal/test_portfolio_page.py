"""Portfolio page: key figures match the warehouse, filters narrow the view, nothing crashes."""
from __future__ import annotations

from features.catalog import money
from features.warehouse import connect
from tests.portal.conftest import open_page, texts


def metric(at, label):
    return next(m for m in at.metric if m.label == label).value


def risk_table(at):
    return next(d.value for d in at.dataframe if "Top reason" in d.value.columns and "Segment" in d.value.columns)


def latest_scores(db):
    with connect(db, read_only=True) as con:
        return con.execute("""select s.*, a.owner from scores s join accounts a using (account_id)
                              where as_of = (select max(as_of) from scores)""").df()


def test_renders_and_key_figures_match_the_warehouse(portal_db):
    at = open_page()
    assert not at.exception
    s = latest_scores(portal_db)
    assert metric(at, "Accounts") == f"{len(s):,}"
    assert metric(at, "ARR") == money(s["arr"].sum())
    assert metric(at, "ARR at risk") == money(s["arr_at_risk"].sum())
    assert metric(at, "High-risk accounts").startswith(f"{(s['risk_tier'] == 'high').sum():,} ·")


def test_owner_filter_changes_the_figures_and_the_table(portal_db):
    at = open_page()
    s = latest_scores(portal_db)
    owner = s["owner"].value_counts().index[-1]
    at.multiselect(key="filter_owner").set_value([owner]).run()
    assert not at.exception
    assert metric(at, "Accounts") == f"{(s['owner'] == owner).sum():,}"
    table = risk_table(at)
    assert len(table) == (s["owner"] == owner).sum() and set(table["Owner"]) == {owner}


def test_tier_filter_keeps_only_that_tier(portal_db):
    at = open_page()
    at.multiselect(key="filter_tier").set_value(["high"]).run()
    table = risk_table(at)
    assert len(table) and set(table["Risk"]) == {"high"}


def test_freshness_and_coverage_are_visible(portal_db):
    at = open_page()
    text = " ".join(c.value for c in at.caption) + " ".join(w.value for w in at.warning)
    assert "Data loaded" in text and "health-score coverage" in text


def test_an_empty_warehouse_gets_a_message_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("RADAR_DB", str(tmp_path / "nothing.duckdb"))
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    at = open_page()
    assert not at.exception
    assert "No warehouse" in texts(at, "warning") and "radar demo" in at.code[0].value


def test_the_portfolio_starts_without_heavy_imports(portal_db):
    """mlflow, shap and lightgbm load only on the pages that need them."""
    import os
    import subprocess
    import sys

    from tests.portal.conftest import APP
    code = ("import sys\nfrom streamlit.testing.v1 import AppTest\n"
            f"at = AppTest.from_file({APP!r}, default_timeout=120)\nat.run()\nassert not at.exception\n"
            "print(sorted(m for m in ('mlflow', 'shap', 'lightgbm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=os.environ | {"RADAR_DB": str(portal_db)},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_without_a_churn_model_the_portfolio_filters_by_owner_segment_and_health_tier(unscored_db):
    with connect(unscored_db, read_only=True) as con:
        health = con.execute("""select h.account_id, h.health_tier, a.owner from health h join accounts a using (account_id)
                                where as_of = (select max(as_of) from health)""").df()
    owner = health["owner"].value_counts().index[0]
    at = open_page()
    assert at.multiselect(key="filter_health_tier").options
    at.multiselect(key="filter_owner").set_value([owner]).run()
    at.multiselect(key="filter_health_tier").set_value(["poor"]).run()
    assert not at.exception
    mine = health[(health["owner"] == owner) & (health["health_tier"] == "poor")]
    assert len(mine) > 0, "the sample should have an owner with accounts in poor health"
    assert metric(at, "Accounts") == f"{len(mine):,}"
    table = next(d.value for d in at.dataframe if "Health tier" in d.value.columns)
    assert set(table["Health tier"]) == {"poor"} and len(table) == len(mine)


def test_without_a_churn_model_the_portfolio_shows_health_renewals_and_owners(unscored_db):
    """A portfolio too small (or without a churned account) for `radar train`: health alone."""
    with connect(unscored_db, read_only=True) as con:
        health = con.execute("""select h.*, a.owner, f.arr from health h join accounts a using (account_id)
                                join features f using (account_id, as_of)
                                where as_of = (select max(as_of) from health)""").df()
    at = open_page()
    assert not at.exception
    assert "No churn scores yet" in texts(at, "info") and "radar train" in texts(at, "info")
    assert metric(at, "Accounts") == f"{len(health):,}"
    assert metric(at, "ARR") == money(health["arr"].sum())
    poor = health[health["health_tier"] == "poor"]
    assert metric(at, "Poor health") == f"{len(poor):,} · {money(poor['arr'].sum())}"
    table = next(d.value for d in at.dataframe if "Health tier" in d.value.columns)
    assert len(table) == len(health) and table["Health"].is_monotonic_increasing

    owner = health["owner"].value_counts().index[0]
    sam = open_page(role="sam", owner=owner)
    assert not sam.exception and metric(sam, "Accounts") == f"{(health['owner'] == owner).sum():,}"
