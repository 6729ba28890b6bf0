"""`radar health`: the rule-based health score for every feature snapshot.

Pure scoring over the `features` frame; `run` is the only function that touches the warehouse:
it reads `features`, recomputes the manual traits from their latest settings (so a trait saved
in the portal since the last feature build counts) without writing `features`, and writes
`health`. Output grain: one row per (account_id, as_of).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from features import traits as manual
from features.inputs import SOURCES, data_end, register_trait_values
from features.paths import FEATURES_CONFIG
from features.runner import Runner
from features.traits import TraitSpec, load_traits
from features.warehouse import HISTORY_DDL, has_table, require_table, upsert_dates, write_parquet

TIERS = ("healthy", "concerning", "poor")
KEYS = ["account_id", "as_of"]


@dataclass(frozen=True)
class Trait:
    feature: str
    label: str
    healthy: float
    poor: float
    age_feature: str | None = None  # set for manual traits, which go stale ...
    stale_days: int | None = None  # ... when older than this
    weight: float = 1.0


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    weight: float
    traits: tuple[Trait, ...]


@dataclass(frozen=True)
class HealthConfig:
    categories: tuple[Category, ...]
    healthy_at: float = 70
    poor_below: float = 40

    def trait_weights(self) -> dict[str, float]:
        """Each trait's share of the whole score: category weight split by trait weight."""
        out = {}
        for c in self.categories:
            total = sum(t.weight for t in c.traits)
            for t in c.traits:
                out[t.feature] = c.weight * t.weight / total
        return out


def _trait(entry: dict, declared: dict[str, TraitSpec]) -> Trait:
    """A feature with its own thresholds, or `{ trait = "pulse" }`: a manual trait scored from
    its declaration (best score healthy, worst poor, its staleness)."""
    if "trait" not in entry:
        return Trait(**entry)
    spec = declared.get(entry["trait"])
    if spec is None:
        raise ValueError(f"health.toml names trait '{entry['trait']}', which traits.toml does not declare")
    return Trait(spec.feature, spec.label, spec.best, spec.worst, spec.age_feature, spec.stale_days,
                 float(entry.get("weight", 1.0)))


def load_config(path: Path | None = None, traits: tuple[TraitSpec, ...] | None = None) -> HealthConfig:
    with open(path or FEATURES_CONFIG / "health.toml", "rb") as f:
        raw = tomllib.load(f)
    declared = manual.by_name(traits)
    cats = tuple(Category(c["name"], c["label"], float(c["weight"]),
                          tuple(_trait(t, declared) for t in c["traits"])) for c in raw["categories"])
    return HealthConfig(cats, raw["tiers"]["healthy"], raw["tiers"]["poor"])


def trait_score(values: pd.Series, healthy: float, poor: float) -> pd.Series:
    """0 at `poor`, 100 at `healthy`, linear between and clipped; NaN stays NaN."""
    return ((values.astype(float) - poor) / (healthy - poor)).clip(0, 1) * 100


def tier(score: pd.Series, cfg: HealthConfig) -> pd.Series:
    """The tier of each score as people read it: every page and report shows the score as a whole
    number, so 39.9 (shown 40) is concerning and 69.7 (shown 70) healthy, never '40 (poor)'."""
    shown = score.round(0)
    out = np.select([shown >= cfg.healthy_at, shown >= cfg.poor_below, score.notna()],
                    ["healthy", "concerning", "poor"], "unknown")
    return pd.Series(out, index=score.index)


def _append(labels: pd.Series, mask: pd.Series, label: str) -> pd.Series:
    """Add `label` to a '; '-joined list where `mask` holds."""
    joined = labels.where(labels == "", labels + "; ") + label
    return labels.where(~mask, joined)


