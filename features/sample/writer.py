"""Write tables as CSV or Parquet; events stream block by block so memory stays flat."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


class TableWriter:
    """Append pyarrow tables to `<dir>/<name>.<fmt>`; close() finishes the file."""

    def __init__(self, out: Path, name: str, schema: pa.Schema, fmt: str):
        self.path = out / f"{name}.{fmt}"
        self.rows = 0
        if fmt == "parquet":
            self._w = pq.ParquetWriter(self.path, schema, compression="zstd")
        else:
            self._w = pacsv.CSVWriter(self.path, schema)

    def write(self, table: pa.Table) -> None:
        self._w.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._w.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def write_table(out: Path, name: str, table: pa.Table, fmt: str) -> int:
    with TableWriter(out, name, table.schema, fmt) as w:
        w.write(table)
    return table.num_rows
