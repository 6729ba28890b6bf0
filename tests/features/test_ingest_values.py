"""Values are loaded right or quarantined with a reason, never misread: numbers (non-finite, decimal
comma), required values, evergreen contracts, and ids as text."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from radar import cli

from features.ingest import ingest, load_ingest_settings
from features.warehouse import connect
from tests.conftest import quiet
from tests.fixtures import tiny_tables, write_source


def load(tmp_path, tables, **kw):
    db = tmp_path / "w.duckdb"
    summary = ingest(write_source(tmp_path / "src", tables), db, progress=quiet, accept_quarantine=True, **kw)
    return db, summary


def rows(db, sql):
    with connect(db) as con:
        return con.execute(sql).fetchall()


def contract(cid, arr, **kw):
    return {"contract_id": cid, "account_id": "A", "start_date": "2026-01-01", "end_date": "2026-12-31",
            "arr": arr} | kw


@pytest.mark.parametrize("text", ["NaN", "nan", "inf", "-inf", "Infinity", "1e309"])
def test_non_finite_arr_is_quarantined(tmp_path, text):
    tables = tiny_tables()
    tables["contracts"].append(contract("c9", text))
    db, summary = load(tmp_path, tables)
    assert summary["contracts"] == (3, 1)
    assert rows(db, "select reason from quarantine") == [(f"arr is not a finite number: {text}",)]


def test_non_finite_values_in_a_parquet_file_are_quarantined(tmp_path):
    src = write_source(tmp_path / "src", tiny_tables())
    frame = pd.read_csv(src / "contracts.csv")
    frame["arr"] = frame["arr"].astype(float)
    frame.loc[0, "arr"] = float("inf")
    frame.loc[1, "arr"] = float("nan")  # pandas writes NaN as a null: missing, not a number
    frame.to_parquet(src / "contracts.parquet", index=False)
    (src / "contracts.csv").unlink()
    db = tmp_path / "w.duckdb"
    ingest(src, db, progress=quiet, accept_quarantine=True)
    assert rows(db, "select row_number, reason from quarantine order by 1") == [(1, "arr is not a finite number: inf"),
                                                                                (2, "missing arr")]


@pytest.mark.parametrize("text, value", [
    ("12.000,50", 12000.5), ("12000,5", 12000.5), ("1.234.567", 1234567.0), ("€ 12.000,50", 12000.5),
])
def test_decimal_comma_amounts_are_read_as_such(tmp_path, text, value):
    tables = tiny_tables()
    tables["contracts"][1]["arr"] = text
    db, summary = load(tmp_path, tables)
    assert summary["contracts"] == (3, 0)
    assert rows(db, "select arr from contracts where contract_id = 'c2'") == [(value,)]


@pytest.mark.parametrize("text, value", [
    ("12,000.50", 12000.5), ("$12,000.00", 12000.0), ("1,234,567", 1234567.0), ("12 000.50", 12000.5), ("1'000.5", 1000.5),
])
def test_decimal_point_amounts_with_thousands_separators_are_read(tmp_path, text, value):
    tables = tiny_tables()
    tables["contracts"][1]["arr"] = text
    db, _ = load(tmp_path, tables)
    assert rows(db, "select arr from contracts where contract_id = 'c2'") == [(value,)]


def test_a_number_that_reads_both_ways_follows_the_files_convention(tmp_path):
    tables = tiny_tables()
    tables["contracts"][0]["arr"] = "1.500,25"  # shows the decimal comma
    tables["contracts"][1]["arr"] = "12.000"  # twelve thousand in this file
    db, _ = load(tmp_path, tables)
    assert rows(db, "select arr from contracts order by contract_id")[:2] == [(1500.25,), (12000.0,)]

    tables = tiny_tables()
    tables["contracts"][0]["arr"] = "1,500.25"  # shows the decimal point
    tables["contracts"][1]["arr"] = "12.000"  # twelve
    db, _ = load(tmp_path / "point", tables)
    assert rows(db, "select arr from contracts order by contract_id")[:2] == [(1500.25,), (12.0,)]


def test_a_number_that_reads_both_ways_in_a_file_that_shows_both_is_quarantined(tmp_path):
    tables = tiny_tables()
    tables["contracts"][0]["arr"] = "1.500,25"
    tables["contracts"][1]["arr"] = "12,000"
    tables["contracts"][2]["arr"] = "1,500.25"
    db, summary = load(tmp_path, tables)
    assert summary["contracts"] == (2, 1)
    assert rows(db, "select reason from quarantine") == [("ambiguous decimal separator in arr: 12,000",)]


def test_a_semicolon_file_whose_amounts_read_both_ways_quarantines_them_instead_of_guessing(tmp_path, capsys):
    import csv
    tables = tiny_tables()
    for c, arr in zip(tables["contracts"], ["35.644", "12.000", "9.500"]):  # thousands, as a German export writes
        c["arr"] = arr
    src = write_source(tmp_path / "src", tables)
    with open(src / "contracts.csv", "w", newline="") as f:  # the usual dialect where the comma is the decimal
        w = csv.DictWriter(f, fieldnames=list(tables["contracts"][0]), delimiter=";")
        w.writeheader()
        w.writerows(tables["contracts"])
    assert cli.main(["ingest", str(src), "--db", str(tmp_path / "w.duckdb")]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "contracts.csv" in err, err
    assert "ambiguous decimal separator in arr" in err and "decimal_separator" in err, err
    assert not (tmp_path / "w.duckdb").exists()  # nothing a thousand times off was loaded


def test_a_configured_decimal_separator_reads_every_file_that_way(tmp_path):
    tables = tiny_tables()
    tables["contracts"][1]["arr"] = "12,000"
    tables["contracts"][2]["arr"] = "5000.5"  # not a decimal-comma number
    settings = dataclasses.replace(load_ingest_settings(), decimal_separator=",")
    db, _ = load(tmp_path, tables, settings=settings)
    assert rows(db, "select arr from contracts where contract_id = 'c2'") == [(12.0,)]
    assert rows(db, "select reason from quarantine") == [("unparseable arr: 5000.5",)]


def test_evergreen_contracts_load_with_no_end_date(tmp_path):
    tables = tiny_tables()
    tables["contracts"].append(contract("c9", "900", end_date=""))
    db, summary = load(tmp_path, tables)
    assert summary["contracts"] == (4, 0)
    assert rows(db, "select end_date from contracts where contract_id = 'c9'") == [(None,)]


def test_an_empty_required_value_is_quarantined(tmp_path):
    tables = tiny_tables()
    tables["contracts"].append(contract("c9", ""))
    tables["contracts"].append(contract("c8", "1", start_date=""))
    tables["events"].append({"account_id": "A", "user_id": "u1", "occurred_at": "  ", "event_type": "login"})
    db, summary = load(tmp_path, tables)
    assert summary["contracts"] == (3, 2) and summary["events"] == (5, 1)
    assert sorted(r[0] for r in rows(db, "select reason from quarantine")) == [
        "missing arr", "missing occurred_at", "missing start_date"]


def test_arr_or_mrr_must_hold_a_value_when_both_columns_exist(tmp_path):
    tables = tiny_tables()
    tables["contracts"][0] |= {"arr": "", "mrr": "100"}
    tables["contracts"][1] |= {"arr": "", "mrr": ""}
    db, summary = load(tmp_path, tables)
    assert summary["contracts"] == (2, 1)
    assert rows(db, "select reason from quarantine") == [("missing arr or mrr",)]
    assert rows(db, "select arr from contracts where contract_id = 'c1'") == [(1200.0,)]


def test_ids_are_text_and_leading_zeros_make_different_ids(tmp_path):
    tables = tiny_tables()
    tables["accounts"] += [{"account_id": i, "name": f"Acct {i}"} for i in ("7", "007", "0007")]
    tables["events"] += [{"account_id": "007", "occurred_at": "2026-03-01 10:00:00", "event_type": "login"},
                         {"account_id": "07", "occurred_at": "2026-03-01 10:00:00", "event_type": "login"}]
    db, _ = load(tmp_path, tables)
    assert rows(db, "select account_id from accounts where account_id like '%7' order by 1") == [
        ("0007",), ("007",), ("7",)]
    assert rows(db, "select account_id from events where account_id like '%7'") == [("007",)]
    assert rows(db, "select reason from quarantine") == [("unknown account: 07",)]


def write_int_id_events(src, ids):
    pd.DataFrame({"account_id": pd.Series(ids, dtype="int64"), "occurred_at": pd.Timestamp("2026-03-31 10:00"),
                  "event_type": "login"}).to_parquet(src / "events.parquet", index=False)
    (src / "events.csv").unlink()


def test_a_parquet_integer_id_matches_the_same_digits_in_a_csv(tmp_path):
    tables = tiny_tables()
    tables["accounts"] += [{"account_id": "7", "name": "Seven"}, {"account_id": "007", "name": "Double-o seven"}]
    src = write_source(tmp_path / "src", tables)
    write_int_id_events(src, [7, 7])
    db = tmp_path / "w.duckdb"
    assert ingest(src, db, progress=quiet)["events"] == (2, 0)
    assert rows(db, "select distinct account_id from events") == [("7",)]


def test_integer_ids_are_zero_padded_when_the_contract_says_so(tmp_path):
    tables = tiny_tables()
    tables["accounts"] += [{"account_id": "001", "name": "One"}, {"account_id": "012", "name": "Twelve"}]
    src = write_source(tmp_path / "src", tables)
    write_int_id_events(src, [1, 12, 1234])
    settings = dataclasses.replace(load_ingest_settings(), integer_id_digits=3)
    db = tmp_path / "w.duckdb"
    assert ingest(src, db, progress=quiet, settings=settings, accept_quarantine=True)["events"] == (2, 1)
    assert rows(db, "select account_id from events order by 1") == [("001",), ("012",)]
    assert rows(db, "select reason from quarantine") == [("unknown account: 1234",)]
