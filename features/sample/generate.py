"""`radar sample`: write a deterministic synthetic portfolio to a folder, one file per table."""
from __future__ import annotations

import datetime as dt
import itertools
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from features.sample import activity, people, plans, portfolio, service, spec
from features.sample.writer import TableWriter, write_table

EVENT_SCHEMA = pa.schema([("account_id", pa.string()), ("user_id", pa.string()),
                          ("occurred_at", pa.timestamp("s")), ("event_type", pa.string()),
                          ("quantity", pa.float64())])


def window(end: dt.date, months: int) -> tuple[dt.date, int]:
    """First day of the event window and its length in days (ending on `end`, inclusive)."""
    y, m = divmod(end.year * 12 + end.month - 1 - months, 12)
    start = dt.date(y, m + 1, min(end.day, 28)) + dt.timedelta(days=1)
    return start, (end - start).days + 1


def _ids(prefix: str, idx: np.ndarray, width: int) -> pa.Array:
    """Ids as a dictionary-encoded column: cheap to build for millions of rows."""
    n = int(idx.max()) + 1 if len(idx) else 0
    labels = pa.array([f"{prefix}{i + 1:0{width}d}" for i in range(n)])
    return pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), labels).cast(pa.string())


def _dates(day0_epoch: int, days: np.ndarray) -> pa.Array:
    return pa.array((day0_epoch // 86400 + days).astype("datetime64[D]"), pa.date32())


def _ts(day0_epoch: int, secs: np.ndarray, nulls: np.ndarray | None = None) -> pa.Array:
    arr = (day0_epoch + secs).astype("datetime64[s]")
    return pa.array(arr, pa.timestamp("s"), mask=nulls)


PRICING = ("seats", "plans")  # one plan per segment priced per seat, billed yearly | plans.py
CHURN = ("modelled", "random")  # renewals decided by the account's state and history | by a coin
SOURCES = ("all", "required")  # every table | accounts, contracts and events only
OPTIONAL_TABLES = ("users", "tickets", "touchpoints", "traits")


def generate(out: Path, accounts: int = 400, months: int = 36, end: dt.date | None = None,
             seed: int = 7, fmt: str = "parquet", progress=print, pricing: str = "seats",
             churn: str = "modelled", sources: str = "all") -> dict[str, int]:
    """Write accounts, contracts, users, events, tickets, touchpoints and traits (only the first
    three with `sources="required"`); return row counts. `pricing` and `churn` pick how contracts
    are priced and renewed (PRICING, CHURN)."""
    for name, value, allowed in (("pricing", pricing, PRICING), ("churn", churn, CHURN), ("sources", sources, SOURCES)):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    t0 = time.perf_counter()
    end = end or dt.date.today()
    start, days = window(end, months)
    day0 = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc).timestamp())
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    p = portfolio.build(rng, accounts, days)
    counts: dict[str, int] = {}
    acc_ids = np.array([f"ACC-{i + 1:05d}" for i in range(p.n)])

    counts["accounts"] = write_table(out, "accounts", pa.table({
        "account_id": acc_ids, "name": p.name,
        "owner": np.take(spec.OWNERS, p.owner), "segment": np.take(spec.SEGMENTS, p.segment),
        "industry": p.industry, "region": p.region,
        "created_at": _ts(day0, (p.first_start.astype(np.int64) - spec.ACCOUNT_CREATED_DAYS_BEFORE) * 86400),
    }), fmt)

    c = plans.contracts(rng, p, days, start, churn) if pricing == "plans" else portfolio.contracts(rng, p, days, churn)
    seats = np.array([s if s is not None else -1 for s in c["seats"]])
    counts["contracts"] = write_table(out, "contracts", pa.table({
        "contract_id": [f"CTR-{i:06d}" for i in c["contract_id"]],
        "account_id": acc_ids[c["account_id"]],
        "start_date": _dates(day0, np.array(c["start_date"])),
        "end_date": _dates(day0, np.array(c["end_date"])),
        "arr": np.array(c["arr"], float), "seats": pa.array(seats, mask=seats < 0),
        "product": c["product"], "plan": c["plan"],
        "billing_period_months": c["billing_period_months"], "discount": c["discount"],
    }), fmt)

    seats_max = p.seats0.copy()
    np.maximum.at(seats_max, np.array(c["account_id"]), np.where(seats < 0, 0, seats))
    u = people.build(rng, p, days, seats_max)
    uid = _ids("U-", np.arange(len(u)), 7)
    for name in OPTIONAL_TABLES:  # a folder written again with fewer sources keeps no stale files
        for ext in ("csv", "parquet"):
            (out / f"{name}.{ext}").unlink(missing_ok=True)
    keep = sources == "all"
    users = pa.table({
        "user_id": uid, "account_id": acc_ids[u.account],
        "email": [f"user{i + 1}@{acc_ids[a].lower()}.example.com" for i, a in enumerate(u.account)],
        "persona": np.take(spec.PERSONAS, u.persona),
        "created_at": _ts(day0, u.created.astype(np.int64) * 86400 + spec.USER_CREATED_HOUR * 3600),
        "deactivated_at": _ts(day0, np.minimum(u.deactivated, days + 10).astype(np.int64) * 86400,
                              nulls=u.deactivated >= days),
    })
    if keep:
        counts["users"] = write_table(out, "users", users, fmt)

    types = pa.array(activity.TYPES)
    acc_dict = pa.array(acc_ids)
    uid_dict = uid
    with TableWriter(out, "events", EVENT_SCHEMA, fmt) as w:
        blocks = activity.user_blocks(rng, p, u, days, day0)
        per_acc = np.bincount(u.account, minlength=p.n)
        for b in itertools.chain(blocks, [activity.delivered(rng, p, per_acc, days, day0)]):
            user = b["user"]
            w.write(pa.table({
                "account_id": acc_dict.take(pa.array(b["account"])),
                "user_id": uid_dict.take(pa.array(np.where(user < 0, 0, user), mask=user < 0)),
                "occurred_at": pa.array(b["ts"].astype("datetime64[s]"), pa.timestamp("s")),
                "event_type": types.take(pa.array(b["type"])),
                "quantity": b["qty"],
            }, schema=EVENT_SCHEMA))
            progress(f"  events: {w.rows:,} rows, {time.perf_counter() - t0:.1f}s", end="\r")
        counts["events"] = w.rows
    progress("")

    t = service.tickets(rng, p, days)
    tickets = pa.table({
        "ticket_id": [f"TKT-{i + 1:07d}" for i in range(len(t["account"]))],
        "account_id": acc_ids[t["account"]], "opened_at": _ts(day0, t["opened"]),
        "closed_at": _ts(day0, np.maximum(t["closed"], 0), nulls=t["closed"] < 0),
        "kind": t["kind"], "priority": t["priority"], "status": t["status"],
    })
    tp = service.touchpoints(rng, p, days)
    touchpoints = pa.table({
        "account_id": acc_ids[tp["account"]], "occurred_at": _ts(day0, tp["ts"]),
        "kind": tp["kind"], "owner": np.take(spec.OWNERS, p.owner[tp["account"]]),
        "notes": tp["notes"],
    })
    tr = service.traits(rng, p, tp)
    traits = pa.table({
        "account_id": acc_ids[tr["account"]], "as_of": _ts(day0, tr["ts"]),
        "trait": tr["trait"], "value": tr["value"],
    })
    if keep:
        for name, table in (("tickets", tickets), ("touchpoints", touchpoints), ("traits", traits)):
            counts[name] = write_table(out, name, table, fmt)
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    return counts

