"""Typed settings of the reports (portal/reports/config.toml), with environment overrides where a
deployment differs from the repository. Reading them does no other work."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

CONFIG = Path(__file__).with_name("config.toml")


@dataclass(frozen=True)
class DigestSettings:
    portal_url: str
    compare_days: int
    renewal_days: int
    recent_days: int
    watch_max: int


@dataclass(frozen=True)
class QbrSettings:
    quarters: int
    outcome_events: int


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    ssl: bool
    sender: str
    username: str
    password_env: str
    timeout_s: float

    @property
    def configured(self) -> bool:
        return bool(self.host.strip())

    @property
    def password(self) -> str | None:
        return os.environ.get(self.password_env) or None


def _raw(path: Path | None) -> dict:
    with open(path or CONFIG, "rb") as f:
        return tomllib.load(f)


def digest(path: Path | None = None) -> DigestSettings:
    d = _raw(path)["digest"]
    return DigestSettings(os.environ.get("RADAR_PORTAL_URL") or d["portal_url"], int(d["compare_days"]),
                          int(d["renewal_days"]), int(d["recent_days"]), int(d["watch_max"]))


def qbr(path: Path | None = None) -> QbrSettings:
    q = _raw(path)["qbr"]
    return QbrSettings(int(q["quarters"]), int(q["outcome_events"]))


def smtp(path: Path | None = None) -> SmtpSettings:
    m = _raw(path)["smtp"]
    env = os.environ.get
    starttls = env("RADAR_SMTP_STARTTLS")
    return SmtpSettings(host=env("RADAR_SMTP_HOST") or m["host"], port=int(env("RADAR_SMTP_PORT") or m["port"]),
                        starttls=bool(m["starttls"]) if starttls is None else starttls.strip().lower() in ("1", "true", "yes"),
                        ssl=bool(m["ssl"]), sender=m["sender"],
                        username=env("RADAR_SMTP_USER") or m["username"], password_env=m["password_env"],
                        timeout_s=float(m["timeout_s"]))
