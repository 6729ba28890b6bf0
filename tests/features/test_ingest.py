"""radar ingest: load what is good, quarantine what is bad, refuse what is missing, never half-write."""
from __future__ import annotations

import hashlib
import json

import pytest

from radar import cli
from features.ingest import IngestError, ingest
from features.warehouse import connect
from tests.conftest import quiet
from tests.fixtures import tiny_tables, write_source


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_loads_every_table_and_records_the_run(tiny_db):
    with connect(tiny_db) as con:
        assert con.execute("select count(*) from events").fetchone()[0] == 5
        assert con.execute("select count(*) from contracts").fetchone()[0] == 3
        assert con.execute("select count(*) from ingest_runs").fetchone()[0] == 1
        assert con.execute("select count(*) from quarantine").fetchone()[0] == 0


def test_missing_required_file_exits_2_naming_it(tmp_path, capsys):
    tables = tiny_tables()
    del tables["contracts"]
    src = write_source(tmp_path / "src", tables)
    assert cli.main(["ingest", str(src), "--db", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "contracts.csv" in err and "missing required file" in err
    assert not (tmp_path / "w.duckdb").exists()


def test_missing_required_column_exits_2_naming_file_and_column(tmp_path, capsys):
    tables = tiny_tables()
    for row in tables["events"]:
        del row["occurred_at"]
    src = write_source(tmp_path / "src", tables)
    assert cli.main(["ingest", str(src), "--db", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("error: events.csv: missing required column 'occurred_at' (the header has 'account_id'")


def test_contracts_need_arr_or_mrr(tmp_path):
    tables = tiny_tables()
    for row in tables["contracts"]:
        del row["arr"]
    with pytest.raises(IngestError, match="contracts.csv: needs one of the columns 'arr', 'mrr'"):
        ingest(write_source(tmp_path / "src", tables), tmp_path / "w.duckdb", progress=quiet)


def test_mrr_alone_becomes_arr(tmp_path):
    tables = tiny_tables()
    for row in tables["contracts"]:
        row["mrr"] = str(float(row.pop("arr")) / 12)
    db = tmp_path / "w.duckdb"
    ingest(write_source(tmp_path / "src", tables), db, progress=quiet)
    with connect(db) as con:
        assert con.execute("select arr from contracts where contract_id = 'c2'").fetchone()[0] == 12000


def test_bad_rows_go_to_quarantine_with_file_row_and_reason(tmp_path, capsys):
    tables = tiny_tables()
    tables["events"] += [
        {"account_id": "A", "user_id": "u1", "occurred_at": "not a time", "event_type": "login"},
        {"account_id": "ZZZ", "user_id": "u1", "occurred_at": "2026-03-01 10:00:00", "event_type": "login"},
        {"account_id": "A", "user_id": "u1", "occurred_at": "2026-03-01 10:00:00", "event_type": ""},
    ]
    tables["contracts"] += [
        {"contract_id": "c9", "account_id": "A", "start_date": "2026-05-01", "end_date": "2026-04-01", "arr": "1"},
        {"contract_id": "c1", "account_id": "A", "start_date": "2026-05-01", "end_date": "2026-06-01", "arr": "1"},
        {"contract_id": "c8", "account_id": "A", "start_date": "2026-05-01", "end_date": "2026-06-01", "arr": "-5"},
    ]
    tables["traits"].append({"account_id": "A", "as_of": "2026-03-02", "trait": "pulse", "value": "great"})
    db = tmp_path / "w.duckdb"
    assert cli.main(["ingest", str(write_source(tmp_path / "src", tables)), "--db", str(db), "--accept-quarantine"]) == 0
    out = capsys.readouterr().out
    assert "7 rows quarantined" in out
    # a load that goes on still says, per file, why rows were left out
    said = {line.split(":")[0].strip(): line for line in out.splitlines() if "rows quarantined (" in line}
    assert "unparseable occurred_at 1 (e.g. 'not a time')" in said["events.csv"]
    assert "unknown account 1 (e.g. 'ZZZ')" in said["events.csv"] and "missing event_type 1" in said["events.csv"]
    assert "negative arr 1 (e.g. '-5')" in said["contracts.csv"] and "invalid pulse value 1" in said["traits.csv"]
    with connect(db) as con:
        q = con.execute("select file, row_number, reason, row_json from quarantine order by file, row_number").fetchall()
        kinds = con.execute("select table_name, reason_kind from quarantine where file = 'events.csv' "
                            "order by row_number").fetchall()
        assert con.execute("select count(*) from events").fetchone()[0] == 5
        assert con.execute("select count(*) from contracts").fetchone()[0] == 3
    reasons = {(f, r): reason for f, r, reason, _ in q}
    assert reasons[("events.csv", 6)] == "unparseable occurred_at: not a time"
    assert reasons[("events.csv", 7)] == "unknown account: ZZZ"
    assert reasons[("events.csv", 8)] == "missing event_type"
    assert reasons[("contracts.csv", 4)] == "end_date before start_date"
    assert reasons[("contracts.csv", 5)] == "duplicate contract_id: c1"
    assert reasons[("contracts.csv", 6)] == "negative arr: -5"
    assert reasons[("traits.csv", 3)] == "invalid pulse value: great"
    assert json.loads(q[0][3])["contract_id"] == "c9"
    assert kinds == [("events", "unparseable occurred_at"), ("events", "unknown account"), ("events", "missing event_type")]


def test_optional_tables_may_be_absent(tmp_path):
    tables = tiny_tables()
    for name in ("users", "tickets", "touchpoints", "traits"):
        del tables[name]
    db = tmp_path / "w.duckdb"
    summary = ingest(write_source(tmp_path / "src", tables), db, progress=quiet)
    assert summary["tickets"] == (0, 0)
    with connect(db) as con:
        present = con.execute("select bool_or(present) from source_columns where table_name = 'tickets'").fetchone()[0]
    assert present is False


def test_a_column_with_a_header_and_no_values_counts_as_absent_and_is_said(tmp_path):
    from features import pipeline
    tables = tiny_tables()
    for row in tables["events"]:
        row["user_id"] = ""
    db, lines = tmp_path / "w.duckdb", []
    ingest(write_source(tmp_path / "src", tables), db, progress=lines.append)
    assert "note: events.csv: user_id is empty in every row; treated as absent" in " ".join(lines)
    with connect(db) as con:
        present = dict(con.execute("select column_name, present from source_columns "
                                   "where table_name = 'events'").fetchall())
        assert present["user_id"] is False and present["event_type"] is True
        built = pipeline.run(con, progress=quiet)
    # no users in the export: the user features are left out, not zero active users
    assert "active_users_30d" not in built.columns and "events_30d" in built.columns


def test_a_failed_ingest_leaves_the_previous_warehouse_untouched(tiny_db, tmp_path):
    before = digest(tiny_db)
    tables = tiny_tables()
    for row in tables["accounts"]:
        del row["name"]
    with pytest.raises(IngestError):
        ingest(write_source(tmp_path / "bad", tables), tiny_db, progress=quiet)
    assert digest(tiny_db) == before
    assert [p.name for p in tiny_db.parent.iterdir() if "building" in p.name] == []


def test_an_interrupted_ingest_leaves_the_previous_warehouse_untouched(tiny_db, tiny_source, monkeypatch):
    before = digest(tiny_db)
    from features.ingest import stage
    real = stage.load

    def interrupt(con, src, *args, **kwargs):
        if src.table.name == "events":
            raise KeyboardInterrupt
        return real(con, src, *args, **kwargs)

    monkeypatch.setattr(stage, "load", interrupt)
    with pytest.raises(KeyboardInterrupt):
        ingest(tiny_source, tiny_db, progress=quiet)
    assert digest(tiny_db) == before
    assert [p.name for p in tiny_db.parent.iterdir() if "building" in p.name] == []


def test_reingest_carries_the_ingest_history_and_nothing_people_wrote(tiny_db, tiny_source):
    """Trait edits and notes live in the operational store; `radar features` copies them in."""
    with connect(tiny_db) as con:
        con.execute("insert into trait_edits values ('A', 'pulse', 'poor', 'sam', now())")
    ingest(tiny_source, tiny_db, progress=quiet)
    with connect(tiny_db) as con:
        assert con.execute("select count(*) from trait_edits").fetchone()[0] == 0
        assert con.execute("select count(*) from ingest_runs").fetchone()[0] == 2


def test_common_export_formats_parse(tmp_path):
    tables = tiny_tables()
    tables["events"] = [
        {"account_id": "A", "user_id": "u1", "occurred_at": "2026-03-31T10:00:00+02:00", "event_type": "login"},
        {"account_id": "A", "user_id": "u1", "occurred_at": "03/30/2026 09:15", "event_type": "login"},
        {"account_id": "A", "user_id": "u1", "occurred_at": "1774951200", "event_type": "login"},
        {"account_id": "A", "user_id": "u1", "occurred_at": "1774951200000", "event_type": "login"},
        {"account_id": "A", "user_id": "u1", "occurred_at": "31st of March", "event_type": "login"},
    ]
    tables["contracts"][1]["arr"] = "$12,000.00"
    tables["contracts"][1]["seats"] = "3.0"
    tables["contracts"][0]["seats"] = "2.5"
    db = tmp_path / "w.duckdb"
    ingest(write_source(tmp_path / "src", tables), db, progress=quiet, accept_quarantine=True)
    with connect(db) as con:
        times = [r[0].isoformat() for r in con.execute("select occurred_at from events").fetchall()]
        c2 = con.execute("select arr, seats from contracts where contract_id = 'c2'").fetchall()[0]
        bad = dict(con.execute("select row_number, reason from quarantine").fetchall())
    assert times == ["2026-03-31T08:00:00", "2026-03-30T09:15:00", "2026-03-31T10:00:00", "2026-03-31T10:00:00"]
    assert c2 == (12000.0, 3)
    assert bad == {5: "unparseable occurred_at: 31st of March", 1: "unparseable seats: 2.5"}


def test_headers_spelled_another_way_are_read_as_the_contract_columns_and_said(tmp_path):
    """'Account ID', 'userId', 'Occurred-At': another product's export of the same columns."""
    tables = tiny_tables()
    spelled = {"account_id": "Account ID", "user_id": "userId", "occurred_at": "Occurred-At"}
    tables["events"] = [{spelled.get(k, k): v for k, v in row.items()} | {"browser": "x"} for row in tables["events"]]
    lines: list[str] = []
    ingest(write_source(tmp_path / "src", tables), tmp_path / "w.duckdb", progress=lines.append)
    with connect(tmp_path / "w.duckdb", read_only=True) as con:
        n, users = con.execute("select count(*), count(user_id) from events").fetchone()
    assert n == len(tables["events"]) and users == sum(1 for r in tables["events"] if r.get("userId"))
    said = "\n".join(lines)
    reading = next(line for line in lines if "events.csv: reading" in line)
    assert all(f"'{v}' as {k}" in reading for k, v in spelled.items())
    assert "events.csv: not read (no such column in the contract): 'browser'" in said


def test_a_header_spelled_two_ways_is_not_guessed(tmp_path):
    tables = tiny_tables()
    tables["events"] = [{("User ID" if k == "user_id" else k): v for k, v in row.items()} | {"userid": ""}
                        for row in tables["events"]]
    lines: list[str] = []
    ingest(write_source(tmp_path / "src", tables), tmp_path / "w.duckdb", progress=lines.append)
    with connect(tmp_path / "w.duckdb", read_only=True) as con:
        assert con.execute("select count(user_id) from events").fetchone()[0] == 0  # neither is taken
    assert "not read (no such column in the contract): 'User ID', 'userid'" in "\n".join(lines)


def test_a_source_or_column_the_last_load_had_and_this_one_lacks_is_said(tmp_path):
    tables = tiny_tables()
    db = tmp_path / "w.duckdb"
    ingest(write_source(tmp_path / "src1", tables), db, progress=quiet)
    del tables["tickets"]
    for row in tables["users"]:
        del row["persona"]
    lines: list[str] = []
    ingest(write_source(tmp_path / "src2", tables), db, progress=lines.append)
    said = "\n".join(lines)
    assert "note: tickets was loaded last time and is absent now; the features that need it will be left out" in said
    assert "note: users: persona loaded last time, absent now" in said
    lines.clear()
    ingest(write_source(tmp_path / "src3", tables), db, progress=lines.append)  # the same again: nothing lost
    assert "loaded last time" not in "\n".join(lines)


def test_accounts_without_a_contract_and_events_without_a_user_are_said_not_left_to_vanish(tmp_path):
    tables = tiny_tables()
    tables["accounts"].append({"account_id": "C", "name": "Cobalt", "owner": "Avery", "segment": "SMB"})
    tables["events"].append({"account_id": "A", "user_id": "", "occurred_at": "2026-03-30 10:00:00",
                             "event_type": "export"})
    said: list[str] = []
    ingest(write_source(tmp_path / "src", tables), tmp_path / "w.duckdb", progress=said.append)
    n = len(tables["events"])
    assert any(f"events.csv: 1 of {n} events ({1 / n:.1%}) name no user_id" in line for line in said), said
    assert any("1 of the accounts have no contract (C)" in line for line in said), said
    with connect(tmp_path / "w.duckdb") as con:  # said, and still loaded
        assert con.execute("select count(*) from accounts where account_id = 'C'").fetchall()[0][0] == 1
        assert con.execute("select count(*) from events").fetchall()[0][0] == n


def test_a_portfolio_with_a_user_on_every_event_and_a_contract_for_every_account_gets_neither_note(tmp_path):
    said: list[str] = []
    ingest(write_source(tmp_path / "src", tiny_tables()), tmp_path / "w.duckdb", progress=said.append)
    assert not [line for line in said if "name no user_id" in line or "have no contract" in line]
