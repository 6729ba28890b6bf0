"""radar features: point-in-time snapshots whose every number can be traced to source rows."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from features import pipeline
from features.catalog import load_catalog
from features.ingest import ingest
from features.warehouse import connect
from tests.conftest import quiet
from tests.fixtures import AS_OF, tiny_tables, write_source

D = dt.date.fromisoformat(AS_OF)


def features_at(db, as_of=D, progress=quiet) -> pd.DataFrame:
    with connect(db) as con:
        frame, _ = pipeline.build(con, as_of, progress=progress)
    return frame.set_index("account_id")


def test_usage_counts_users_inside_each_window(tiny_db):
    a = features_at(tiny_db).loc["A"]
    assert (a.active_users_7d, a.active_users_30d, a.active_users_90d) == (1, 1, 2)
    assert a.dau_mau == pytest.approx(2 / 28)
    assert (a.registered_users, a.never_logged_in_users) == (3, 1)
    assert a.active_users_over_seats == pytest.approx(1 / 3)
    assert a.events_30d == 2 and a.events_trend_30d_vs_prior_60d == pytest.approx(1.0)
    assert a.days_since_last_activity == 0


def test_support_engagement_and_commercial_features(tiny_db):
    a = features_at(tiny_db).loc["A"]
    assert (a.tickets_90d, a.defect_tickets_90d, a.help_tickets_90d, a.open_tickets) == (2, 1, 1, 1)
    assert a.median_days_to_close_90d == pytest.approx(2.0)
    assert a.high_priority_share_90d == pytest.approx(0.5)
    assert (a.days_since_last_touchpoint, a.touchpoints_90d, a.days_since_last_qbr) == (20, 1, 120)
    assert (a.pulse_score, a.pulse_age_days, a.champion, a.champion_age_days) == (50, 30, 1, 303)
    assert (a.arr, a.seats, a.days_to_renewal, a.tenure_days) == (12000, 3, 275, 454)
    assert a.seat_change_last_renewal == pytest.approx(0.5)
    assert a.arr_change_12m == pytest.approx(0.2)


def test_only_accounts_a_contract_covers_are_snapshotted(tiny_db):
    assert list(features_at(tiny_db).index) == ["A"]  # B's last day was 2026-01-31


def test_rows_after_as_of_change_nothing(tiny_source, tiny_db, tmp_path):
    before = features_at(tiny_db)
    tables = tiny_tables()
    later = "2026-04-01 00:00:00"
    tables["events"] += [{"account_id": "A", "user_id": u, "occurred_at": later, "event_type": t}
                         for u in ("u2", "u3", "u4") for t in ("login", "brand_new_type")]
    tables["users"].append({"user_id": "u4", "account_id": "A", "created_at": later, "persona": "admin"})
    tables["users"][0]["deactivated_at"] = later
    tables["tickets"][1]["closed_at"] = later
    tables["tickets"].append({"ticket_id": "t9", "account_id": "A", "opened_at": later, "kind": "defect"})
    tables["touchpoints"].append({"account_id": "A", "occurred_at": later, "kind": "qbr"})
    tables["traits"].append({"account_id": "A", "as_of": later, "trait": "pulse", "value": "poor"})
    tables["contracts"].append({"contract_id": "c4", "account_id": "A", "start_date": "2026-04-01",
                                "end_date": "2027-03-31", "arr": "90000", "seats": "50"})
    db = tmp_path / "future.duckdb"
    ingest(write_source(tmp_path / "future", tables), db, progress=quiet)
    pd.testing.assert_frame_equal(features_at(db), before)


def test_sample_features_at_a_date_ignore_everything_after_it(sample_db, sample_source, tmp_path):
    """Cut every source at D and rebuild: the snapshot at D must be identical."""
    d = dt.date(2025, 12, 31)
    cut = tmp_path / "cut"
    cut.mkdir()
    time_cols = {"events": "occurred_at", "tickets": "opened_at", "touchpoints": "occurred_at",
                 "traits": "as_of", "users": "created_at", "contracts": "start_date", "accounts": None}
    end = pd.Timestamp(d) + pd.Timedelta(days=1)
    for name, col in time_cols.items():
        t = pd.read_parquet(sample_source / f"{name}.parquet")
        if col:
            t = t[pd.to_datetime(t[col]) < end]
        if name == "tickets":
            t.loc[pd.to_datetime(t["closed_at"]) >= end, "closed_at"] = pd.NaT
        if name == "users":
            t.loc[pd.to_datetime(t["deactivated_at"]) >= end, "deactivated_at"] = pd.NaT
        t.to_parquet(cut / f"{name}.parquet", index=False)
    db = tmp_path / "cut.duckdb"
    ingest(cut, db, progress=quiet)
    full = features_at(sample_db, d)
    pd.testing.assert_frame_equal(features_at(db, d), full, check_dtype=False)


def test_default_dates_are_month_ends_plus_the_data_end(sample_db):
    with connect(sample_db) as con:
        dates = [r[0] for r in con.execute("select distinct as_of from features order by 1").fetchall()]
    assert dates[-1] == dt.date(2026, 6, 30)
    assert all((d + dt.timedelta(days=1)).day == 1 for d in dates)
    assert dates[0] == dt.date(2024, 3, 31)  # first event 2024-01-01, plus the 89-day warm-up
    assert len(dates) == 28


def test_every_feature_column_is_declared_with_description_unit_and_direction(sample_db):
    with connect(sample_db) as con:
        cols = [c for c in con.execute("select * from features limit 0").df().columns if c not in ("account_id", "as_of")]
        cat = con.execute("select * from feature_catalog").df().set_index("name")
    assert set(cols) == set(cat.index)
    assert cat["description"].str.len().min() > 5
    assert set(cat["direction"]) <= {"higher_better", "lower_better", "neutral"}
    assert not any(c in load_catalog() for c in ["evt_session_start_30d"])  # declared from the data
    assert "evt_session_start_30d" in cat.index


def test_other_event_names_and_missing_sources_are_handled(tmp_path):
    tables = tiny_tables()
    for e in tables["events"]:
        e["event_type"] = "Opened App"
        del e["user_id"]
    for name in ("users", "tickets", "touchpoints", "traits"):
        del tables[name]
    for c in tables["contracts"]:
        c.pop("discount", None)
    db = tmp_path / "min.duckdb"
    ingest(write_source(tmp_path / "min", tables), db, progress=quiet)
    notes = []
    a = features_at(db, progress=notes.append).loc["A"]
    assert a.evt_opened_app_30d == 2
    assert "active_users_30d" not in a and "tickets_90d" not in a
    assert "discount" not in a  # no discount column: no discount, not a discount of 0
    said = [n for n in notes if "note:" in n]
    assert any(n.startswith("  note: events.user_id not loaded") for n in said)
    assert any(n.startswith("  note: tickets not loaded") for n in said)
    assert len(said) == len(set(said))


def test_event_types_whose_names_clash_as_columns_each_keep_their_own_features(tmp_path):
    tables = tiny_tables()
    names = ["Dashboard Viewed", "dashboard.viewed", "ログイン", "レポート"]
    for i, e in enumerate(tables["events"]):
        e["event_type"] = names[i % len(names)]
    db = tmp_path / "clash.duckdb"
    ingest(write_source(tmp_path / "src", tables), db, progress=quiet)
    said: list[str] = []
    with connect(db) as con:
        frame = pipeline.run(con, progress=said.append)
        cat = con.execute("select name, description from feature_catalog").df()
    per_type = sorted(c for c in frame.columns if c.startswith("evt_") and c.endswith("_30d"))
    # the two that read alike say which spelling each counts, and the build says they were kept apart
    alike = cat[cat["name"].str.startswith("evt_dashboard_viewed_") & cat["name"].str.endswith("_30d")]
    assert sorted(alike["description"]) == ["Dashboards viewed ('Dashboard Viewed') in the last 30 days",
                                            "Dashboards viewed ('dashboard.viewed') in the last 30 days"]
    assert any("differ only in spelling" in line and "'Dashboard Viewed'" in line for line in said), said
    assert len(per_type) == 4 and "evt_ログイン_30d" in per_type and "evt_レポート_30d" in per_type
    assert not any(c.endswith("_1") for c in frame.columns)
    assert cat["name"].is_unique and set(per_type) <= set(cat["name"])
    # every event in the window counted once, under its own type
    assert (frame[per_type].sum(axis=1) == frame["events_30d"]).all() and frame["events_30d"].sum() > 0


def test_delivery_silence_finds_a_regular_event_that_stopped(tmp_path):
    tables = tiny_tables()
    days = pd.date_range("2025-11-01", "2026-02-28", freq="D")
    tables["events"] += [{"account_id": "A", "occurred_at": f"{d:%Y-%m-%d} 03:00:00",
                          "event_type": "message_sent"} for d in days]
    db = tmp_path / "d.duckdb"
    ingest(write_source(tmp_path / "d", tables), db, progress=quiet)
    a = features_at(db).loc["A"]
    assert a.delivery_silent_event_type == "message_sent"
    assert a.delivery_silence_days == 31 and a.delivery_usual_gap_days == pytest.approx(1.0)


def test_features_command_writes_table_and_parquet(tiny_db, tmp_path):
    from radar import cli
    out = tmp_path / "f.parquet"
    assert cli.main(["features", "--db", str(tiny_db), "--as-of", AS_OF, "--out", str(out)]) == 0
    assert len(pd.read_parquet(out)) == 1


def test_one_date_is_rebuilt_from_the_sources_and_the_other_dates_are_kept(sample_db, tmp_path):
    import shutil
    db = tmp_path / "copy.duckdb"
    shutil.copy(sample_db, db)
    d = dt.date(2026, 5, 31)
    keys = ["account_id", "as_of"]
    with connect(db) as con:
        before = con.execute("select * from features order by account_id, as_of").df()
        busy = con.execute("select account_id from features where as_of = ? and events_30d > 0 "
                           "order by account_id limit 1", [d]).fetchall()[0][0]
        # the account's last 30 days of events before d disappear from the source
        con.execute("delete from events where account_id = ? and occurred_at >= ? and occurred_at < ?",
                    [busy, d - dt.timedelta(days=29), d + dt.timedelta(days=1)])
        pipeline.run(con, d, progress=quiet)
        after = con.execute("select * from features order by account_id, as_of").df()[before.columns]
    on_d = after["as_of"] == pd.Timestamp(d)
    assert len(after) == len(before) and after[keys].equals(before[keys])
    assert after.loc[on_d & (after["account_id"] == busy), "events_30d"].tolist() == [0]
    assert before.loc[on_d & (before["account_id"] == busy), "events_30d"].tolist() != [0]
    # every other date is exactly as it was, though June's windows include the deleted days too
    pd.testing.assert_frame_equal(after[~on_d], before[~on_d], check_dtype=False)
