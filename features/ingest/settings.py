"""Typed ingest settings read from config/ingest.toml. Reading them does no other work."""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from features.paths import FEATURES_CONFIG

INGEST_TOML = FEATURES_CONFIG / "ingest.toml"
DECIMAL_SEPARATORS = ("auto", ".", ",")


@dataclass(frozen=True)
class IngestSettings:
    max_share: float = 0.05  # of a table's rows lost to quarantine before the load is refused
    floor: dt.date = dt.date(1990, 1, 1)  # earliest plausible timestamp or date
    future_tolerance_hours: float = 14  # events may carry stamps this far after the export time
    max_line_bytes: int = 2_097_152
    decimal_separator: str = "auto"
    integer_id_digits: int = 0  # zero-pad integer ids to this many digits (0: as they are)
    same_portfolio_share: float = 0.5  # of the old accounts in the export to carry the last figures over

    def __post_init__(self):
        if not 0 <= self.max_share <= 1:
            raise ValueError(f"{INGEST_TOML.name}: [quarantine] max_share must be between 0 and 1")
        if not 0 <= self.same_portfolio_share <= 1:
            raise ValueError(f"{INGEST_TOML.name}: [portfolio] same_share must be between 0 and 1")
        if self.decimal_separator not in DECIMAL_SEPARATORS:
            raise ValueError(f"{INGEST_TOML.name}: [csv] decimal_separator must be one of "
                             f"{', '.join(map(repr, DECIMAL_SEPARATORS))}")
        if self.max_line_bytes < 1024 or self.integer_id_digits < 0 or self.future_tolerance_hours < 0:
            raise ValueError(f"{INGEST_TOML.name}: max_line_bytes >= 1024, integer_id_digits >= 0 "
                             "and future_tolerance_hours >= 0")


def load_ingest_settings(path: Path | None = None) -> IngestSettings:
    with open(path or INGEST_TOML, "rb") as f:
        d = tomllib.load(f)
    q, t, c, i, p = (d.get(k, {}) for k in ("quarantine", "time", "csv", "ids", "portfolio"))
    defaults = IngestSettings()
    return IngestSettings(
        max_share=float(q.get("max_share", defaults.max_share)),
        floor=t.get("floor", defaults.floor),
        future_tolerance_hours=float(t.get("future_tolerance_hours", defaults.future_tolerance_hours)),
        max_line_bytes=int(c.get("max_line_bytes", defaults.max_line_bytes)),
        decimal_separator=str(c.get("decimal_separator", defaults.decimal_separator)),
        integer_id_digits=int(i.get("integer_id_digits", defaults.integer_id_digits)),
        same_portfolio_share=float(p.get("same_share", defaults.same_portfolio_share)),
    )
