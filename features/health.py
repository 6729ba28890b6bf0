"""`radar health`: the rule-based health score for every feature snapshot.

Pure scoring over the `features` frame; `run` is the only function that touches the warehouse:
it reads `features`, recomputes the manual traits from their latest settings (so a trait saved
in the portal since the last feature build counts) without writing `features`, and writes
`health`. Output grain: one row per (account_id, as_of).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
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
    out = np.select([score >= cfg.healthy_at, score >= cfg.poor_below, score.notna()],
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
    feats = con.execute(f"select * from features {where}", params or []).df()
    now = current_traits(con, where, params)
    feats = feats.drop(columns=[c for c in now.columns if c in feats and c not in KEYS])
    feats = feats.merge(now, on=KEYS, how="left")
    return score(feats, cfg or load_config())
