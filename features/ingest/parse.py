"""SQL expressions that turn a file's raw column into the contract's type, or into null when the
value cannot be read without guessing (the row is then quarantined as unparseable).

- Text numbers: `12000.50`, `12,000.50`, `$12,000.50`, `12.000,50`, `12000,5`. A number that reads
  both ways (`1,234`, `1.234`) follows the file's own convention, which the file's unambiguous
  numbers show; in a file that shows both it is quarantined. Never misread.
- Text times: ISO 8601 (an offset is converted to UTC), `MM/DD/YYYY`, `YYYY/MM/DD`, `DD.MM.YYYY`
  (with optional times) and epoch seconds or milliseconds.
- Ids are text: an integer id keeps its digits (7 -> "7"), zero-padded only when configured.
"""
from __future__ import annotations

from dataclasses import dataclass

NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
           "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL")
INTEGRAL = NUMERIC[:10]
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
               "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M")  # no offset: read fast, as UTC
TIME_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d",
                "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")

# number shapes, for regexp_full_match on a value stripped of currency signs and spaces
PLAIN = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"  # 12000.50, 1e6
INTEGER = r"[+-]?\d+([eE][+-]?\d+)?"
NON_FINITE = r"(?i)[+-]?(nan|inf|infinity)"  # read, then quarantined as not finite
COMMA_GROUPS = r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"  # 12,000.50
DOT_GROUPS = r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?"  # 12.000,50
COMMA_DECIMAL = r"[+-]?\d*,\d+"  # 12000,5
AMBIGUOUS = r"[+-]?[1-9]\d{0,2}[.,]\d{3}"  # 1,234 and 1.234: thousands or decimals?
STRIP = "[\\s\u00a0\u202f$€£¥'\u2019]"  # currency signs, spaces (also non-breaking), apostrophes (1'000)


def is_numeric(raw_type: str) -> bool:
    return raw_type.upper().startswith(NUMERIC + ("DECIMAL",))


def is_integral(raw_type: str) -> bool:
    return raw_type.upper() in INTEGRAL


def q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def text_of(col: str) -> str:
    """A text column's value without surrounding spaces, null when empty (trimming only the values
    that need it: most do not, and trimming copies)."""
    return f"nullif(case when starts_with({col}, ' ') or ends_with({col}, ' ') then trim({col}) else {col} end, '')"


def full(text: str, pattern: str) -> str:
    return f"regexp_full_match({text}, {q(pattern)})"


def number_text(text: str) -> str:
    """The value with currency signs and grouping spaces removed."""
    return f"regexp_replace({text}, {q(STRIP)}, '', 'g')"


def number_evidence(text: str) -> tuple[str, str]:
    """(shows `.` as the decimal point, shows `,` as the decimal comma), as SQL booleans."""
    c = number_text(text)
    point = f"(not {full(c, AMBIGUOUS)} and (({full(c, PLAIN)} and contains({c}, '.')) or {full(c, COMMA_GROUPS)}))"
    comma = f"(not {full(c, AMBIGUOUS)} and ({full(c, DOT_GROUPS)} or {full(c, COMMA_DECIMAL)}))"
    return point, comma


def parse_number(text: str, style: str) -> str:
    """Double from text. `style` is the file's decimal separator: ".", "," or "mixed" (the file
    shows both: unambiguous numbers read by their shape, ambiguous ones give null)."""
    c = number_text(text)
    as_point = f"try_cast(replace({c}, ',', '') as double)"
    as_comma = f"try_cast(replace(replace({c}, '.', ''), ',', '.') as double)"
    plain = f"try_cast({c} as double)"
    if style == ".":
        arms = [(f"{full(c, PLAIN)} or {full(c, NON_FINITE)}", plain), (full(c, COMMA_GROUPS), as_point)]
        fast = f"try_cast({text} as double)"  # what DuckDB reads as a number reads the same here
    elif style == ",":
        arms = [(f"{full(c, INTEGER)} or {full(c, NON_FINITE)}", plain),
                (f"{full(c, DOT_GROUPS)} or {full(c, COMMA_DECIMAL)}", as_comma)]
        fast = f"case when not contains({text}, '.') then try_cast({text} as double) end"
    else:
        arms = [(full(c, AMBIGUOUS), "null"), (f"{full(c, PLAIN)} or {full(c, NON_FINITE)}", plain),
                (full(c, COMMA_GROUPS), as_point), (f"{full(c, DOT_GROUPS)} or {full(c, COMMA_DECIMAL)}", as_comma)]
        return "case " + " ".join(f"when {w} then {v}" for w, v in arms) + " end"
    return f"coalesce({fast}, case " + " ".join(f"when {w} then {v}" for w, v in arms) + " end)"


