"""Expansion signals on a hand-written warehouse: seats nearly full while active users grow, a
critical workflow spreading to a new persona, heavy use around a product the account lacks; each
with its evidence, its estimate, and the CSV columns a CRM imports. Absent sources skip a signal."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from model import expansion

AS_OF = dt.date(2026, 6, 30)
THEN = dt.date(2026, 3, 31)  # the lookback snapshot (90 days before as_of or earlier)


def warehouse(features: list[tuple], events: list[tuple] = (), users: list[tuple] = (),
              contracts: list[tuple] = (), absent: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
    """features: (account_id, as_of, seats, active_users_30d, arr); events: (account_id, day, event_type,
    user_id); users: (user_id, account_id, persona); contracts: (account_id, product, arr)."""
    con = duckdb.connect()
    con.execute("create table features (account_id varchar, as_of date, seats double, active_users_30d double, arr double)")
    con.executemany("insert into features values (?, ?, ?, ?, ?)", [list(f) for f in features])
    con.execute("create table accounts as select distinct account_id, 'Name ' || account_id as name, "
                "'Avery' as owner from features")
    con.execute("create table events (account_id varchar, occurred_at timestamp, event_type varchar, user_id varchar)")
    con.executemany("insert into events values (?, ?, ?, ?)", [list(e) for e in events] or
                    [["X", dt.datetime(2025, 1, 1), "login", None]])
    con.execute("create table users (user_id varchar, account_id varchar, persona varchar)")
    if users:
        con.executemany("insert into users values (?, ?, ?)", [list(u) for u in users])
    con.execute("create table contracts (account_id varchar, product varchar, arr double, start_date date, end_date date)")
    if contracts:
        con.executemany("insert into contracts values (?, ?, ?, '2025-01-01', '2026-12-31')", [list(c) for c in contracts])
    loaded = [("users", "persona"), ("events", "user_id"), ("contracts", "product")]
    con.execute("create table source_columns (table_name varchar, column_name varchar, present boolean, file varchar)")
    con.executemany("insert into source_columns values (?, ?, ?, 'x')",
                    [[t, c, f"{t}.{c}" not in absent] for t, c in loaded])
    return con


def test_seats_nearly_full_with_growing_use_is_priced_at_the_accounts_seat_price():
    con = warehouse([("A", THEN, 40, 30, 48_000), ("A", AS_OF, 40, 37, 48_000),  # 93% used, +23%
                     ("B", THEN, 40, 36, 48_000), ("B", AS_OF, 40, 37, 48_000),  # full but not growing
                     ("C", THEN, 40, 20, 48_000), ("C", AS_OF, 40, 30, 48_000)])  # growing, 75% used
    found, notes = expansion.detect(con, AS_OF)
    seats = found[found["signal"] == "seats_full"]
    assert seats["account_id"].tolist() == ["A"]
    row = seats.iloc[0]
    assert row["amount"] == pytest.approx(7 * 1_200)  # ceil(37 / 0.8) - 40 = 7 seats at $1.2k
    assert row["evidence"] == ("37 active users in the last 30 days on 40 licensed seats (92%), up from 30 on "
                               "2026-03-31 (+23%); 7 more seats at the current $1,200 per seat would bring use back to 80%.")
    assert (row["name"], row["owner"]) == ("Name A", "Avery")


def day(d: int) -> dt.datetime:
    return dt.datetime.combine(AS_OF - dt.timedelta(days=d), dt.time(10))


def test_a_critical_workflow_taken_up_by_a_new_persona_is_a_signal():
    users = [(f"m{i}", "A", "manager") for i in range(3)] + [(f"a{i}", "A", "admin") for i in range(3)]
    events = [("A", day(5), "campaign_launched", f"m{i}") for i in range(3)] \
        + [("A", day(95), "campaign_launched", "a0")] \
        + [("A", day(5), "campaign_launched", f"a{i}") for i in range(3)]  # admins did it before too
    con = warehouse([("A", THEN, 40, 10, 100_000), ("A", AS_OF, 40, 12, 100_000)], events, users)
    found, _ = expansion.detect(con, AS_OF)
    spread = found[found["signal"] == "persona_spread"]
    assert len(spread) == 1 and spread["amount"].iat[0] == pytest.approx(10_000)
    text = spread["evidence"].iat[0]
    assert text.startswith("3 manager users now do 'Managers launch campaigns' ('campaign_launched')")
    assert "admin" not in text


def test_two_people_of_a_new_persona_are_not_yet_a_spread():
    users = [(f"m{i}", "A", "manager") for i in range(2)]
    events = [("A", day(5), "campaign_launched", u) for u, _, _ in users] + [("A", day(100), "session_start", "m0")]
    con = warehouse([("A", THEN, 40, 10, 100_000), ("A", AS_OF, 40, 12, 100_000)], events, users)
    assert expansion.detect(con, AS_OF)[0].query("signal == 'persona_spread'").empty


def test_heavy_use_around_a_product_the_account_lacks_is_priced_like_its_owners():
    users = [("u1", "A", "analyst"), ("u2", "B", "analyst")]
    exports = [("A", day(d), "export_run", "u1") for d in range(1, 25)] + \
              [("B", day(d), "export_run", "u2") for d in range(1, 25)]
    con = warehouse([("A", AS_OF, 10, 1, 50_000), ("B", AS_OF, 10, 1, 50_000), ("C", AS_OF, 10, 1, 90_000)],
                    exports, users, contracts=[("A", "Platform", 50_000), ("B", "Platform", 40_000),
                                               ("B", "Analytics+", 10_000), ("C", "Platform", 90_000)])
    found, _ = expansion.detect(con, AS_OF)
    gap = found[found["signal"] == "product_Analytics+"]
    assert gap["account_id"].tolist() == ["A"]  # B owns it; C does not export
    assert gap["amount"].iat[0] == pytest.approx(0.25 * 50_000)  # B pays 10k on 40k other ARR
    assert gap["evidence"].iat[0] == ("24 'export_run' events in the last 30 days (24.0 per active user) without "
                                      "Analytics+; accounts with it pay a median 25% of their other ARR for it.")


def test_signals_whose_sources_are_absent_are_skipped_with_a_note():
    con = warehouse([("A", AS_OF, 10, 1, 50_000)], absent=("users.persona", "contracts.product"))
    found, notes = expansion.detect(con, AS_OF)
    assert found.empty
    assert any("no users with personas" in n for n in notes) and any("no product column" in n for n in notes)


def test_the_crm_csv_has_the_import_columns_in_order():
    con = warehouse([("A", THEN, 40, 30, 48_000), ("A", AS_OF, 40, 37, 48_000)])
    found, _ = expansion.detect(con, AS_OF)
    crm = expansion.crm_frame(found)
    assert list(crm.columns) == ["Account ID", "Account Name", "Owner", "Signal", "Evidence", "Amount"]
    assert crm.iloc[0].tolist()[:4] == ["A", "Name A", "Avery", "Seats nearly full while active users grow"]
    assert crm["Amount"].iat[0] == 8400


def test_run_replaces_the_dates_signals(tmp_path):
    con = warehouse([("A", THEN, 40, 30, 48_000), ("A", AS_OF, 40, 37, 48_000)])
    for _ in range(2):
        out = expansion.run(con, AS_OF, progress=lambda *a: None)
    assert out["signals"] == 1
    assert con.execute("select count(*) from expansion").fetchall()[0][0] == 1
    assert isinstance(expansion.latest(con), pd.DataFrame) and len(expansion.latest(con)) == 1
