"""Contract-history features from hand-made contracts: every expected number worked out by hand,
and nothing a contract says after as_of moves them."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlglot

from features import pipeline
from features.catalog import load_catalog
from features.ingest import ingest
from features.runner import SQL_ROOT
from features.warehouse import connect
from tests.conftest import quiet
from tests.fixtures import write_source

AS_OF = dt.date(2025, 10, 15)
FAMILY = ["renewals_survived", "term_months", "term_elapsed_share", "term_ends_within_90d",
          "billing_period_months", "products_in_force", "addon_arr_share", "arr_change_last_renewal",
          "lines_added_last_renewal", "lines_dropped_last_renewal", "midterm_changes_this_term",
          "arr_raised_180d", "arr_cut_180d", "lines_added_180d", "lines_dropped_180d"]


def contract(cid, account, start, end, arr, product="Platform", billing=12):
    return {"contract_id": cid, "account_id": account, "start_date": start, "end_date": end, "arr": str(arr),
            "product": product, "billing_period_months": str(billing)}


def tables() -> dict[str, list[dict]]:
    """A: yearly, an add-on bought at the renewal and another mid-term. B: monthly rows, cut in
    September. C: renewed 19 days late, smaller, without its add-on. E: its first year."""
    contracts = [
        contract("a1", "A", "2024-01-01", "2024-12-31", 10000),
        contract("a2", "A", "2025-01-01", "2025-12-31", 12000),
        contract("a3", "A", "2025-01-01", "2025-12-31", 2000, "Analytics"),
        contract("a4", "A", "2025-06-01", "2025-12-31", 1000, "Storage"),
        contract("b1", "B", "2025-07-01", "2025-07-31", 1200, billing=1),
        contract("b2", "B", "2025-08-01", "2025-08-31", 1200, billing=1),
        contract("b3", "B", "2025-09-01", "2025-09-30", 960, billing=1),
        contract("b4", "B", "2025-10-01", "2025-10-31", 960, billing=1),
        contract("c1", "C", "2024-03-01", "2025-02-28", 5000),
        contract("c2", "C", "2024-03-01", "2025-02-28", 500, "Analytics"),
        contract("c3", "C", "2025-03-20", "2026-03-19", 4000),
        contract("e1", "E", "2025-02-01", "2026-01-31", 3000),
    ]
    accounts = [{"account_id": a, "name": a} for a in "ABCE"]
    events = [{"account_id": a, "occurred_at": "2025-10-01 10:00:00", "event_type": "login"} for a in "ABCE"]
    return {"accounts": accounts, "contracts": contracts, "events": events}


def features_at(tables_, folder, as_of=AS_OF) -> pd.DataFrame:
    db = folder / "wh.duckdb"
    ingest(write_source(folder / "src", tables_), db, progress=quiet)
    with connect(db) as con:
        frame, _ = pipeline.build(con, as_of, progress=quiet)
    return frame.set_index("account_id")


@pytest.fixture(scope="module")
def snap(tmp_path_factory) -> pd.DataFrame:
    return features_at(tables(), tmp_path_factory.mktemp("contracts"))


def test_a_yearly_account_with_add_ons(snap):
    a = snap.loc["A"]
    assert a.renewals_survived == 1  # the first start is not a renewal
    assert (a.term_months, a.billing_period_months) == (12, 12)
    assert a.term_elapsed_share == pytest.approx(287 / 365)  # 2025-01-01 .. 2025-10-15
    assert a.term_ends_within_90d == 1  # 2025-12-31 is 77 days away
    assert (a.products_in_force, a.addon_arr_share) == (3, pytest.approx(3000 / 15000))
    # at the renewal 10,000 became 14,000 with one add-on more; the mid-term add-on is not part of it
    assert a.arr_change_last_renewal == pytest.approx(0.4)
    assert (a.lines_added_last_renewal, a.lines_dropped_last_renewal) == (1, 0)
    assert a.midterm_changes_this_term == 1
    # inside the last 180 days (after 2025-04-18) only the mid-term add-on changed anything
    assert (a.arr_raised_180d, a.arr_cut_180d, a.lines_added_180d, a.lines_dropped_180d) == (1, 0, 1, 0)


def test_monthly_rows_are_monthly_renewals(snap):
    b = snap.loc["B"]
    assert b.renewals_survived == 3 and (b.term_months, b.billing_period_months) == (1, 1)
    assert b.term_elapsed_share == pytest.approx(14 / 31) and b.term_ends_within_90d == 1
    assert b.arr_change_last_renewal == pytest.approx(0.0)  # October renewed September's price
    assert (b.arr_raised_180d, b.arr_cut_180d) == (0, 1)  # the September cut
    assert b.products_in_force == 1 and b.addon_arr_share == pytest.approx(0.0)


def test_a_late_renewal_compares_with_the_term_before_the_gap(snap):
    c = snap.loc["C"]
    assert c.renewals_survived == 1
    assert c.arr_change_last_renewal == pytest.approx(4000 / 5500 - 1)
    assert (c.lines_added_last_renewal, c.lines_dropped_last_renewal) == (0, 1)
    assert c.term_ends_within_90d == 0  # 2026-03-19 is 155 days away
    # the add-on's end and the renewal fell before the 180-day window (2025-04-18)
    assert (c.arr_cut_180d, c.lines_dropped_180d) == (0, 0)


def test_a_first_term_has_no_renewal_yet(snap):
    e = snap.loc["E"]
    assert e.renewals_survived == 0 and e.midterm_changes_this_term == 0
    assert pd.isna(e.arr_change_last_renewal) and pd.isna(e.lines_added_last_renewal)


def test_contracts_signed_after_as_of_change_nothing(snap, tmp_path):
    later = tables()
    later["contracts"] += [
        contract("a5", "A", "2026-01-01", "2026-12-31", 30000),  # a renewal that starts later
        contract("a6", "A", "2025-10-16", "2025-12-31", 500, "Seats"),  # a mid-term purchase tomorrow
        contract("b5", "B", "2025-11-01", "2025-11-30", 2400, billing=1),
        contract("f1", "F", "2025-10-16", "2026-10-15", 9000),
    ]
    later["accounts"].append({"account_id": "F", "name": "F"})
    pd.testing.assert_frame_equal(features_at(later, tmp_path)[FAMILY], snap[FAMILY])


def test_seats_at_the_last_renewal_count_every_line_and_ignore_what_was_bought_mid_term(tmp_path):
    """S: renewed from 100 to 80 seats, then a 5-seat pack mid-term. T: a first term booked twice,
    no renewal yet. U: renewed with a 5-seat line beside the 10-seat main line."""
    def seats(cid, account, start, end, n):
        return contract(cid, account, start, end, 1000) | {"seats": str(n)}
    t = {"contracts": [seats("s1", "S", "2024-01-01", "2024-12-31", 100),
                       seats("s2", "S", "2025-01-01", "2025-12-31", 80),
                       seats("s3", "S", "2025-06-01", "2025-12-31", 5),
                       seats("t1", "T", "2025-01-01", "2025-12-31", 50),
                       seats("t2", "T", "2025-01-01", "2025-12-31", 50),
                       seats("u1", "U", "2024-02-01", "2025-01-31", 10),
                       seats("u2", "U", "2025-02-01", "2026-01-31", 10),
                       seats("u3", "U", "2025-02-01", "2026-01-31", 5)],
         "accounts": [{"account_id": a, "name": a} for a in "STU"],
         "events": [{"account_id": a, "occurred_at": "2025-10-01 10:00:00", "event_type": "login"} for a in "STU"]}
    got = features_at(t, tmp_path)["seat_change_last_renewal"]
    assert got["S"] == pytest.approx(80 / 100 - 1)  # not the seat pack against the main line
    assert pd.isna(got["T"])  # a second booking is not a renewal
    assert got["U"] == pytest.approx(15 / 10 - 1)


def test_without_a_billing_period_the_feature_is_left_out(tmp_path):
    t = tables()
    for c in t["contracts"]:
        del c["billing_period_months"]
    got = features_at(t, tmp_path)
    assert "billing_period_months" not in got and got.loc["A", "renewals_survived"] == 1


def test_every_feature_is_declared_with_description_unit_and_direction():
    cat = load_catalog()
    for name in FAMILY:
        f = cat[name]
        assert f.family == "contract_history" and f.description and f.unit and f.direction in (
            "higher_better", "lower_better", "neutral"), name
    timing = {n for n in FAMILY if cat[n].timing}
    assert timing == {"term_months", "term_elapsed_share", "term_ends_within_90d"}


@pytest.mark.parametrize("name", ["base/contract_changes.sql", "families/contract_history.sql"])
def test_the_sql_transpiles_to_spark(name):
    sql = (SQL_ROOT / name).read_text().replace("$", "")  # bound parameters become plain names
    out = sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert len(out) == 1
    assert sqlglot.parse_one(out[0], read="spark").find(sqlglot.exp.Select) is not None