def epoch(number: str) -> str:
    """Epoch seconds, or milliseconds when the number is too large to be seconds."""
    return (f"cast(to_timestamp(case when abs({number}) > 1e11 then {number} / 1000.0 "
            f"else {number} end) as timestamp)")


def parse_time(text: str) -> str:
    iso = "[" + ", ".join(q(f) for f in ISO_FORMATS) + "]"
    formats = "[" + ", ".join(q(f) for f in TIME_FORMATS) + "]"
    return (f"coalesce(try_strptime({text}, {iso}), "
            f"try_cast(try_cast({text} as timestamptz) as timestamp), try_cast({text} as timestamp), "
            f"try_strptime({text}, {formats}), "
            f"case when regexp_full_match({text}, '\\d{{9,13}}') then {epoch(f'cast({text} as bigint)')} end)")


@dataclass(frozen=True)
class Column:
    """How to read one contract column from one file."""
    name: str  # contract name
    sql: str  # the file's column, as SQL
    raw_type: str  # its DuckDB type in the file
    typ: str  # the contract's type
    number_style: str = "."
    id_digits: int = 0  # zero-pad integer ids to this many digits (0: as they are)

    @property
    def same_as_text(self) -> bool:
        """The value is the raw text itself (a text column read from text)."""
        return self.raw_type == "VARCHAR" and self.typ == "varchar"

    @property
    def text(self) -> str:
        """The raw value as text, null when empty: what the checks and the quarantine see."""
        if self.raw_type == "VARCHAR":
            return text_of(self.sql)
        return f"cast({self.sql} as varchar)"

    @property
    def value(self) -> str:
        """The value in the contract's type (a double for whole-number columns: `whole` checks it,
        `final` casts it); null where `text` is null or cannot be read."""
        typ, raw, col = self.typ, self.raw_type.upper(), self.sql
        if raw == "VARCHAR":
            if typ in ("timestamp", "date"):
                ts = parse_time(self.text)
                return ts if typ == "timestamp" else f"cast({ts} as date)"
            if typ in ("double", "bigint", "integer"):
                return parse_number(self.text, self.number_style)
            return self.text
        if typ == "varchar":
            if is_integral(raw):
                digits = f"cast({col} as varchar)"
                return digits if not self.id_digits else (
                    f"case when {col} >= 0 and length({digits}) < {self.id_digits} "
                    f"then lpad({digits}, {self.id_digits}, '0') else {digits} end")
            if is_numeric(raw):  # a whole float (an integer column with gaps, via pandas) -> digits
                return (f"case when isfinite({col}) and {col} = floor({col}) "
                        f"then cast(cast({col} as hugeint) as varchar) end")
            return f"cast({col} as varchar)"
        if typ in ("timestamp", "date"):
            ts = epoch(col) if is_numeric(raw) else f"try_cast({col} as timestamp)"
            return ts if typ == "timestamp" else f"cast({ts} as date)"
        if typ in ("double", "bigint", "integer"):
            return f"try_cast({col} as double)"
        return f"try_cast({col} as {typ})"

    def whole(self, value: str) -> str | None:
        """SQL true when `value` (this column's `value`) fits a whole-number column; None for others."""
        limit = {"integer": "2147483647", "bigint": "9.2e18"}.get(self.typ)
        return None if limit is None else f"({value} = floor({value}) and abs({value}) <= {limit})"

    def final(self, value: str) -> str:
        return f"cast({value} as {self.typ})" if self.typ in ("bigint", "integer") else value
