"""`radar ingest`: load a source folder into the warehouse, quarantining bad rows.

The new warehouse is built beside the old one and swapped in with one rename, so a failed or
interrupted ingest leaves the previous warehouse exactly as it was. History kept in the
warehouse (past ingest runs, trait edits and status notes from the portal) is carried over.
"""
from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from features import contract
from features.contract import Table
from features.traits import TraitSpec, load_traits
from features.warehouse import HISTORY_TABLES, connect, ensure_history_tables


class IngestError(Exception):
    """Input the contract cannot accept at all: a missing file or column. Exit status 2."""


@dataclass(frozen=True)
class Source:
    table: Table
    path: Path | None
    columns: dict[str, str]  # contract column -> column name in the file


def _sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _reader(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet({_sql_str(path)})"
    return f"read_csv({_sql_str(path)}, all_varchar=true, header=true)"


def discover(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Source]:
    """Find each contract table's file and map its columns; raise IngestError on what is missing."""
    if not folder.is_dir():
        raise IngestError(f"{folder}: no such folder")
    sources = []
    for t in contract.TABLES:
        found = [folder / f"{t.name}{ext}" for ext in (".parquet", ".csv")]
        path = next((p for p in found if p.exists()), None)
        if path is None:
            if t.is_required:
                raise IngestError(f"{folder / (t.name + '.csv')}: missing required file "
                                  f"(expected {t.name}.csv or {t.name}.parquet)")
            sources.append(Source(t, None, {}))
            continue
        try:
            names = [r[0] for r in con.execute(f"describe select * from {_reader(path)}").fetchall()]
        except duckdb.Error as e:
            raise IngestError(f"{path.name}: cannot be read: {str(e).splitlines()[0]}") from None
        cols = {n.strip().lower(): n for n in names}
        for col, _ in t.required:
            if col not in cols:
                raise IngestError(f"{path.name}: missing required column '{col}'")
        for group in t.one_of:
            if not any(c in cols for c in group):
                raise IngestError(f"{path.name}: needs one of the columns {', '.join(map(repr, group))}")
        sources.append(Source(t, path, {c: cols[c] for c, _ in t.columns if c in cols}))
    return sources


TIME_FORMATS = "['%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y', '%Y/%m/%d %H:%M:%S', '%Y/%m/%d', '%d.%m.%Y']"


def _epoch(number: str) -> str:
    """Epoch seconds, or milliseconds when the number is too large to be seconds."""
    return (f"cast(to_timestamp(case when abs({number}) > 1e11 then {number} / 1000.0 "
            f"else {number} end) as timestamp)")


def _parse_text(text: str, typ: str) -> str:
    """Typed value from text, accepting the formats exports commonly use; null when unparseable."""
    if typ in ("timestamp", "date"):
        ts = (f"coalesce(try_cast(try_cast({text} as timestamptz) as timestamp), try_cast({text} as timestamp), "
              f"try_strptime({text}, {TIME_FORMATS}), "
              f"case when regexp_full_match({text}, '\\d{{9,13}}') then {_epoch(f'cast({text} as bigint)')} end)")
        return ts if typ == "timestamp" else f"cast({ts} as date)"
    if typ in ("double", "bigint", "integer"):
        clean = f"regexp_replace({text}, '[$€£,\\s]', '', 'g')"  # currency symbols and thousands separators
        if typ == "double":
            return f"try_cast({clean} as double)"
        return (f"case when try_cast({clean} as double) = floor(try_cast({clean} as double)) "
                f"then try_cast(try_cast({clean} as double) as {typ}) end")
    return f"try_cast({text} as {typ})"


def _typed(src: Source, col: str, typ: str, raw_types: dict[str, str]) -> tuple[str, str]:
    """(typed expression, raw-as-text expression) for one contract column."""
    if col not in src.columns:
        return f"cast(null as {typ})", "null"
    name = '"' + src.columns[col].replace('"', '""') + '"'
    raw = raw_types.get(col, "VARCHAR")
    if raw == "VARCHAR":
        text = f"nullif(trim({name}), '')"
        return _parse_text(text, typ), text
    if typ in ("timestamp", "date") and raw in ("BIGINT", "INTEGER", "DOUBLE", "HUGEINT", "UBIGINT"):
        ts = _epoch(name)
        return (ts if typ == "timestamp" else f"cast({ts} as date)"), f"cast({name} as varchar)"
    return f"try_cast({name} as {typ})", f"cast({name} as varchar)"


def _stage_sql(src: Source, raw_types: dict[str, str]) -> str:
    """One row per source row: typed contract columns, `_row`, and `_reason` when it is bad."""
    t = src.table
    typed = {c: _typed(src, c, typ, raw_types) for c, typ in t.columns}
    checks = []
    for c, _ in t.required:
        checks.append((f"{typed[c][1]} is null", f"'missing {c}'"))
    for c, _ in t.columns:
        checks.append((f"{typed[c][1]} is not null and {typed[c][0]} is null",
                       f"'unparseable {c}: ' || {typed[c][1]}"))
    for c in t.non_negative:
        checks.append((f"{typed[c][0]} < 0", f"'negative {c}: ' || {typed[c][1]}"))
    for a, b in t.ordered:
        checks.append((f"{typed[b][0]} < {typed[a][0]}", f"'{b} before {a}'"))
    if t.name != "accounts":
        checks.append((f"{typed['account_id'][0]} not in (select account_id from accounts)",
                       f"'unknown account: ' || {typed['account_id'][1]}"))
    if t.key:
        checks.append((f"row_number() over (partition by {typed[t.key][0]} order by _row) > 1",
                       f"'duplicate {t.key}: ' || {typed[t.key][1]}"))
    if t.name == "traits":  # a declared trait (traits.toml, registered as `trait_values`) takes its values
        trait, value = f"lower({typed['trait'][0]})", f"lower({typed['value'][0]})"
        checks.append((f"{trait} in (select trait from trait_values) and ({trait}, {value}) not in "
                       f"(select (trait, value) from trait_values)",
                       f"'invalid ' || {trait} || ' value: ' || {typed['value'][1]}"))
    reason = "case " + " ".join(f"when {w} then {r}" for w, r in checks) + " end"
    raw_json = "to_json(struct_pack(" + ", ".join(
        f'"{c}" := {typed[c][1]}' for c, _ in t.columns if c in src.columns) + "))"
    cols = ", ".join(f"{typed[c][0]} as {c}" for c, _ in t.columns)
    return (f"select _row, {cols}, {reason} as _reason, "
            f"case when ({reason}) is not null then {raw_json} end as _raw "
            f"from (select row_number() over () as _row, * from {_reader(src.path)})")


def _load(con: duckdb.DuckDBPyConnection, src: Source, run_id: str) -> tuple[int, int]:
    t = src.table
    cols = ", ".join(c for c, _ in t.columns)
    if src.path is None:
        ddl = ", ".join(f"{c} {typ}" for c, typ in t.columns)
        con.execute(f"create table {t.name} ({ddl})")
        return 0, 0
    raw_types = {c: r[1] for r in con.execute(f"describe select * from {_reader(src.path)}").fetchall()
                 for c, orig in src.columns.items() if orig == r[0]}
    con.execute(f"create temp table staged as {_stage_sql(src, raw_types)}")
    con.execute(f"create table {t.name} as select {cols} from staged where _reason is null")
    con.execute("insert into quarantine select ?, ?, _row, _reason, _raw from staged "
                "where _reason is not null", [run_id, src.path.name])
    good = con.execute(f"select count(*) from {t.name}").fetchall()[0][0]
    bad = con.execute("select count(*) from staged where _reason is not null").fetchall()[0][0]
    con.execute("drop table staged")
    if t.name == "contracts":  # one money column downstream: annual recurring revenue
        con.execute("update contracts set arr = mrr * 12 where arr is null and mrr is not null")
    return good, bad


def ingest(folder: Path, db: Path, progress=print,
           traits: tuple[TraitSpec, ...] | None = None) -> dict[str, tuple[int, int]]:
    """Load `folder` into a new warehouse and swap it in at `db`. Returns {table: (loaded, quarantined)}.
    Trait values are checked against `traits` (default: config/traits.toml)."""
    folder, db = Path(folder), Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.{os.getpid()}.building")
    tmp.unlink(missing_ok=True)
    run_id, started = uuid.uuid4().hex[:12], dt.datetime.now()
    summary: dict[str, tuple[int, int]] = {}
    try:
        con = connect(tmp)
        sources = discover(con, folder)
        _register_trait_values(con, load_traits() if traits is None else traits)
        _carry_history(con, db)
        ensure_history_tables(con)
        con.execute("create table quarantine (run_id varchar, file varchar, row_number bigint, "
                    "reason varchar, row_json varchar)")
        con.execute("create table source_columns (table_name varchar, column_name varchar, "
                    "present boolean, file varchar)")
        for src in sources:
            t0 = time.perf_counter()
            summary[src.table.name] = _load(con, src, run_id)
            for c, _ in src.table.columns:
                con.execute("insert into source_columns values (?, ?, ?, ?)",
                            [src.table.name, c, src.path is not None and c in src.columns,
                             src.path.name if src.path else None])
            good, bad = summary[src.table.name]
            note = "absent (optional)" if src.path is None else f"{good:,} rows loaded, {bad:,} quarantined"
            progress(f"  {src.table.name:<12} {note}  ({time.perf_counter() - t0:.1f}s)")
        con.execute("insert into ingest_runs values (?, ?, ?, ?, ?, ?)",
                    [run_id, started, dt.datetime.now(), str(folder.resolve()),
                     sum(g for g, _ in summary.values()), sum(b for _, b in summary.values())])
        con.close()
        os.replace(tmp, db)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return summary


def _register_trait_values(con: duckdb.DuckDBPyConnection, traits: tuple[TraitSpec, ...]) -> None:
    """Temporary table `trait_values` (trait, value): every accepted spelling of each declared trait."""
    con.execute("create or replace temp table trait_values (trait varchar, value varchar)")
    rows = [[name, value] for t in traits for name, value, _ in t.score_rows()]
    if rows:
        con.executemany("insert into trait_values values (?, ?)", rows)


def _carry_history(con: duckdb.DuckDBPyConnection, old: Path) -> None:
    if not old.exists():
        return
    con.execute(f"attach {_sql_str(old)} as old (read_only)")
    have = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = 'old'").fetchall()}
    for name in HISTORY_TABLES:
        if name in have:
            con.execute(f"create table {name} as select * from old.{name}")
    con.execute("detach old")
