"""Load one source file into its warehouse table: every row either loads with the contract's types
or goes to `quarantine` with the first reason it fails (checks in the order of `checks`).

A Parquet file is read twice (cheap): the good rows into the table, the bad ones into quarantine.
A CSV file is read once, typed and checked into a temp table (parsing text is the cost), then split.
Nothing is dropped on the way: a table's loaded plus quarantined rows are the rows in its file.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from features import contract
from features.ingest import parse, readers
from features.ingest.parse import Column
from features.ingest.readers import Source, ident
from features.ingest.settings import IngestSettings


@dataclass(frozen=True)
class Bounds:
    """The plausible time range: nothing before `floor`; no event at or after `cutoff`; no other
    row that happened (contract.Table.happened) on a day after `data_end`."""
    floor: dt.date
    cutoff: dt.datetime
    cutoff_label: str  # why the cutoff: "after the export (...)" or "after --data-end ..."
    data_end: dt.date | None = None  # known once the events are loaded (or given)


@dataclass(frozen=True)
class Check:
    when: str  # SQL condition on the typed row
    kind: str  # SQL text for the reason, without the value (what the counts group by)
    value: str = "null"  # SQL text for the offending value


def _lit(text: str) -> str:
    return parse.q(text)


def number_style(con: duckdb.DuckDBPyConnection, rel: str, texts: list[str], settings: IngestSettings,
                 delimiter: str | None = None) -> str:
    """The file's decimal separator: the configured one, or what the unambiguous numbers among
    `texts` (SQL text of its numeric columns, in relation `rel`) show: ".", "," or "mixed" (whose
    ambiguous numbers are quarantined). A semicolon-delimited file (the usual export where the
    decimal separator is a comma) showing neither, but holding numbers like 35.644, is "mixed":
    thousands or decimals cannot be told, and a guess would be 1000 times off."""
    if settings.decimal_separator != "auto":
        return settings.decimal_separator
    if not texts:
        return "."
    evidence = [parse.number_evidence(t) for t in texts]
    maybe = " or ".join(f"(contains({t}, ',') or {t} like '%.%.%')" for t in texts)  # cheap filter first
    comma = " or ".join(c for _, c in evidence)
    point = " or ".join(p for p, _ in evidence)
    if not con.execute(f"select exists (select 1 from {rel} where ({maybe}) and ({comma}))").fetchall()[0][0]:
        if delimiter != ";" or con.execute(f"select exists (select 1 from {rel} where {point})").fetchall()[0][0]:
            return "."
        ambiguous = " or ".join(parse.full(parse.number_text(t), parse.AMBIGUOUS) for t in texts)
        return "mixed" if con.execute(f"select exists (select 1 from {rel} where {ambiguous})").fetchall()[0][0] else "."
    return "mixed" if con.execute(f"select exists (select 1 from {rel} where {point})").fetchall()[0][0] else ","


def numeric_texts(src: Source, cols: dict[str, str]) -> list[str]:
    """SQL text of the columns holding numbers as text (CSV, or text columns in Parquet)."""
    return [parse.text_of(cols[c]) for c, typ in src.table.columns
            if c in cols and src.raw_types[c] == "VARCHAR" and typ in ("double", "bigint", "integer")]


def columns(src: Source, cols: dict[str, str], style: str, settings: IngestSettings) -> dict[str, Column]:
    return {c: Column(c, cols[c], src.raw_types[c], typ, style,
                      settings.integer_id_digits if c in contract.ID_COLUMNS else 0)
            for c, typ in src.table.columns if c in cols}


def checks(src: Source, cols: dict[str, Column], bounds: Bounds) -> list[Check]:
    """Every reason a row of this table is quarantined, in the order they are tried."""
    t = src.table
    v = {c: f"v_{c}" for c in cols}
    txt = {c: text_column(c, col) for c, col in cols.items()}
    out: list[Check] = []
    for c, _ in t.required:
        if c not in t.may_be_empty:
            out.append(Check(f"{txt[c]} is null", _lit(f"missing {c}")))
    for group in t.one_of:
        present = [c for c in group if c in cols]
        out.append(Check(" and ".join(f"{txt[c]} is null" for c in present), _lit(f"missing {' or '.join(present)}")))
    for c, col in cols.items():
        if col.same_as_text:  # text read as text always parses
            continue
        kind = _lit(f"unparseable {c}")
        if col.number_style == "mixed" and col.raw_type == "VARCHAR" and col.typ in ("double", "bigint", "integer"):
            ambiguous = parse.full(parse.number_text(txt[c]), parse.AMBIGUOUS)
            kind = f"case when {ambiguous} then {_lit(f'ambiguous decimal separator in {c}')} else {kind} end"
        out.append(Check(f"{txt[c]} is not null and {v[c]} is null", kind, txt[c]))
    for c, col in cols.items():
        if col.typ in ("double", "bigint", "integer"):
            out.append(Check(f"not isfinite({v[c]})", _lit(f"{c} is not a finite number"), txt[c]))
        whole = col.whole(v[c])
        if whole:
            out.append(Check(f"not {whole}", _lit(f"unparseable {c}"), txt[c]))
    for c in t.non_negative:
        if c in cols:
            out.append(Check(f"{v[c]} < 0", _lit(f"negative {c}"), txt[c]))
    for c, col in cols.items():
        if col.typ in ("timestamp", "date"):
            out.append(Check(f"{v[c]} < $floor", _lit(f"{c} before {bounds.floor}"), txt[c]))
    for c in t.happened:
        if c not in cols:
            continue
        if t.name == contract.EVENTS:
            out.append(Check(f"{v[c]} >= $cutoff", _lit(f"{c} {bounds.cutoff_label}"), txt[c]))
        else:
            out.append(Check(f"cast({v[c]} as date) > $data_end", _lit(f"{c} after the data end ({bounds.data_end})"), txt[c]))
    for a, b in t.ordered:
        if a in cols and b in cols:
            out.append(Check(f"{v[b]} < {v[a]}", _lit(f"{b} before {a}")))
    if t.name != "accounts":
        out.append(Check(f"{v['account_id']} not in (select account_id from accounts)", _lit("unknown account"),
                         txt["account_id"]))
    if t.name == "traits":  # a declared trait (traits.toml, registered as `trait_values`) takes its values
        trait, value = f"lower({v['trait']})", f"lower({v['value']})"
        out.append(Check(f"{trait} in (select trait from trait_values) and ({trait}, {value}) not in "
                         f"(select (trait, value) from trait_values)",
                         f"'invalid ' || {trait} || ' value'", txt["value"]))
    return out


def text_column(name: str, col: Column) -> str:
    """The staged column holding `name`'s raw text: v_<name> itself when the value is that text."""
    return f"v_{name}" if col.same_as_text else f"t_{name}"


