"""The manual traits a CSM sets (pulse, champion, buyer access), declared once in config/traits.toml.

Ingest validation, the portal's form and write-back, the trait features and the health score all
read `load_traits()`; nothing else spells a trait's values. Reading it does no other work.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from features.paths import FEATURES_CONFIG

TRAITS_TOML = FEATURES_CONFIG / "traits.toml"


@dataclass(frozen=True)
class TraitSpec:
    """One manual trait: its allowed values (in form order) and the score each maps to."""
    name: str
    label: str
    values: tuple[str, ...]
    scores: tuple[float, ...]  # one per value
    feature: str  # the score of the latest setting
    age_feature: str  # days since that setting
    stale_days: int
    aliases: dict[str, str] = field(default_factory=dict)  # other spelling -> value
    unit: str = "score"
    family: str = "engagement"
    description: str = ""
    sentence: str | None = None
    yes: str | None = None
    no: str | None = None
    age_description: str = ""

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every spelling validation lets in: the values, then the aliases."""
        return self.values + tuple(self.aliases)

    @property
    def best(self) -> float:
        return max(self.scores)

    @property
    def worst(self) -> float:
        return min(self.scores)

    @property
    def scale(self) -> str:
        """The values with their scores, as a person reads them: 'healthy 100, concerning 50, poor 0'."""
        return ", ".join(f"{v} {s:g}" for v, s in zip(self.values, self.scores))

    def canonical(self, value: str) -> str | None:
        """The declared value a spelling stands for (trimmed, lower case), or None if it is not accepted."""
        v = str(value).strip().lower()
        return v if v in self.values else self.aliases.get(v)

    def score_rows(self) -> list[tuple[str, str, float]]:
        """(trait, spelling, score) for every accepted spelling: the `trait_values` table's rows."""
        score = dict(zip(self.values, self.scores))
        return [(self.name, v, score[self.canonical(v)]) for v in self.accepted]


def _spec(raw: dict, family: str) -> TraitSpec:
    values = {str(k).lower(): float(v) for k, v in raw.pop("values").items()}
    aliases = {str(k).lower(): str(v).lower() for k, v in raw.pop("aliases", {}).items()}
    if bad := [a for a, v in aliases.items() if v not in values]:
        raise ValueError(f"trait '{raw['name']}': aliases {bad} point at no declared value")
    return TraitSpec(values=tuple(values), scores=tuple(values.values()), aliases=aliases,
                     family=raw.pop("family", family), **raw)


def load_traits(path: Path | None = None) -> tuple[TraitSpec, ...]:
    """Every declared trait, in declaration order (the order the form shows them)."""
    path = Path(path or TRAITS_TOML)
    return _load(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: Path, _mtime: int) -> tuple[TraitSpec, ...]:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    specs = tuple(_spec(dict(t), raw.get("family", "engagement")) for t in raw["traits"])
    names = [t.name for t in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: a trait is declared twice")
    return specs


def trait_values(specs: tuple[TraitSpec, ...] | None = None) -> dict[str, tuple[str, ...]]:
    """{trait: allowed values}: the shape `features.contract.TRAIT_VALUES` always had."""
    return {t.name: t.values for t in (specs if specs is not None else load_traits())}


def by_name(specs: tuple[TraitSpec, ...] | None = None) -> dict[str, TraitSpec]:
    return {t.name: t for t in (specs if specs is not None else load_traits())}


def feature_columns(long: pd.DataFrame, specs: tuple[TraitSpec, ...]) -> pd.DataFrame:
    """One row per (account_id, as_of) from the long rows of sql/families/manual_traits.sql
    (account_id, as_of, trait, score, age_days): each declared trait's feature and age_feature,
    null where the trait was never set."""
    keys = ["account_id", "as_of"]
    wide = (long.pivot(index=keys, columns="trait", values=["score", "age_days"]) if len(long)
            else pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=keys)))
    out = pd.DataFrame(index=wide.index)
    for t in specs:
        for col, value in ((t.feature, "score"), (t.age_feature, "age_days")):
            out[col] = wide[(value, t.name)].astype("float64") if (value, t.name) in wide else np.nan
    return out.astype("float64").reset_index()
