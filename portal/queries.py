"""What the portal reads and computes, with no Streamlit in it: another UI, the digest or a test
can call every function here. Frames in, frames or numbers out; formatting is the views' job.

Connections are short-lived and read-only, so batch jobs can write while the portal runs.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from features import publish
from features.catalog import listing
from features.paths import default_db
from features.warehouse import has_table

PORTFOLIO_SQL = Path(__file__).resolve().parents[1] / "features" / "sql" / "marts" / "portfolio.sql"
HEALTH_PORTFOLIO_SQL = PORTFOLIO_SQL.with_name("portfolio_health.sql")
ACCOUNT_USERS_SQL = PORTFOLIO_SQL.with_name("account_users.sql")
RETRIES, RETRY_WAIT_S = 20, 0.25  # a job swapping the file in holds it for well under a second


def db_path() -> str:
    return str(Path(os.environ.get("RADAR_DB") or default_db()))


def stamp(db: str) -> int:
    """Changes whenever the warehouse file (or its write-ahead log) does: part of every cache key."""
    p = Path(db)
    wal = p.with_name(p.name + ".wal")
    return max((f.stat().st_mtime_ns for f in (p, wal) if f.exists()), default=0)


def read(db: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection; retried briefly while a job holds the file."""
    for attempt in range(RETRIES):
        try:
            con = duckdb.connect(db, read_only=True)
            con.execute("set enable_progress_bar = false")
            return con
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or attempt == RETRIES - 1:
                raise
            time.sleep(RETRY_WAIT_S)
    raise AssertionError("unreachable")


def query(db: str, sql: str, params: list | dict | None = None) -> pd.DataFrame:
    with read(db) as con:
        return con.execute(sql, params or []).df()


def tables(db: str) -> set[str]:
    if not Path(db).exists():
        return set()
    return set(query(db, "select table_name from information_schema.tables where table_schema = 'main'")["table_name"])


def owners(db: str) -> list[str]:
    return sorted(query(db, "select distinct coalesce(owner, 'Unassigned') as owner from accounts")["owner"])


def score_dates(db: str) -> list:
    return list(query(db, "select distinct as_of from scores order by as_of")["as_of"])


def readiness(db: str, have: set[str], dates: list) -> tuple[str, str] | None:
    """None when the portal can show scores; else (what is missing, the command that fixes it)."""
    if not have:
        return f"No warehouse at {db}.", "radar demo   # or: radar ingest SOURCE_DIR && radar features && radar health"
    for table, fix in (("features", "radar features"), ("health", "radar health"),
                       ("scores", "radar train && radar score --all-dates")):
        if table not in have:
            return f"The warehouse has no `{table}` table yet.", fix
    if not dates:
        return "No account has been scored yet.", "radar score --all-dates"
    return None


def tier_history(db: str) -> pd.DataFrame:
    """ARR and accounts per snapshot, owner, segment and risk tier (for the ARR-by-tier chart)."""
    return query(db, """select s.as_of, coalesce(a.owner, 'Unassigned') as owner,
                               coalesce(a.segment, 'Unknown') as segment, s.risk_tier,
                               sum(s.arr) as arr, count(*) as accounts
                        from scores as s left join accounts as a using (account_id)
                        group by all order by s.as_of""")


def tier_totals(history: pd.DataFrame) -> pd.DataFrame:
    """One row per snapshot and risk tier: ARR and accounts summed over the rows given."""
    return history.groupby(["as_of", "risk_tier"], as_index=False)[["arr", "accounts"]].sum()


def portfolio(db: str, as_of) -> pd.DataFrame:
    """One row per scored account at `as_of` (features/sql/marts/portfolio.sql)."""
    return query(db, PORTFOLIO_SQL.read_text(), {"as_of": as_of})


def unscored(have: set[str], score_dates: list) -> bool:
    """Health is there but no churn score yet (no model could be trained, or none has scored)."""
    return {"features", "health"} <= have and not score_dates


def health_dates(db: str) -> list:
    return list(query(db, "select distinct as_of from health order by as_of")["as_of"])


def health_portfolio(db: str, as_of=None) -> pd.DataFrame:
    """One row per account with a health score at `as_of` (default: the latest health date), worst
    health first (features/sql/marts/portfolio_health.sql): the portfolio while no account is scored."""
    latest = as_of if as_of is not None else query(db, "select max(as_of) as as_of from health")["as_of"].iat[0]
    # no health yet: no rows, with the columns every reader expects
    return query(db, HEALTH_PORTFOLIO_SQL.read_text(), {"as_of": None if pd.isna(latest) else latest})


