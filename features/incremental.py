"""Incremental feature builds: which observation dates a build must compute, from what the last one
kept. DuckDB only (a Spark run builds every date).

Every feature at a date reads only rows stamped on or before it, so when new data arrives the
dates already built stay right, unless what was known at them changed. A build therefore keeps,
in schema `feature_state` of the warehouse:

- the day grains (`kind: grain` files: type_days, account_days, workflow_days) and
  `user_history` (each user's activity: first and last active day and active days per period
  between observation dates), so the next build reads only the events after `since`, the last
  date it keeps. An incremental build appends its new periods to `user_history`; once it holds
  COMPACT_AFTER periods or more, the build rewrites it with every period up to the date
  before its last folded into one row per user (a full build always does);
- `known`: fingerprints of the small sources as known at a date (rows stamped later left out,
  later closings and deactivations not yet known): contracts, tickets, touchpoints and users at
  the last two dates (one of which a later build keeps last), the manual traits (source and
  portal edits) at every date;
- `builds`: one row per build (its mode, data end, what it built, a fingerprint of the definitions).

An ingest carries all of it, with `features`, `feature_catalog` and the marts, into the warehouse it
swaps in (`carry_over`), so the build after it starts from the last one.

The next build computes the dates after `since` and, where the manual traits known at a kept date
changed (a trait set in the portal touches only the dates at or after it), recomputes the trait
columns of the kept dates from the first such date. It builds every date instead when asked
(`--full`), when there is no previous build (an ingest starts a new warehouse), when the
definitions changed (SQL, config, traits, this code), when the observation dates moved, when the
events, users, contracts, tickets or touchpoints known at `since` were rewritten, or when the
columns would change.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb

from features.runner import SQL_ROOT, STATE_SCHEMA, Runner, load_models
from features.settings import PipelineSettings
from features.warehouse import has_table

BUILDS = f"{STATE_SCHEMA}.builds"
KNOWN = f"{STATE_SCHEMA}.known"
HISTORY = f"{STATE_SCHEMA}.user_history"
KEPT = ("type_days", "account_days", "workflow_days", "user_history", "known", "builds")
# periods user_history may hold before an incremental build compacts it (sql/base/user_history.sql):
# a year of monthly builds between rewrites
COMPACT_AFTER = 13
# what each small source looked like at date o.as_of: the rows known then, with what was not
# known yet (a later closing, a later deactivation) left out
KNOWN_AT = {
    "contracts": ("from contracts as c join dates as o on c.start_date <= o.as_of",
                  "hash(c.contract_id, c.account_id, c.start_date, c.end_date, c.arr, c.seats, c.discount)"),
    "tickets": ("from tickets as t join dates as o on cast(t.opened_at as date) <= o.as_of",
                "hash(t.ticket_id, t.account_id, t.opened_at, t.kind, t.priority, "
                "case when cast(t.closed_at as date) <= o.as_of then t.closed_at end)"),
    "touchpoints": ("from touchpoints as t join dates as o on cast(t.occurred_at as date) <= o.as_of",
                    "hash(t.account_id, t.occurred_at, t.kind)"),
    "users": ("from users as u join dates as o on cast(u.created_at as date) <= o.as_of",
              "hash(u.user_id, u.account_id, u.created_at, u.persona, "
              "case when cast(u.deactivated_at as date) <= o.as_of then u.deactivated_at end)"),
    # portal edits made after the data end count at the data end (sql/families/manual_traits.sql)
    "traits": ("from (select account_id, as_of, trait, value, 'source' as origin from traits union all "
               "select account_id, edited_at, trait, value, 'portal' from trait_edits) as t "
               "join dates as o on cast(t.as_of as date) <= o.as_of "
               "or (t.origin = 'portal' and o.as_of = $data_end)",
               "hash(t.account_id, t.as_of, t.trait, t.value, t.origin)"),
}
REWRITTEN = ("contracts", "tickets", "touchpoints", "users")  # a change at `since` rebuilds every date
TRAITS = ("traits",)  # a change rebuilds the trait columns from the first date it touches


@dataclass(frozen=True)
class Plan:
    """What a build computes. `full`: every date, everything kept rewritten. Otherwise the dates
    after `since` (the grains redone after it), and the trait columns of the kept dates from
    `traits_from` on; the other kept dates stay as they are."""
    dates: tuple[dt.date, ...]  # the observation dates the features table will hold
    full: bool
    reason: str
    since: dt.date | None = None
    traits_from: dt.date | None = None

    @property
    def build(self) -> tuple[dt.date, ...]:
        """The dates this build computes whole."""
        return self.dates if self.full else tuple(d for d in self.dates if d > self.since)

    @property
    def nothing(self) -> bool:
        return not self.full and not self.build and self.traits_from is None


def definitions(s: PipelineSettings) -> str:
    """A fingerprint of everything that defines the features besides the data."""
    h = hashlib.sha256(repr(s).encode())
    here = Path(__file__).parent
    for p in sorted(SQL_ROOT.rglob("*.sql")) + [here / "assemble.py", here / "incremental.py",
                                                 here / "inputs.py", here / "config" / "catalog.toml"]:
        h.update(str(p.relative_to(here)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def last_build(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The last build's row of `feature_state.builds`, or None when this warehouse has none."""
    if not has_table(con, "features") or not all(_state_has(con, t) for t in KEPT):
        return None
    row = con.execute(f"select * from {BUILDS} order by built_at desc limit 1").df()
    return row.iloc[0].to_dict() if len(row) else None