def score(features: pd.DataFrame, cfg: HealthConfig) -> pd.DataFrame:
    """Health per snapshot: total, tier, coverage, missing and stale traits, categories, traits."""
    out = features[["account_id", "as_of"]].copy()
    weights = cfg.trait_weights()
    total_w = sum(weights.values())
    num = pd.Series(0.0, index=features.index)
    den = pd.Series(0.0, index=features.index)
    missing = pd.Series("", index=features.index)
    stale = pd.Series("", index=features.index)
    cat_cols = {}
    for c in cfg.categories:
        c_num = pd.Series(0.0, index=features.index)
        c_den = pd.Series(0.0, index=features.index)
        for t in c.traits:
            raw = features[t.feature] if t.feature in features else pd.Series(np.nan, index=features.index)
            s = trait_score(raw, t.healthy, t.poor)
            if t.age_feature and t.stale_days is not None:
                age = features.get(t.age_feature, pd.Series(np.nan, index=features.index))
                is_stale = s.notna() & (age > t.stale_days)
                stale = _append(stale, is_stale, t.label)
                s = s.where(~is_stale)
            missing = _append(missing, s.isna(), t.label)
            out[f"trait_{t.feature}"] = s.round(1)
            w = weights[t.feature]
            num += s.fillna(0) * w
            den += s.notna() * w
            c_num += s.fillna(0) * w
            c_den += s.notna() * w
        cat_cols[f"cat_{c.name}"] = (c_num / c_den.where(c_den > 0))
    out["health_score"] = (num / den.where(den > 0)).round(1)
    out["health_tier"] = tier(out["health_score"], cfg)
    out["coverage"] = (den / total_w).round(3)
    out["missing_traits"] = missing
    out["stale_traits"] = stale
    for k, v in cat_cols.items():
        out[k] = v.round(1)
    first = ["account_id", "as_of", "health_score", "health_tier", "coverage", "missing_traits",
             "stale_traits", *cat_cols]
    return out[first + [c for c in out.columns if c not in first]]


def current_traits(con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None,
                   traits: tuple[TraitSpec, ...] | None = None) -> pd.DataFrame:
    """Each manual trait's feature and age at the `features` snapshots (`where` filters them),
    from the latest settings in the source and the portal: one row per (account_id, as_of).
    Reads only; the tables it makes are temporary."""
    specs = traits if traits is not None else load_traits()
    r = Runner(con, sources=SOURCES, params={"data_end": data_end(con)})
    r.provide("spine", f"select account_id, as_of from features {where}", params)
    if not has_table(con, "trait_edits"):  # a warehouse from before the portal could edit
        r.register("trait_edits", [c.split(" ") for c in HISTORY_DDL["trait_edits"].split(", ")], [])
    register_trait_values(r, specs)
    return manual.feature_columns(r.df("manual_traits"), specs)


def run(con: duckdb.DuckDBPyConnection, as_of=None, out: Path | None = None,
        cfg: HealthConfig | None = None) -> pd.DataFrame:
    """Score the `features` table (or one as_of) with the manual traits as they stand now, and
    write table `health` (and Parquet to `out`). `features` itself is not written."""
    require_table(con, "features", "radar features")
    where, params = ("where as_of = ?", [as_of]) if as_of else ("", [])
    health = assess(con, where, params, cfg)
    if as_of and health.empty:
        raise ValueError(f"no feature snapshot at {as_of}; run `radar features --as-of {as_of}` first")
    upsert_dates(con, "health", health, replace_all=as_of is None)
    write_parquet(health, out)
    return health


def assess(con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None,
           cfg: HealthConfig | None = None) -> pd.DataFrame:
    """The health of the `features` snapshots `where` selects, with the manual traits as they stand
    now (source traits and `trait_edits`), written nowhere. One row per (account_id, as_of)."""
    return score(inputs(con, where, params), cfg or load_config())


def inputs(con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None) -> pd.DataFrame:
    """What the health score reads for the `features` snapshots `where` selects: the features, with
    the manual traits as they stand now. One row per (account_id, as_of)."""
    feats = con.execute(f"select * from features {where}", params or []).df()
    now = current_traits(con, where, params)
    feats = feats.drop(columns=[c for c in now.columns if c in feats and c not in KEYS])
    return feats.merge(now, on=KEYS, how="left")


