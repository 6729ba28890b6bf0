"""`radar alerts --backtest`: would the alerts have warned us, with scores nobody could have had
early. Replayed on a private copy of the warehouse (the warehouse itself is never written).

Every churn score the replay reads at a snapshot D comes from a model trained at a cutoff on or
before D, on the labels known then: snapshots whose outcome window and grace period had closed by
the cutoff, with the churns known that day (model/backtest.py's `known_at` and `train_at`, the
protocol `radar train` uses). A model is trained at each month end (or quarter end: model/alerts.toml
[backtest] retrain_every) where the protocol allows one. Before the first, the kinds that read the
model (alerts.MODEL_KINDS) do not run, and the headline counts only the churns a run with a model
could have warned `lead_days` ahead; the kinds that do not read the model are counted over the whole
history too.
"""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from features.inputs import data_end
from features.warehouse import open_existing, replace_dates, transaction
from model import alerts as rules
from model import backtest, dataset, labels, protocol
from model.score import SCORE_COLUMNS, score_frame
from model.settings import ModelSettings, load_settings as model_settings

QUARTER_ENDS = (3, 6, 9, 12)


@dataclass(frozen=True)
class Trained:
    """One out-of-time model: its cutoff, the fitted model and backtest.train_at's record, plus
    `last_label` (the latest labelled snapshot it learnt from) and `seconds`."""
    cutoff: dt.date
    model: object
    record: dict

    @property
    def version(self) -> str:
        return f"out-of-time {self.cutoff}"


@dataclass
class Replay:
    """What the replay produced: every alert run (`history`), the churns known at the data end,
    the models trained and the cutoffs skipped (with the reason), and the first run a model scored."""
    history: pd.DataFrame
    churns: pd.DataFrame
    models: list[Trained]
    skipped: list[dict] = field(default_factory=list)
    first_scored: dt.date | None = None


def retrain_cutoffs(dates: list[dt.date], every: str) -> list[dt.date]:
    """The snapshot dates a team would retrain at: every month end among `dates` ("month"), or
    those ending a calendar quarter ("quarter"). The data end, mid-month, is not one."""
    ends = [d for d in sorted(dates) if (d + dt.timedelta(days=1)).day == 1]
    return ends if every == "month" else [d for d in ends if d.month in QUARTER_ENDS]


def train_models(con: duckdb.DuckDBPyConnection, snaps: pd.DataFrame, names: list[str], cutoffs: list[dt.date],
                 s: ModelSettings, progress=print) -> tuple[list[Trained], list[dict]]:
    """One model per cutoff in `cutoffs` on `snaps` (the stored snapshots, `as_of` as timestamps)
    labelled with what was known that day; cutoffs with too little history are skipped with the
    reason. Returns (models oldest first, skipped)."""
    models, skipped = [], []
    for c in cutoffs:
        t0 = time.perf_counter()
        known = backtest.known_at(snaps, labels.churn_events(con, c, s.grace_days), c, s)
        short = backtest.history_short(known, s)
        if short is None:
            try:
                model, record = backtest.train_at(known, names, s)
            except protocol.NotEnoughHistory as e:
                short = str(e)
        if short:
            skipped.append({"cutoff": c, "reason": short})
            continue
        record |= {"last_label": pd.Timestamp(known["as_of"].max()).date(),
                   "seconds": round(time.perf_counter() - t0, 1)}
        models.append(Trained(c, model, record))
        progress(f"  model at {c}: {record['protocol']} on {record['labelled_months']} labelled months to "
                 f"{record['last_label']}, {record['churn_outcomes']} churn outcomes, {record['train_rows']:,} rows "
                 f"[{record['seconds']:.1f}s]")
    return models, skipped


def model_at(models: list[Trained], when: dt.date) -> Trained | None:
    """The latest model trained on or before `when`, or None."""
    before = [m for m in models if m.cutoff <= when]
    return max(before, key=lambda m: m.cutoff) if before else None


def score_history(models: list[Trained], snaps: pd.DataFrame, names: list[str], s: ModelSettings) -> pd.DataFrame:
    """Each snapshot in `snaps` scored by model_at its date (columns SCORE_COLUMNS, `model_version`
    naming the cutoff); snapshots before the first model are left out."""
    trained_at = pd.to_datetime(snaps["as_of"]).dt.date.map(lambda d: getattr(model_at(models, d), "cutoff", None))
    parts = [score_frame(m.model, snaps[trained_at == m.cutoff].reset_index(drop=True), names, m.version, s)
             for m in models if (trained_at == m.cutoff).any()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SCORE_COLUMNS)


