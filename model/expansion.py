"""Expansion signals: accounts whose seats are nearly all used while active users grow, whose
critical workflows spread to new personas, or who work around a product they do not have; each
with its evidence in one sentence and an estimated ARR opportunity (model/expansion.toml).

`detect` reads one snapshot (features, workflow events by persona, contracts) and returns one row
per (account_id, signal); `run` writes table `expansion`, grain (account_id, as_of, signal).
Every window ends on as_of: nothing after it is read.
"""
from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from features.catalog import money
from features.warehouse import has_table, replace_dates, require_table, transaction

CONFIG = Path(__file__).with_name("expansion.toml")
COLUMNS = ["account_id", "as_of", "signal", "label", "evidence", "amount", "name", "owner", "arr"]
# what a CRM's import takes (an opportunity per row): the CSV's columns, in order
CRM_COLUMNS = {"account_id": "Account ID", "name": "Account Name", "owner": "Owner", "label": "Signal",
               "evidence": "Evidence", "amount": "Amount"}


@dataclass(frozen=True)
class SeatsFull:
    label: str
    min_utilisation: float
    min_growth: float
    target_utilisation: float


@dataclass(frozen=True)
class PersonaSpread:
    label: str
    min_users: int
    window_days: int
    uplift_share_of_arr: float


@dataclass(frozen=True)
class Product:
    product: str
    label: str
    event_type: str
    window_days: int
    min_per_active_user: float
    min_events: int
    share_of_arr: float


@dataclass(frozen=True)
class ExpansionSettings:
    lookback_days: int
    seats_full: SeatsFull
    persona_spread: PersonaSpread
    products: tuple[Product, ...]


def load_settings(path: Path | None = None) -> ExpansionSettings:
    with open(path or CONFIG, "rb") as f:
        raw = tomllib.load(f)
    return ExpansionSettings(int(raw["lookback_days"]), SeatsFull(**raw["seats_full"]),
                             PersonaSpread(**raw["persona_spread"]),
                             tuple(Product(**p) for p in raw.get("products", ())))


