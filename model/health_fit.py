"""`radar health --fit`: weights and thresholds for the rule health score proposed from outcomes,
with the backtest ROC AUC before and after; nothing changes until the analyst accepts.

The fitting itself is features.health.fit (pure, the playbook's structure and readable bounds);
this module brings the outcomes (model.labels) and the honest comparison: at each backtest cutoff
the score is refitted on the outcomes known that day and judged on that day's accounts against
what happened next, exactly as the backtest judges the model. The proposal to accept is fitted
on every outcome known at the data end.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from features import health
from features.inputs import data_end
from features.paths import FEATURES_CONFIG
from features.warehouse import open_existing, require_table
from model import backtest, labels, protocol
from model.settings import ModelSettings, load_settings


def propose(con, s: ModelSettings, cutoffs: list[dt.date] | None = None, cfg: health.HealthConfig | None = None,
            fs: health.FitSettings | None = None) -> dict:
    """The proposal and its evidence: proposal and current (HealthConfig), changes (lines),
    backtest (pooled ROC AUC before and after, and per cutoff), fitted_on (rows, churn outcomes,
    data end). ValueError when no outcome is known yet."""
    require_table(con, "features", "radar features")
    cfg = cfg or health.load_config()
    fs = fs or health.FitSettings(unknown_score=s.unknown_health_score)
    end = data_end(con)
    frame = health.inputs(con)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    truth = labels.label(frame, labels.churn_events(con, end, s.grace_days), end, s.horizon_days, s.grace_days)
    if truth.empty or truth["churned"].sum() == 0:
        raise protocol.NotEnoughHistory("no churn outcome is known yet, so there is nothing to fit the health score to")
    dates = sorted(d.date() for d in frame["as_of"].unique())
    wanted = backtest.resolve_cutoffs(dates, cutoffs) if cutoffs else backtest.candidate_cutoffs(dates, end, s)
    per_cutoff, pooled = [], []
    for c in wanted:
        known = labels.label(frame[frame["as_of"] <= pd.Timestamp(c)], labels.churn_events(con, c, s.grace_days), c,
                             s.horizon_days, s.grace_days)
        if not len(known) or protocol.shortfall(int(known["as_of"].nunique()), protocol.outcomes(known), s):
            continue
        fitted = health.fit(known, known["churned"], cfg, fs)
        today = truth[truth["as_of"] == pd.Timestamp(c)]
        y = today["churned"].to_numpy()
        before = 100 - health.score(today, cfg)["health_score"].fillna(fs.unknown_score).to_numpy(float)
        after = 100 - health.score(today, fitted)["health_score"].fillna(fs.unknown_score).to_numpy(float)
        pooled.append(pd.DataFrame({"y": y, "before": before, "after": after}))
        per_cutoff.append({"cutoff": str(c), "accounts": int(len(today)), "churned": int(y.sum()),
                           "before": health._auc(y, before), "after": health._auc(y, after)})
    proposal = health.fit(truth, truth["churned"], cfg, fs)
    both = pd.concat(pooled, ignore_index=True) if pooled else None
    return {"proposal": proposal, "current": cfg, "changes": health.changes(cfg, proposal),
            "backtest": {"before": health._auc(both["y"].to_numpy(), both["before"].to_numpy()) if both is not None else np.nan,
                         "after": health._auc(both["y"].to_numpy(), both["after"].to_numpy()) if both is not None else np.nan,
                         "per_cutoff": per_cutoff},
            "in_sample": {"before": health.ranking_auc(truth, truth["churned"], cfg, fs.unknown_score),
                          "after": health.ranking_auc(truth, truth["churned"], proposal, fs.unknown_score)},
            "fitted_on": {"rows": int(len(truth)), "churn_outcomes": protocol.outcomes(truth), "data_end": str(end),
                          "first": str(truth["as_of"].min().date()), "last": str(truth["as_of"].max().date())}}


def lines(result: dict) -> list[str]:
    """The proposal as the command line prints it."""
    b, f = result["backtest"], result["fitted_on"]
    out = [f"  fitted on {f['rows']:,} labelled snapshots ({f['first']}..{f['last']}, {f['churn_outcomes']} churn "
           f"outcomes, data to {f['data_end']})"]
    if b["per_cutoff"]:
        out.append(f"  backtest ROC AUC of the health score, refitted at each cutoff on what was known then: "
                   f"before {b['before']:.3f}, after {b['after']:.3f} "
                   f"({', '.join(c['cutoff'] for c in b['per_cutoff'])})")
    else:
        out.append("  no backtest cutoff has enough history to judge a refit out of time")
    out += [f"  - {c}" for c in result["changes"]] or ["  the current weights and thresholds are already the best fit"]
    return out


def comment(result: dict, db: Path, when: dt.datetime | None = None) -> str:
    f, b = result["fitted_on"], result["backtest"]
    when = (when or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    return (f"Fitted by `radar health --fit` on {when} from {db}: {f['rows']:,} labelled snapshots "
            f"{f['first']}..{f['last']}, {f['churn_outcomes']} churn outcomes, data to {f['data_end']}.\n"
            f"Backtest ROC AUC before {b['before']:.3f}, after {b['after']:.3f}.")


def accept(result: dict, db: Path, path: Path | None = None) -> Path:
    """Write the proposal to `path` (default features/config/health.toml), with a comment saying
    when and on what data it was fitted."""
    return health.write_config(result["proposal"], path or FEATURES_CONFIG / "health.toml", comment(result, db))


def run(db: Path, accept_to: Path | None = None, accept_it: bool = False, cutoffs: list[dt.date] | None = None,
        progress=print) -> dict:
    """Propose (and with `accept_it`, write to `accept_to` or health.toml); returns the proposal dict
    with `written` (the path, or None)."""
    s = load_settings()
    with open_existing(db, read_only=True) as con:
        result = propose(con, s, cutoffs)
    for line in lines(result):
        progress(line)
    result["written"] = accept(result, db, accept_to) if accept_it else None
    if result["written"]:
        progress(f"  wrote {result['written']}; run `radar health` to rescore")
    else:
        progress("  nothing written: add --accept to write features/config/health.toml (or --to FILE for a copy)")
    return result
