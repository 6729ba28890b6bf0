"""Feature declarations (name -> description, unit, direction, requirements) and value formatting.

Static features come from config/catalog.toml; per-event-type, per-persona and per-workflow
features are declared by the functions below when the pipeline knows the data.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass

from features.paths import FEATURES_CONFIG
from features.traits import TraitSpec, load_traits


@dataclass(frozen=True)
class Feature:
    name: str
    family: str
    description: str
    unit: str
    direction: str = "neutral"
    requires: tuple[str, ...] = ()
    sentence: str | None = None
    yes: str | None = None  # flag features: the sentence when true
    no: str | None = None  # ... and when false
    model: bool = True  # a numeric model input (false for context columns)

    def to_row(self) -> dict:
        return {"name": self.name, "family": self.family, "description": self.description,
                "unit": self.unit, "direction": self.direction, "requires": ",".join(self.requires),
                "sentence": self.sentence, "yes": self.yes, "no": self.no, "model": self.model}


def load_catalog(path=None, traits: tuple[TraitSpec, ...] | None = None) -> dict[str, Feature]:
    """Every statically known feature: config/catalog.toml's, then the manual traits' (traits.toml)."""
    with open(path or FEATURES_CONFIG / "catalog.toml", "rb") as f:
        raw = tomllib.load(f)
    out = {name: Feature(name=name, requires=tuple(d.pop("requires", ())), **d) for name, d in raw.items()}
    for spec in traits if traits is not None else load_traits():
        out.update({f.name: f for f in trait_features(spec)})
    return out


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "blank"


def event_type_features(event_type: str) -> list[Feature]:
    s = slug(event_type)
    return [
        Feature(f"evt_{s}_30d", "usage", f"'{event_type}' events in the last 30 days", "events",
                "higher_better", ("events",)),
        Feature(f"evt_{s}_trend", "usage",
                f"Change in '{event_type}' events, last 30 days against the 60 before", "change",
                "higher_better", ("events",),
                sentence=f"'{event_type}' events changed {{value}} in the last 30 days against the 60 before"),
    ]


def trait_features(t: TraitSpec) -> list[Feature]:
    """The score of a manual trait's latest setting, and its age."""
    def fill(text):
        return text.replace("{scale}", t.scale) if text else text
    return [
        Feature(t.feature, t.family, fill(t.description), t.unit, "higher_better", ("traits",),
                sentence=fill(t.sentence), yes=fill(t.yes), no=fill(t.no)),
        Feature(t.age_feature, t.family, fill(t.age_description), "days", "lower_better", ("traits",)),
    ]


def persona_feature(persona: str) -> Feature:
    return Feature(f"persona_active_{slug(persona)}", "adoption",
                   f"Share of {persona} users active in the last 30 days", "share", "higher_better",
                   ("users.persona", "events.user_id"),
                   sentence=f"{{value}} of {persona} users were active in the last 30 days")


def workflow_feature(name: str, description: str) -> Feature:
    return Feature(f"workflow_{slug(name)}", "adoption",
                   f"{description}: share of its frequency target", "ratio", "higher_better",
                   ("users.persona", "events.user_id"),
                   sentence=f"{description} at {{value}} of target")


def format_value(unit: str, value) -> str:
    """A value as a person reads it: 42 users, 18%, $1.2M, 47 days, +12%."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    v = float(value)
    if unit == "share":
        return f"{v:.0%}"
    if unit == "change":
        return f"{v:+.0%}"
    if unit == "ratio":
        return f"{v:.0%}"
    if unit == "usd":
        return money(v)
    if unit == "days":
        return f"{v:,.0f} day" + ("" if round(v) == 1 else "s")
    if unit == "flag":
        return "yes" if v >= 0.5 else "no"
    if unit == "score":
        return f"{v:.0f}"
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:,.1f}"


def money(v: float) -> str:
    a = abs(v)
    sign = "-" if v < 0 else ""
    if a >= 1e6:
        return f"{sign}${a / 1e6:.1f}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:.0f}k"
    return f"{sign}${a:,.0f}"
