"""Support tickets, CSM touchpoints and the manual traits CSMs set during them.

All three are drawn per account and 30-day slice from the hidden state: tickets storm after
an outage or a noticed delivery failure; touchpoints thin out when the customer goes quiet or
the CSM goes silent; traits are set at meetings, so accounts nobody meets go stale.
"""
from __future__ import annotations

import numpy as np

from features.sample import spec
from features.sample.portfolio import Portfolio, activity_level, slice_of


def _alive_slices(p: Portfolio, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Account-slice cells inside the window while the account is a customer."""
    s0 = slice_of(0)
    s_last = slice_of(days - 1)
    s = np.arange(s0, s_last + 1)
    start_day = (s - s0) * spec.SLICE_DAYS
    alive = (start_day[None, :] + spec.SLICE_DAYS - 1 >= p.first_start[:, None]) & \
            (start_day[None, :] <= np.minimum(p.churn_day, days - 1)[:, None])
    return alive, s, start_day


def _days_in_slice(rng, p, a, start_day, days):
    lo = np.maximum(start_day, np.maximum(p.first_start[a], 0))
    hi = np.minimum(start_day + spec.SLICE_DAYS - 1, np.minimum(p.churn_day[a], days - 1))
    return lo + (rng.random(len(a)) * (hi - lo + 1)).astype(int)


def tickets(rng: np.random.Generator, p: Portfolio, days: int) -> dict[str, np.ndarray]:
    alive, s, start_day = _alive_slices(p, days)
    state = p.state[:, s]
    noticed = np.zeros_like(alive)
    for a in np.flatnonzero(p.failure_start >= 0):
        k = slice_of(p.failure_start[a] + spec.FAILURE_NOTICED_DAYS) - s[0]
        noticed[a, max(k, 0): max(k + spec.FAILURE_TICKET_SLICES, 0)] = True
    troubled = state < spec.TROUBLED_STATE
    base = np.take(spec.TICKET_RATE, p.segment)[:, None] * (1 + spec.TROUBLED_TICKETS * troubled)
    storm = p.outage[:, s] * rng.uniform(*spec.OUTAGE_TICKETS, alive.shape) + noticed * spec.FAILURE_TICKETS
    count = rng.poisson((base + storm) * alive)
    aa, kk = np.nonzero(count)
    rep = np.repeat(np.arange(len(aa)), count[aa, kk])
    a, k = aa[rep], kk[rep]
    opened = _days_in_slice(rng, p, a, start_day[k], days)
    stormy = (p.outage[a, s[k]] | noticed[a, k]) & (rng.random(len(a)) < spec.STORM_DEFECT_SHARE)
    kind = np.where(stormy, "defect", rng.choice(list(spec.TICKET_KINDS), len(a),
                                                  p=list(spec.TICKET_KINDS.values())))
    priority = np.where(stormy, rng.choice(spec.STORM_PRIORITIES, len(a)),
                        rng.choice(list(spec.TICKET_PRIORITIES), len(a),
                                   p=list(spec.TICKET_PRIORITIES.values())))
    close = rng.exponential(np.where(kind == "question", *spec.DAYS_TO_CLOSE))
    opened_s = opened * 86400 + rng.integers(spec.WORK_HOURS[0] * 3600, spec.WORK_HOURS[1] * 3600, len(a))
    closed_s = opened_s + (close * 86400).astype(np.int64) + spec.MIN_SECONDS_TO_CLOSE
    still_open = closed_s >= days * 86400
    return {"account": a, "opened": opened_s, "closed": np.where(still_open, -1, closed_s),
            "kind": kind, "priority": priority,
            "status": np.where(still_open, "open", "closed")}


def touchpoints(rng: np.random.Generator, p: Portfolio, days: int) -> dict[str, np.ndarray]:
    alive, s, start_day = _alive_slices(p, days)
    level = activity_level(p.state[:, s])
    silent = np.zeros_like(alive)
    quiet = np.flatnonzero(rng.random(p.n) < spec.CSM_SILENCE_SHARE)
    for a in quiet:  # CSM silence: an account nobody contacts for two to five months
        k = rng.integers(0, alive.shape[1])
        silent[a, k: k + rng.integers(*spec.CSM_SILENCE_SLICES)] = True
    engaged = spec.TOUCH_FLOOR + (1 - spec.TOUCH_FLOOR) * level
    rate = np.take(spec.TOUCH_RATE, p.segment)[:, None] * p.diligence[:, None] * engaged
    count = rng.poisson(rate * alive * ~silent)
    aa, kk = np.nonzero(count)
    rep = np.repeat(np.arange(len(aa)), count[aa, kk])
    a, k = aa[rep], kk[rep]
    day = _days_in_slice(rng, p, a, start_day[k], days)
    qbr_odds = np.where(p.segment[a] >= spec.QBR_FROM_SEGMENT, *spec.QBR_ODDS)
    kind = np.where(rng.random(len(a)) < qbr_odds, "qbr",
                    rng.choice(list(spec.TOUCH_KINDS), len(a), p=list(spec.TOUCH_KINDS.values())))
    notes = np.select([kind == "qbr", kind == "meeting", kind == "call"],
                      ["Quarterly business review", "Working session with the team",
                       "Check-in call"], "Follow-up email")
    hour0, hour1 = spec.WORK_HOURS
    return {"account": a, "ts": day * 86400 + rng.integers(hour0 * 3600, hour1 * 3600, len(a)),
            "kind": kind, "notes": notes}


def traits(rng: np.random.Generator, p: Portfolio, touch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """CSMs set pulse, champion and buyer access during some calls, meetings and QBRs."""
    a, ts = touch["account"], touch["ts"]
    live = np.isin(touch["kind"], spec.TRAIT_SETTING_KINDS)
    sets = live & (rng.random(len(a)) < spec.TRAIT_SET_ODDS * np.minimum(p.diligence[a], 1.0))
    a, ts = a[sets], ts[sets]
    sl = np.minimum(slice_of(ts // 86400), p.state.shape[1] - 1)
    seen = p.state[a, np.maximum(sl - 1, 0)] + rng.normal(0, spec.TRAIT_READ_NOISE, len(a))  # a lagged, noisy read
    pulse = np.select([seen > spec.PULSE_HEALTHY_ABOVE, seen > spec.PULSE_POOR_BELOW], ["healthy", "concerning"], "poor")
    champion = np.where(p.champion[a, np.maximum(sl - 1, 0)] ^ (rng.random(len(a)) < spec.CHAMPION_MISREAD), "yes", "no")
    buyer = np.where((seen > spec.BUYER_ACCESS_ABOVE) & ~p.budget_cut[a, sl], "yes", "no")
    n = len(a)
    return {"account": np.tile(a, 3), "ts": np.tile(ts + spec.TRAIT_AFTER_TOUCH_SECONDS, 3),
            "trait": np.repeat(["pulse", "champion", "buyer_access"], n),
            "value": np.concatenate([pulse, champion, buyer])}