def health_as_portfolio(db: str, as_of) -> pd.DataFrame:
    """The accounts' health at `as_of` in the scored portfolio's columns, the churn columns empty:
    what reports read while no churn model has scored."""
    return health_portfolio(db, as_of).assign(arr_at_risk=float("nan"), risk_tier=None, churn_probability=float("nan"))


def health_rollup(view: pd.DataFrame, renewal_days: int) -> pd.DataFrame:
    """One row per owner while no account is scored: accounts, ARR, accounts and ARR in poor
    health, median health, renewals, status notes; most ARR in poor health first."""
    poor = view["health_tier"] == "poor"
    return view.assign(poor=poor, poor_arr=view["arr"].where(poor, 0)).groupby("owner").agg(
        accounts=("account_id", "count"), arr=("arr", "sum"), poor=("poor", "sum"), poor_arr=("poor_arr", "sum"),
        median_health=("health_score", "median"),
        renewing=("days_to_renewal", lambda s: int((s <= renewal_days).sum())),
        notes=("status_note", lambda s: int(s.notna().sum())),
    ).reset_index().sort_values("poor_arr", ascending=False, ignore_index=True)


def with_notes(frame: pd.DataFrame, notes: pd.DataFrame) -> pd.DataFrame:
    """Each account's latest status note (from the operational store) beside its row."""
    latest = (notes.sort_values("edited_at").groupby("account_id").tail(1)
              .rename(columns={"note": "status_note", "edited_by": "note_by", "edited_at": "note_at"}))
    cols = ["account_id", "status_note", "note_by", "note_at"]
    return frame.merge(latest[cols] if len(latest) else pd.DataFrame(columns=cols), on="account_id", how="left")


HEALTH_COLUMNS = ["health_score", "health_tier", "coverage", "missing_traits", "stale_traits"]


def health_now(db: str, edits: pd.DataFrame, as_of) -> pd.DataFrame:
    """The health at `as_of` of the accounts people edited, with their edits as they stand now:
    what the next `radar health` will compute, without writing the warehouse. One row per account.

    The warehouse is attached read-only to a private in-memory DuckDB, where a temporary
    `trait_edits` (the operational store's) shadows the copy the last refresh took."""
    from features import health
    if edits.empty:
        return pd.DataFrame(columns=["account_id", "as_of"])
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{db.replace(chr(39), chr(39) * 2)}' as warehouse (read_only)")
        con.execute("use warehouse")
        con.register("app_edits", edits.astype({"edited_at": "datetime64[us]"}))
        con.execute("create temp table trait_edits as select account_id, trait, value, edited_by, "
                    "cast(edited_at as timestamp) as edited_at from app_edits")
        ids = sorted(edits["account_id"].unique())
        return health.assess(con, "where as_of = ? and list_contains(?, account_id)", [as_of, ids])
    finally:
        con.close()


