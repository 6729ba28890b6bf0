"""CSV as real exports write it: one dialect for the whole file, rows that do not split quarantined
with their row and reason, and files that cannot be read named in one line."""
from __future__ import annotations

import json

import pytest

from features.ingest import IngestError, ingest
from features.warehouse import connect
from radar import cli
from tests.conftest import quiet
from tests.fixtures import tiny_tables, write_source

LATE_ROW = 300_001  # past any sniffer's sample


def events_csv(path, rows: list[str], header: str = "account_id,occurred_at,event_type") -> None:
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))


def many_events(n: int) -> list[str]:
    return [f"A,2026-03-{1 + i % 28:02d} 10:00:00,login" for i in range(n)]


def quarantined(db) -> list[tuple]:
    with connect(db) as con:
        return con.execute("select table_name, row_number, reason_kind, reason, row_json from quarantine "
                           "order by table_name, row_number").fetchall()


@pytest.fixture
def src(tmp_path):
    return write_source(tmp_path / "src", tiny_tables())


def test_a_quoted_value_after_row_300000_of_an_unquoted_file_loads_unquoted(src, tmp_path):
    events_csv(src / "events.csv", many_events(LATE_ROW - 1) + [
        'A,2026-03-31 10:00:00,"report ""quick"" view"',
        'A,2026-03-31 10:00:00,"report, exported"'])
    db = tmp_path / "w.duckdb"
    assert ingest(src, db, progress=quiet)["events"] == (LATE_ROW + 1, 0)
    with connect(db) as con:
        late = con.execute("select event_type from events where event_type like 'report%' order by 1").fetchall()
    assert late == [("report \"quick\" view",), ("report, exported",)]


def test_rows_that_do_not_split_after_row_300000_are_quarantined_with_their_row(src, tmp_path):
    events_csv(src / "events.csv", many_events(LATE_ROW - 1) + [
        "A,2026-03-31 10:00:00,login,extra",
        "A,2026-03-31 10:00:00",
        "ZZZ,2026-03-31 10:00:00,login",
        "A,2026-03-31 10:00:00,login"])
    db = tmp_path / "w.duckdb"
    assert ingest(src, db, progress=quiet, accept_quarantine=True)["events"] == (LATE_ROW, 3)
    q = [row[1:4] for row in quarantined(db)]
    assert q == [(LATE_ROW, "too many fields", "too many fields: 4 fields where the header has 3"),
                 (LATE_ROW + 1, "too few fields", "too few fields: 2 fields where the header has 3"),
                 (LATE_ROW + 2, "unknown account", "unknown account: ZZZ")]  # numbered past the rows skipped


def test_an_unterminated_quote_is_quarantined_with_the_text_it_swallowed(src, tmp_path):
    events_csv(src / "events.csv", ["A,2026-03-30 10:00:00,login", 'A,2026-03-31 10:00:00,"report', "B,2026-01-10 09:00:00,x"])
    db = tmp_path / "w.duckdb"
    ingest(src, db, progress=quiet, accept_quarantine=True)
    (table, row, kind, _, raw), = quarantined(db)
    assert (table, row, kind) == ("events", 2, "unterminated or stray quote")
    assert "B,2026-01-10" in json.loads(raw)["line"]


def test_a_5_mb_field_is_quarantined_naming_the_line_size_limit(src, tmp_path, capsys):
    events_csv(src / "events.csv", ["A,2026-03-30 10:00:00,login"] * 40 + ["A,2026-03-31 10:00:00," + "x" * 5_000_000])
    db = tmp_path / "w.duckdb"
    assert cli.main(["ingest", str(src), "--db", str(db), "--accept-quarantine"]) == 0
    (_, row, kind, reason, raw), = quarantined(db)
    assert (row, kind) == (41, "line too long")
    assert "5,000,022 bytes, more than max_line_bytes = 2,097,152" in reason
    assert len(json.loads(raw)["line"]) <= 2_000
    assert "1 rows quarantined" in capsys.readouterr().out


def test_comment_lines_before_a_quoted_header_are_skipped(src, tmp_path):
    (src / "accounts.csv").write_text('# exported from the CRM on 2026-04-01\n# 2 accounts\n'
                                      '"account_id","name"\n"A","Acme, Inc."\n"B","Beta"\n')
    db = tmp_path / "w.duckdb"
    assert ingest(src, db, progress=quiet)["accounts"] == (2, 0)
    with connect(db) as con:
        assert con.execute("select name from accounts order by 1").fetchall() == [("Acme, Inc.",), ("Beta",)]


def test_a_latin_1_file_is_read_as_latin_1_and_said_so(src, tmp_path):
    (src / "accounts.csv").write_bytes("account_id,name\nA,Zürich Versicherung\nB,Café Noir\n".encode("latin-1"))
    said = []
    ingest(src, tmp_path / "w.duckdb", progress=said.append)
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("select name from accounts order by 1").fetchall() == [("Café Noir",), ("Zürich Versicherung",)]
    assert "  note: accounts.csv is not UTF-8; read as Windows-1252 (Latin-1)" in said