def write_scores(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame) -> None:
    """Make `scores` the copy's only churn scores: the registered model's scores, drivers and risk
    contributions go (they know the whole history), so no alert reads them."""
    with transaction(con):
        for table in ("scores", "drivers", "risk_contributions"):
            con.execute(f"drop table if exists {table}")
        if len(scores):
            replace_dates(con, "scores", scores[SCORE_COLUMNS], replace_all=True)


def replay_alerts(con: duckdb.DuckDBPyConnection, dates: list[dt.date], first_scored: dt.date | None,
                  s: rules.AlertSettings) -> pd.DataFrame:
    """Every alert run at `dates` in order, nobody acting: before `first_scored` without the
    kinds that read the model, from it with every kind."""
    without = replace(s, kinds={k: v for k, v in s.kinds.items() if k not in rules.MODEL_KINDS})
    early = [d for d in dates if first_scored is None or d < first_scored]
    late = [d for d in dates if first_scored is not None and d >= first_scored]
    today = dates[-1] if dates else dt.date.today()
    runs, _ = rules.compute(con, early, without, None, today, progress=lambda *a, **k: None)
    if late:
        more, _ = rules.compute(con, late, s, None, today, past=runs, progress=lambda *a, **k: None)
        runs = pd.concat([runs, more], ignore_index=True)
    return runs


def replay(con: duckdb.DuckDBPyConnection, every_days: int | None, s: rules.AlertSettings, ms: ModelSettings,
           retrain_every: str | None = None, progress=print) -> Replay:
    """The replay on `con`, a private copy it rewrites: the stored snapshots read once for training;
    snapshots every `every_days` days rebuilt (default: the stored ones); models trained; every
    snapshot scored out of time; every alert run."""
    every = retrain_every or s.retrain_every
    if every not in rules.RETRAIN_EVERY:
        raise ValueError(f"retrain every must be one of {', '.join(rules.RETRAIN_EVERY)}, got {every!r}")
    names = dataset.model_features(dataset.catalog(con))
    snaps = dataset.snapshots(con)
    snaps["as_of"] = pd.to_datetime(snaps["as_of"])
    stored = sorted(d.date() for d in snaps["as_of"].unique())
    if every_days:
        progress(f"  building snapshots every {every_days} days on the copy")
        weekly_snapshots(con, every_days)
    models, skipped = train_models(con, snaps, names, retrain_cutoffs(stored, every), ms, progress)
    runs = rules.alert_dates(con)
    scores = score_history(models, dataset.snapshots(con), names, ms)
    write_scores(con, scores)
    first = min(pd.to_datetime(scores["as_of"])).date() if len(scores) else None
    history = replay_alerts(con, runs, first, s)
    churns = labels.churn_events(con, data_end(con), ms.grace_days)
    return Replay(history, churns, models, skipped, first)


def weekly_snapshots(con: duckdb.DuckDBPyConnection, every_days: int) -> None:
    """Rebuild features and health at dates `every_days` apart ending on the data end (the pipeline
    builds month ends; the replay needs the runs a team would see)."""
    from features import health, pipeline
    from features.inputs import observation_dates
    from features.settings import load_settings
    months = observation_dates(con, load_settings().warmup_days)
    steps = pd.date_range(end=months[-1], start=months[0], freq=f"{every_days}D")
    pipeline.run(con, progress=lambda *a, **k: None, dates=sorted({d.date() for d in steps} | {months[-1]}))
    health.run(con)


