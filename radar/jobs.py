"""The batch jobs as the command line and the demo run them: call the layer's function, say what
happened in one line. Each job's inputs are its arguments; its output is the warehouse (or the
registry) it writes and the summary it returns.

Heavy modules are imported inside each job, so `radar --help` answers at once.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Callable

Say = Callable[..., None]


def sample(out: Path, accounts: int, months: int, end: dt.date | None, seed: int, fmt: str, say: Say,
           pricing: str = "seats", churn: str = "modelled", sources: str = "all") -> dict:
    from features.sample.generate import generate
    counts = generate(out, accounts, months, end, seed, fmt, progress=say, pricing=pricing, churn=churn,
                      sources=sources)
    secs = counts.pop("seconds")
    say(f"wrote {', '.join(f'{k} {v:,}' for k, v in counts.items())} to {out} in {secs:.1f}s "
        f"({counts['events'] / max(secs, 1e-9):,.0f} events/s)")
    return counts | {"seconds": secs}


def ingest(source_dir: Path, db: Path, say: Say, wait: bool = True, data_end: dt.date | None = None,
           accept_quarantine: bool = False) -> dict:
    from features.ingest import ingest as load
    from features.publish import job_lock
    t0 = time.perf_counter()
    with job_lock(db, "ingest", wait=wait, say=say):  # ingest builds aside and swaps by itself
        summary = load(source_dir, db, progress=say, data_end=data_end, accept_quarantine=accept_quarantine)
    good = sum(g for g, _ in summary.values())
    bad = sum(b for _, b in summary.values())
    say(f"loaded {good:,} rows into {db} in {time.perf_counter() - t0:.1f}s; "
        f"{bad:,} rows quarantined" + (" (see table `quarantine`)" if bad else ""))
    return summary


def features(db: Path, as_of: dt.date | None, out: Path | None, say: Say, wait: bool = True,
             full: bool = False, engine: str = "duckdb", master: str | None = None, source: Path | None = None):
    """Build (or, with `source`, load a Spark run's folder) on a copy of the warehouse and swap it in."""
    from features import appstore, pipeline
    from features.publish import publishing
    from features.warehouse import open_existing
    t0 = time.perf_counter()
    open_existing(db, read_only=True).close()  # a missing warehouse says how to make one (read-only: readers never block it)
    with publishing(db, "features", wait=wait, say=say) as work, open_existing(work) as con:
        appstore.export_edits(con, appstore.engine())
        if source is not None:
            from features.spark_folder import load
            frame = load(con, source, as_of, progress=say)
        elif engine == "spark":
            frame = _spark_engine().run(con, out or db.with_name(db.stem + ".spark"), master, as_of, progress=say)
        else:
            frame = pipeline.run(con, as_of, out, progress=say, full=full)
    say(f"features: {len(frame):,} snapshots x {frame.shape[1] - 2} features "
        f"({frame['as_of'].nunique()} dates) in {time.perf_counter() - t0:.1f}s")
    return frame


def _spark_engine():
    """features.spark_engine, or a LookupError that says what to install."""
    from importlib.util import find_spec
    if missing := [m for m in ("pyspark", "sqlglot") if find_spec(m) is None]:  # found, not imported
        raise LookupError(f"--engine spark needs {' and '.join(missing)}: pip install '.[spark]' (and Java 17)")
    from features import spark_engine
    return spark_engine


def health(db: Path, as_of: dt.date | None, out: Path | None, say: Say, wait: bool = True):
    from features import appstore
    from features import health as rules
    from features.publish import publishing
    from features.warehouse import open_existing
    open_existing(db, read_only=True).close()
    with publishing(db, "health", wait=wait, say=say) as work, open_existing(work) as con:
        appstore.export_edits(con, appstore.engine())  # traits people set since the last run count
        h = rules.run(con, as_of, out)
    latest = h[h["as_of"] == h["as_of"].max()]
    tiers = latest["health_tier"].value_counts().to_dict()
    say(f"health: {len(h):,} snapshots scored; at {latest['as_of'].max():%Y-%m-%d}: "
        + ", ".join(f"{k} {v}" for k, v in tiers.items())
        + f"; median coverage {latest['coverage'].median():.0%}")
    return h


def health_fit(db: Path, to: Path | None, accept: bool, say: Say) -> dict:
    from model.health_fit import run
    return run(db, to, accept, progress=say)


def train(db: Path, as_of: dt.date | None, horizon_days: int | None, seed: int | None, say: Say) -> dict:
    from model.train import run
    return run(db, as_of, horizon_days, seed, progress=say)


def backtest(db: Path, cutoffs: list[dt.date] | None, every: str | None, horizon_days: int | None,
             seed: int | None, say: Say) -> dict:
    from model.backtest_run import run
    return run(db, cutoffs, every, horizon_days, seed, progress=say)


def score(db: Path, as_of: dt.date | None, version: str | None, out: Path | None, all_dates: bool,
          say: Say, wait: bool = True) -> dict:
    from features.publish import publishing
    from features.warehouse import open_existing
    from model.score import run
    open_existing(db, read_only=True).close()
    with publishing(db, "score", wait=wait, say=say) as work:
        return run(work, as_of, version, out, progress=say, all_dates=all_dates)


def promote(version: str, say: Say) -> None:
    from model import tracking
    tracking.promote(version)
    say(f"version {version} of the churn model is now @champion")


def alerts(db: Path, as_of: dt.date | None, all_dates: bool, say: Say, wait: bool = True) -> dict:
    """Alerts (and expansion signals) at the latest snapshot, or replayed over every snapshot with
    `all_dates`; people's alert actions are read from the operational store, never written."""
    from features import appstore
    from features.catalog import money
    from features.publish import publishing
    from features.warehouse import open_existing
    from model import alerts as rules
    from model import expansion
    t0 = time.perf_counter()
    open_existing(db, read_only=True).close()
    actions = appstore.alert_action_log(appstore.engine())
    with publishing(db, "alerts", wait=wait, say=say) as work, open_existing(work) as con:
        out = rules.run(con, as_of, all_dates, actions, progress=say)
        signals = expansion.run(con, out["as_of"], progress=say)
    n = out["by_severity"]
    say(f"alerts at {out['as_of']}: {n['critical']} critical ({out['notified']} interrupt their owners this week, "
        f"{out['capped']} over the weekly budget go to the digest"
        + "".join(f", {k} {why}" for why, k in out.get("quiet", {}).items() if k)
        + f"), {n['warning']} warnings, {n['info']} for "
        f"information, on {out['accounts']} accounts" + (f" ({out['dates']} snapshots replayed)" if all_dates else "")
        + f"; expansion: {signals['signals']} signals on {signals['accounts']} accounts, {money(signals['amount'])} "
        f"estimated [{time.perf_counter() - t0:.1f}s]")
    return out | {"expansion": signals}


def alerts_backtest(db: Path, every_days: int | None, retrain_every: str | None, say: Say) -> dict:
    """Replay the alerts over the warehouse's history on a private copy, each snapshot scored by a
    model trained only on what was known then (model/alerts_backtest.py), and print the figures."""
    from model import alerts_backtest as replay
    out = replay.run(db, every_days, retrain_every, progress=say)
    for line in replay.report(out):
        say(line)
    return out


def digest(db: Path, owner: str | None, fmt: str, send: bool, to: list[str] | None, out: Path | None, say: Say) -> str:
    """The weekly digest for one owner or the portfolio: printed, written to `out`, or mailed
    (audited) to `to` or to the roles file's SAMs of that book (leaders for the portfolio)."""
    import getpass
    from features import appstore
    from portal import access
    from portal.reports import digest as report
    from portal.reports import mail
    from portal.reports import settings as config
    from features.warehouse import open_existing
    open_existing(db, read_only=True).close()
    eng = appstore.engine()
    d = report.build(str(db), eng, owner)
    text = report.render(d, fmt)
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
        say(f"digest for {d.scope} written to {out}")
    elif not send:
        say(text, end="")
    if send:
        smtp = config.smtp()
        if not smtp.configured:
            raise mail.NotConfigured("no SMTP server is configured: set [smtp] host in portal/reports/config.toml "
                                     "or $RADAR_SMTP_HOST; nothing was sent")
        recipients = to or mail.recipients_for(owner, access.load_roles())
        if not recipients:
            raise ValueError(f"nobody to send the digest for {d.scope} to: give --to, or map "
                             f"{'a leader' if owner is None else 'a SAM with owner = ' + repr(owner)} in the roles file")
        msg = mail.message(report.subject(d), report.markdown(d), report.html(d), recipients, smtp.sender)
        sent = mail.send(msg, smtp)
        appstore.log_action(eng, f"cli:{getpass.getuser()}", "operator", "send digest", owner or "portfolio",
                            None, {"to": sent, "as_of": str(d.as_of), "accounts_to_act_on": len(d.act_on)})
        say(f"digest for {d.scope} sent to {', '.join(sent)}")
    return text


def qbr(db: Path, account_id: str, fmt: str, out: Path | None, say: Say) -> Path | str:
    """A QBR data pack for one account: a draft for its SAM to edit, never sent. Markdown and HTML
    print unless `out` is given; a PDF needs a file (default qbr_ACCOUNT.pdf)."""
    from features import appstore
    from features.warehouse import open_existing
    from portal.reports import qbr as pack
    open_existing(db, read_only=True).close()
    p = pack.build(str(db), appstore.engine(), account_id)
    if fmt == "pdf":
        target = Path(out or f"qbr_{account_id}.pdf")
        target.write_bytes(pack.pdf(p))
        say(f"QBR pack for {p.name} ({account_id}) written to {target}: a draft to edit, not sent")
        return target
    text = pack.markdown(p) if fmt == "md" else pack.html(p)
    if out is not None:
        Path(out).write_text(text)
        say(f"QBR pack for {p.name} ({account_id}) written to {out}: a draft to edit, not sent")
        return Path(out)
    say(text, end="")
    return text
