"""`radar`: the command line. Each subcommand's inputs and outputs are its default arguments.

Heavy modules (pandas, duckdb, lightgbm, mlflow, streamlit) are imported inside the command
that needs them, so `radar --help` answers at once.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from features import paths
from radar import jobs


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _say(*args, **kw):
    print(*args, **kw, flush=True)


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def cmd_sample(a) -> int:
    jobs.sample(Path(a.out), a.accounts, a.months, a.end, a.seed, a.format, _say,
                pricing=a.pricing, churn=a.churn, sources=a.sources)
    return 0


def cmd_ingest(a) -> int:
    jobs.ingest(Path(a.source_dir), Path(a.db), _say, wait=not a.no_wait, data_end=a.data_end,
                accept_quarantine=a.accept_quarantine)
    return 0


def cmd_features(a) -> int:
    jobs.features(Path(a.db), a.as_of, _path(a.out), _say, wait=not a.no_wait, full=a.full,
                  engine=a.engine, master=a.master, source=_path(a.from_))
    return 0


def cmd_health(a) -> int:
    if a.fit:
        jobs.health_fit(Path(a.db), _path(a.to), a.accept, _say)
        return 0
    jobs.health(Path(a.db), a.as_of, _path(a.out), _say, wait=not a.no_wait)
    return 0


def cmd_train(a) -> int:
    jobs.train(Path(a.db), a.as_of, a.horizon_days, a.seed, _say)
    return 0


def cmd_backtest(a) -> int:
    jobs.backtest(Path(a.db), a.cutoffs, a.every, a.horizon_days, a.seed, _say)
    return 0


def _dates(text: str) -> list[dt.date]:
    return [_date(t.strip()) for t in text.split(",") if t.strip()]


def cmd_score(a) -> int:
    jobs.score(Path(a.db), a.as_of, a.model_version, _path(a.out), a.all_dates, _say, wait=not a.no_wait)
    return 0


def cmd_promote(a) -> int:
    jobs.promote(a.version, _say)
    return 0


def cmd_alerts(a) -> int:
    if a.backtest:
        jobs.alerts_backtest(Path(a.db), a.every_days, a.retrain_every, _say)
    else:
        jobs.alerts(Path(a.db), a.as_of, a.all_dates, _say, wait=not a.no_wait)
    return 0


def cmd_digest(a) -> int:
    from portal.reports.mail import NotConfigured
    try:
        jobs.digest(Path(a.db), a.owner, a.format, a.send, a.to, _path(a.out), _say)
    except NotConfigured as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_qbr(a) -> int:
    jobs.qbr(Path(a.db), a.account_id, a.format, _path(a.out), _say)
    return 0


def cmd_portal(a) -> int:
    from portal.launch import launch
    return launch(Path(a.db), a.port, headless=not a.open, address=a.address)


def cmd_demo(a) -> int:
    from radar.demo import run
    return run(Path(a.db), a.accounts, a.seed, a.end, portal=not a.no_portal, port=a.port, say=_say)


EXAMPLES = {
    "sample": "radar sample --out data/sample --accounts 400 --months 36\n"
              "  radar sample --out data/plans --months 12 --pricing plans --sources required",
    "ingest": "radar ingest data/sample --db data/radar.duckdb",
    "features": "radar features                 # the dates new since the last build\n"
                "  radar features --full          # every month end again\n"
                "  radar features --as-of 2026-10-31\n"
                "  radar features --engine spark --master spark://host:7077 --out /shared/radar.spark",
    "health": "radar health --out health.parquet\n  radar health --fit                 # propose, write nothing\n"
              "  radar health --fit --accept --to data/health.fitted.toml",
    "train": "radar train                    # on everything known today\n  radar train --as-of 2026-06-30",
    "backtest": "radar backtest                 # every quarter whose outcome is known\n"
                "  radar backtest --cutoffs 2025-06-30,2025-09-30,2025-12-31,2026-03-31",
    "score": "radar score --all-dates        # latest snapshot with @champion, plus history for trends",
    "promote": "radar promote 3",
    "alerts": "radar alerts                   # the latest snapshot, after `radar score`\n"
              "  radar alerts --backtest --every-days 7   # would they have warned us, and how many a week",
    "digest": "radar digest --owner 'Avery Chen'          # Markdown to the terminal\n"
              "  radar digest --format html --send          # the portfolio digest to the leaders",
    "qbr": "radar qbr ACC-00054 --format pdf --out qbr.pdf",
    "portal": "radar portal --port 8501",
    "demo": "radar demo --accounts 400",
}


class _Help(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default (where the help does not already say it) and keeps line breaks."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text or not action.option_strings:
            return text
        return text + " (default: %(default)s)"


def _command(sub, name: str, summary: str, fn):
    s = sub.add_parser(name, help=summary, description=summary, formatter_class=_Help,
                       epilog=f"example:\n  {EXAMPLES[name]}")
    s.set_defaults(fn=fn)
    return s


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="radar", description="Account Radar: which accounts will churn, why, and what to do.",
                                formatter_class=_Help, epilog="A nightly refresh: radar ingest DIR && radar features "
                                "&& radar health && radar score --all-dates && radar alerts\n`radar COMMAND --help` explains each command.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db = dict(default=str(paths.default_db()), help="the DuckDB warehouse (default: $RADAR_DB if set, else %(default)s)")

    s = _command(sub, "sample", "write a synthetic portfolio to a folder", cmd_sample)
    s.add_argument("--out", default=str(paths.SAMPLE_DIR), help="folder to write")
    s.add_argument("--accounts", type=int, default=400, help="how many accounts")
    s.add_argument("--months", type=int, default=36, help="months of history")
    s.add_argument("--end", type=_date, default=None, help="last day of data, YYYY-MM-DD (default: today)")
    s.add_argument("--seed", type=int, default=7, help="random seed: the same seed writes the same portfolio")
    s.add_argument("--format", choices=("csv", "parquet"), default="parquet", help="file format")
    s.add_argument("--pricing", choices=("seats", "plans"), default="seats",
                   help="seats: one plan per segment priced per seat, billed yearly; plans: a plan ladder and "
                        "add-ons priced differently, billed monthly or yearly")
    s.add_argument("--churn", choices=("modelled", "random"), default="modelled",
                   help="modelled: renewals follow the account's state and history; random: every term end "
                        "churns with the same odds (a leak check: nothing should predict it but timing)")
    s.add_argument("--sources", choices=("all", "required"), default="all",
                   help="all: every table; required: only accounts, contracts and events")

    s = _command(sub, "ingest", "load a source folder into the warehouse, quarantining bad rows", cmd_ingest)
    s.add_argument("source_dir", help="folder with accounts, contracts, events (+ optional users, tickets, "
                                      "touchpoints, traits) as CSV or Parquet; see data/README.md")
    s.add_argument("--db", **db)
    s.add_argument("--no-wait", action="store_true",
                   help="if another job is writing the warehouse, stop at once (exit 1) instead of waiting for it")
    s.add_argument("--data-end", type=_date, default=None,
                   help="the last day the data describes, YYYY-MM-DD; later rows are quarantined "
                        "(default: the latest event, capped at the files' export time)")
    s.add_argument("--accept-quarantine", action="store_true",
                   help="load even when a table loses more than its allowed share of rows to quarantine "
                        "(otherwise: exit 3 and the previous warehouse is kept)")

    s = _command(sub, "features", "build point-in-time feature snapshots", cmd_features)
    s.add_argument("--db", **db)
    s.add_argument("--no-wait", action="store_true",
                   help="if another job is writing the warehouse, stop at once (exit 1) instead of waiting for it")
    s.add_argument("--as-of", type=_date, default=None,
                   help="one observation date (default: every month end, building only those new or changed)")
    s.add_argument("--out", default=None, help="also write the snapshots as Parquet here (every date; with "
                                               "--as-of, that one); with --engine spark: the folder Spark writes "
                                               "(default: NAME.spark beside the warehouse)")
    s.add_argument("--full", action="store_true", help="rebuild every date, not only the new or changed ones")
    s.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="where the feature SQL runs; spark needs `pip install .[spark]` and Java 17 (docs/scale.md)")
    s.add_argument("--master", default=None, help="Spark master URL (default: local[*], or Spark Connect "
                                                  "at $SPARK_REMOTE when set)")
    s.add_argument("--from", dest="from_", default=None, metavar="PATH",
                   help="load a folder a Spark run wrote instead of building")

    s = _command(sub, "health", "score every snapshot with the rule-based health score", cmd_health)
    s.add_argument("--db", **db)
    s.add_argument("--no-wait", action="store_true",
                   help="if another job is writing the warehouse, stop at once (exit 1) instead of waiting for it")
    s.add_argument("--as-of", type=_date, default=None, help="one snapshot date (default: every snapshot)")
    s.add_argument("--out", default=None, help="also write the scores as Parquet here")
    s.add_argument("--fit", action="store_true",
                   help="propose weights and thresholds from the known churn outcomes, with the backtest ROC AUC "
                        "before and after; writes nothing unless --accept")
    s.add_argument("--accept", action="store_true", help="with --fit: write the proposal to features/config/health.toml")
    s.add_argument("--to", default=None, help="with --fit --accept: write the proposal to this file instead")

    s = _command(sub, "train", "train the churn model, log it to MLflow and register it", cmd_train)
    s.add_argument("--db", **db)
    s.add_argument("--as-of", type=_date, default=None, help="train on what was knowable then (default: the data end)")
    s.add_argument("--horizon-days", type=int, default=None,
                   help="label horizon in days (default: model/config.toml's [labels] horizon_days)")
    s.add_argument("--seed", type=int, default=None, help="random seed (default: model/config.toml's seed)")

    s = _command(sub, "backtest", "would it have warned us? train at each past cutoff with only what was known, "
                                  "score that day's accounts, compare with what happened", cmd_backtest)
    s.add_argument("--db", **db)
    s.add_argument("--cutoffs", type=_dates, default=None,
                   help="comma-separated dates, each read as the latest snapshot on or before it (default: --every)")
    s.add_argument("--every", choices=("quarter", "month"), default=None,
                   help="cutoffs every quarter or month, counted back from the latest whose outcome is known "
                        "(default: model/config.toml's [backtest] every)")
    s.add_argument("--horizon-days", type=int, default=None,
                   help="label horizon in days (default: model/config.toml's [labels] horizon_days)")
    s.add_argument("--seed", type=int, default=None, help="random seed (default: model/config.toml's seed)")

    s = _command(sub, "score", "score active accounts with the champion model and explain them", cmd_score)
    s.add_argument("--db", **db)
    s.add_argument("--no-wait", action="store_true",
                   help="if another job is writing the warehouse, stop at once (exit 1) instead of waiting for it")
    s.add_argument("--as-of", type=_date, default=None, help="snapshot to score (default: the latest)")
    s.add_argument("--model-version", default=None, help="registered version (default: @champion)")
    s.add_argument("--out", default=None, help="also write the scores as Parquet here")
    s.add_argument("--all-dates", action="store_true", help="also score every earlier snapshot (for trends)")

    s = _command(sub, "promote", "make a registered model version the @champion", cmd_promote)
    s.add_argument("version", help="the registered version number (see the Models page or `mlflow ui`)")

    s = _command(sub, "alerts", "raise alerts (with a weekly budget per owner) and expansion signals", cmd_alerts)
    s.add_argument("--db", **db)
    s.add_argument("--no-wait", action="store_true",
                   help="if another job is writing the warehouse, stop at once (exit 1) instead of waiting for it")
    s.add_argument("--as-of", type=_date, default=None, help="snapshot to raise alerts at (default: the latest)")
    s.add_argument("--all-dates", action="store_true",
                   help="replay every snapshot up to --as-of in order (history rebuilt; people's actions not applied)")
    s.add_argument("--backtest", action="store_true",
                   help="replay the history on a private copy, each run scored by a model trained only on what "
                        "was known then, and print how many churns a critical alert preceded and how many alerts "
                        "each owner got per week (the warehouse is not written)")
    s.add_argument("--every-days", type=int, default=None,
                   help="with --backtest: build snapshots this many days apart (e.g. 7 for weekly runs; "
                        "default: the stored month ends)")
    s.add_argument("--retrain-every", choices=("month", "quarter"), default=None,
                   help="with --backtest: train a model at each month or quarter end on what was known then, and "
                        "score each run with the latest (default: model/alerts.toml [backtest] retrain_every)")

    s = _command(sub, "digest", "the weekly digest for an owner or the whole portfolio", cmd_digest)
    s.add_argument("--db", **db)
    s.add_argument("--owner", default=None, help="the owner whose book it covers (default: the whole portfolio)")
    s.add_argument("--format", choices=("md", "html"), default="md", help="Markdown or HTML")
    s.add_argument("--out", default=None, help="write it to this file instead of printing it")
    s.add_argument("--send", action="store_true",
                   help="mail it through the SMTP server in portal/reports/config.toml (nothing is sent unless one is "
                        "configured) to --to, or to the roles file's SAMs of that book (its leaders for the portfolio)")
    s.add_argument("--to", action="append", default=None, help="a recipient (repeatable) instead of the roles file's")

    s = _command(sub, "qbr", "a QBR data pack for one account: a draft for its SAM, never sent", cmd_qbr)
    s.add_argument("account_id", help="the account's id, as in the data (see the portal's account page)")
    s.add_argument("--db", **db)
    s.add_argument("--format", choices=("md", "html", "pdf"), default="md", help="Markdown, HTML or PDF")
    s.add_argument("--out", default=None, help="file to write (a PDF defaults to qbr_ACCOUNT_ID.pdf; text prints otherwise)")

    s = _command(sub, "portal", "start the Streamlit portal on localhost", cmd_portal)
    s.add_argument("--db", **db)
    s.add_argument("--port", type=int, default=8501, help="port to serve on")
    s.add_argument("--address", default="localhost",
                   help="address to bind; anything but localhost needs sign-in (RADAR_AUTH=oidc or header)")
    s.add_argument("--open", action="store_true", help="also open a browser window")

    s = _command(sub, "demo", "sample -> ingest -> features -> health -> train -> score -> portal", cmd_demo)
    s.add_argument("--db", **db)
    s.add_argument("--accounts", type=int, default=400, help="accounts in the sample")
    s.add_argument("--seed", type=int, default=7, help="sample seed")
    s.add_argument("--end", type=_date, default=None, help="last day of the sample (default: today)")
    s.add_argument("--port", type=int, default=8501, help="portal port on localhost")
    s.add_argument("--no-portal", action="store_true", help="stop after scoring")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command. Every error it meets is one line on stderr: exit 2 for bad input, 3 for an
    ingest that lost too much to quarantine, 1 for any other failure, 130 when interrupted."""
    args = parser().parse_args(argv)
    from features.ingest import IngestError, QuarantineExceeded
    from features.publish import JobBusy
    from features.warehouse import WarehouseError
    try:
        return args.fn(args)
    except IngestError as e:
        return _fail(e, 2)
    except QuarantineExceeded as e:
        return _fail(e, 3)
    except (WarehouseError, JobBusy, ValueError, LookupError) as e:
        return _fail(e, 1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (RADAR_DEBUG=1 shows it)
        if os.environ.get("RADAR_DEBUG"):
            raise
        return _fail(_explain(e), _status(e))


def _fail(e: BaseException | str, status: int) -> int:
    text = " ".join(str(e).split()) or type(e).__name__
    print(f"error: {text}", file=sys.stderr)
    return status


def _status(e: BaseException) -> int:
    """2 when the user pointed at something that is not what the command needs, else 1."""
    if isinstance(e, (IsADirectoryError, NotADirectoryError, FileNotFoundError)):
        return 2
    return 2 if "not a valid DuckDB database file" in str(e) or "Is a directory" in str(e) else 1


def _explain(e: BaseException) -> str:
    """The error as one line that names the file and says what to do."""
    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
    if isinstance(e, OSError) and e.filename:
        return f"{e.filename}: {(e.strerror or first).lower()}" + (
            "; make it writable or choose another place" if isinstance(e, PermissionError) else "")
    if isinstance(e, PermissionError):
        return first
    if "Is a directory" in first:
        return f"{first.removeprefix('IO Error: ')}: point --db (or $RADAR_DB) at the warehouse file"
    if "Permission denied" in first:
        return f"{first}; choose a writable place or fix its permissions"
    if "not a valid DuckDB database file" in first:
        return f"{first.removeprefix('IO Error: ').rstrip('!')}; point --db (or $RADAR_DB) at a warehouse, or run `radar ingest`"
    if "WAL" in first:
        return (f"{first.removeprefix('IO Error: ').rstrip('.')}; a killed job left a log that does not belong to "
                "this warehouse: move the .wal file away, or run `radar ingest` again")
    module = type(e).__module__.split(".")[0]
    if module in ("mlflow", "sqlalchemy", "alembic"):
        return (f"the MLflow store ({os.environ.get('MLFLOW_TRACKING_URI') or 'mlruns/'}) cannot be used: "
                f"{first.rstrip('.')}; fix MLFLOW_TRACKING_URI or move the broken store away")
    return f"{type(e).__name__}: {first} (set RADAR_DEBUG=1 to see where)"


if __name__ == "__main__":
    sys.exit(main())
