"""The data contract: which tables a source folder holds, their columns and types.

A column is (name, duckdb type). `required` columns must exist in the file and hold a value in
every row (except those in `may_be_empty`); `optional` columns may be absent and are then loaded
as typed nulls, and recorded as absent so the pipeline can leave out the features that need them.

Ids are text and match exactly: "7", "007" and "0007" are three different ids. An integer id column
(Parquet) is written with its digits, 7 -> "7", so it matches the text id "7" and never "007";
config/ingest.toml's `integer_id_digits` zero-pads such ids when the other files pad theirs.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    name: str
    required: tuple[tuple[str, str], ...]
    optional: tuple[tuple[str, str], ...] = ()
    is_required: bool = False
    key: str | None = None  # unique id column: duplicates are quarantined
    non_negative: tuple[str, ...] = ()
    ordered: tuple[tuple[str, str], ...] = ()  # (earlier, later) pairs that must not invert
    one_of: tuple[tuple[str, ...], ...] = field(default=())  # at least one of these columns must exist
    # (and hold a value in each row)
    may_be_empty: tuple[str, ...] = ()  # required columns whose empty value means something
    happened: tuple[str, ...] = ()  # times of things that happened: none after the data end

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        return self.required + self.optional


TABLES: tuple[Table, ...] = (
    Table(
        "accounts",
        required=(("account_id", "varchar"), ("name", "varchar")),
        optional=(("owner", "varchar"), ("segment", "varchar"), ("industry", "varchar"),
                  ("region", "varchar"), ("created_at", "timestamp")),
        is_required=True,
        key="account_id",
    ),
    Table(
        "contracts",
        required=(("contract_id", "varchar"), ("account_id", "varchar"),
                  ("start_date", "date"), ("end_date", "date")),
        optional=(("arr", "double"), ("mrr", "double"), ("seats", "bigint"), ("product", "varchar"),
                  ("plan", "varchar"), ("billing_period_months", "integer"), ("discount", "double")),
        is_required=True,
        key="contract_id",
        non_negative=("arr", "mrr", "seats", "discount", "billing_period_months"),
        ordered=(("start_date", "end_date"),),
        one_of=(("arr", "mrr"),),
        may_be_empty=("end_date",),  # evergreen: the contract never ends
    ),
    Table(
        "events",
        required=(("account_id", "varchar"), ("occurred_at", "timestamp"), ("event_type", "varchar")),
        optional=(("user_id", "varchar"), ("quantity", "double")),
        is_required=True,
        non_negative=("quantity",),
        happened=("occurred_at",),  # the latest one left is the data end
    ),
    Table(
        "users",
        required=(("user_id", "varchar"), ("account_id", "varchar"), ("created_at", "timestamp")),
        optional=(("email", "varchar"), ("name", "varchar"), ("persona", "varchar"),
                  ("deactivated_at", "timestamp")),
        key="user_id",
        ordered=(("created_at", "deactivated_at"),),
        happened=("created_at",),
    ),
    Table(
        "tickets",
        required=(("ticket_id", "varchar"), ("account_id", "varchar"), ("opened_at", "timestamp")),
        optional=(("closed_at", "timestamp"), ("kind", "varchar"), ("priority", "varchar"),
                  ("status", "varchar")),
        key="ticket_id",
        ordered=(("opened_at", "closed_at"),),
        happened=("opened_at",),
    ),
    Table(
        "touchpoints",
        required=(("account_id", "varchar"), ("occurred_at", "timestamp"), ("kind", "varchar")),
        optional=(("owner", "varchar"), ("notes", "varchar")),
        happened=("occurred_at",),  # a meeting scheduled after the data end has not happened
    ),
    Table(
        "traits",
        required=(("account_id", "varchar"), ("as_of", "timestamp"), ("trait", "varchar"),
                  ("value", "varchar")),
        happened=("as_of",),
    ),
)

BY_NAME = {t.name: t for t in TABLES}
ID_COLUMNS = ("account_id", "contract_id", "user_id", "ticket_id")
EVENTS = "events"  # the table whose latest row (up to the export time) is the data end



def __getattr__(name: str):
    """`TRAIT_VALUES` ({trait: allowed values}) is derived from config/traits.toml, the one
    declaration of the manual traits, and read only when asked for."""
    if name == "TRAIT_VALUES":
        from features.traits import trait_values
        return trait_values()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
