"""radar sample's other portfolios: plans and add-ons priced differently, billed monthly and
yearly; only the required files; churn that nothing but timing can predict."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from features.sample import spec
from features.sample.generate import generate
from tests.conftest import quiet

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    out = tmp_path_factory.mktemp("plans")
    generate(out, accounts=300, months=12, end=END, seed=4, fmt="parquet", progress=quiet, pricing="plans")
    return out


def contracts(folder) -> pd.DataFrame:
    return pd.read_parquet(folder / "contracts.parquet")


def test_plans_and_add_ons_are_priced_differently_and_billed_monthly_or_yearly(plans):
    c = contracts(plans)
    assert set(c["billing_period_months"]) == {1, 12}
    platform = c[c["product"] == "Platform"]
    assert set(platform["plan"]) == set(spec.PLANS)
    per_seat = (platform["arr"] / platform["seats"]).groupby(platform["plan"]).median()
    assert per_seat["Starter"] < per_seat["Team"] < per_seat["Business"] < per_seat["Enterprise"]
    addons = c[c["product"] != "Platform"]
    assert set(addons["product"]) == set(spec.ADDONS)
    flat = addons.groupby("product")["arr"].nunique()
    assert flat["SSO"] <= 2 and flat["Analytics+"] > 10  # a flat fee (monthly or yearly) against a share of the plan


def test_monthly_accounts_renew_every_month_and_yearly_ones_every_term(plans):
    c = contracts(plans)
    main = c[c["product"] == "Platform"].copy()
    days = (pd.to_datetime(main["end_date"]) - pd.to_datetime(main["start_date"])).dt.days + 1
    assert days[main["billing_period_months"] == 1].between(28, 31).all()
    assert days[main["billing_period_months"] == 12].isin([365, 366, 730, 731, 1095, 1096]).all()


def test_plans_move_up_and_down_and_add_ons_come_and_go(plans):
    c = contracts(plans)
    main = c[c["product"] == "Platform"].sort_values(["account_id", "start_date"])
    rank = main["plan"].map({p: i for i, p in enumerate(spec.PLANS)})
    step = rank.groupby(main["account_id"]).diff()
    assert (step > 0).sum() > 5 and (step < 0).sum() > 5
    midterm = c.merge(main[["account_id", "start_date", "end_date"]], on="account_id", suffixes=("", "_main"))
    inside = midterm[(midterm["product"] != "Platform") & (midterm["start_date"] > midterm["start_date_main"])
                     & (midterm["end_date"] == midterm["end_date_main"])]
    assert len(inside) > 0  # add-ons bought mid-term, co-terminous with the plan


def test_required_sources_write_accounts_contracts_and_events_only(tmp_path):
    generate(tmp_path, accounts=30, months=6, end=END, seed=2, fmt="csv", progress=quiet)
    generate(tmp_path, accounts=30, months=6, end=END, seed=2, fmt="csv", progress=quiet, sources="required")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv", "contracts.csv", "events.csv"]


def test_random_churn_follows_nothing_but_the_calendar(tmp_path):
    """Under --churn random, renewing or not reads no account: churn is as likely for the accounts
    the state favours as for the others (here: by segment and by billing)."""
    generate(tmp_path, accounts=1500, months=24, end=END, seed=9, progress=quiet, pricing="plans",
             sources="required", churn="random")
    con = duckdb.connect()
    rows = con.execute(f"""
        with c as (select * from read_parquet('{tmp_path}/contracts.parquet') where product = 'Platform'),
        last as (select account_id, max(end_date) as last_day from c group by 1),
        terms as (select c.account_id, c.billing_period_months, c.end_date = l.last_day and l.last_day < date '2026-05-01'
                         as churned
                  from c join last as l using (account_id) where c.end_date < date '2026-05-01')
        select billing_period_months, avg(cast(churned as double)), count(*) from terms group by 1 order by 1""").fetchall()
    per_term = {b: rate for b, rate, _ in rows}
    # a monthly term ends in churn with the monthly share of the yearly odds, a yearly term with the yearly odds
    assert per_term[1] == pytest.approx(1 - (1 - spec.RANDOM_ANNUAL_CHURN) ** (1 / 12), abs=0.006)
    assert per_term[12] == pytest.approx(spec.RANDOM_ANNUAL_CHURN, abs=0.04)


def test_who_has_signed_up_by_a_day_does_not_depend_on_when_the_account_leaves_later():
    """Build the users twice from the same draws, the second time with one account leaving earlier:
    up to that day its users (and their sign-up days) are the same. Spreading sign-ups over the
    account's life would let the number signed up so far tell when it ends."""
    import numpy as np
    from features.sample import people, portfolio
    days = 720
    p = portfolio.build(np.random.default_rng(3), 40, days)
    p.churn_day[:] = 10**9
    seats = p.seats0.copy()
    before = people.build(np.random.default_rng(8), p, days, seats)
    a = int(np.argmax(np.bincount(before.account, minlength=p.n)))  # the account with the most users
    leaves = int(np.median(before.created[before.account == a]))
    p.churn_day[a] = leaves
    after = people.build(np.random.default_rng(8), p, days, seats)
    signed = lambda u: np.sort(u.created[(u.account == a) & (u.created <= leaves)])  # noqa: E731
    assert len(signed(before)) > 10 and np.array_equal(signed(before), signed(after))
    assert (after.created[after.account == a] <= leaves).all()  # no one joins a customer that has left
