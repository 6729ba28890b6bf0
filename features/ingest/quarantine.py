"""The `quarantine` table (one row per source row that did not load, with the reason) and the rule
that refuses a load which lost too much: a good warehouse is never replaced by a nearly empty one.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from features.ingest.parse import is_numeric
from features.ingest.readers import Source
from features.ingest.settings import INGEST_TOML, IngestSettings

# reason_kind is the reason without the offending value ("unknown account"): what counts group by;
# reason adds the value ("unknown account: ZZZ"); row_number counts from 1 at the first data row
QUARANTINE_DDL = ("run_id varchar, table_name varchar, file varchar, row_number bigint, "
                  "reason_kind varchar, reason varchar, row_json varchar")
SUMMARY_COLUMNS = ["table_name", "reason", "rows"]
TOP_REASONS = 3


class QuarantineExceeded(Exception):
    """The load lost more than the allowed share of a table's rows to quarantine, or left a required
    table empty; the previous warehouse is kept. The message is one line. Exit status 3."""


def create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create table quarantine ({QUARANTINE_DDL})")


def top_reasons(con: duckdb.DuckDBPyConnection, run_id: str, table: str, n: int = TOP_REASONS) -> list[tuple]:
    """[(reason_kind, rows, an example value or None)] for one table, most rows first."""
    return con.execute("""select reason_kind, count(*) as n,
                                 any_value(nullif(substr(reason, length(reason_kind) + 3), '')) as example
                          from quarantine where run_id = ? and table_name = ?
                          group by reason_kind order by n desc, reason_kind limit ?""", [run_id, table, n]).fetchall()


def _describe(reasons: list[tuple]) -> str:
    return ", ".join(f"{kind} {rows:,}" + (f" (e.g. {example[:40]!r})" if example else "")
                     for kind, rows, example in reasons)


def refuse_losses(con: duckdb.DuckDBPyConnection, run_id: str, sources: list[Source],
                  summary: dict[str, tuple[int, int]], settings: IngestSettings, accept: bool, progress=print) -> None:
    """Raise QuarantineExceeded when a required table is empty, or (unless `accept`) when a table
    lost more than `settings.max_share` of its rows; say the top reasons first. A table that loads
    despite bad rows gets one line: how many and why (its top reasons, with an example value)."""
    problems, empty = [], []
    for src in sources:
        good, bad = summary.get(src.table.name, (0, 0))
        if src.path is None or not bad:
            continue
        share = bad / (good + bad)
        if not ((src.table.is_required and good == 0) or (share > settings.max_share and not accept)):
            # loaded anyway: say why rows were left out, not only how many
            progress(f"  {src.file}: {bad:,} of {good + bad:,} rows quarantined ({share:.1%}): "
                     f"{_describe(top_reasons(con, run_id, src.table.name))}")
            continue
        listed = top_reasons(con, run_id, src.table.name, 10)
        reasons = listed[:TOP_REASONS]
        progress(f"  {src.file}: {bad:,} of {good + bad:,} rows quarantined ({share:.1%}):")
        for kind, rows, example in listed:
            progress(f"    {rows:>12,}  {kind}" + (f"  e.g. {example[:60]!r}" if example else ""))
        hint = _id_hint(con, src, reasons, run_id,
                        next((x for x in sources if x.table.name == "accounts" and x.path), None))
        if hint:
            progress(f"  hint: {hint}")
        what = (f"{src.file} lost all {bad:,} rows and {src.table.name} is required" if good == 0 and src.table.is_required
                else f"{src.file} lost {bad:,} of {good + bad:,} rows ({share:.1%})")
        fix = (f" (decimal_separator in {INGEST_TOML.name} says which: '.' or ',')"
               if any(kind.startswith("ambiguous decimal separator") for kind, _, _ in reasons) else "")
        (empty if good == 0 and src.table.is_required else problems).append(f"{what}: {_describe(reasons)}{fix}")
    if empty:
        raise QuarantineExceeded("; ".join(empty + problems) + "; the previous warehouse is kept: fix the source files")
    if problems:
        raise QuarantineExceeded(
            "; ".join(problems) + f"; more than the {settings.max_share:.0%} allowed ([quarantine] max_share in "
            f"{INGEST_TOML.name}), so the previous warehouse is kept: fix the source files, or load anyway "
            "with --accept-quarantine")


def _id_hint(con: duckdb.DuckDBPyConnection, src: Source, reasons: list[tuple], run_id: str = "",
             accounts: Source | None = None) -> str | None:
    """When account ids miss only because of how a file writes them: integer ids against
    zero-padded text ids (either way round: the setting that fixes it), or ids written as
    decimals (7.0) by a float column."""
    if not any(kind == "unknown account" for kind, _, _ in reasons):
        return None
    if is_numeric(src.raw_types.get("account_id", "VARCHAR")):
        width = con.execute("select max(length(account_id)) from accounts "
                            "where regexp_full_match(account_id, '0[0-9]+')").fetchall()[0][0]
        if width:
            return (f"{src.file} has integer account ids, written as their digits (7 -> '7'), while accounts writes "
                    f"them zero-padded; set integer_id_digits = {width} under [ids] in features/config/{INGEST_TOML.name}")
    missed = con.execute("""select max(case when regexp_full_match(v, '0[0-9]+') then length(v) end),
                                   bool_or(regexp_full_match(v, '[0-9]+\\.0+'))
                            from (select substr(reason, length(reason_kind) + 3) as v from quarantine
                                  where run_id = ? and table_name = ? and reason_kind = 'unknown account')""",
                         [run_id, src.table.name]).fetchall()[0]
    if missed[0] and accounts is not None and is_numeric(accounts.raw_types.get("account_id", "VARCHAR")):
        return (f"{accounts.file} has integer account ids while {src.file} writes them zero-padded to "
                f"{missed[0]} digits; set integer_id_digits = {missed[0]} under [ids] in "
                f"features/config/{INGEST_TOML.name}")
    if missed[1]:
        return (f"{src.file} writes account ids as decimals (7 -> '7.0'), as a spreadsheet's number column "
                "does: export that column as text or whole numbers")
    return None


def quarantine_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows quarantined by the latest ingest, counted by table and reason: one row per
    (table_name, reason) with `rows`, most rows first. Empty when nothing was quarantined (or the
    warehouse has no quarantine table). The quarantine table holds the latest ingest's rows only."""
    have = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                      "where table_name = 'quarantine' and table_schema = 'main'").fetchall()}
    if not have:
        return pd.DataFrame({"table_name": pd.Series(dtype=str), "reason": pd.Series(dtype=str),
                             "rows": pd.Series(dtype="int64")})
    table = "table_name" if "table_name" in have else "split_part(file, '.', 1)"  # before reason_kind existed
    reason = "reason_kind" if "reason_kind" in have else "split_part(reason, ':', 1)"
    frame = con.execute(f"""select {table} as table_name, {reason} as reason, count(*) as rows
                            from quarantine group by all order by rows desc, table_name, reason""").df()
    return frame.astype({"rows": "int64"})[SUMMARY_COLUMNS]
