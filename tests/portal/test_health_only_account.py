"""Before any churn model has scored (too little history, or no churned account yet), a SAM still
opens an account from the portfolio and reads why its health score is low, trait by trait, in
points that add up to what the account is below 100."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from features.health import load_config
from features.warehouse import connect
from portal import health_breakdown
from tests.portal.conftest import open_page, texts


def latest_health(db) -> pd.DataFrame:
    with connect(db, read_only=True) as con:
        return con.execute("""select h.*, a.name, a.owner from health h join accounts a using (account_id)
                              where as_of = (select max(as_of) from health) order by health_score""").df()


def rows_of(db, account_id):
    with connect(db, read_only=True) as con:
        h = con.execute("select * from health where account_id = ? order by as_of desc limit 1", [account_id]).df()
        f = con.execute("select * from features where account_id = ? and as_of = ?",
                        [account_id, h["as_of"].iat[0]]).df()
        cat = con.execute("select * from feature_catalog").df().set_index("name")
    return h.iloc[0], f.iloc[0], cat


def test_the_points_each_trait_costs_add_up_to_what_the_account_is_below_100(sample_db):
    cfg = load_config()
    traits = sum(len(c.traits) for c in cfg.categories)
    checked = many = 0
    for r in latest_health(sample_db).dropna(subset=["health_score"]).head(25).itertuples():
        h, f, cat = rows_of(sample_db, r.account_id)
        table = health_breakdown.breakdown(h, f, cfg, cat)
        assert len(table) == traits
        assert table["points_lost"].sum() == pytest.approx(100 - h["health_score"], abs=0.1)
        assert table["weight"].sum() == pytest.approx(1.0)
        scored = table["points_lost"].notna()
        assert table["points_lost"][scored].is_monotonic_decreasing  # the costliest first ...
        assert not scored[scored.idxmin():].any() or scored.all()  # ... traits without data last
        assert (table.loc[~scored, "note"] != "").all()
        # the sentence names every point lost (a trait costing under one point aside), to rounding
        said = [int(n) for n in re.findall(r"costs? (\d+) points", health_breakdown.summary(h["health_score"], table))]
        lost = table["points_lost"][table["points_lost"] >= 1]
        assert sum(said) == pytest.approx(lost.sum(), abs=0.5 * len(said) + 0.01)
        many += len(lost) > 2
        checked += 1
    assert checked == 25 and many > 0, "the sample should have accounts losing points on more than two traits"


def test_a_trait_without_data_is_left_out_and_said_so():
    cfg = load_config()
    feature = cfg.categories[-1].traits[0].feature
    health = pd.Series({"health_score": 50.0, "stale_traits": "",
                        **{f"trait_{t.feature}": (50.0 if t.feature != feature else None)
                           for c in cfg.categories for t in c.traits}})
    table = health_breakdown.breakdown(health, pd.Series(dtype=float), cfg, pd.DataFrame())
    missing = table[table["score"].isna()]
    assert list(missing["trait"]) == [cfg.categories[-1].traits[0].label]
    assert "no data" in missing["note"].iat[0] and table.index[-1] == missing.index[0]
    assert f"left out for lack of data: {cfg.categories[-1].traits[0].label}" in health_breakdown.summary(50.0, table)


def test_a_stale_manual_trait_is_left_out_as_set_too_long_ago():
    cfg = load_config()
    pulse = next(t for c in cfg.categories for t in c.traits if t.age_feature)
    health = pd.Series({"health_score": 50.0, "stale_traits": pulse.label,
                        **{f"trait_{t.feature}": (50.0 if t is not pulse else None)
                           for c in cfg.categories for t in c.traits}})
    table = health_breakdown.breakdown(health, pd.Series(dtype=float), cfg, pd.DataFrame())
    assert table.set_index("trait").loc[pulse.label, "note"] == "set too long ago: left out"
    assert f"left out as set too long ago: {pulse.label}" in health_breakdown.summary(50.0, table)


def test_without_a_churn_model_a_sam_opens_an_account_and_reads_why_its_health_is_low(unscored_db):
    worst = latest_health(unscored_db).dropna(subset=["health_score"]).iloc[0]
    at = open_page(role="sam", owner=worst["owner"])
    table = next(d.value for d in at.dataframe if "Health tier" in d.value.columns)
    assert "Open" in table.columns and worst["account_id"] in table["Open"].iat[0]  # a link, worst first

    at = open_page(role="sam", owner=worst["owner"], account=worst["account_id"])
    assert not at.exception and at.title[0].value == worst["name"]
    assert "No churn model has scored this portfolio yet" in texts(at, "info")
    assert next(m.value for m in at.metric if m.label == "Churn probability (90 days)") == "no model yet"
    traits = next(d.value for d in at.dataframe if "Points it costs" in d.value.columns)
    points = pd.to_numeric(traits["Points it costs"], errors="coerce")
    assert points.sum() == pytest.approx(100 - worst["health_score"], abs=0.5)
    assert (traits.loc[points.isna(), "Points it costs"] == "—").all()  # left out, said so, not "None"
    assert f"Health {worst['health_score']:.0f} of 100" in texts(at, "caption")


def test_without_a_churn_model_a_saved_trait_changes_the_breakdown_at_once(unscored_db):
    worst = latest_health(unscored_db).dropna(subset=["health_score"]).iloc[0]
    account_id = worst["account_id"]
    at = open_page(role="sam", owner=worst["owner"], account=account_id)
    at.selectbox(key=f"edit_pulse_{account_id}").set_value("healthy")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and "Saved at" in texts(at, "success")
    traits = next(d.value for d in at.dataframe if "Points it costs" in d.value.columns).set_index("Trait")
    # a manual trait reads as the value the SAM picked, its thresholds likewise
    assert traits.loc["CSM pulse", "This account"] == "healthy" and traits.loc["CSM pulse", "Points it costs"] == "0.0"
    assert (traits.loc["CSM pulse", "Healthy at"], traits.loc["CSM pulse", "Poor at"]) == ("healthy", "poor")
    assert traits.loc["Active champion", "Healthy at"] == "yes" and traits.loc["Active champion", "Poor at"] == "no"


def test_another_books_account_stays_closed_without_a_churn_model(unscored_db):
    health = latest_health(unscored_db)
    mine, theirs = health["owner"].iat[0], health[health["owner"] != health["owner"].iat[0]].iloc[0]
    at = open_page(role="sam", owner=mine, account=theirs["account_id"])
    assert not at.exception and "in another owner's book" in texts(at, "error")
    assert all("Points it costs" not in d.value.columns for d in at.dataframe)


def test_traits_a_missing_source_cannot_feed_are_named_and_manual_traits_never_are():
    cfg = load_config()
    requires = {"days_since_last_touchpoint": "touchpoints", "defect_tickets_90d": "tickets.kind",
                "help_tickets_90d": "tickets.kind", "dau_mau": "events.user_id", "pulse_score": "traits"}
    present = {"events", "events.user_id", "contracts", "contracts.seats", "tickets", "tickets.ticket_id"}
    found = health_breakdown.unreachable(cfg, requires, present)
    gaps = found.set_index("trait")
    weights = {t.label: w for c in cfg.categories for t in c.traits for f, w in cfg.trait_weights().items()
               if f == t.feature}
    total = sum(cfg.trait_weights().values())
    assert set(gaps.index) == {"Last CSM touchpoint", "Defect tickets (90 days)", "Help tickets (90 days)"}
    assert gaps.loc["Help tickets (90 days)", "needs"] == "the kind column of tickets"
    assert health_breakdown.gaps_sentence(found).endswith(
        "Defect tickets (90 days) and Help tickets (90 days) need the kind column of tickets; "
        "Last CSM touchpoint needs the touchpoints file. Load them to count those traits.")
    assert gaps["weight"].sum() == pytest.approx(sum(weights[t] for t in gaps.index) / total)


def test_a_portfolio_without_tickets_or_touchpoints_is_told_what_the_health_score_can_use(tmp_path, monkeypatch):
    from tests.model.conftest import build_portfolio
    db = build_portfolio(tmp_path, 60, 13)  # the required files only: no tickets, touchpoints or traits
    monkeypatch.setenv("RADAR_DB", str(db))
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.delenv("RADAR_AUTH", raising=False)
    at = open_page()
    assert not at.exception
    said = texts(at, "caption").replace("\\", "")  # as the page reads once rendered
    assert "The health score can use at most" in said
    assert "Last CSM touchpoint needs the touchpoints file" in said and "need the kind column of tickets" in said
    assert "CSM pulse needs" not in said  # the portal sets manual traits whatever was loaded


def test_a_health_table_with_no_rows_yet_says_so_on_every_page(unscored_db):
    with connect(unscored_db) as con:
        con.execute("delete from health")
    for page, role in ((None, "leader"), ("views/account.py", "sam"), (None, "sam")):
        at = open_page(page, role=role, owner="Avery Chen" if role == "sam" else None)
        assert not at.exception
        assert "health score" in texts(at, "info", "warning", "error", "markdown").lower()