def run(db: Path, every_days: int | None = None, retrain_every: str | None = None, progress=print) -> dict:
    """`radar alerts --backtest`: replay on a private copy of `db` and return the figures: "all"
    (every kind, from the first run a model scored; None when no model could be trained), "no_model"
    (the kinds that do not read the model, the same churns) and "no_model_all" (those kinds, the
    whole history), with the models, the skipped cutoffs and the seconds taken."""
    from features.publish import job_lock, wal_path
    t0 = time.perf_counter()
    s, ms = rules.load_settings(), model_settings()
    open_existing(db, read_only=True).close()
    with tempfile.TemporaryDirectory(dir=Path(db).parent) as tmp:
        copy = Path(tmp) / "backtest.duckdb"
        with job_lock(db, "alerts backtest (copying)", say=progress):
            shutil.copy2(db, copy)
            if wal_path(db).exists():
                shutil.copy2(wal_path(db), wal_path(copy))
        with open_existing(copy) as con:
            r = replay(con, every_days, s, ms, retrain_every, progress)
    other = [k for k in s.kinds if k not in rules.MODEL_KINDS]
    figures = {
        "all": rules.backtest_figures(r.history, r.churns, s, since=r.first_scored) if r.first_scored else None,
        "no_model": rules.backtest_figures(r.history, r.churns, s, kinds=other, since=r.first_scored),
        "no_model_all": rules.backtest_figures(r.history, r.churns, s, kinds=other),
    }
    return figures | {"models": r.models, "skipped": r.skipped, "every_days": every_days,
                      "retrain_every": retrain_every or s.retrain_every, "other_kinds": other,
                      "seconds": round(time.perf_counter() - t0, 1)}


def report(out: dict, s: rules.AlertSettings | None = None) -> list[str]:
    """The figures `run` returns, in the lines `radar alerts --backtest` prints."""
    s = s or rules.load_settings()
    a, n, base = out["all"], out["no_model"], out["no_model_all"]
    lead = f"{s.lead_days}-{s.lookback_days} days"
    cadence = f"every {out['every_days']} days" if out["every_days"] else "the stored snapshots"
    models = out["models"]
    lines = [f"alerts backtest: {base['runs']} runs {base['from']}..{base['to']} ({cadence}), {base['owners']} owners"]
    if models:
        lines.append(f"  {len(models)} out-of-time models, one per {out['retrain_every']} end "
                     f"{models[0].cutoff}..{models[-1].cutoff} ({sum(m.record['seconds'] for m in models):.0f}s): "
                     f"each run scored by the latest trained on or before it, on labels closed by then; "
                     f"{len(out['skipped'])} earlier cutoffs had too little history"
                     + (f" ({out['skipped'][-1]['reason']})" if out["skipped"] else ""))
    if a is None:
        why = out["skipped"][-1]["reason"] if out["skipped"] else "no retraining date in the history"
        lines.append(f"  no model could be trained ({why}): the kinds that read it "
                     f"({', '.join(rules.MODEL_KINDS)}) never ran")
    else:
        lines += [
            f"  the model's kinds ({', '.join(rules.MODEL_KINDS)}) ran from {a['since']} ({a['runs_since']} runs); "
            f"the {a['runs'] - a['runs_since']} runs before had the other kinds only",
            f"  churned accounts with a critical alert {lead} before: {a['warned']} of {a['churns']} "
            f"({a['warned_share']:.0%}), the churns from {a['since'] + dt.timedelta(days=s.lead_days)} "
            f"(a model existed {s.lead_days}+ days before them); {a['left_out']} earlier churns left out; from the "
            f"kinds that do not use the model ({', '.join(out['other_kinds'])}): {n['warned']} of {n['churns']} "
            f"({n['warned_share']:.0%})"]
    lines.append(f"  over the whole history, the kinds that do not use the model: {base['warned']} of "
                 f"{base['churns']} churned accounts ({base['warned_share']:.0%}) had a critical alert {lead} before")
    if a is not None:
        lines.append(f"  accounts with a critical alert at some run from {a['since']}: {a['accounts_with_critical']}, "
                     f"of which {a['critical_not_churned']} had not churned by {a['to']}"
                     + (f" ({a['critical_too_recent']} first alerted within {s.lead_days} days of it, too soon to tell)"
                        if a["critical_too_recent"] else "")
                     + f"; per owner, the {a['weeks']} weeks after "
                     f"the week of {a['since']}:")
        for key, what in (("new_alerts_per_owner_week", "new alerts (all severities)"),
                          ("critical_due_per_owner_week", "critical alerts due, before the cap"),
                          ("critical_interrupting_per_owner_week", "critical alerts that interrupt, after the cap")):
            f = a[key]
            lines.append(f"  {what} per owner per week: median {f['median']:g}, mean {f['mean']:.1f}, max {f['max']}")
    lines.append(f"  [{out['seconds']:.0f}s]")
    return lines