def with_current_health(frame: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """`frame` (one row per account) with the health columns of the accounts in `now` replaced."""
    if now.empty or frame.empty:
        return frame
    fresh = now.set_index("account_id")
    out = frame.set_index("account_id")
    hit = out.index.intersection(fresh.index)
    for col in HEALTH_COLUMNS:
        if col in fresh:
            out.loc[hit, col] = fresh.loc[hit, col]
    return out.reset_index()


def with_current_rows(history: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """An account's health history with the snapshots in `now` (same account) replaced by them."""
    if now.empty:
        return history
    keep = ~pd.to_datetime(history["as_of"]).isin(pd.to_datetime(now["as_of"]))
    return pd.concat([history[keep], now[[c for c in history.columns if c in now]]], ignore_index=True) \
        .sort_values("as_of", ignore_index=True)


def app_history(eng, account_id: str) -> dict:
    """An account's trait edits and notes from the operational store, and its current traits."""
    from features import appstore
    edits = appstore.edits(eng, [account_id])
    return {"edits": edits.drop(columns="account_id"),
            "notes": appstore.notes(eng, [account_id]).drop(columns="account_id"),
            "current": dict(zip(edits["trait"], edits["value"]))}


def comparison_date(dates: list, days_back: int):
    """The latest snapshot at least `days_back` days before the latest one: the one comparison rule."""
    if not dates:
        return None
    earlier = [d for d in dates if pd.Timestamp(d) <= pd.Timestamp(dates[-1]) - pd.Timedelta(days=days_back)]
    return earlier[-1] if earlier else None


def freshness(db: str) -> dict:
    """The latest ingest run, each source's status, the latest event date, the rows the latest load
    quarantined and when the features were last built: one connection for all of it."""
    from features import ingest
    with read(db) as con:
        runs = con.execute("select * from ingest_runs order by finished_at desc limit 1").df()
        sources = con.execute("""select c.table_name, bool_or(c.present) as loaded, any_value(c.file) as file,
                                        string_agg(case when not c.present then c.column_name end, ', ') as absent_columns
                                 from source_columns as c group by c.table_name order by c.table_name""").df()
        end = con.execute("select max(cast(occurred_at as date)) from events").fetchall()[0][0]
        present = {x for t, c in con.execute("select table_name, column_name from source_columns where present")
                   .fetchall() for x in (t, f"{t}.{c}")}  # what a feature's `requires` may name
        return {"last_run": runs.iloc[0].to_dict() if len(runs) else None, "sources": sources, "data_end": end,
                "present": present,
                "quarantine": ingest.quarantine_summary(con), "features_built": _features_built(con),
                "job_runs": publish.last_runs(con),  # ({job: last finished}, first recorded start)
                "scored": has_table(con, "scores")}  # has a churn model ever scored this portfolio


def _features_built(con: duckdb.DuckDBPyConnection):
    """When the features were last built (None when the warehouse keeps no build record)."""
    if not has_table(con, "builds", schema="feature_state"):
        return None
    return con.execute("select max(built_at) from feature_state.builds").fetchall()[0][0]


def refresh_state(f: dict, running: dict | None) -> str | None:
    """One sentence when the figures on screen are not the latest export's: a job is writing the
    warehouse now, the latest export was loaded after the features were last built, or health or
    scoring has not run since they were."""
    if running:
        return (f"A refresh is under way: `radar {running.get('job', '?')}` since {str(running.get('started_at', '?'))[11:16]}. "
                "The figures here are from the last finished step until it ends; the next rerun shows the new ones.")
    run, built = f.get("last_run"), f.get("features_built")
    runs, recorded_since = f.get("job_runs") or ({}, None)
    if run and built is not None and pd.Timestamp(built) < pd.Timestamp(run["finished_at"]):
        steps = ["features", "health"] + (["score"] if f.get("scored", True) else [])
        return (f"The export loaded {pd.Timestamp(run['finished_at']):%Y-%m-%d %H:%M} is not built yet: the figures "
                f"here are from the build of {pd.Timestamp(built):%Y-%m-%d %H:%M}. Run "
                + listing([f"`radar {step}`" for step in steps]) + ".")
    built = built if built is not None else runs.get("features")  # a Spark folder loaded keeps no build record
    if behind := steps_behind(runs, built, recorded_since, f.get("scored", True)):
        what = " and ".join(label for _, label in behind)
        return (f"The {what} have not been recomputed since the feature build of {pd.Timestamp(built):%Y-%m-%d %H:%M}: "
                f"run {' and '.join(f'`radar {step}`' for step, _ in behind)} to bring them up to date.")
    return None


BUILT_FROM_FEATURES = (("health", "health scores"), ("score", "churn risks"))  # steps that read the features


def steps_behind(runs: dict, built, recorded_since, scored: bool = True) -> list[tuple[str, str]]:
    """The steps (job, what it makes) that have not finished since the features were last built
    (`built`), from `runs` ({job: last finished}). A step with no recorded run counts as behind
    only when the build itself happened while runs were being recorded (after `recorded_since`):
    in a warehouse older than the record, an unrecorded step may well have run after it. Scoring
    counts only in a portfolio that has been `scored`."""
    if built is None:
        return []
    built = pd.Timestamp(built)
    recorded = recorded_since is not None and pd.Timestamp(recorded_since) <= built
    # a portfolio never scored (`scored` false) has no churn risks to be behind: no model yet, which
    # the page says with what training needs
    steps = [(step, label) for step, label in BUILT_FROM_FEATURES if step != "score" or scored]
    return [(step, label) for step, label in steps
            if (pd.Timestamp(runs[step]) < built if step in runs else recorded)]


def catalog(db: str) -> pd.DataFrame:
    return query(db, "select * from feature_catalog").set_index("name")


def account_record(db: str, account_id: str) -> dict | None:
    """The account's name and owner whatever its status, or None when no such account exists."""
    rows = query(db, "select account_id, coalesce(name, account_id) as name, coalesce(owner, 'Unassigned') as owner "
                     "from accounts where account_id = ?", [account_id])
    return rows.iloc[0].to_dict() if len(rows) else None


def former_account(db: str, account_id: str) -> dict:
    """A former (or not yet active) customer: its score and health history, the last day a contract
    covered it, and whether a contract covers it at all now."""
    with read(db) as con:
        scores = con.execute("""select s.as_of, s.churn_probability, s.risk_tier, s.arr, h.health_score,
                                       coalesce(h.health_tier, 'unknown') as health_tier
                                from scores as s left join health as h using (account_id, as_of)
                                where s.account_id = ? order by s.as_of""", [account_id]).df()
        last_covered, evergreen = con.execute(
            "select max(end_date), bool_or(end_date is null) from contracts where account_id = ?",
            [account_id]).fetchall()[0]
    return {"scores": scores, "last_covered": last_covered, "evergreen": bool(evergreen)}


def said_before(scores: pd.DataFrame, day, days_before: tuple[int, ...]) -> pd.DataFrame:
    """What the model and the health score said about `days_before` days before `day`: the latest
    snapshot on or before each of those dates (none when the account was not scored yet)."""
    rows = []
    stamps = pd.to_datetime(scores["as_of"])
    for n in days_before:
        target = pd.Timestamp(day) - pd.Timedelta(days=n)
        seen = scores[stamps <= target]
        if len(seen):
            rows.append({"days_before": n, **seen.iloc[-1].to_dict()})
    return pd.DataFrame(rows, columns=["days_before", *scores.columns])


def account_options(db: str, as_of) -> pd.DataFrame:
    return query(db, """select s.account_id, coalesce(a.name, s.account_id) as name,
                               coalesce(a.owner, 'Unassigned') as owner from scores as s
                        left join accounts as a using (account_id) where s.as_of = ?
                        order by s.churn_probability desc""", [as_of])


def account_detail(db: str, account_id: str, have: set[str], recent_rows: int) -> dict[str, pd.DataFrame]:
    """Everything the account page shows, one query per block, on one connection."""
    optional = {
        "users": ("user_activity", ACCOUNT_USERS_SQL),
        "personas": ("adoption_personas", "select * from adoption_personas where account_id = ? and as_of = "
                     "(select max(as_of) from adoption_personas) order by registered desc"),
        "workflows": ("adoption_workflows", "select * from adoption_workflows where account_id = ? and as_of = "
                      "(select max(as_of) from adoption_workflows) order by workflow"),
        "activity": ("recent_activity", "select * from recent_activity where account_id = ? order by events desc"),
        "contributions": ("risk_contributions", "select * from risk_contributions where account_id = ? "
                          "order by as_of, family"),
    }
    with read(db) as con:
        def q(sql: str, *params) -> pd.DataFrame:
            return con.execute(sql, [account_id, *params]).df()
        out = {
            "health": q("select * from health where account_id = ? order by as_of"),
            # no churn model has scored yet: an empty history (the page shows the health score alone)
            "scores": q("select as_of, churn_probability, risk_tier from scores where account_id = ? order by as_of")
            if "scores" in have else pd.DataFrame(columns=["as_of", "churn_probability", "risk_tier"]),
            "drivers": q("select * from drivers where account_id = ? and as_of = (select max(as_of) from drivers) "
                         "order by direction desc, rank") if "drivers" in have else pd.DataFrame(),
            "features": q("select * from features where account_id = ? order by as_of"),
            "tickets": q("select ticket_id, opened_at, closed_at, kind, priority, status from tickets "
                         "where account_id = ? order by opened_at desc limit ?", recent_rows),
            "touchpoints": q("select occurred_at, kind, owner, notes from touchpoints where account_id = ? "
                             "order by occurred_at desc limit ?", recent_rows),
        }
        for key, (table, sql) in optional.items():
            if table not in have:
                out[key] = pd.DataFrame()
            elif isinstance(sql, Path):  # a query file: its parameters by name
                out[key] = con.execute(sql.read_text(), {"account_id": account_id}).df()
            else:
                out[key] = q(sql)
    return out


def family_label(family: str) -> str:
    """A feature family as a reader says it: "contract_history" -> "Contract history"."""
    return str(family).replace("_", " ").strip().capitalize()


def risk_moves(contributions: pd.DataFrame, scores: pd.DataFrame, top: int = 3) -> str | None:
    """One sentence on what changed the account's risk between its last two scored snapshots: the
    probability then and now, and the feature families that moved it most, in points. None with
    fewer than two snapshots of contributions."""
    if contributions.empty or scores.empty:
        return None
    dates = sorted(pd.to_datetime(contributions["as_of"]).unique())
    if len(dates) < 2:
        return None
    c = contributions.assign(as_of=pd.to_datetime(contributions["as_of"]))
    prob = scores.assign(as_of=pd.to_datetime(scores["as_of"])).set_index("as_of")["churn_probability"]
    before, now = dates[-2], dates[-1]
    if before not in prob.index or now not in prob.index:
        return None
    by = c.pivot_table(index="as_of", columns="family", values="points", aggfunc="sum").fillna(0.0)
    change = (by.loc[now] - by.loc[before]).sort_values(key=abs, ascending=False)
    peers = 100 * float(c.loc[c["as_of"] == now, "peer_probability"].iloc[0]
                        - c.loc[c["as_of"] == before, "peer_probability"].iloc[0])
    parts = [f"{family_label(f).lower()} {v:+.1f} points" for f, v in change.head(top).items() if abs(v) >= 0.05]
    if abs(peers) >= 0.05:
        parts.append(f"the renewed peers' own level {peers:+.1f} points")
    head = (f"From {before:%Y-%m-%d} to {now:%Y-%m-%d} the churn probability went from "
            f"{prob[before]:.0%} to {prob[now]:.0%}")
    return head + (": " + ", ".join(parts) + "." if parts else "; no family moved it by 0.1 points or more.")


def labelled_scores(db: str, horizon_days: int, grace_days: int) -> pd.DataFrame:
    """Every scored snapshot whose outcome is known now (model/backtest.py)."""
    from model.backtest import labelled_scores as labelled
    with read(db) as con:
        return labelled(con, horizon_days, grace_days)


@dataclass(frozen=True)
class KeyFigures:
    """The portfolio's five figures, now and at the comparison snapshot (None when there is none)."""
    accounts: int
    arr: float
    arr_at_risk: float
    high_risk: int
    high_risk_arr: float
    renewing: int
    renewing_arr: float
    before: "KeyFigures | None" = None


def key_figures(view: pd.DataFrame, prev: pd.DataFrame | None, renewal_days: int) -> KeyFigures:
    def figures(v: pd.DataFrame) -> dict:
        high = v["risk_tier"] == "high"
        soon = v["days_to_renewal"] <= renewal_days
        return dict(accounts=len(v), arr=float(v["arr"].sum()), arr_at_risk=float(v["arr_at_risk"].sum()),
                    high_risk=int(high.sum()), high_risk_arr=float(v.loc[high, "arr"].sum()),
                    renewing=int(soon.sum()), renewing_arr=float(v.loc[soon, "arr"].sum()))
    before = KeyFigures(**figures(prev)) if prev is not None and len(prev) else None
    return KeyFigures(**figures(view), before=before)


def tier_counts(view: pd.DataFrame, tiers: list[str]) -> pd.DataFrame:
    """Accounts and ARR per risk tier, every tier present (zeros where empty)."""
    counts = view.groupby("risk_tier").agg(accounts=("account_id", "count"), arr=("arr", "sum"))
    return counts.reindex(tiers).fillna(0).astype({"accounts": int})


def renewals_due(view: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Accounts renewing within the window, soonest first."""
    return view[view["days_to_renewal"] <= window_days].sort_values("renewal_date")


def owner_rollup(view: pd.DataFrame, renewal_days: int) -> pd.DataFrame:
    """One row per owner: accounts, ARR, ARR at risk, high-risk accounts, median health, renewals,
    accounts with a status note; most ARR at risk first."""
    return view.groupby("owner").agg(
        accounts=("account_id", "count"), arr=("arr", "sum"), arr_at_risk=("arr_at_risk", "sum"),
        high_risk=("risk_tier", lambda s: int((s == "high").sum())), median_health=("health_score", "median"),
        renewing=("days_to_renewal", lambda s: int((s <= renewal_days).sum())),
        notes=("status_note", lambda s: int(s.notna().sum())),
    ).reset_index().sort_values("arr_at_risk", ascending=False, ignore_index=True)


def latest_notes(view: pd.DataFrame) -> pd.DataFrame:
    return view[view["status_note"].notna()].sort_values("note_at", ascending=False)


def disagreements(view: pd.DataFrame) -> pd.DataFrame:
    """Accounts the health score calls healthy and the model high risk, or poor and low risk."""
    healthy_risky = view[(view["health_tier"] == "healthy") & (view["risk_tier"] == "high")]
    poor_safe = view[(view["health_tier"] == "poor") & (view["risk_tier"] == "low")]
    return pd.concat([healthy_risky.assign(disagreement="Healthy score, high model risk"),
                      poor_safe.assign(disagreement="Poor score, low model risk")], ignore_index=True)


def probability_then(scores: pd.DataFrame, then) -> float | None:
    """An account's churn probability at the comparison snapshot, or None if it had none then."""
    if then is None or scores.empty:
        return None
    hit = scores[pd.to_datetime(scores["as_of"]) == pd.Timestamp(then)]
    return float(hit["churn_probability"].iat[0]) if len(hit) else None


def workflow_rows(workflows: pd.DataFrame, personas: pd.DataFrame) -> pd.DataFrame:
    """Each critical workflow against its target, in words: "2 of the 86 expected (43 managers x 2)"."""
    if workflows.empty:
        return workflows
    registered = dict(zip(personas["persona"], personas["registered"])) if len(personas) else {}
    out = workflows.copy()
    out["registered"] = out["intended_persona"].map(registered).fillna(0).astype(int)
    out["expected"] = out["per_user_per_30d"] * out["registered"]

    def words(r) -> str:
        if r.registered == 0:
            return f"{int(r.by_persona):,} done; no {r.intended_persona} users are registered"
        people = f"{r.registered:,} {r.intended_persona}" + ("" if r.registered == 1 else "s")
        return f"{int(r.by_persona):,} of the {r.expected:,.0f} expected ({people} x {r.per_user_per_30d:g})"
    out["done"] = [words(r) for r in out.itertuples()]
    return out


def user_statuses(active_within_days: int = 30) -> list[str]:
    """Every status `user_status` gives, in the order people read them."""
    return ["active", f"inactive {active_within_days}+ days", "never logged in", "deactivated"]


def user_status(users: pd.DataFrame, as_of, active_within_days: int = 30) -> pd.Series:
    """Each user's status at `as_of`: deactivated, never logged in, active (last active within the
    window, as_of included), or inactive. Later steps win: a deactivated user is 'deactivated'."""
    status = pd.Series(f"inactive {active_within_days}+ days", index=users.index)
    status[_active_within(users, as_of, active_within_days)] = "active"
    status[users["last_active"].isna()] = "never logged in"
    status[pd.to_datetime(users["deactivated_at"]).notna()] = "deactivated"
    return status


def active_then_deactivated(users: pd.DataFrame, as_of, active_within_days: int = 30) -> int:
    """Users active within the window up to `as_of` and deactivated since: the active-users figure
    counts them (they were active), the user list shows them as deactivated."""
    return int((_active_within(users, as_of, active_within_days) & pd.to_datetime(users["deactivated_at"]).notna()).sum())


def _active_within(users: pd.DataFrame, as_of, days: int) -> pd.Series:
    """Whether each user was last active within the `days` days up to `as_of`, as_of included."""
    return pd.to_datetime(users["last_active"]) >= pd.Timestamp(as_of) - pd.Timedelta(days=days - 1)


def apply_filters(frame: pd.DataFrame, owners, segments, tiers, tier_column: str = "risk_tier") -> pd.DataFrame:
    """Rows matching every non-empty filter (an empty filter keeps everything); `tiers` are of
    `tier_column` (the health tier while no account is scored)."""
    keep = pd.Series(True, index=frame.index)
    for column, picked in (("owner", owners), ("segment", segments), (tier_column, tiers)):
        if picked:
            keep &= frame[column].isin(picked)
    return frame[keep]


def days_ago(d, today: dt.date | None = None) -> int | None:
    return None if d is None or pd.isna(d) else ((today or dt.date.today()) - pd.Timestamp(d).date()).days
