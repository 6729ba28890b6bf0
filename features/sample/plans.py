"""Contracts under plans pricing: a plan ladder priced per seat, add-ons priced differently (a
share of the plan or a flat fee), billed monthly (one contract row per month) or yearly (one row
per term of one to three years), with upgrades, downgrades and add-ons added or dropped at
renewal and add-ons bought mid-term.

Every decision at a term end reads only the hidden state and the contract history up to that
day; under `churn="random"` whether an account renews reads nothing at all.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from features.sample import spec
from features.sample.portfolio import Portfolio, activity_level, churn_probability, slice_of

COLUMNS = ("contract_id", "account_id", "start_date", "end_date", "arr", "seats", "product", "plan",
           "billing_period_months", "discount")


def add_months(day: int, months: int, day0: dt.date) -> int:
    """The day index `months` calendar months after `day` (day 0 is `day0`)."""
    d = day0 + dt.timedelta(days=int(day))
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    first_next = dt.date(y, m + 1, 1)
    last_day = (dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return (first_next.replace(day=min(d.day, last_day)) - day0).days


def plan_arr(plan: int, seats: int, billing: int) -> float:
    arr = spec.PLAN_PRICE_PER_SEAT[plan] * seats * (spec.MONTHLY_PREMIUM if billing == 1 else 1.0)
    return float(max(round(arr, -1), 10.0))


def addon_arr(addon: int, platform_arr: float, billing: int) -> float:
    share, flat = spec.ADDON_PRICE[addon]
    arr = share * platform_arr + flat * (spec.MONTHLY_PREMIUM if billing == 1 else 1.0)
    return float(max(round(arr, -1), 10.0))


def renewal_odds(p: Portfolio, a: int, day: int, util: float, history: dict, term_months: int,
                 churn: str) -> float:
    """Probability that account `a` does not renew at the term ending on `day`."""
    share = term_months / 12
    if churn == "random":
        return 1 - (1 - spec.RANDOM_ANNUAL_CHURN) ** share
    base = churn_probability(p, a, day, util)
    c = spec.PLANS_CHURN_LOGIT
    logit = (np.log(base / (1 - base)) - spec.CHURN_LOGIT["intercept"] + c["intercept"]
             + c["first_renewal"] * (history["renewals"] == 0)
             + c["log_tenure_years"] * np.log1p(max(day - history["first_day"], 0) / 365)
             + c["monthly"] * (term_months == 1)
             + c["recent_downgrade"] * (day - history["last_downgrade"] <= spec.RECENT_DOWNGRADE_DAYS)
             + c["per_addon"] * len(history["addons"]))
    annual = 1 / (1 + np.exp(-logit))
    return float(1 - (1 - annual) ** share)


def contracts(rng: np.random.Generator, p: Portfolio, days: int, day0: dt.date,
              churn: str = "modelled") -> dict[str, list]:
    """Contract rows for every account, in the shape `portfolio.contracts` returns."""
    rows: dict[str, list] = {k: [] for k in COLUMNS}
    cid = 0

    def add(a, start, end, arr, seats, product, plan, billing, discount):
        nonlocal cid
        cid += 1
        for k, v in zip(COLUMNS, (cid, a, start, end, arr, seats, product, plan, billing, discount)):
            rows[k].append(v)

    for a in range(p.n):
        seg = p.segment[a]
        billing = 1 if rng.random() < spec.MONTHLY_SHARE[seg] else spec.BILLING_MONTHS
        plan = int(rng.choice(len(spec.PLANS), p=spec.PLAN_START[seg]))
        seats = int(p.seats0[a])
        discount = round(float(rng.choice(spec.DISCOUNTS)), 2) if billing != 1 else 0.0
        addons = {i for i in range(len(spec.ADDONS)) if rng.random() < spec.ADDON_START_ODDS[seg]}
        start = int(p.first_start[a])
        history = {"renewals": 0, "first_day": start, "last_downgrade": -10**9, "addons": addons}
        price = 1.0
        while start < days:
            term_months = 1 if billing == 1 else 12 * int(rng.choice(spec.TERM_YEARS, p=spec.TERM_SHARE))
            end = add_months(start, term_months, day0) - 1
            platform = round(plan_arr(plan, seats, billing) * price, -1)
            shown_seats = None if p.unlimited[a] else seats
            add(a, start, end, platform, shown_seats, "Platform", spec.PLANS[plan], billing, discount)
            for i in sorted(addons):
                add(a, start, end, addon_arr(i, platform, billing), None, spec.ADDONS[i], "Add-on", billing, discount)
            if term_months > 1:  # add-ons bought mid-term run to the term's end
                for month in range(1, term_months):
                    day = add_months(start, month, day0)
                    if day > min(end, days - 1):
                        break
                    s = min(int(slice_of(day)), p.state.shape[1] - 1)
                    missing = [i for i in range(len(spec.ADDONS)) if i not in addons]
                    if missing and p.state[a, s] > spec.ADDON_ADD_STATE and rng.random() < spec.MIDTERM_ADDON_ODDS:
                        i = int(rng.choice(missing))
                        addons.add(i)
                        add(a, day, end, addon_arr(i, platform, billing), None, spec.ADDONS[i], "Add-on", billing,
                            discount)
            if end >= days - 1:
                break
            s = min(int(slice_of(end)), p.state.shape[1] - 1)
            state, util = float(p.state[a, s]), float(activity_level(p.state[a, s]))
            if rng.random() < renewal_odds(p, a, end, util, history, term_months, churn):
                p.churn_day[a] = end
                break
            share = term_months / 12  # a monthly term revisits the plan with a monthly share of the odds
            cut = bool(p.budget_cut[a, s])
            if util > spec.UPSELL_UTILISATION and state > spec.UPSELL_STATE and plan < len(spec.PLANS) - 1 \
                    and rng.random() < spec.PLAN_CHANGE_ODDS * share:
                plan += 1
            elif (util < spec.DOWNSELL_UTILISATION or cut) and plan > 0 and rng.random() < spec.PLAN_CHANGE_ODDS * share:
                plan -= 1
                history["last_downgrade"] = end + 1
            for i in sorted(addons):
                if state < spec.ADDON_DROP_STATE and rng.random() < spec.ADDON_DROP_ODDS * share:
                    addons.discard(i)
                    history["last_downgrade"] = end + 1
            missing = [i for i in range(len(spec.ADDONS)) if i not in addons]
            if missing and state > spec.ADDON_ADD_STATE and rng.random() < spec.ADDON_ADD_ODDS * share:
                addons.add(int(rng.choice(missing)))
            if not p.unlimited[a] and (billing != 1 or rng.random() < spec.SEAT_CHANGE_ODDS_MONTHLY):
                if util > spec.UPSELL_UTILISATION and state > spec.UPSELL_STATE:
                    seats = int(np.ceil(seats * rng.uniform(*spec.UPSELL_FACTOR)))
                elif util < spec.DOWNSELL_UTILISATION or cut:
                    seats = max(1, int(seats * rng.uniform(*spec.DOWNSELL_FACTOR)))
            if billing != 1:
                price *= rng.uniform(*spec.PRICE_CHANGE) * (spec.BUDGET_CUT_PRICE if cut else 1.0)
            late = billing != 1 and rng.random() < spec.LATE_RENEWAL_SHARE
            history["renewals"] += 1
            start = end + 1 + (int(rng.integers(*spec.LATE_RENEWAL_DAYS)) if late else 0)
    return rows
