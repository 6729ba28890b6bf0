"""Product events, generated in blocks of users so memory stays flat at any scale.

Each active user-day yields one `session_start` and a Poisson number of persona-specific
events; accounts with messaging also get one platform-sent `message_sent` row per day.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from features.sample import spec
from features.sample.people import Users
from features.sample.portfolio import Portfolio, activity_level, slice_of

TYPES = spec.EVENT_TYPES + (spec.DELIVERED_EVENT,)
SESSION = TYPES.index("session_start")
EXPORT = TYPES.index("export_run")


def _mix_cdf() -> tuple[np.ndarray, np.ndarray]:
    """Per (persona, misrouted) the extra-event rate and the cumulative event-type mix."""
    rates, cdfs = [], []
    for persona in spec.PERSONAS:
        rate, mix = spec.PERSONA_EVENTS[persona]
        for misrouted in (False, True):
            mix = dict(mix)
            if misrouted and persona == "manager":
                mix["report_viewed"] += mix.pop("campaign_launched")
            if misrouted and persona == "admin":
                share = spec.MISROUTED_ADMIN_CAMPAIGNS
                mix = {k: v * (1 - share) for k, v in mix.items()} | {"campaign_launched": share}
            w = np.array([mix.get(t, 0.0) for t in TYPES])
            rates.append(rate)
            cdfs.append(np.cumsum(w / w.sum()))
    return np.array(rates), np.array(cdfs)


def user_blocks(rng: np.random.Generator, p: Portfolio, users: Users, days: int,
                day0_epoch: int) -> Iterator[dict[str, np.ndarray]]:
    """Yield event columns (account index, user index, epoch seconds, type index, quantity)."""
    d = np.arange(days)
    weekday = np.where(((d + (day0_epoch // 86400) + 3) % 7) < 5, 1.0, spec.WEEKEND_FACTOR)
    level = activity_level(p.state).astype(np.float32)  # (accounts, slices)
    sl = slice_of(d)
    rates, cdfs = _mix_cdf()
    block = max(1, spec.BLOCK_CELLS // days)
    for lo in range(0, len(users), block):
        u = np.arange(lo, min(lo + block, len(users)))
        acc = users.account[u]
        alive_from = np.maximum(users.created[u], p.first_start[acc])
        alive_to = np.minimum(users.deactivated[u], p.churn_day[acc] + 1)
        prob = level[acc][:, sl] * (users.propensity[u, None] * weekday[None, :]).astype(np.float32)
        prob[(d[None, :] < alive_from[:, None]) | (d[None, :] >= alive_to[:, None])] = 0
        uu, dd = np.nonzero(rng.random(prob.shape, dtype=np.float32) < prob)
        gu = u[uu]
        variant = users.persona[gu] * 2 + p.misrouted[users.account[gu]]
        extra = rng.poisson(rates[variant] * (spec.EXTRA_EVENTS_FLOOR + level[users.account[gu], sl[dd]]))
        rep = np.repeat(np.arange(len(gu)), extra)
        kinds = (rng.random(len(rep))[:, None] > cdfs[variant[rep]]).sum(1)
        kinds = np.minimum(kinds, len(TYPES) - 1)
        user = np.concatenate([gu, gu[rep]])
        day = np.concatenate([dd, dd[rep]])
        etype = np.concatenate([np.full(len(gu), SESSION), kinds])
        start_sec = rng.integers(spec.SESSION_HOURS[0] * 3600, spec.SESSION_HOURS[1] * 3600, len(gu))
        sec = np.concatenate([start_sec, start_sec[rep] + rng.integers(*spec.EXTRA_EVENT_DELAY_SECONDS, len(rep))])
        qty = np.where(etype == EXPORT, rng.geometric(spec.EXPORT_QUANTITY_P, len(etype)), 1).astype(np.float64)
        yield {"account": users.account[user], "user": user,
               "ts": day0_epoch + day.astype(np.int64) * 86400 + sec, "type": etype, "qty": qty}


def delivered(rng: np.random.Generator, p: Portfolio, users_per_account: np.ndarray, days: int,
              day0_epoch: int) -> dict[str, np.ndarray]:
    """Platform-sent messages: daily for messaging accounts, silent during a delivery failure."""
    acc = np.flatnonzero(p.messaging)
    d = np.arange(days)
    on = (d[None, :] >= p.first_start[acc, None]) & (d[None, :] <= p.churn_day[acc, None])
    failing = (d[None, :] >= p.failure_start[acc, None]) & (d[None, :] < p.failure_end[acc, None])
    aa, dd = np.nonzero(on & ~failing)
    a = acc[aa]
    base, per_user = spec.DELIVERED_PER_DAY
    qty = rng.poisson(base + users_per_account[a] * per_user).astype(np.float64)
    ts = day0_epoch + dd.astype(np.int64) * 86400 + rng.integers(0, 86400, len(a))
    return {"account": a, "user": np.full(len(a), -1), "ts": ts,
            "type": np.full(len(a), TYPES.index(spec.DELIVERED_EVENT)), "qty": qty}
