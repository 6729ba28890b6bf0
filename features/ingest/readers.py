"""Find each contract table's file in a source folder and read it with DuckDB's own readers.

CSV is read with one dialect for the whole file, decided before reading rather than guessed from its
first rows: RFC 4180 quoting (a quoted value may hold the delimiter, a doubled quote or a line
break) is always allowed, the delimiter and the column names come from the header line (after any `#` comment lines), and the encoding is UTF-8
unless the file says otherwise (a UTF-16 byte-order mark) or turns out to be single-byte (read as
Windows-1252, which covers Latin-1 text).
Rows the reader cannot split (too many or too few fields, an unterminated quote, a line over the
size limit, bytes that are not UTF-8) are kept by DuckDB (`store_rejects`) and go to quarantine.
"""
from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from features import contract
from features.contract import Table


class IngestError(Exception):
    """Input the contract cannot accept at all: a missing file or column, a file that cannot be
    read. The message is one line naming the file. Exit status 2."""


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    skip: int  # lines before the header: comments and blank lines
    encoding: str  # as DuckDB names it: utf-8, utf-16 or latin-1
    names: tuple[str, ...]  # the header's column names, as written


@dataclass(frozen=True)
class Source:
    table: Table
    path: Path | None
    columns: dict[str, str]  # contract column -> column name in the file
    raw_types: dict[str, str]  # contract column -> its DuckDB type in the file (VARCHAR for CSV)
    dialect: CsvDialect | None = None
    unused: tuple[str, ...] = ()  # the file's columns the contract does not read

    def respelled(self) -> dict[str, str]:
        """{contract column: the file's header for it} where the header spells it another way."""
        return {c: n for c, n in self.columns.items() if n.strip().lower() != c}

    @property
    def file(self) -> str | None:
        return self.path.name if self.path else None


def sql_str(s: object) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def discover(con: duckdb.DuckDBPyConnection, folder: Path, max_line_bytes: int) -> list[Source]:
    """Each contract table's file, dialect and column mapping; IngestError on what is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IngestError(f"{folder}: no such folder")
    sources = []
    for t in contract.TABLES:
        found = [p for p in (folder / f"{t.name}.csv", folder / f"{t.name}.parquet") if p.exists()]
        if len(found) > 1:
            raise IngestError(f"{found[0]} and {found[1].name} are both there: keep one file per table")
        if not found:
            if t.is_required:
                raise IngestError(f"{folder / (t.name + '.csv')}: missing required file "
                                  f"(expected {t.name}.csv or {t.name}.parquet)")
            sources.append(Source(t, None, {}, {}))
            continue
        path = found[0]
        if not path.is_file():
            raise IngestError(f"{path}: is not a file")
        if path.suffix == ".csv":
            dialect = sniff_csv(path, max_line_bytes)
            names, types = dialect.names, ["VARCHAR"] * len(dialect.names)
        else:
            dialect = None
            names, types = _parquet_schema(con, path)
        sources.append(_map_columns(t, path, names, types, dialect))
    return sources


def loose(name: str) -> str:
    """A header as another export might spell it: 'User ID', 'userId', 'user-id' -> 'userid'."""
    return re.sub(r"[^0-9a-z]", "", name.strip().lower())


def _map_columns(t: Table, path: Path, names, types, dialect: CsvDialect | None) -> Source:
    by_lower: dict[str, tuple[str, str]] = {}
    for n, typ in zip(names, types):
        key = n.strip().lower()
        if key in by_lower and key:
            raise IngestError(f"{path.name}: column '{key}' appears twice in the header")
        by_lower[key] = (n, typ)
    # a contract column the header spells another way ('userId', 'Account ID') is read as itself,
    # when exactly one header column spells it so and none has its own name
    by_loose: dict[str, list[str]] = {}
    for key in by_lower:
        by_loose.setdefault(loose(key), []).append(key)
    for col, _ in t.columns:
        spelled = by_loose.get(loose(col), [])
        if col not in by_lower and len(spelled) == 1 and spelled[0] not in {c for c, _ in t.columns}:
            by_lower[col] = by_lower[spelled[0]]
    for col, _ in t.required:
        if col not in by_lower:
            raise IngestError(f"{path.name}: missing required column '{col}' "
                              f"(the header has {', '.join(repr(n[:40]) for n in names[:12])})")
    for group in t.one_of:
        if not any(c in by_lower for c in group):
            raise IngestError(f"{path.name}: needs one of the columns {', '.join(map(repr, group))}")
    cols = {c: by_lower[c][0] for c, _ in t.columns if c in by_lower}
    used = set(cols.values())
    return Source(t, path, cols, {c: by_lower[c][1] for c in cols}, dialect,
                  tuple(n for n in names if n not in used and n.strip()))


def _parquet_schema(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], list[str]]:
    try:
        rows = con.execute(f"describe select * from read_parquet({sql_str(path)})").fetchall()
    except duckdb.Error as e:
        raise IngestError(f"{path.name}: cannot be read as Parquet ({_first_line(e)})") from None
    return [r[0] for r in rows], [r[1] for r in rows]


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


# ---------------------------------------------------------------------------------------- CSV

DELIMITERS = (",", ";", "\t", "|")
_NEWLINE = re.compile(r"\r\n|\n|\r")
PEEK_BYTES = 65_536
MAGIC = {b"PK\x03\x04": "a zip file (an Excel workbook?)", b"PAR1": "a Parquet file",
         b"\xd0\xcf\x11\xe0": "an old Excel workbook", b"\x1f\x8b": "gzip-compressed"}


def sniff_csv(path: Path, max_line_bytes: int) -> CsvDialect:
    """The dialect from the file's first lines: byte-order mark, comment lines, header, delimiter."""
    with open(path, "rb") as f:
        head = f.read(PEEK_BYTES)
        while len(head) < PEEK_BYTES + max_line_bytes and not _has_header_line(head):
            more = f.read(PEEK_BYTES)
            if not more:
                break
            head += more
    if not head.strip():
        raise IngestError(f"{path.name}: the file is empty (no header line)")
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            raise IngestError(f"{path.name}: is {what}, not CSV; export it as CSV (or name it .parquet if it is one)")
    encoding, text = _decode_head(head)
    parts = _NEWLINE.split(text)
    ends = _NEWLINE.findall(text)
    skip = 0
    while skip < len(parts) - 1 and (not parts[skip].strip() or parts[skip].lstrip().startswith("#")):
        skip += 1
    header = parts[skip]
    if skip and len(set(ends[:skip + 1])) > 1:  # DuckDB's reader cannot skip lines ended differently
        raise IngestError(f"{path.name}: the {skip} line(s) before the header end in "
                          f"{_nl_name(ends[0])} but the header in {_nl_name(ends[skip])}; "
                          "save the file with one kind of line ending")
    if not header.strip():
        raise IngestError(f"{path.name}: no header line found")
    delimiter = max(DELIMITERS, key=lambda d: _count_outside_quotes(header, d))
    names = next(csv.reader([header], delimiter=delimiter, quotechar='"'))
    names = tuple(n.strip() or f"column_{i + 1}" for i, n in enumerate(names))
    return CsvDialect(delimiter, skip, encoding, names)


