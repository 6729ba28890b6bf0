"""The data contract: which tables a source folder holds, their columns and types.

A column is (name, duckdb type). `required` columns must exist in the file; `optional`
columns may be absent and are then loaded as typed nulls, and recorded as absent so the
pipeline can leave out the features that need them.
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
    ),
    Table(
        "events",
        required=(("account_id", "varchar"), ("occurred_at", "timestamp"), ("event_type", "varchar")),
        optional=(("user_id", "varchar"), ("quantity", "double")),
        is_required=True,
        non_negative=("quantity",),
    ),
    Table(
        "users",
        required=(("user_id", "varchar"), ("account_id", "varchar"), ("created_at", "timestamp")),
        optional=(("email", "varchar"), ("name", "varchar"), ("persona", "varchar"),
                  ("deactivated_at", "timestamp")),
        key="user_id",
        ordered=(("created_at", "deactivated_at"),),
    ),
    Table(
        "tickets",
        required=(("ticket_id", "varchar"), ("account_id", "varchar"), ("opened_at", "timestamp")),
        optional=(("closed_at", "timestamp"), ("kind", "varchar"), ("priority", "varchar"),
                  ("status", "varchar")),
        key="ticket_id",
        ordered=(("opened_at", "closed_at"),),
    ),
    Table(
        "touchpoints",
        required=(("account_id", "varchar"), ("occurred_at", "timestamp"), ("kind", "varchar")),
        optional=(("owner", "varchar"), ("notes", "varchar")),
    ),
    Table(
        "traits",
        required=(("account_id", "varchar"), ("as_of", "timestamp"), ("trait", "varchar"),
                  ("value", "varchar")),
    ),
)

BY_NAME = {t.name: t for t in TABLES}



def __getattr__(name: str):
    """`TRAIT_VALUES` ({trait: allowed values}) is derived from config/traits.toml, the one
    declaration of the manual traits, and read only when asked for."""
    if name == "TRAIT_VALUES":
        from features.traits import trait_values
        return trait_values()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