def plan(con: duckdb.DuckDBPyConnection, dates: Sequence[dt.date], s: PipelineSettings,
         end: dt.date, full: bool = False) -> Plan:
    """Decide what this build computes (see the module's docstring)."""
    dates = tuple(sorted(set(dates)))
    if full:
        return Plan(dates, True, "asked for a full build")
    prev = last_build(con)
    if prev is None:
        return Plan(dates, True, "no previous build in this warehouse")
    if prev["definitions"] != definitions(s):
        return Plan(dates, True, "the feature definitions changed (SQL, config, traits or code)")
    built = {r[0] for r in con.execute("select distinct as_of from features").fetchall()}
    kept = [d for d in dates if d in built]
    if not kept or any(d not in built for d in dates if d <= max(kept)):
        return Plan(dates, True, "the observation dates moved")
    since = max(kept)
    if changed := _rewritten(con, since, end):
        return Plan(dates, True, f"{changed} known on or before {since} changed")
    recorded = _recorded(con, TRAITS)
    now = _fingerprints(con, TRAITS, kept, end)
    traits_from = min((d for (d, src), v in now.items() if recorded.get((d, src)) != v), default=None)
    return Plan(dates, False, "incremental", since, traits_from)


def carry_over(con: duckdb.DuckDBPyConnection, previous: str) -> list[str]:
    """Copy the last feature build from the attached warehouse `previous`, which an ingest is
    replacing: `features`, `feature_catalog`, the marts and schema feature_state. The next build
    then computes only what is new, once its plan has checked that the sources it kept still
    agree (it builds every date when they do not); until then the portal shows the previous
    features. Returns the tables copied."""
    have = {(s, t) for s, t in con.execute("select table_schema, table_name from information_schema.tables "
                                            "where table_catalog = ?", [previous]).fetchall()}
    if ("main", "features") not in have:
        return []
    outputs = ["features", "feature_catalog"] + sorted(n for n, m in load_models().items() if m.kind == "mart")
    copied = [("main", t) for t in outputs if ("main", t) in have] + sorted(x for x in have if x[0] == STATE_SCHEMA)
    con.execute(f"create schema if not exists {STATE_SCHEMA}")
    for schema, table in copied:
        con.execute(f'create table {schema}."{table}" as select * from "{previous}".{schema}."{table}"')
    return [f"{s}.{t}" if s != "main" else t for s, t in copied]


def provide_history(runner: Runner, since: dt.date) -> None:
    """Give an incremental build the users' activity the last one kept, up to `since` (what it
    kept after `since` is redone, like the grains), read where it is used. Unless the kept history
    is due for compacting, the build's `user_history` is its `user_periods` as they are (the kept
    rows and the new periods), which `record` then appends, instead of a compacted copy written
    whole. Changes nothing in the warehouse (`record` does, in the build's transaction)."""
    if not isinstance(since, dt.date):
        raise TypeError(f"since must be a date, not {since!r}")
    kept = f"select * from {HISTORY} where period <= date '{since.isoformat()}'"  # a view takes no parameters
    runner.provide_view("kept_user_history", kept)
    periods = runner.con.execute(f"select count(distinct period) from {HISTORY} where period <= ?",
                                 [since]).fetchall()[0][0]
    if periods < COMPACT_AFTER:
        runner.build("user_periods")
        runner.provide_view("user_history", "select account_id, user_id, period, first_day, last_day, active_days "
                                            "from user_periods where period is not null")


