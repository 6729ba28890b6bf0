"""Feature declarations (name -> description, unit, direction, requirements) and value formatting.

Static features come from config/catalog.toml; per-event-type, per-persona and per-workflow
features are declared by the functions below when the pipeline knows the data.
"""
from __future__ import annotations

import functools
import hashlib
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
    timing: bool = False  # says when the renewal decision falls: context beside a score, never a reason
    missing: str | None = None  # the sentence when an absent value is itself the information
    reason: str | None = None  # features naming the same reason are explained as one

    def to_row(self) -> dict:
        return {"name": self.name, "family": self.family, "description": self.description,
                "unit": self.unit, "direction": self.direction, "requires": ",".join(self.requires),
                "sentence": self.sentence, "yes": self.yes, "no": self.no, "model": self.model,
                "timing": self.timing, "missing": self.missing, "reason": self.reason or self.name}


def load_catalog(path=None, traits: tuple[TraitSpec, ...] | None = None) -> dict[str, Feature]:
    """Every statically known feature: config/catalog.toml's, then the manual traits' (traits.toml)."""
    with open(path or FEATURES_CONFIG / "catalog.toml", "rb") as f:
        raw = tomllib.load(f)
    out = {name: Feature(name=name, requires=tuple(d.pop("requires", ())), **d) for name, d in raw.items()}
    for spec in traits if traits is not None else load_traits():
        out.update({f.name: f for f in trait_features(spec)})
    return out


def slug(text: str) -> str:
    """A name as part of a column name: lower case, letters (any script) and digits joined by `_`."""
    return re.sub(r"[\W_]+", "_", str(text).lower()).strip("_") or "blank"


def slugs(names) -> dict[str, str]:
    """{name: slug} with every slug different: names whose slugs clash ("Dashboard Viewed" and
    "dashboard.viewed") each get a short hash of the name itself, the same whatever else is there."""
    names = list(dict.fromkeys(str(n) for n in names))
    plain = {n: slug(n) for n in names}
    clash = {v for v in plain.values() if list(plain.values()).count(v) > 1}
    return {n: f"{v}_{hashlib.sha1(n.encode()).hexdigest()[:6]}" if v in clash else v for n, v in plain.items()}


@functools.lru_cache(maxsize=1)
def _display_names() -> dict[str, str]:
    with open(FEATURES_CONFIG / "display_names.toml", "rb") as f:
        return {str(k): str(v) for k, v in tomllib.load(f).get("event_types", {}).items()}


# participles that do not end in -ed: "message_sent" reads "messages sent"
_PARTICIPLES = {"sent", "run", "built", "made", "done", "paid", "read", "seen", "won", "lost", "set", "put",
                "taken", "given", "written", "shown", "held", "kept", "left", "bought", "sold", "spent", "met",
                "brought", "found", "got", "begun", "drawn", "chosen", "known", "cut", "shut", "signed up"}


def _plural(word: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def display_name(event_type: str) -> str:
    """How an event type reads in a sentence (lower case, plural): config/display_names.toml's
    [event_types] entry, else humanised from the name ("report_created" -> "reports created",
    "PageView" -> "page views", "login" -> "logins", "Éxport" -> "éxports"; a name ending in a
    number or another script's letter gets "events")."""
    named = _display_names().get(str(event_type))
    if named:
        return named
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(event_type))
    words = [w for w in re.split(r"[\W_]+", spaced) if w]
    if not words:
        return "unnamed events"
    lower = [w if w.isupper() and len(w) > 1 else w.lower() for w in words]
    last = lower[-1]
    if last.isdigit():
        return " ".join(words) + " events"
    if not re.search(r"[a-z]$", last):  # "upload to s3", a name in another script: no English plural
        return " ".join(lower) + " events"
    if len(lower) == 1 and (last.endswith("ed") or last.endswith("ing") or last in _PARTICIPLES):
        return " ".join(lower) + " events"
    if len(lower) > 1 and (last.endswith("ed") or last in _PARTICIPLES):
        return " ".join(lower[:-2] + [_plural(lower[-2]), last])
    return " ".join(lower[:-1] + [_plural(last)])


def event_type_features(event_type: str, key: str | None = None) -> list[Feature]:
    """The per-type count and trend; `key` is the type's slug among the tracked ones (see `slugs`)."""
    s, name = key or slug(event_type), display_name(event_type)
    if s != slug(event_type):  # spellings that read alike ("Report Viewed", "report.viewed"): say which
        name = f"{name} ('{event_type}')"
    title = name[:1].upper() + name[1:]
    return [
        Feature(f"evt_{s}_30d", "usage", f"{title} in the last 30 days", "events",
                "higher_better", ("events",), reason=f"evt_{s}",
                sentence=f"{title}: {{value}} in the last 30 days"),
        Feature(f"evt_{s}_trend", "usage",
                f"Change in {name}, last 30 days against the 60 before", "change",
                "higher_better", ("events",), reason=f"evt_{s}",
                sentence=f"{title} changed {{value}} in the last 30 days against the 60 before"),
    ]


def trait_features(t: TraitSpec) -> list[Feature]:
    """The score of a manual trait's latest setting, and its age."""
    def fill(text):
        return text.replace("{scale}", t.scale) if text else text
    return [
        Feature(t.feature, t.family, fill(t.description), t.unit, "higher_better", ("traits",),
                sentence=fill(t.sentence), yes=fill(t.yes), no=fill(t.no), reason=t.feature),
        Feature(t.age_feature, t.family, fill(t.age_description), "days", "lower_better", ("traits",),
                reason=t.feature),
    ]


def persona_feature(persona: str, key: str | None = None) -> Feature:
    return Feature(f"persona_active_{key or slug(persona)}", "adoption",
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
    if unit == "months":
        return f"{v:,.0f} month" + ("" if round(v) == 1 else "s")
    if unit == "flag":
        return "yes" if v >= 0.5 else "no"
    if unit == "score":
        return f"{v:.0f}"
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:,.1f}"


def listing(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def money(v: float) -> str:
    """$950, $12k, $1.2M: the unit is chosen after rounding, so 999,999 reads "$1.0M", not "$1000k"."""
    a = abs(v)
    sign = "-" if v < 0 else ""
    if round(a / 1e3) >= 1000:
        return f"{sign}${a / 1e6:.1f}M"
    if round(a) >= 1000:
        return f"{sign}${a / 1e3:.0f}k"
    return f"{sign}${a:,.0f}"