# ---- `radar health --fit`: weights and thresholds proposed from outcomes --------------------------

@dataclass(frozen=True)
class FitSettings:
    """How far a fit may move the playbook: category weights in steps of `weight_step` points
    (summing to 100, none below `min_weight`), feature thresholds picked among the values at these
    quantiles of the data, rounded to `digits` significant digits; a trait keeps its direction (a
    higher value stays better, or worse). Manual traits keep their declared scale."""
    weight_step: int = 5
    min_weight: int = 0
    quantiles: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
    digits: int = 2
    unknown_score: float = 50  # a snapshot without a score ranks in the middle, as the backtest ranks it


def ranking_auc(frame: pd.DataFrame, churned, cfg: HealthConfig, unknown_score: float = 50) -> float:
    """ROC AUC of 100 - health score against `churned` (0/1 per row of `frame`); an unknown score
    counts as `unknown_score`. NaN with one class."""
    risk = 100 - score(frame, cfg)["health_score"].fillna(unknown_score).to_numpy(float)
    return _auc(np.asarray(churned), risk)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC by ranks (ties count half)."""
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if not pos or not neg:
        return float("nan")
    ranks = pd.Series(s).rank(method="average").to_numpy()
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _nice(v: float, digits: int) -> float:
    """`v` to `digits` significant digits: thresholds a person can read."""
    if not np.isfinite(v) or v == 0:
        return 0.0
    return float(round(v, -int(np.floor(np.log10(abs(v)))) + digits - 1))


def _fit_thresholds(t: Trait, values: pd.Series, y: np.ndarray, fs: FitSettings) -> Trait:
    """The (healthy, poor) pair, in the trait's direction, whose trait score alone ranks churn best
    among the rows that have a value; the trait unchanged when no pair beats its own."""
    have = values.notna().to_numpy()
    if have.sum() < 2 or len(np.unique(y[have])) < 2:
        return t
    v = values[have].astype(float)
    cands = sorted({_nice(q, fs.digits) for q in np.quantile(v, fs.quantiles)})
    higher_better = t.healthy > t.poor
    best, best_auc = t, _auc(y[have], -trait_score(v, t.healthy, t.poor).to_numpy())
    for lo in cands:
        for hi in cands:
            if hi <= lo:
                continue
            healthy, poor = (hi, lo) if higher_better else (lo, hi)
            a = _auc(y[have], -trait_score(v, healthy, poor).to_numpy())
            if a > best_auc + 1e-9:
                best, best_auc = replace(t, healthy=healthy, poor=poor), a
    return best


def _compositions(total: int, parts: int, step: int, low: int):
    """Every way to split `total` into `parts` multiples of `step`, none below `low`."""
    if parts == 1:
        if total >= low:
            yield (total,)
        return
    for first in range(low, total - low * (parts - 1) + 1, step):
        for rest in _compositions(total - first, parts - 1, step, low):
            yield (first, *rest)


def fit(frame: pd.DataFrame, churned, cfg: HealthConfig, fs: FitSettings | None = None) -> HealthConfig:
    """Weights and thresholds for `cfg`'s categories and traits that rank the churned rows of
    `frame` (the health inputs of labelled snapshots) highest: each feature trait's thresholds on
    its own, then the category weights over every split FitSettings allows (ties: the split
    closest to the current one; a category without data keeps its share). Same categories,
    traits, directions and tiers."""
    fs = fs or FitSettings()
    y = np.asarray(churned).astype(int)
    cats = []
    for c in cfg.categories:
        traits = tuple(t if t.age_feature else _fit_thresholds(t, frame.get(t.feature, pd.Series(np.nan, index=frame.index)),
                                                              y, fs) for t in c.traits)
        cats.append(replace(c, traits=traits))
    tuned = replace(cfg, categories=tuple(cats))
    scored = score(frame, replace(tuned, categories=tuple(replace(c, weight=1.0) for c in cats)))
    cat_scores = np.column_stack([scored[f"cat_{c.name}"].to_numpy(float) for c in cats])
    has = ~np.isnan(cat_scores)
    filled = np.nan_to_num(cat_scores)
    current = np.array([c.weight for c in cfg.categories], float)
    current = current / current.sum() * 100
    # a category with no data in these rows cannot be judged: it keeps its share (to the step)
    judged = has.any(axis=0)
    kept = np.where(judged, 0.0, np.round(current / fs.weight_step) * fs.weight_step)
    free = int(100 - kept.sum())
    best, best_key = current, None
    for split in _compositions(free, int(judged.sum()), fs.weight_step, fs.min_weight) if judged.any() else ():
        w = kept.copy()
        w[judged] = split
        den = has @ w
        with np.errstate(invalid="ignore", divide="ignore"):
            health_score = np.where(den > 0, (filled @ w) / den, np.nan)
        a = _auc(y, 100 - np.where(np.isnan(health_score), fs.unknown_score, health_score))
        key = (round(a, 6), -np.abs(w - current).sum())
        if best_key is None or key > best_key:
            best, best_key = w, key
    return replace(tuned, categories=tuple(replace(c, weight=round(float(w), 4)) for c, w in zip(cats, best)))


def changes(before: HealthConfig, after: HealthConfig) -> list[str]:
    """What a fit changed, one line each, as an analyst reads it."""
    out = []
    total_b = sum(c.weight for c in before.categories)
    total_a = sum(c.weight for c in after.categories)
    for b, a in zip(before.categories, after.categories):
        wb, wa = b.weight / total_b * 100, a.weight / total_a * 100
        if round(wb) != round(wa):
            out.append(f"{a.label}: weight {wb:.0f}% -> {wa:.0f}%")
        for tb, ta in zip(b.traits, a.traits):
            if (tb.healthy, tb.poor) != (ta.healthy, ta.poor):
                out.append(f"{ta.label}: healthy at {tb.healthy:g} -> {ta.healthy:g}, poor at {tb.poor:g} -> {ta.poor:g}")
    return out


def render(cfg: HealthConfig, comment: str, traits: tuple[TraitSpec, ...] | None = None) -> str:
    """`cfg` as health.toml text (the form load_config reads), headed by `comment` lines."""
    names = {s.feature: s.name for s in (traits if traits is not None else load_traits())}
    total = sum(c.weight for c in cfg.categories) or 1
    lines = [f"# {line}" for line in comment.splitlines()] + [
        "# Rule-based health score (see the playbook in ../shared/research). A trait scores 100 at `healthy`,",
        "# 0 at `poor`, linearly between; a trait without data is left out and the weights renormalise.",
        "# `{ trait = \"...\" }` is a manual trait declared in traits.toml.", "",
        "[tiers]", f"healthy = {cfg.healthy_at:g}", f"poor = {cfg.poor_below:g}"]
    for c in cfg.categories:
        lines += ["", "[[categories]]", f'name = "{c.name}"', f'label = "{c.label}"',
                  f"weight = {c.weight / total * 100:g}", "traits = ["]
        for t in c.traits:
            weight = f", weight = {t.weight:g}" if t.weight != 1 else ""
            if t.age_feature and t.feature in names:
                lines.append(f'  {{ trait = "{names[t.feature]}"{weight} }},')
            else:
                lines.append(f'  {{ feature = "{t.feature}", label = "{t.label}", healthy = {t.healthy:g}, '
                             f'poor = {t.poor:g}{weight} }},')
        lines.append("]")
    return "\n".join(lines) + "\n"


def write_config(cfg: HealthConfig, path: Path, comment: str) -> Path:
    """Write `cfg` to `path` (health.toml or a named copy) with `comment` at its head; the file
    reads back as the same config."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(cfg, comment)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    load_config(tmp)  # refuse to write what would not load
    tmp.replace(path)
    return path