def record(con: duckdb.DuckDBPyConnection, p: Plan, s: PipelineSettings, end: dt.date,
           compacted: bool = True) -> None:
    """Keep what the next build needs: the users' activity (the run's `user_history` whole when
    `compacted`, the model built from its file; else only the periods after `since`), the
    fingerprints at the dates this build settled, and the build itself. No transaction of its own."""
    con.execute(f"create schema if not exists {STATE_SCHEMA}")
    con.execute(f"create table if not exists {KNOWN} (as_of date, source varchar, rows bigint, fingerprint hugeint)")
    con.execute(f"create table if not exists {BUILDS} (built_at timestamp, mode varchar, data_end date, "
                f"since date, dates_built integer, traits_from date, definitions varchar)")
    if compacted or p.full:
        con.execute(f"create or replace table {HISTORY} as "
                    f"select * from temp.main.user_history where period is not null")
    else:
        con.execute(f"delete from {HISTORY} where period > ?", [p.since])
        con.execute(f"insert into {HISTORY} by name select * from temp.main.user_history where period > ?",
                    [p.since])
    settled = p.dates if p.full else tuple(d for d in p.dates if d > p.since or d >= (p.traits_from or dt.date.max))
    if p.full:
        con.execute(f"delete from {KNOWN}")
    con.execute(f"delete from {KNOWN} where source in ({', '.join(_quote(x) for x in REWRITTEN)}) "
                f"or as_of in (select unnest(cast(? as date[]))) or as_of not in (select unnest(cast(? as date[])))",
                [list(settled), list(p.dates)])
    fps = _fingerprints(con, TRAITS, settled, end) | _fingerprints(con, REWRITTEN, p.dates[-2:], end)
    if fps:
        con.executemany(f"insert into {KNOWN} values (?, ?, ?, ?)", [[d, src, n, fp] for (d, src), (n, fp) in fps.items()])
    con.execute(f"insert into {BUILDS} values (?, ?, ?, ?, ?, ?, ?)",
                [dt.datetime.now(), "full" if p.full else "incremental", end, p.since, len(p.build),
                 p.traits_from, definitions(s)])


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _state_has(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_schema = ? "
                       "and table_name = ? and table_catalog = current_database()",
                       [STATE_SCHEMA, name]).fetchall()[0][0] > 0


def _fingerprints(con: duckdb.DuckDBPyConnection, sources: Sequence[str], dates: Sequence[dt.date],
                  end: dt.date) -> dict[tuple[dt.date, str], tuple[int, int]]:
    """{(as_of, source): (rows, fingerprint)} of each source as known at each date."""
    con.execute("create or replace temp table dates as select unnest(cast(? as date[])) as as_of", [list(dates)])
    out = {(d, src): (0, 0) for d in dates for src in sources}
    for src in sources:
        joined, row_hash = KNOWN_AT[src]
        sql = f"select o.as_of, count(*), sum({row_hash}) {joined} group by o.as_of"
        for as_of, n, fp in con.execute(sql, {"data_end": end} if "$data_end" in joined else {}).fetchall():
            out[(as_of, src)] = (int(n), int(fp))
    return out


def _recorded(con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> dict[tuple[dt.date, str], tuple[int, int]]:
    rows = con.execute(f"select as_of, source, rows, fingerprint from {KNOWN} "
                       f"where source in ({', '.join(_quote(x) for x in sources)})").fetchall()
    return {(d, src): (int(n), int(fp)) for d, src, n, fp in rows}


def _rewritten(con: duckdb.DuckDBPyConnection, since: dt.date, end: dt.date) -> str | None:
    """The source known on or before `since` that is not what the last build saw, if any."""
    events = con.execute("select count(*) from events where occurred_at < cast(? as timestamp)",
                         [since + dt.timedelta(days=1)]).fetchall()[0][0]
    kept = con.execute(f"select coalesce(sum(events), 0) from {STATE_SCHEMA}.type_days where event_date <= ?",
                       [since]).fetchall()[0][0]
    if events != kept:
        return "events"
    recorded = _recorded(con, REWRITTEN)
    now = _fingerprints(con, REWRITTEN, [since], end)
    return next((src for src in REWRITTEN if recorded.get((since, src)) != now[(since, src)]), None)
