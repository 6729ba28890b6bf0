"""Accounts, their hidden monthly state, and the contracts that state decides.

Days are integers relative to the first day of the event window (day 0); contracts may
start up to `spec.HISTORY_DAYS` earlier. The hidden state lives on 30-day slices.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.sample import spec


@dataclass
class Portfolio:
    """Per-account arrays (index = account) and the hidden state grid."""
    n: int
    segment: np.ndarray
    owner: np.ndarray
    name: np.ndarray
    industry: np.ndarray
    region: np.ndarray
    unlimited: np.ndarray
    messaging: np.ndarray
    misrouted: np.ndarray
    diligence: np.ndarray  # how regularly the owner touches and updates the account
    first_start: np.ndarray
    state: np.ndarray  # (n, slices) hidden health
    champion: np.ndarray  # (n, slices) bool
    budget_cut: np.ndarray  # (n, slices) bool, within 12 months of a budget cut
    outage: np.ndarray  # (n, slices) bool, the slice an outage happened
    failure_start: np.ndarray  # delivery failure start day or -1 (one at most)
    failure_end: np.ndarray
    seats0: np.ndarray
    arr0: np.ndarray
    churn_day: np.ndarray  # last covered day if churned inside the window, else large


def slice_of(day):
    """Hidden-state slice index of a day (days may be negative, back to the history start)."""
    return (np.asarray(day) + spec.HISTORY_DAYS) // spec.SLICE_DAYS


def build(rng: np.random.Generator, n: int, days: int) -> Portfolio:
    seg = rng.choice(len(spec.SEGMENTS), size=n, p=spec.SEGMENT_SHARE)
    n_owners = max(1, min(len(spec.OWNERS), round(n / spec.ACCOUNTS_PER_OWNER)))
    # portfolio sizes spread from half to 1.4x the average, as in the research (12-60 each)
    share = np.linspace(*spec.OWNER_LOAD, n_owners)
    sizes = np.floor(share / share.sum() * n).astype(int)
    sizes[: n - sizes.sum()] += 1
    owner = rng.permutation(np.repeat(rng.permutation(n_owners), sizes))
    diligence_by_owner = rng.uniform(*spec.OWNER_DILIGENCE, n_owners)
    names = np.char.add(np.char.add(rng.choice(spec.NAME_A, n), rng.choice(spec.NAME_B, n)),
                        np.char.add(" ", rng.choice(spec.NAME_C, n)))
    unlimited = rng.random(n) < np.take(spec.UNLIMITED_SHARE, seg)
    if n >= spec.ONE_UNCAPPED_FROM and not unlimited.any():
        unlimited[np.argmax(seg)] = True
    lo, hi = np.array(spec.SEGMENT_SEATS).T
    seats0 = np.round(np.exp(rng.uniform(np.log(lo[seg]), np.log(hi[seg])))).astype(int)
    med, sig = np.array(spec.SEGMENT_ARR).T
    arr0 = np.round(med[seg] * np.exp(rng.normal(0, sig[seg])), -2)
    first_start = rng.integers(-spec.HISTORY_DAYS, max(days - spec.NEWEST_START_BEFORE_END_DAYS, 1), n)
    slices = (spec.HISTORY_DAYS + days) // spec.SLICE_DAYS + 2
    p = Portfolio(
        n=n, segment=seg, owner=owner, name=names,
        industry=rng.choice(spec.INDUSTRIES, n), region=rng.choice(spec.REGIONS, n),
        unlimited=unlimited, messaging=rng.random(n) < spec.MESSAGING_SHARE,
        misrouted=rng.random(n) < spec.MISROUTED_SHARE,
        diligence=diligence_by_owner[owner] * rng.uniform(*spec.ACCOUNT_DILIGENCE, n),
        first_start=first_start, state=np.zeros((n, slices)), champion=np.ones((n, slices), bool),
        budget_cut=np.zeros((n, slices), bool), outage=np.zeros((n, slices), bool),
        failure_start=np.full(n, -1), failure_end=np.full(n, -1),
        seats0=seats0, arr0=arr0, churn_day=np.full(n, 10**9),
    )
    simulate_state(rng, p, days)
    return p


def simulate_state(rng: np.random.Generator, p: Portfolio, days: int) -> None:
    """Fill p.state and the shock flags: AR(1) around a drifting fit, moved by shocks."""
    n, slices = p.state.shape
    fit = rng.normal(*spec.FIT, n)
    h = fit + rng.normal(0, spec.STATE_START_NOISE, n)
    champ = rng.random(n) < spec.CHAMPION_SHARE
    budget_left = np.zeros(n, int)
    for s in range(slices):
        hit = {k: rng.random(n) < prob for k, (prob, _, _) in spec.SHOCKS.items()}
        for k, (_, now, perm) in spec.SHOCKS.items():
            h = h + now * hit[k]
            fit = fit + perm * hit[k]
        champ = (champ & ~hit["champion_leaves"]) | hit["new_sponsor"]
        budget_left = np.where(hit["budget_cut"], spec.BUDGET_CUT_SLICES, np.maximum(budget_left - 1, 0))
        h = h + spec.STATE_PULL * (fit - h) + rng.normal(0, spec.STATE_NOISE, n)
        p.state[:, s], p.champion[:, s] = h, champ
        p.budget_cut[:, s], p.outage[:, s] = budget_left > 0, hit["outage"]
    # one delivery failure at most: the platform silently stops sending for a quarter
    months = days // spec.SLICE_DAYS
    fails = p.messaging & (rng.random(n) < 1 - (1 - spec.DELIVERY_FAILURE_ODDS) ** months)
    start = rng.integers(0, max(days - spec.SLICE_DAYS, 1), n)
    length = rng.integers(*spec.DELIVERY_FAILURE_DAYS, n)
    p.failure_start = np.where(fails, start, -1)
    p.failure_end = np.where(fails, start + length, -1)
    # customers notice a failure after about two months, and it hurts
    noticed = slice_of(np.where(fails, start + spec.FAILURE_NOTICED_DAYS, -10**6))
    for a in np.flatnonzero(fails):
        p.state[a, min(noticed[a], slices - 1):] -= spec.FAILURE_STATE_HIT


def churn_probability(p: Portfolio, a: int, day: int, utilisation: float) -> float:
    s = min(max(int(slice_of(day)), 0), p.state.shape[1] - 1)
    recent = p.state[a, max(s - spec.RECENT_STATE_SLICES + 1, 0): s + 1].mean()
    failed = p.failure_start[a] >= 0 and day - spec.FAILURE_REMEMBERED_DAYS <= p.failure_start[a] <= day
    c = spec.CHURN_LOGIT
    logit = (c["intercept"] + c["state"] * recent + c["budget_cut"] * p.budget_cut[a, s]
             + c["no_champion"] * (not p.champion[a, s]) + c["delivery_failure"] * failed
             + c["low_utilisation"] * (utilisation < spec.LOW_UTILISATION))
    return float(1 / (1 + np.exp(-logit)))


def activity_level(state):
    """Share of a user's propensity realised on a weekday, from the hidden state."""
    slope, offset = spec.ACTIVITY_CURVE
    return 1 / (1 + np.exp(-(slope * np.asarray(state) + offset)))