def _has_header_line(head: bytes) -> bool:
    for line in head.splitlines()[:-1]:  # the last piece may be cut short
        if line.strip(b"\xef\xbb\xbf\xff\xfe\x00 \t") and not line.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t").startswith(b"#"):
            return True
    return False


def _decode_head(head: bytes) -> tuple[str, str]:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", head[:len(head) // 2 * 2].decode("utf-16", errors="replace")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        return "utf-8", head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 3:  # a character cut by the peek
            return "utf-8", head[:e.start].decode("utf-8")
        return "utf-8", head.decode("latin-1")  # decided for the whole file when it is read


def _nl_name(nl: str) -> str:
    return {"\r\n": "CRLF", "\n": "LF", "\r": "CR"}[nl]


def _count_outside_quotes(line: str, ch: str) -> int:
    n, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            n += 1
    return n


REJECT_KINDS = {  # DuckDB's error type -> the quarantine reason
    "MISSING COLUMNS": "too few fields",
    "TOO MANY COLUMNS": "too many fields",
    "UNQUOTED VALUE": "unterminated or stray quote",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID ENCODING": "not UTF-8 text",
    "INVALID UNICODE": "not UTF-8 text",
}
RAW_TEXT_CHARS = 2_000  # of a rejected line kept in quarantine


def raw_columns(src: Source) -> dict[str, str]:
    """Contract column -> its column in `csv_rows` (c0, c1, ... in the header's order)."""
    position = {n: i for i, n in enumerate(src.dialect.names)}
    return {c: f"c{position[name]}" for c, name in src.columns.items()}


def _latin1_for_undefined(e: UnicodeDecodeError):
    return e.object[e.start:e.end].decode("latin-1"), e.end


codecs.register_error("radar_latin1", _latin1_for_undefined)


def single_byte_as_utf8(path: Path, out: Path, chunk: int = 1 << 24) -> Path:
    """Write `path`, a single-byte file, to `out` as UTF-8: as Windows-1252 (what Excel on Windows
    writes; ISO Latin-1 text reads the same, its 0x80-0x9F control codes aside), the five bytes
    Windows-1252 leaves undefined as Latin-1. Byte for byte, so lines and rows keep their numbers."""
    with open(path, "rb") as f, open(out, "w", encoding="utf-8", newline="") as w:
        while block := f.read(chunk):
            w.write(block.decode("cp1252", errors="radar_latin1"))
    return out