def stage_sql(src: Source, rel: str, cols: dict[str, Column], bounds: Bounds) -> str:
    """One row per file row: _row, v_<col> (typed), t_<col> (the text, where it differs from v_),
    and for a bad row its reason without the value (_kind), the value (_value) and the row as JSON
    text (_raw); all three are null for a good row."""
    typed = ", ".join(f"{c.value} as v_{n}" + ("" if c.same_as_text else f", {c.text} as t_{n}")
                      for n, c in cols.items())
    cs = checks(src, cols, bounds)
    which = "case " + " ".join(f"when {c.when} then {i}" for i, c in enumerate(cs)) + " end"
    kind = "case _check " + " ".join(f"when {i} then {c.kind}" for i, c in enumerate(cs)) + " end"
    value = "case _check " + " ".join(f"when {i} then {c.value}" for i, c in enumerate(cs)) + " end"
    raw = "to_json(struct_pack(" + ", ".join(f'"{n}" := {text_column(n, c)}' for n, c in cols.items()) + "))"
    checked = f"select *, {which} as _check from (select _row, {typed} from {rel}) as typed"
    key = src.table.key
    if key is None:
        bad, kind_sql, value_sql = "_check is not null", kind, value
    else:  # the first good row with an id loads; later good rows with it are duplicates
        bad = "(_check is not null or _duplicate)"
        kind_sql = f"case when _duplicate then {_lit(f'duplicate {key}')} else {kind} end"
        value_sql = f"case when _duplicate then {text_column(key, cols[key])} else {value} end"
        checked = (f"select *, _check is null and row_number() over (partition by v_{key}, _check is null "
                   f"order by _row) > 1 as _duplicate from ({checked}) as checked")
    return (f"select * exclude (_check{', _duplicate' if key else ''}), "
            f"case when {bad} then {kind_sql} end as _kind, case when {bad} then {value_sql} end as _value, "
            f"case when {bad} then {raw} end as _raw from ({checked}) as checked")


def finals(src: Source, cols: dict[str, Column]) -> str:
    """The table's columns from the staged row, in the contract's order and types."""
    out = []
    for c, typ in src.table.columns:
        value = cols[c].final(f"v_{c}") if c in cols else f"cast(null as {typ})"
        if src.table.name == "contracts" and c == "arr" and "mrr" in cols:
            value = f"coalesce({value}, v_mrr * 12)"  # one money column downstream: annual revenue
        out.append(f"{value} as {c}")
    return ", ".join(out)


def params(bounds: Bounds, sql: str, **extra) -> dict:
    """The bound values `sql` uses."""
    values = {"floor": bounds.floor, "cutoff": bounds.cutoff, "data_end": bounds.data_end} | extra
    return {k: v for k, v in values.items() if f"${k}" in sql}


