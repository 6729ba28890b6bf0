"""`radar`: the command line. Each subcommand's inputs and outputs are its default arguments.

Heavy modules (pandas, duckdb, lightgbm, mlflow, streamlit) are imported inside the command
that needs them, so `radar --help` answers at once.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from features import paths


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _say(*args, **kw):
    print(*args, **kw, flush=True)


def cmd_sample(a) -> int:
    from features.sample.generate import generate
    counts = generate(Path(a.out), a.accounts, a.months, a.end, a.seed, a.format, progress=_say)
    secs = counts.pop("seconds")
    _say(f"wrote {', '.join(f'{k} {v:,}' for k, v in counts.items())} to {a.out} in {secs:.1f}s "
         f"({counts['events'] / max(secs, 1e-9):,.0f} events/s)")
    return 0


def cmd_ingest(a) -> int:
    from features.ingest import ingest
    t0 = time.perf_counter()
    summary = ingest(Path(a.source_dir), Path(a.db), progress=_say)
    good = sum(g for g, _ in summary.values())
    bad = sum(b for _, b in summary.values())
    _say(f"loaded {good:,} rows into {a.db} in {time.perf_counter() - t0:.1f}s; "
         f"{bad:,} rows quarantined" + (" (see table `quarantine`)" if bad else ""))
    return 0


def cmd_features(a) -> int:
    from features import pipeline
    from features.warehouse import open_existing
    t0 = time.perf_counter()
    with open_existing(Path(a.db)) as con:
        frame = pipeline.run(con, a.as_of, Path(a.out) if a.out else None, progress=_say)
    _say(f"features: {len(frame):,} snapshots x {frame.shape[1] - 2} features "
         f"({frame['as_of'].nunique()} dates) in {time.perf_counter() - t0:.1f}s")
    return 0


def cmd_health(a) -> int:
    from features import health
    from features.warehouse import open_existing
    with open_existing(Path(a.db)) as con:
        h = health.run(con, a.as_of, Path(a.out) if a.out else None)
    latest = h[h["as_of"] == h["as_of"].max()]
    tiers = latest["health_tier"].value_counts().to_dict()
    _say(f"health: {len(h):,} snapshots scored; at {latest['as_of'].max():%Y-%m-%d}: "
         + ", ".join(f"{k} {v}" for k, v in tiers.items())
         + f"; median coverage {latest['coverage'].median():.0%}")
    return 0


def cmd_train(a) -> int:
    from model.train import main as train
    return train(Path(a.db), a.as_of, a.horizon_days, a.seed, progress=_say)


def cmd_score(a) -> int:
    from model.score import main as score
    return score(Path(a.db), a.as_of, a.model_version, Path(a.out) if a.out else None, progress=_say,
                 all_dates=a.all_dates)


def cmd_promote(a) -> int:
    from model.tracking import promote
    promote(a.version)
    _say(f"version {a.version} of account-radar-churn is now @champion")
    return 0


def cmd_portal(a) -> int:
    from portal.launch import launch
    return launch(Path(a.db), a.port, headless=not a.open)


def cmd_demo(a) -> int:
    from features.demo import run
    return run(Path(a.db), a.accounts, a.seed, a.end, portal=not a.no_portal, port=a.port, say=_say)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="radar", description="Account Radar: which accounts will churn, why, and what to do.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db = dict(default=str(paths.default_db()), help="warehouse (default: $RADAR_DB or data/radar.duckdb)")

    s = sub.add_parser("sample", help="write a synthetic portfolio to a folder")
    s.add_argument("--out", default=str(paths.SAMPLE_DIR), help="folder to write (default: data/sample)")
    s.add_argument("--accounts", type=int, default=400)
    s.add_argument("--months", type=int, default=36)
    s.add_argument("--end", type=_date, default=None, help="last day of data (default: today)")
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--format", choices=("csv", "parquet"), default="parquet")
    s.set_defaults(fn=cmd_sample)

    s = sub.add_parser("ingest", help="load a source folder into the warehouse, quarantining bad rows")
    s.add_argument("source_dir")
    s.add_argument("--db", **db)
    s.set_defaults(fn=cmd_ingest)

    s = sub.add_parser("features", help="build point-in-time feature snapshots")
    s.add_argument("--db", **db)
    s.add_argument("--as-of", type=_date, default=None, help="one observation date (default: every month end)")
    s.add_argument("--out", default=None, help="also write Parquet here")
    s.set_defaults(fn=cmd_features)

    s = sub.add_parser("health", help="score every snapshot with the rule-based health score")
    s.add_argument("--db", **db)
    s.add_argument("--as-of", type=_date, default=None)
    s.add_argument("--out", default=None, help="also write Parquet here")
    s.set_defaults(fn=cmd_health)

    s = sub.add_parser("train", help="train the churn model, log it to MLflow and register it")
    s.add_argument("--db", **db)
    s.add_argument("--as-of", type=_date, default=None, help="train on what was knowable then (default: data end)")
    s.add_argument("--horizon-days", type=int, default=90)
    s.add_argument("--seed", type=int, default=42)
    s.set_defaults(fn=cmd_train)

    s = sub.add_parser("score", help="score active accounts with the champion model and explain them")
    s.add_argument("--db", **db)
    s.add_argument("--as-of", type=_date, default=None, help="snapshot to score (default: the latest)")
    s.add_argument("--model-version", default=None, help="registered version (default: @champion)")
    s.add_argument("--out", default=None, help="also write scores as Parquet here")
    s.add_argument("--all-dates", action="store_true", help="also score every earlier snapshot (for trends)")
    s.set_defaults(fn=cmd_score)

    s = sub.add_parser("promote", help="make a registered model version the @champion")
    s.add_argument("version")
    s.set_defaults(fn=cmd_promote)

    s = sub.add_parser("portal", help="start the Streamlit portal on localhost")
    s.add_argument("--db", **db)
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--open", action="store_true", help="also open a browser window")
    s.set_defaults(fn=cmd_portal)

    s = sub.add_parser("demo", help="sample -> ingest -> features -> health -> train -> score -> portal")
    s.add_argument("--db", **db)
    s.add_argument("--accounts", type=int, default=400)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--end", type=_date, default=None)
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--no-portal", action="store_true", help="stop after scoring")
    s.set_defaults(fn=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from features.ingest import IngestError
    from features.warehouse import WarehouseError
    try:
        return args.fn(args)
    except IngestError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (WarehouseError, ValueError, LookupError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