def csv_rows(src: Source, encoding: str, max_line_bytes: int, errors: str) -> str:
    """SQL relation of the file's rows: `_row` (1 = the first row after the header, counting the
    rows read) and c0, c1, ... as text. Rows that do not split go to temp table `errors`."""
    d = src.dialect
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(d.names))) + "}"
    reader = (f"read_csv({sql_str(src.path)}, auto_detect = false, header = true, skip = {d.skip}, "
              f"delim = {sql_str(d.delimiter)}, quote = '\"', escape = '\"', columns = {columns}, "
              f"encoding = {sql_str(encoding)}, max_line_size = {int(max_line_bytes)}, strict_mode = true, "
              f"store_rejects = true, rejects_table = {sql_str(errors)}, rejects_scan = {sql_str(errors + '_scans')})")
    return f"(select row_number() over () as _row, * from {reader})"


def reading(src: Source, run):
    """Run `run()` (which reads the file), turning the reader's errors into one IngestError line."""
    try:
        return run()
    except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as e:
        if src.dialect is None:
            raise IngestError(f"{src.file}: cannot be read as Parquet ({_first_line(e)})") from None
        raise IngestError(f"{src.file}: cannot be read as CSV ({_csv_hint(e)})") from None


def collect_rejects(con: duckdb.DuckDBPyConnection, src: Source, errors: str, rejected: str,
                    max_line_bytes: int) -> bool:
    """Temp table `rejected` (row_number, kind, detail, text): one row per row the reader could
    not split, from DuckDB's `errors` table. Returns whether there is any."""
    kinds = " ".join(f"when {sql_str(k)} then {sql_str(v)}" for k, v in REJECT_KINDS.items())
    con.execute(f"""create or replace temp table {rejected} as
        select line - 1 - {src.dialect.skip} as row_number,
               case error_type {kinds} else lower(error_type) end as kind,
               case when error_type = 'LINE SIZE OVER MAXIMUM'
                      then format('{{:,}} bytes, more than max_line_bytes = {max_line_bytes:,} (config/ingest.toml)',
                                  try_cast(regexp_extract(error_message, 'Actual Size:\\s*(\\d+)', 1) as bigint))
                    when error_type in ('MISSING COLUMNS', 'TOO MANY COLUMNS')
                      then regexp_extract(error_message, 'Found: (\\d+)', 1) || ' fields where the header has '
                           || regexp_extract(error_message, 'Expected Number of Columns: (\\d+)', 1)
                    when error_type = 'UNQUOTED VALUE'
                      then 'a quoted value must end with a quote right before the delimiter or line end'
                    when error_type in ('INVALID ENCODING', 'INVALID UNICODE')
                      then 'bytes that are not UTF-8, in a file that is UTF-8 elsewhere'
                    else error_message end as detail,
               trim(left(csv_line, {RAW_TEXT_CHARS}), chr(10) || chr(13)) as text
        from (select line, arg_min(error_type, coalesce(column_idx, 0)) as error_type,
                     arg_min(error_message, coalesce(column_idx, 0)) as error_message,
                     arg_min(csv_line, coalesce(column_idx, 0)) as csv_line
              from {errors} group by line)
        order by line""")
    for t in (errors, errors + "_scans"):
        con.execute(f"drop table if exists {t}")
    return con.execute(f"select exists (select 1 from {rejected})").fetchall()[0][0]


def has_kind(con: duckdb.DuckDBPyConnection, rejected: str, kind: str) -> bool:
    return con.execute(f"select exists (select 1 from {rejected} where kind = ?)", [kind]).fetchall()[0][0]


def renumber(con: duckdb.DuckDBPyConnection, table: str, rejected: str) -> None:
    """Give the rows of `table` their number in the file, counting the rejected rows between them
    (the reader numbered only the rows it read)."""
    con.execute(f"""create or replace temp table {table} as
        with skipped as (
            select row_number as r, row_number() over (order by row_number) as i
            from (select distinct row_number from {rejected} where row_number is not null)),
        shifts as (select r - i as below, max(i) as i from skipped group by all)
        select t.* replace (t._row + coalesce(s.i, 0) as _row)
        from {table} as t asof left join shifts as s on t._row > s.below
        order by t._row""")


def has_non_ascii(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> bool:
    return con.execute(f"select exists (select 1 from {table} "
                       f"where regexp_matches(concat_ws('', {', '.join(columns)}), '[^\\x01-\\x7f]'))").fetchall()[0][0]


def _csv_hint(e: duckdb.Error) -> str:
    text = str(e)
    if "invalid state" in text:
        return "it mixes line endings (CRLF and LF) or has a stray quote; save it again as CSV"
    return _first_line(e)
