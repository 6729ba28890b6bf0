"""Typed pipeline settings read from config/*.toml. Reading them does no other work."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from features.paths import FEATURES_CONFIG


@dataclass(frozen=True)
class Workflow:
    name: str
    description: str
    event_type: str
    persona: str
    per_user_per_30d: float


@dataclass(frozen=True)
class PipelineSettings:
    top_event_types: int = 6
    event_types: tuple[str, ...] = ()
    warmup_days: int = 89
    defect_kinds: tuple[str, ...] = ()
    help_kinds: tuple[str, ...] = ()
    high_priorities: tuple[str, ...] = ()
    qbr_kinds: tuple[str, ...] = ()
    key_personas: tuple[str, ...] = ()
    workflows: tuple[Workflow, ...] = field(default=())


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
        defect_kinds=tuple(p["tickets"]["defect_kinds"]),
        help_kinds=tuple(p["tickets"]["help_kinds"]),
        high_priorities=tuple(p["tickets"]["high_priorities"]),
        qbr_kinds=tuple(p["touchpoints"]["qbr_kinds"]),
        key_personas=tuple(x.lower() for x in a.get("key_personas", ())),
        workflows=tuple(Workflow(**w) for w in a.get("workflows", ())),
    )
