"""Users of each account: personas, sign-up and deactivation days, and how active each one is."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.sample import spec
from features.sample.portfolio import Portfolio


@dataclass
class Users:
    """Per-user arrays, sorted by account."""
    account: np.ndarray
    persona: np.ndarray
    created: np.ndarray  # day
    deactivated: np.ndarray  # day, or a large number
    propensity: np.ndarray  # chance of being active on a normal weekday at full health

    def __len__(self) -> int:
        return len(self.account)


def headcount(rng: np.random.Generator, p: Portfolio, seats_max: np.ndarray) -> np.ndarray:
    """Registered users per account: about the most seats it held, or many more with no seat cap."""
    count = np.round(seats_max * rng.uniform(*spec.USERS_PER_SEAT, p.n)).astype(int)
    median, sigma = spec.UNCAPPED_USERS
    big = np.round(np.exp(rng.normal(np.log(np.take(median, p.segment)), sigma, p.n)))
    count = np.where(p.unlimited, big, count).astype(int)
    if p.n >= spec.HUGE_ACCOUNT_FROM and p.unlimited.any():  # the research's 40,000-user account with no cap
        top = np.flatnonzero(p.unlimited)[np.argmax(p.segment[p.unlimited])]
        count[top] = max(count[top], spec.HUGE_ACCOUNT_USERS)
    return np.maximum(count, 1)


def build(rng: np.random.Generator, p: Portfolio, days: int, seats_max: np.ndarray) -> Users:
    """Users sign up at the start and as seats grow; deactivated ones leave, and all leave after churn."""
    count = headcount(rng, p, seats_max)
    acc = np.repeat(np.arange(p.n), count)
    m = len(acc)
    persona = rng.choice(len(spec.PERSONAS), m, p=spec.PERSONA_SHARE)
    start = p.first_start[acc]
    early = rng.random(m) < spec.EARLY_SIGNUP_SHARE * np.where(p.unlimited, 1.0, p.seats0 / np.maximum(seats_max, 1))[acc]
    # later sign-ups spread over the whole window, whenever the account leaves: a user who would
    # sign up after the churn never does (spreading them over the account's life would let the
    # number signed up so far tell when it ends)
    created = np.where(early, start + rng.integers(0, spec.EARLY_SIGNUP_DAYS, m),
                       start + (rng.random(m) * np.maximum(days - start, 1)).astype(int))
    deactivated = np.where(rng.random(m) < spec.DEACTIVATE_SHARE,
                           created + rng.integers(*spec.DEACTIVATE_AFTER_DAYS, m), 10**9)
    churned = p.churn_day[acc] < days
    deactivated = np.where(churned, np.minimum(deactivated, p.churn_day[acc] + rng.integers(*spec.LEAVE_AFTER_CHURN_DAYS, m)),
                           deactivated)
    propensity = rng.beta(*spec.PROPENSITY_BETA, m) * np.take(spec.PERSONA_ACTIVITY, persona)
    propensity *= np.where(p.unlimited[acc], spec.UNCAPPED_PROPENSITY, 1.0)  # most users of uncapped accounts are occasional
    propensity[rng.random(m) < spec.NEVER_LOGIN_SHARE] = 0.0
    joined = created <= p.churn_day[acc]
    return Users(acc[joined], persona[joined], created[joined], deactivated[joined], propensity[joined])
