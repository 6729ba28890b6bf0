"""Typed pipeline settings read from config/*.toml. Reading them does no other work."""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from features.paths import FEATURES_CONFIG
from features.traits import TraitSpec, load_traits


@dataclass(frozen=True)
class Workflow:
    name: str
    description: str
    event_type: str
    persona: str
    per_user_per_30d: float


@dataclass(frozen=True)
class Windows:
    """Day windows; every window ends on as_of, inclusive. Feature names state them."""
    short_days: int = 7
    stickiness_days: int = 28
    recent_days: int = 30
    prior_days: int = 60
    long_days: int = 90
    changes_days: int = 180  # contract changes (up- and downgrades, add-ons) counted over this window


@dataclass(frozen=True)
class Delivery:
    """When an event type counts as usually regular (for delivery silence)."""
    lookback_days: int = 180
    min_active_days: int = 30
    max_usual_gap_days: float = 7


@dataclass(frozen=True)
class PipelineSettings:
    top_event_types: int = 6
    event_types: tuple[str, ...] = ()
    warmup_days: int = 89
    windows: Windows = field(default_factory=Windows)
    delivery: Delivery = field(default_factory=Delivery)
    defect_kinds: tuple[str, ...] = ()
    help_kinds: tuple[str, ...] = ()
    high_priorities: tuple[str, ...] = ()
    qbr_kinds: tuple[str, ...] = ()
    key_personas: tuple[str, ...] = ()
    workflows: tuple[Workflow, ...] = field(default=())
    traits: tuple[TraitSpec, ...] = field(default=())

    def params(self) -> dict[str, object]:
        """The values the feature SQL binds by name ($recent_days, $delivery_lookback_days, ...)."""
        return {"top_event_types": self.top_event_types, **asdict(self.windows),
                **{f"delivery_{k}": v for k, v in asdict(self.delivery).items()}}


def load_settings(config_dir: Path | None = None) -> PipelineSettings:
    d = Path(config_dir or FEATURES_CONFIG)
    with open(d / "pipeline.toml", "rb") as f:
        p = tomllib.load(f)
    with open(d / "adoption.toml", "rb") as f:
        a = tomllib.load(f)
    return PipelineSettings(
        top_event_types=p.get("top_event_types", 6),
        event_types=tuple(p.get("event_types", ())),
        warmup_days=p.get("warmup_days", 89),
        windows=Windows(**p.get("windows", {})),
        delivery=Delivery(**p.get("delivery", {})),
        defect_kinds=tuple(p["tickets"]["defect_kinds"]),
        help_kinds=tuple(p["tickets"]["help_kinds"]),
        high_priorities=tuple(p["tickets"]["high_priorities"]),
        qbr_kinds=tuple(p["touchpoints"]["qbr_kinds"]),
        key_personas=tuple(x.lower() for x in a.get("key_personas", ())),
        workflows=tuple(Workflow(**w) for w in a.get("workflows", ())),
        traits=load_traits(d / "traits.toml"),
    )