def test_an_excel_export_in_windows_1252_keeps_its_quotes_dashes_and_euro_signs(src, tmp_path):
    text = "account_id,name\nA,“Müller” – Gebäude €\nB,Œuvre™\n"
    (src / "accounts.csv").write_bytes(text.encode("cp1252"))
    db = tmp_path / "w.duckdb"
    assert ingest(src, db, progress=quiet)["accounts"] == (2, 0)
    with connect(db) as con:
        assert con.execute("select name from accounts order by account_id").fetchall() == [
            ("“Müller” – Gebäude €",), ("Œuvre™",)]


def test_bytes_that_are_not_utf_8_in_a_utf_8_file_are_quarantined(src, tmp_path):
    (src / "accounts.csv").write_bytes("account_id,name\nA,Zürich\n".encode() + b"B,Caf\xe9\n")
    db = tmp_path / "w.duckdb"
    ingest(src, db, progress=quiet, accept_quarantine=True)
    assert [r[1:3] for r in quarantined(db) if r[0] == "accounts"] == [(2, "not UTF-8 text")]


def test_semicolons_crlf_a_byte_order_mark_and_decimal_commas_read_as_one_dialect(src, tmp_path):
    (src / "contracts.csv").write_bytes(
        "\ufeffcontract_id;account_id;start_date;end_date;arr\r\n"
        "c1;A;2025-01-01;2025-12-31;10.000,00\r\nc2;A;2026-01-01;2026-12-31;12.000,50\r\n"
        "c3;B;2025-02-01;2026-01-31;5000\r\n".encode())
    db = tmp_path / "w.duckdb"
    assert ingest(src, db, progress=quiet)["contracts"] == (3, 0)
    with connect(db) as con:
        assert con.execute("select arr from contracts order by contract_id").fetchall() == [(10000.0,), (12000.5,), (5000.0,)]


def test_both_a_csv_and_a_parquet_for_one_table_are_refused_naming_both(src, tmp_path, capsys):
    with connect(tmp_path / "x.duckdb") as con:
        con.execute(f"copy (select * from read_csv('{src / 'accounts.csv'}')) to '{src / 'accounts.parquet'}'")
    assert cli.main(["ingest", str(src), "--db", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "accounts.csv and accounts.parquet are both there" in err
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("table", ["accounts", "contracts", "events"])
def test_a_required_table_with_only_a_header_is_refused_at_ingest(src, tmp_path, capsys, table):
    header = (src / f"{table}.csv").read_text().splitlines()[0]
    (src / f"{table}.csv").write_text(header + "\n")
    assert cli.main(["ingest", str(src), "--db", str(tmp_path / "w.duckdb")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {table}.csv: no rows; {table} is a required table"


def test_an_empty_optional_table_loads_empty(src, tmp_path):
    (src / "tickets.csv").write_text("ticket_id,account_id,opened_at\n")
    assert ingest(src, tmp_path / "w.duckdb", progress=quiet)["tickets"] == (0, 0)


def test_an_empty_file_is_refused_in_one_line(src, tmp_path):
    (src / "events.csv").write_text("")
    with pytest.raises(IngestError, match=r"^events.csv: the file is empty \(no header line\)$"):
        ingest(src, tmp_path / "w.duckdb", progress=quiet)


def test_mixed_line_endings_are_refused_in_one_line_naming_the_file(src, tmp_path):
    (src / "events.csv").write_bytes(b"account_id,occurred_at,event_type\r\nA,2026-03-30 10:00:00,login\n"
                                     b"A,2026-03-31 10:00:00,login\r\n")
    with pytest.raises(IngestError, match=r"^events.csv: cannot be read as CSV \(it mixes line endings"):
        ingest(src, tmp_path / "w.duckdb", progress=quiet)


def test_a_duplicate_column_is_refused(src, tmp_path):
    events_csv(src / "events.csv", ["A,2026-03-30 10:00:00,login,x"], header="account_id,occurred_at,event_type,Event_Type")
    with pytest.raises(IngestError, match="events.csv: column 'event_type' appears twice in the header"):
        ingest(src, tmp_path / "w.duckdb", progress=quiet)


def test_a_utf_16_file_with_its_byte_order_mark_is_read(src, tmp_path):
    (src / "accounts.csv").write_bytes("account_id\tname\r\nA\tZürich\r\nB\tBeta\r\n".encode("utf-16"))
    db = tmp_path / "w.duckdb"
    assert ingest(src, db, progress=quiet)["accounts"] == (2, 0)
    with connect(db) as con:
        assert con.execute("select name from accounts order by 1").fetchall() == [("Beta",), ("Zürich",)]


def test_an_excel_workbook_named_csv_is_refused_saying_what_it_is(src, tmp_path):
    import zipfile
    with zipfile.ZipFile(src / "accounts.csv", "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(IngestError, match=r"^accounts.csv: is a zip file \(an Excel workbook\?\), not CSV; export it as CSV"):
        ingest(src, tmp_path / "w.duckdb", progress=quiet)


def test_a_corrupt_parquet_file_is_refused_in_one_line(src, tmp_path):
    import pandas as pd
    pd.read_csv(src / "events.csv").to_parquet(src / "events.parquet")
    (src / "events.csv").unlink()
    data = bytearray((src / "events.parquet").read_bytes())
    data[100:400] = b"\x55" * 300
    (src / "events.parquet").write_bytes(bytes(data))
    with pytest.raises(IngestError, match=r"^events.parquet: cannot be read as Parquet \("):
        ingest(src, tmp_path / "w.duckdb", progress=quiet)
