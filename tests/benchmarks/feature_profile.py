"""Where a feature build spends its time: seconds per SQL file (and per other statement) of a full
build and of a one-month incremental refresh, medians of repeats; and DuckDB's own operator
profile (EXPLAIN ANALYZE) of any SQL file. A tool for whoever speeds the build up next. Not part
of `make test`.

    python -m tests.benchmarks.feature_profile [--accounts 600] [--months 24] [--repeats 3] [--top 25]
                                               [--explain user_recency --explain persona_counts]

The warehouses are the ones tests/benchmarks/feature_speed.py measures: the sample ingested whole
(full build), and ingested up to the month end before its last, fully built, then the whole
sample ingested over it (the refresh).
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.feature_speed import prepare_before, sample
from tests.benchmarks.run import machine, quiet

_MADE = re.compile(r"^(?:create or replace (?:temp )?(?:table|view)|insert into)\s+(?:\S+\.)?\"?(\w+)\"?", re.I)


def statement_name(sql: str) -> str:
    """What a statement makes (`user_days`, `feature_state.type_days` -> `type_days`), or its first words."""
    text = " ".join(sql.split())
    m = _MADE.match(text)
    if m:
        return f"{m.group(1)} ({'insert' if text.lower().startswith('insert') else 'create'})"
    return text[:70]


class TimedConnection:
    """A DuckDB connection that adds up the seconds of each statement by what it makes."""

    def __init__(self, con):
        self._con = con
        self.seconds: dict[str, float] = collections.defaultdict(float)
        self.count: dict[str, int] = collections.defaultdict(int)

    def execute(self, sql, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            name = statement_name(sql)
            self.seconds[name] += time.perf_counter() - t0
            self.count[name] += 1

    def __getattr__(self, name):
        return getattr(self._con, name)


def profile_run(db: Path, full: bool) -> tuple[float, dict[str, float], dict[str, int]]:
    """One `pipeline.run` on `db`: its seconds, and the seconds and count of each statement.
    Without `full` the build must be incremental (else the profile would be a full build's)."""
    from features import pipeline
    from features.warehouse import connect
    said: list[str] = []
    with connect(db) as raw:
        con = TimedConnection(raw)
        t0 = time.perf_counter()
        pipeline.run(con, full=full, progress=said.append)
        secs = time.perf_counter() - t0
    if not full and not any("incremental:" in line for line in said):
        raise RuntimeError(f"the refresh was not incremental: {' / '.join(line.strip() for line in said)}")
    return secs, dict(con.seconds), dict(con.count)


def refresh_copy(src: Path, before: Path, copy: Path) -> Path:
    from features.ingest import ingest
    shutil.copy(before, copy)
    ingest(src, copy, progress=quiet)
    return copy


def report(title: str, runs: list[tuple[float, dict, dict]], top: int) -> None:
    totals = [r[0] for r in runs]
    names = set().union(*(r[1] for r in runs))
    med = {n: statistics.median(r[1].get(n, 0.0) for r in runs) for n in names}
    counts = runs[0][2]
    total = statistics.median(totals)
    print(f"\n## {title}: {total:.2f} s (median of {len(runs)}: {', '.join(f'{t:.2f}' for t in totals)}); "
          f"{sum(counts.values())} statements, {sum(med.values()):.2f} s in them")
    print("| seconds | share | statements | what |\n|---|---|---|---|")
    ranked = sorted(med.items(), key=lambda x: -x[1])
    for name, secs in ranked[:top]:
        print(f"| {secs:.3f} | {secs / total:5.1%} | {counts.get(name, 0)} | {name} |")
    rest = ranked[top:]
    print(f"| {sum(s for _, s in rest):.3f} | {sum(s for _, s in rest) / total:5.1%} | "
          f"{sum(counts.get(n, 0) for n, _ in rest)} | the other statements |")
    print(f"| {total - sum(med.values()):.3f} | {(total - sum(med.values())) / total:5.1%} | | Python between statements |")


def explain(db: Path, model: str) -> None:
    """Build what `model` reads at every date of a full build, then run it under DuckDB's profiler
    and print each operator's seconds and rows."""
    from features.inputs import data_end, feature_runner, first_event_day, month_ends
    from features.settings import load_settings
    from features.warehouse import connect, unordered
    with connect(db) as con, unordered(con):
        s = load_settings()
        end, first = data_end(con), first_event_day(con)
        dates = month_ends(first, end, s.warmup_days)
        runner = feature_runner(con, dates, s, None, end, first, dates)
        m = runner.models[model]
        runner.build(*[r for r in m.reads if r not in runner.inputs])
        out = db.with_suffix(f".{model}.json")
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{out}'")
        t0 = time.perf_counter()
        con.execute(f"create or replace temp table explained as {m.sql}", {p: runner.params[p] for p in m.params})
        secs = time.perf_counter() - t0
        con.execute("pragma disable_profiling")
    print(f"\n## EXPLAIN ANALYZE {m.where}: {secs:.3f} s")
    for node in json.loads(out.read_text()).get("operator", []):
        _operator(node, 0)


def _operator(node: dict, depth: int) -> None:
    info = node.get("extra_info", {}) or {}
    what = info.get("Groups") or info.get("Conditions") or info.get("Table") or ""
    print(f"{'  ' * depth}{node.get('type')}  {node.get('timing', 0):.3f}s  rows={node.get('intermediate_rows')}  "
          f"{str(what)[:110]}")
    for child in node.get("children", []):
        _operator(child, depth + 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=600)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--explain", action="append", default=[], metavar="SQL_FILE_NAME")
    a = ap.parse_args()
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db, events = sample(work, a.accounts, a.months)
        before = prepare_before(work / "src", work)
        print(f"{events:,} events, {a.accounts:,} accounts x {a.months} months")
        full, refresh = [], []
        for i in range(a.repeats):  # in turn, so the machine's load hits both alike
            copy = work / "full_copy.duckdb"
            shutil.copy(db, copy)
            full.append(profile_run(copy, full=True))
            refresh.append(profile_run(refresh_copy(work / "src", before, work / "refresh.duckdb"), full=False))
        report("full build", full, a.top)
        report("one-month incremental refresh", refresh, a.top)
        for model in a.explain:
            explain(db, model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
