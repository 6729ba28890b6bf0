"""Writing what a feature build made into the warehouse: a table whole, or only the dates a
build replaced. The callers hold the transaction.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from features.catalog import Feature


def main_table(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """`table` in the warehouse itself, never a temporary table of the same name."""
    db = con.execute("select current_database()").fetchone()[0]
    return '"' + db.replace('"', '""') + f'".main.{table}'


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The warehouse table's columns in order; empty when there is no such table."""
    if not con.execute("select count(*) from information_schema.tables where table_catalog = current_database() "
                       "and table_schema = 'main' and table_name = ?", [table]).fetchall()[0][0]:
        return []
    return [d[0] for d in con.execute(f"select * from {main_table(con, table)} limit 0").description]


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, source: str, where: str = "true",
                 values: dict | None = None, order_by: str | None = None) -> None:
    """Put `source`'s rows into warehouse table `table`: delete the rows `where` selects and
    insert; when `where` is "true", or the table is missing or has other columns, replace it whole."""
    target = main_table(con, table)
    rows = f"select * from {source}" + (f" order by {order_by}" if order_by else "")
    incoming = [d[0] for d in con.execute(f"select * from {source} limit 0").description]
    if where == "true" or columns_of(con, table) != incoming:
        con.execute(f"create or replace table {target} as {rows}")
    else:
        con.execute(f"delete from {target} where {where}", values or {})
        con.execute(f"insert into {target} by name {rows}")


def write_catalog(con: duckdb.DuckDBPyConnection, features: list[Feature]) -> None:
    """Table `feature_catalog`: one row per feature column of `features`."""
    text = ["family", "description", "unit", "direction", "requires", "sentence", "yes", "no"]
    con.register("cat", pd.DataFrame([f.to_row() for f in features]).astype({c: "string" for c in text}))
    try:
        con.execute(f"create or replace table {main_table(con, 'feature_catalog')} as select * from cat")
    finally:
        con.unregister("cat")