def contracts(rng: np.random.Generator, p: Portfolio, days: int, churn: str = "modelled") -> dict[str, list]:
    """Contract rows: terms, renewals (some late, within grace), seat up/downsells, add-ons, churn.

    Decisions after the window's last day are unknown, so no contract starts after it. With
    `churn="random"` every term end churns with the same odds (spec.RANDOM_ANNUAL_CHURN a year).
    """
    rows: dict[str, list] = {k: [] for k in ("contract_id", "account_id", "start_date", "end_date",
                                             "arr", "seats", "product", "plan",
                                             "billing_period_months", "discount")}
    cid = 0

    def add(a, start, end, arr, seats, product, plan, discount):
        nonlocal cid
        cid += 1
        for k, v in zip(rows, (cid, a, start, end, arr, seats, product, plan, spec.BILLING_MONTHS, discount)):
            rows[k].append(v)

    for a in range(p.n):
        start, seats, arr = int(p.first_start[a]), int(p.seats0[a]), float(p.arr0[a])
        discount = round(float(rng.choice(spec.DISCOUNTS)), 2)
        addon = rng.random() < spec.ADDON_SHARE
        addon_from = start + int(rng.integers(*spec.ADDON_AFTER_DAYS))
        plan = spec.PLAN_NAMES[p.segment[a]] + (" + Messaging" if p.messaging[a] else "")
        while start < days:
            years = int(rng.choice(spec.TERM_YEARS, p=spec.TERM_SHARE))
            end = start + 365 * years - 1
            add(a, start, end, arr, None if p.unlimited[a] else seats, "Platform", plan, discount)
            if addon and addon_from <= end:
                add(a, max(start, addon_from), end, round(arr * spec.ADDON_ARR_SHARE, -2), None, spec.ADDON_PRODUCT,
                    "Add-on", discount)
            if end >= days - 1:
                break
            s = min(int(slice_of(end)), p.state.shape[1] - 1)
            util = float(activity_level(p.state[a, s]))
            odds = 1 - (1 - spec.RANDOM_ANNUAL_CHURN) ** years if churn == "random" \
                else churn_probability(p, a, end, util)
            if rng.random() < odds:
                p.churn_day[a] = end
                break
            gap = int(rng.integers(*spec.LATE_RENEWAL_DAYS)) if rng.random() < spec.LATE_RENEWAL_SHARE else 0
            prev_seats = seats
            if not p.unlimited[a]:
                if util > spec.UPSELL_UTILISATION and p.state[a, s] > spec.UPSELL_STATE:
                    seats = int(np.ceil(seats * rng.uniform(*spec.UPSELL_FACTOR)))
                elif util < spec.DOWNSELL_UTILISATION or p.budget_cut[a, s]:
                    seats = max(1, int(seats * rng.uniform(*spec.DOWNSELL_FACTOR)))
            price = rng.uniform(*spec.PRICE_CHANGE) * (spec.BUDGET_CUT_PRICE if p.budget_cut[a, s] else 1.0)
            arr = round(arr * price * seats / prev_seats, -2)
            start = end + 1 + gap
    return rows
