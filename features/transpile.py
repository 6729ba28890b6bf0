"""The feature SQL in Spark's dialect: one source of truth (DuckDB's, the files under sql/),
transpiled by sqlglot when a Spark run starts. Bound parameters `$name` become Spark's named
markers `:name`, passed as `args`.

Writing SQL both engines read alike: cast to double before dividing or averaging (a literal such
as `1.0` is a DECIMAL in Spark, so `x * 1.0 / y` loses digits there), count days with
`date_diff('day', ...)` (not DuckDB-only functions such as `to_days`), and difference timestamps
on truncated values (`date_diff('minute', date_trunc('minute', a), date_trunc('minute', b))`:
DuckDB counts boundaries crossed, Spark whole units). `decimal_literals` finds the first kind.
"""
from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp


class TranspileError(Exception):
    """A feature SQL statement has no Spark form; the message names the construct."""


@lru_cache(maxsize=512)
def to_spark(sql: str) -> str:
    """`sql` (DuckDB's dialect, `$name` parameters) as Spark SQL (`:name` parameters)."""
    try:
        out = sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as e:
        raise TranspileError(str(e).splitlines()[0]) from None
    if len(out) != 1:
        raise TranspileError(f"expected one statement, found {len(out)}")
    return out[0]


def decimal_literals(sql: str) -> list[str]:
    """Numeric literals with a decimal point in `sql`: DECIMAL in Spark, DOUBLE-ish in DuckDB.
    One cast to double where it stands (`cast(30.4375 as double)`) is the same in both."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return [lit.this for lit in tree.find_all(exp.Literal) if not lit.is_string and "." in lit.this
            and not (isinstance(lit.parent, exp.Cast) and lit.parent.to.this == exp.DataType.Type.DOUBLE)]