def sources(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Loaded source tables and table.columns (what ingest recorded)."""
    if not has_table(con, "source_columns"):
        return set()
    rows = con.execute("select table_name, column_name from source_columns where present").fetchall()
    return {t for t, _ in rows} | {f"{t}.{c}" for t, c in rows}


def _accounts(con, as_of) -> pd.DataFrame:
    return con.execute("""select f.account_id, coalesce(a.name, f.account_id) as name,
                                 coalesce(a.owner, 'Unassigned') as owner, f.arr
                          from features as f left join accounts as a using (account_id)
                          where f.as_of = ?""", [as_of]).df()


def _day(d) -> str:
    return pd.Timestamp(d).strftime("%Y-%m-%d")


def seats_full(con: duckdb.DuckDBPyConnection, as_of: dt.date, s: ExpansionSettings) -> pd.DataFrame:
    k = s.seats_full
    then = con.execute("select max(as_of) from features where as_of <= ?",
                       [as_of - dt.timedelta(days=s.lookback_days)]).fetchall()[0][0]
    if then is None:
        return pd.DataFrame(columns=["account_id", "evidence", "amount"])
    f = con.execute("""select n.account_id, n.active_users_30d as active, n.seats, n.arr,
                              o.active_users_30d as active_then
                       from features as n join features as o on o.account_id = n.account_id and o.as_of = ?
                       where n.as_of = ? and n.seats > 0 and o.active_users_30d > 0""", [then, as_of]).df()
    f = f[(f["active"] >= k.min_utilisation * f["seats"]) & (f["active"] >= (1 + k.min_growth) * f["active_then"])]
    rows = []
    for r in f.itertuples():
        extra = max(math.ceil(r.active / k.target_utilisation) - int(r.seats), 1)
        per_seat = r.arr / r.seats
        rows.append({"account_id": r.account_id, "amount": extra * per_seat, "evidence":
                     f"{r.active:,.0f} active users in the last 30 days on {r.seats:,.0f} licensed seats "
                     f"({r.active / r.seats:.0%}), up from {r.active_then:,.0f} on {_day(then)} "
                     f"({r.active / r.active_then - 1:+.0%}); {extra:,} more seats at the current ${per_seat:,.0f} "
                     f"per seat would bring use back to {k.target_utilisation:.0%}."})
    return pd.DataFrame(rows, columns=["account_id", "evidence", "amount"])


def persona_spread(con: duckdb.DuckDBPyConnection, as_of: dt.date, s: ExpansionSettings,
                   arr: pd.Series) -> pd.DataFrame:
    """Personas newly doing a critical workflow: one row per account, its pairs in one sentence."""
    from features.settings import load_settings as pipeline_settings
    k = s.persona_spread
    flows = pd.DataFrame([(w.event_type, w.description) for w in pipeline_settings().workflows],
                         columns=["event_type", "description"]).drop_duplicates("event_type")
    if flows.empty:
        return pd.DataFrame(columns=["account_id", "evidence", "amount"])
    then_end = as_of - dt.timedelta(days=s.lookback_days)
    con.register("expansion_flows", flows)
    try:
        pairs = con.execute("""
            with windows as (
                select e.account_id, e.event_type, lower(u.persona) as persona, e.user_id,
                       case when cast(e.occurred_at as date) > $now_start then 'now' else 'then' end as period
                from events as e
                join users as u on u.user_id = e.user_id
                where e.event_type in (select event_type from expansion_flows) and u.persona is not null
                  and ((cast(e.occurred_at as date) > $now_start and cast(e.occurred_at as date) <= $as_of)
                    or (cast(e.occurred_at as date) > $then_start and cast(e.occurred_at as date) <= $then_end))
            ),
            counted as (
                select account_id, event_type, persona, period, count(distinct user_id) as users
                from windows group by all
            )
            select n.account_id, n.event_type, n.persona, n.users, f.description
            from counted as n
            join expansion_flows as f using (event_type)
            left join counted as o on o.account_id = n.account_id and o.event_type = n.event_type
                 and o.persona = n.persona and o.period = 'then'
            where n.period = 'now' and n.users >= $min_users and o.users is null
              and exists (select 1 from events as e0 where e0.account_id = n.account_id
                          and cast(e0.occurred_at as date) <= $then_end)
            order by n.account_id, n.users desc, n.persona""",
            {"as_of": as_of, "now_start": as_of - dt.timedelta(days=k.window_days), "then_end": then_end,
             "then_start": then_end - dt.timedelta(days=k.window_days), "min_users": k.min_users}).df()
    finally:
        con.unregister("expansion_flows")
    rows = []
    for account, g in pairs.groupby("account_id", sort=True):
        said = "; ".join(f"{r.users} {r.persona} users now do '{r.description}' ('{r.event_type}')" for r in g.itertuples())
        rows.append({"account_id": account, "amount": k.uplift_share_of_arr * float(arr.get(account, 0) or 0),
                     "evidence": f"{said}, in the {k.window_days} days to {_day(as_of)}; none of them did in the "
                                 f"{k.window_days} days to {_day(then_end)}."})
    return pd.DataFrame(rows, columns=["account_id", "evidence", "amount"])


def product_workaround(con: duckdb.DuckDBPyConnection, as_of: dt.date, p: Product) -> pd.DataFrame:
    """Accounts without `p.product` at as_of that use `p.event_type` heavily, priced like its owners."""
    owns = con.execute("""select account_id,
                                 sum(case when product = $p then arr end) as product_arr,
                                 sum(case when product is distinct from $p then arr end) as other_arr
                          from contracts
                          where start_date <= $as_of and (end_date is null or end_date >= $as_of)
                          group by account_id""", {"p": p.product, "as_of": as_of}).df()
    owners = owns[owns["product_arr"].notna()]
    ratio = (owners["product_arr"] / owners["other_arr"]).dropna()
    share, priced = (float(ratio.median()), "accounts with it pay a median") if len(ratio) else \
        (p.share_of_arr, "an assumed")
    use = con.execute("""select f.account_id, f.arr, f.active_users_30d as active, count(e.account_id) as events
                         from features as f
                         left join events as e on e.account_id = f.account_id and e.event_type = $event
                              and cast(e.occurred_at as date) > $start and cast(e.occurred_at as date) <= $as_of
                         where f.as_of = $as_of group by all""",
                      {"event": p.event_type, "as_of": as_of, "start": as_of - dt.timedelta(days=p.window_days)}).df()
    use = use[~use["account_id"].isin(owners["account_id"]) & (use["active"] > 0)]
    use = use[(use["events"] >= p.min_events) & (use["events"] / use["active"] >= p.min_per_active_user)]
    rows = [{"account_id": r.account_id, "amount": share * r.arr,
             "evidence": f"{r.events:,} '{p.event_type}' events in the last {p.window_days} days "
                         f"({r.events / r.active:.1f} per active user) without {p.product}; {priced} "
                         f"{share:.0%} of their other ARR for it."}
            for r in use.itertuples()]
    return pd.DataFrame(rows, columns=["account_id", "evidence", "amount"])


def detect(con: duckdb.DuckDBPyConnection, as_of: dt.date, s: ExpansionSettings | None = None
           ) -> tuple[pd.DataFrame, list[str]]:
    """Every signal at `as_of`: (one row per account and signal with COLUMNS, notes on what was skipped)."""
    s = s or load_settings()
    require_table(con, "features", "radar features")
    have = sources(con)
    accounts = _accounts(con, as_of)
    cols = set(con.execute("select column_name from information_schema.columns where table_name = 'features'")
               .df()["column_name"])
    found, notes = [], []
    if {"seats", "active_users_30d"} <= cols:
        found.append(seats_full(con, as_of, s).assign(signal="seats_full", label=s.seats_full.label))
    else:
        notes.append(f"{s.seats_full.label}: skipped, the warehouse has no seats or user-level events")
    if {"users.persona", "events.user_id"} <= have:
        found.append(persona_spread(con, as_of, s, accounts.set_index("account_id")["arr"])
                     .assign(signal="persona_spread", label=s.persona_spread.label))
    else:
        notes.append(f"{s.persona_spread.label}: skipped, no users with personas were loaded")
    for p in s.products:
        if "contracts.product" not in have:
            notes.append(f"{p.label}: skipped, the contracts have no product column")
        elif "active_users_30d" not in cols:
            notes.append(f"{p.label}: skipped, the events have no user ids")
        else:
            found.append(product_workaround(con, as_of, p).assign(signal=f"product_{p.product}", label=p.label))
    out = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)
    out = out.merge(accounts, on="account_id", how="left").assign(as_of=pd.Timestamp(as_of))
    return out.reindex(columns=COLUMNS).sort_values(["amount", "account_id"], ascending=[False, True],
                                                    ignore_index=True), notes


def run(con: duckdb.DuckDBPyConnection, as_of: dt.date, s: ExpansionSettings | None = None, progress=print) -> dict:
    """Write the signals at `as_of` into table `expansion` (that date's rows replaced)."""
    found, notes = detect(con, as_of, s)
    typed = found.astype({c: "string" for c in ("account_id", "signal", "label", "evidence", "name", "owner")}) \
        .astype({"amount": float, "arr": float})
    typed["as_of"] = pd.to_datetime(typed["as_of"]).astype("datetime64[us]")
    with transaction(con):
        if has_table(con, "expansion"):
            con.execute("delete from expansion where as_of = ?", [as_of])
        replace_dates(con, "expansion", typed)
    for n in notes:
        progress(f"  note: {n}")
    return {"signals": len(found), "accounts": int(found["account_id"].nunique()),
            "amount": float(found["amount"].sum()), "notes": notes}


def latest(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not has_table(con, "expansion"):
        return pd.DataFrame(columns=COLUMNS)
    return con.execute("select * from expansion where as_of = (select max(as_of) from expansion) "
                       "order by amount desc, account_id").df()


def crm_frame(signals: pd.DataFrame) -> pd.DataFrame:
    """The signals as a CRM imports opportunities: Account ID, Account Name, Owner, Signal, Evidence,
    Amount (rounded to whole currency units)."""
    out = signals[list(CRM_COLUMNS)].rename(columns=CRM_COLUMNS)
    return out.assign(Amount=out["Amount"].round(0))