def load(con: duckdb.DuckDBPyConnection, src: Source, run_id: str, settings: IngestSettings,
         bounds: Bounds, progress=print) -> tuple[int, int]:
    """Create the table for `src` and quarantine its bad rows. Returns (loaded, quarantined)."""
    t = src.table
    if src.path is None:
        con.execute(f"create table {t.name} ({', '.join(f'{c} {typ}' for c, typ in t.columns)})")
        return 0, 0
    if src.dialect is None:
        staged, cols, rejected = _stage_parquet(con, src, settings, bounds)
    else:
        staged, cols, rejected = _stage_csv(con, src, settings, bounds, progress)
    order = " order by _row" if t.key else ""  # the duplicate check's window reorders rows; keep the file's
    sql = f"create table {t.name} as select {finals(src, cols)} from {staged} where _kind is null{order}"
    readers.reading(src, lambda: con.execute(sql, params(bounds, sql)))
    where = {"run_id": run_id, "table_name": t.name, "file": src.file}
    sql = (f"insert into quarantine select $run_id, $table_name, $file, _row, _kind, "
           f"_kind || coalesce(': ' || _value, ''), _raw from {staged} where _kind is not null")
    con.execute(sql, params(bounds, sql, **where))
    if rejected:
        con.execute(f"insert into quarantine select $run_id, $table_name, $file, row_number, kind, "
                    f"kind || ': ' || detail, to_json(struct_pack(line := text)) from {rejected}", where)
        con.execute(f"drop table {rejected}")
    if src.dialect is not None:
        con.execute(f"drop table {staged}")
    good = con.execute(f"select count(*) from {t.name}").fetchall()[0][0]
    bad = con.execute("select count(*) from quarantine where run_id = ? and table_name = ?", [run_id, t.name]).fetchall()[0][0]
    return good, bad


def _stage_parquet(con, src: Source, settings: IngestSettings, bounds: Bounds) -> tuple[str, dict[str, Column], None]:
    """The staging query over the file itself: reading Parquet twice costs less than keeping a copy."""
    rel = (f"(select file_row_number + 1 as _row, * "
           f"from read_parquet({parse.q(str(src.path))}, file_row_number = true))")
    raw = {c: ident(n) for c, n in src.columns.items()}
    style = number_style(con, rel, numeric_texts(src, raw), settings)
    cols = columns(src, raw, style, settings)
    return f"({stage_sql(src, rel, cols, bounds)}) as staged", cols, None


def _stage_csv(con, src: Source, settings: IngestSettings, bounds: Bounds, progress) -> tuple[str, dict[str, Column], str | None]:
    """Read, type and check the file once into temp table `staged_<table>`; the rows the reader
    could not split go to temp table `<table>_rejected`."""
    t = src.table.name
    staged, errors, rejected = f"staged_{t}", f"{t}_errors", f"{t}_rejected"
    style = "." if settings.decimal_separator == "auto" else settings.decimal_separator

    def build(rel: str, raw: dict[str, str], style: str) -> dict[str, Column]:
        cols = columns(src, raw, style, settings)
        sql = f"create or replace temp table {staged} as {stage_sql(src, rel, cols, bounds)}"
        readers.reading(src, lambda: con.execute(sql, params(bounds, sql)))
        return cols

    raw = readers.raw_columns(src)
    cols = build(readers.csv_rows(src, src.dialect.encoding, settings.max_line_bytes, errors), raw, style)
    any_rejected = readers.collect_rejects(con, src, errors, rejected, settings.max_line_bytes)
    if (src.dialect.encoding == "utf-8" and any_rejected and readers.has_kind(con, rejected, "not UTF-8 text")
            and not readers.has_non_ascii(con, staged, [text_column(c, col) for c, col in cols.items()])):
        # bytes that are not UTF-8 and no valid multi-byte character anywhere: a single-byte file
        progress(f"  note: {src.file} is not UTF-8; read as Windows-1252 (Latin-1)")
        with tempfile.TemporaryDirectory() as tmp:
            utf8 = replace(src, path=readers.single_byte_as_utf8(src.path, Path(tmp) / src.path.name))
            cols = build(readers.csv_rows(utf8, "utf-8", settings.max_line_bytes, errors), raw, style)
        any_rejected = readers.collect_rejects(con, src, errors, rejected, settings.max_line_bytes)
    found = number_style(con, staged, numeric_texts(src, {c: text_column(c, col) for c, col in cols.items()}), settings,
                         src.dialect.delimiter)
    if found != style:  # the file writes decimal commas: read its numbers again, from the text kept
        again = f"(select _row, {', '.join(f'{text_column(c, col)} as r_{c}' for c, col in cols.items())} from {staged}_text)"
        con.execute(f"alter table {staged} rename to {staged}_text")
        cols = build(again, {c: f"r_{c}" for c in cols}, found)
        con.execute(f"drop table {staged}_text")
    if any_rejected:
        readers.renumber(con, staged, rejected)
    return staged, cols, rejected if any_rejected else None
