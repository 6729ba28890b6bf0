"""radar sample: deterministic, and it holds the situations the research notes describe."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from features.sample.generate import generate
from tests.conftest import quiet

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def default_sample(tmp_path_factory):
    """The demo's shape: 400 accounts over 36 months."""
    out = tmp_path_factory.mktemp("default")
    generate(out, accounts=400, months=36, end=END, seed=7, fmt="parquet", progress=quiet)
    return out


def q(folder, sql):
    con = duckdb.connect()
    for t in ("accounts", "contracts", "events", "users", "tickets", "touchpoints", "traits"):
        con.execute(f"create view {t} as select * from read_parquet('{folder}/{t}.parquet')")
    return con.execute(sql).fetchall()


def test_same_seed_same_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        generate(out, accounts=30, months=8, end=END, seed=3, fmt="csv", progress=quiet)
    for name in ("accounts", "contracts", "events", "users", "tickets", "touchpoints", "traits"):
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name
    generate(tmp_path / "c", accounts=30, months=8, end=END, seed=4, fmt="csv", progress=quiet)
    assert (tmp_path / "c" / "events.csv").read_bytes() != (a / "events.csv").read_bytes()


def test_owners_carry_12_to_60_accounts(default_sample):
    counts = [n for _, n in q(default_sample, "select owner, count(*) from accounts group by 1")]
    assert 7 <= len(counts) <= 12 and min(counts) >= 12 and max(counts) <= 60


def test_annual_logo_churn_is_between_8_and_15_percent(default_sample):
    # churned in the last full year before the data's grace period: accounts whose coverage
    # ends and does not resume within 30 days, over accounts covered at the year's start
    (rate,) = q(default_sample, """
        with last as (select account_id, max(end_date) as last_day from contracts group by 1),
        start as (select distinct account_id from contracts
                  where start_date <= date '2025-05-01' and end_date >= date '2025-05-01')
        select count(*) filter (where last_day < date '2026-05-01') * 1.0 / count(*)
        from start join last using (account_id)""")[0]
    assert 0.08 <= rate <= 0.15


def test_segments_have_matching_arr(default_sample):
    med = dict(q(default_sample, """select segment, median(arr) from contracts join accounts using (account_id)
                                     where product = 'Platform' group by 1"""))
    assert med["SMB"] < med["Mid-Market"] < med["Enterprise"] < med["Strategic"]


def test_renewals_upsells_downsells_multi_year_and_add_ons(default_sample):
    (renewed, up, down, multi, addon) = q(default_sample, """
        with c as (select *, lag(seats) over (partition by account_id order by start_date) as prev
                   from contracts where product = 'Platform')
        select count(*) filter (where prev is not null), count(*) filter (where seats > prev),
               count(*) filter (where seats < prev),
               count(*) filter (where date_diff('day', start_date, end_date) > 400),
               (select count(*) from contracts where product <> 'Platform') from c""")[0]
    assert renewed > 100 and up > 10 and down > 10 and multi > 10 and addon > 10


def test_uncapped_accounts_with_tens_of_thousands_of_users(default_sample):
    (n,) = q(default_sample, """select max(n) from (select account_id, count(*) n from users
              join contracts using (account_id) where seats is null and product = 'Platform'
              group by 1)""")[0]
    assert n >= 10_000


def test_users_have_personas_some_never_log_in_some_are_deactivated(default_sample):
    personas, never, deactivated = q(default_sample, """
        select count(distinct persona),
               (select count(*) from users where user_id not in (select user_id from events where user_id is not null)),
               count(*) filter (where deactivated_at is not null) from users""")[0]
    assert personas >= 4 and never > 1000 and deactivated > 1000


def test_platform_sent_event_stops_for_a_quarter_somewhere(default_sample):
    (gap,) = q(default_sample, """
        with d as (select account_id, cast(occurred_at as date) as day from events
                   where event_type = 'message_sent' and user_id is null)
        select max(g) from (select date_diff('day', lag(day) over (partition by account_id order by day), day) g from d)""")[0]
    assert gap >= 60


def test_ticket_storms_csm_silence_and_stale_traits(default_sample):
    (storm,) = q(default_sample, """select max(n) from (select account_id, date_trunc('month', opened_at), count(*) n
                                      from tickets group by 1, 2)""")[0]
    (silence,) = q(default_sample, """select max(g) from (select date_diff('day', lag(occurred_at) over
                                       (partition by account_id order by occurred_at), occurred_at) g from touchpoints)""")[0]
    (stale,) = q(default_sample, """select count(*) from (select account_id, max(as_of) m from traits group by 1)
                                     where m < timestamp '2026-03-01'""")[0]
    assert storm >= 10 and silence >= 90 and stale >= 10


def test_critical_workflows_sometimes_done_by_the_wrong_persona(default_sample):
    (admins,) = q(default_sample, """select count(*) from events join users using (user_id)
                                      where event_type = 'campaign_launched' and persona = 'admin'""")[0]
    assert admins > 100
