"""From SHAP values to reasons a SAM can repeat: points of churn risk against accounts that renewed
at the same point of their term, merged per reason, in sentences that compare like with like.

- Contributions come from the model in log-odds (TreeSHAP against the training data). Each is
  taken relative to the reference its sentence names: the mean contribution among accounts that
  renewed (in the training data) in the same phase of their term (`peer_group`). The reference
  values the sentences quote come from the same rows, so the points and the words agree.
- Timing (features declared `timing` in the catalog: when the term ends, how far into it) is
  context shown beside a score, never a reason; comparing with peers at the same point of their
  term takes most of it out of the other reasons too.
- Features naming the same `reason` (a count and its trend) are one reason with their points
  summed; its sentence is that of the member that moves the most and reads the right way.
- A reason is listed only when its words agree with its sign: a value better than the reference
  never "raises" risk. An absent value is a reason only when the catalog says what its absence
  means (`missing`), and only as a warning.
- The account's own trend (its value about three months before) is added only when it moved the
  same way as the risk.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from features.catalog import display_name, format_value

COUNT_UNITS = {"users", "count", "events", "usd"}
SHARE_UNITS = {"share", "ratio"}
ALL_RETAINED = "all accounts that renewed"
MIN_PEERS = 50  # a phase with fewer reference rows uses every account that renewed instead


def to_points(phi: np.ndarray, base: np.ndarray, prob: np.ndarray, calibration) -> np.ndarray:
    """Split each row's move from the base probability across its SHAP values, in points (0-100).

    The share of a feature is its share of the log-odds move; rows whose calibrated probability
    did not move use the local slope of the logistic curve instead.
    """
    raw = base + phi.sum(axis=1)
    p_base = calibration(base)
    moved = np.abs(raw - base) > 1e-9
    secant = np.where(moved, (prob - p_base) / np.where(moved, raw - base, 1), 0)
    slope = np.where(moved & (secant > 0), secant, prob * (1 - prob))
    return phi * slope[:, None] * 100


def _fmt(unit: str, v) -> str:
    return format_value(unit, v)


def _isnan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def sentence(f: dict, value, previous=None, context: dict | None = None) -> str:
    """One plain sentence about a feature's value for this account, never a column name."""
    unit, desc = f["unit"], f["description"]
    if _isnan(value):
        return f.get("missing") or f"{desc}: not recorded"
    if unit == "flag":
        return (f.get("yes") if value >= 0.5 else f.get("no")) or f"{desc}: {_fmt(unit, value)}"
    moved = not _isnan(previous) and _fmt(unit, previous) != _fmt(unit, value)
    if unit in COUNT_UNITS | SHARE_UNITS and moved:
        change = value - previous
        rel = change / abs(previous) if previous else None
        if rel is None or abs(rel) >= 0.1:
            verb = "rose" if change > 0 else "fell"
            tail = f" ({rel:+.0%})" if rel is not None and unit in COUNT_UNITS else ""
            return f"{desc} {verb} from {_fmt(unit, previous)} to {_fmt(unit, value)}{tail}"
    text = value_text(f, value, context)
    return text + (f" (was {_fmt(unit, previous)})" if moved and not f.get("sentence") else "")


def value_text(f: dict, value, context: dict | None = None) -> str:
    """The account's value in words: the catalog's template, yes/no for a flag, else 'description is value'."""
    unit = f["unit"]
    if _isnan(value):
        return f.get("missing") or f"{f['description']}: not recorded"
    if unit == "flag":
        return (f.get("yes") if value >= 0.5 else f.get("no")) or f"{f['description']}: {_fmt(unit, value)}"
    template = f.get("sentence")
    if template:
        ctx = context or {}
        event = ctx.get("context") or ""
        return _cap(template.format(value=_fmt(unit, value), raw=value,
                                    context=display_name(event) if event else "an event type",
                                    gap=_fmt("days", ctx.get("gap"))))
    return f"{f['description']} is {_fmt(unit, value)}"


def points_text(pts: float) -> str:
    return f"{pts:+.1f} pts" if abs(pts) < 1 else f"{pts:+.0f} pts"


# ---- peers: accounts that renewed, at the same point of their term ---------------------------------

def peer_group(frame: pd.DataFrame, horizon_days: int) -> np.ndarray:
    """Each row's phase of its term, as a phrase: on monthly terms, renewal within the horizon, in
    the next horizon, further out, or no renewal date. Reads term_months and days_to_renewal when
    present (rows without them fall in one group)."""
    n = len(frame)
    days = frame["days_to_renewal"].to_numpy(float) if "days_to_renewal" in frame else np.full(n, np.nan)
    monthly = (frame["term_months"].to_numpy(float) <= 1) if "term_months" in frame else np.zeros(n, bool)
    h = horizon_days
    return np.select(
        [monthly, np.isnan(days), days <= h, days <= 2 * h],
        ["on monthly terms", "with no renewal date", f"with renewal within {h} days",
         f"with renewal in {h + 1} to {2 * h} days"],
        "with renewal further out").astype(object)


def reference_profile(X: pd.DataFrame, phi: np.ndarray, raw: np.ndarray, groups: np.ndarray,
                      retained: np.ndarray) -> dict:
    """What each peer group of accounts that renewed looks like: rows, mean SHAP value per feature
    and mean raw score (the baseline of the contributions), and each feature's median and mean
    (the values sentences quote). Groups with fewer than MIN_PEERS rows are left out; ALL_RETAINED
    holds every retained row. JSON-ready."""
    values = X.to_numpy(float)
    out = {"features": list(X.columns), "groups": {}, "population": "accounts that renewed"}
    picks = {ALL_RETAINED: retained} | {g: retained & (groups == g) for g in pd.unique(groups)}
    for g, mask in picks.items():
        if mask.sum() < (1 if g == ALL_RETAINED else MIN_PEERS):
            continue
        v = values[mask]
        with warnings.catch_warnings():  # a feature no peer has a value for has no reference
            warnings.simplefilter("ignore", RuntimeWarning)
            median, mean = np.nanmedian(v, axis=0), np.nanmean(v, axis=0)
        out["groups"][str(g)] = {
            "rows": int(mask.sum()), "raw": float(raw[mask].mean()),
            "phi": [float(x) for x in phi[mask].mean(axis=0)],
            "median": [None if np.isnan(x) else float(x) for x in median],
            "mean": [None if np.isnan(x) else float(x) for x in mean]}
    return out


def _reference_arrays(profile: dict, names: list[str], groups: np.ndarray):
    """Per row: the group used (its own, or ALL_RETAINED when too small), mean phi, raw, medians, means."""
    known = profile["groups"]
    used = np.array([g if g in known else ALL_RETAINED for g in groups], dtype=object)
    order = {n: i for i, n in enumerate(profile["features"])}
    cols = [order.get(n) for n in names]

    def pick(key, g):
        arr = np.array([np.nan if x is None else x for x in known[g][key]], float)
        return np.array([arr[c] if c is not None else np.nan for c in cols])
    table = {g: (pick("phi", g), known[g]["raw"], pick("median", g), pick("mean", g)) for g in pd.unique(used)}
    phi = np.vstack([table[g][0] for g in used]) if len(used) else np.zeros((0, len(names)))
    raw = np.array([table[g][1] for g in used], float)
    median = np.vstack([table[g][2] for g in used]) if len(used) else np.zeros((0, len(names)))
    mean = np.vstack([table[g][3] for g in used]) if len(used) else np.zeros((0, len(names)))
    return used, np.nan_to_num(phi), raw, median, mean


TIMING_FAMILY = "renewal timing"


def family_points(X: pd.DataFrame, keys: pd.DataFrame, phi: np.ndarray, prob: np.ndarray, calibration,
                  catalog: dict[str, dict], profile: dict, groups: np.ndarray) -> pd.DataFrame:
    """Grain: account_id x as_of x family. The points (0-100) each feature family adds to (or
    takes from) the account's churn probability against its peers (accounts that renewed, in the
    same phase of their term); per row they sum to churn probability minus peer_probability
    (both 0-1). Features that say when the renewal falls count as TIMING_FAMILY.
    Columns: account_id, as_of, family, points, peer_probability."""
    names = list(X.columns)
    _, ref_phi, ref_raw, _, _ = _reference_arrays(profile, names, groups)
    pts = to_points(phi - ref_phi, ref_raw, prob, calibration)
    fam = np.array([TIMING_FAMILY if catalog[n].get("timing") else (catalog[n].get("family") or "other")
                    for n in names], dtype=object)
    families = list(dict.fromkeys(fam))
    sums = np.column_stack([pts[:, fam == f].sum(axis=1) for f in families]) if families else \
        np.zeros((len(X), 0))
    out = pd.DataFrame({"account_id": np.repeat(keys["account_id"].to_numpy(), len(families)),
                        "as_of": np.repeat(keys["as_of"].to_numpy(), len(families)),
                        "family": np.tile(np.array(families, dtype=object), len(X)),
                        "points": sums.reshape(-1),
                        "peer_probability": np.repeat(calibration(ref_raw), len(families))})
    return out


def phase_text(group: str, population: str = "accounts that renewed") -> str:
    return population if group == ALL_RETAINED else f"{population}, {group}"


def reference_text(f: dict, ref_median, ref_mean, group: str, population: str = "accounts that renewed") -> str:
    """'(typically 20 for accounts that renewed, with renewal within 90 days)'."""
    who = phase_text(group, population)
    if f["unit"] == "flag":
        return f"(true of {_fmt('share', ref_mean)} of {who})"
    return f"(typically {_fmt(f['unit'], ref_median)} for {who})"


def agrees(direction: str, sign: np.ndarray, value: np.ndarray, ref: np.ndarray, missing: str | None) -> np.ndarray:
    """Per row: whether 'value against the peers' reference' reads the way a contribution of `sign`
    pushes: worse than the peers raises the risk, better lowers it (a neutral feature only has to
    differ). An absent value agrees only as a warning, and only where its absence is the information."""
    absent = np.isnan(value)
    with np.errstate(invalid="ignore"):
        if direction == "higher_better":
            reads = (value < ref) == (sign > 0)
        elif direction == "lower_better":
            reads = (value > ref) == (sign > 0)
        else:
            reads = np.ones(len(value), bool)
        present = ~np.isnan(ref) & (value != ref) & reads
    return np.where(absent, bool(missing) & (sign > 0), present)


def _trend(f: dict, sign: float, value, previous) -> str:
    """'; down from 12 three months before' when the account moved the way its risk did."""
    if f["direction"] not in ("higher_better", "lower_better") or f["unit"] == "flag" or _isnan(value) \
            or _isnan(previous):
        return ""
    unit = f["unit"]
    if _fmt(unit, value) == _fmt(unit, previous) or (previous and abs(value - previous) / abs(previous) < 0.1):
        return ""
    worse = (value < previous) if f["direction"] == "higher_better" else (value > previous)
    if worse != (sign > 0):
        return ""
    return f"; {'down' if value < previous else 'up'} from {_fmt(unit, previous)} three months before"


def reasons(catalog: dict[str, dict], names: list[str]) -> tuple[list[str], np.ndarray]:
    """The reasons among `names` and, per feature, its reason's index (-1: none: timing, and a
    feature the model knew that the warehouse no longer builds)."""
    keys, index = [], []
    for n in names:
        f = catalog[n]
        if f.get("timing") or f.get("absent"):
            index.append(-1)
            continue
        key = f.get("reason") or n
        if key not in keys:
            keys.append(key)
        index.append(keys.index(key))
    return keys, np.array(index)


def drivers(X: pd.DataFrame, keys: pd.DataFrame, phi: np.ndarray, raw: np.ndarray, prob: np.ndarray,
            calibration, catalog: dict[str, dict], profile: dict, groups: np.ndarray,
            previous: pd.DataFrame | None = None, context: pd.DataFrame | None = None, n: int = 5,
            min_points: float = 0.0) -> pd.DataFrame:
    """Top `n` reasons raising and `n` lowering risk per account against its peers: one row each.

    `keys` holds account_id and as_of aligned with X; `phi`/`raw` the model's SHAP values and raw
    scores; `profile` a reference_profile and `groups` each row's peer_group; `previous` the same
    features about three months before (indexed by account_id); `context` non-model columns (the
    delivery family's silent event type). Columns: account_id, as_of, direction, rank, feature (the
    reason's lead feature), features (all merged), description, value, reference, peer_group,
    peer_probability, contribution (points), shap_value (log-odds against the peers), sentence.
    """
    names = list(X.columns)
    values = X.to_numpy(dtype=float)
    prev = previous.reindex(keys["account_id"]).reindex(columns=names).to_numpy(dtype=float) \
        if previous is not None else np.full_like(values, np.nan)
    used, ref_phi, ref_raw, ref_median, ref_mean = _reference_arrays(profile, names, groups)
    delta = phi - ref_phi
    pts = to_points(delta, ref_raw, prob, calibration)
    peer_p = calibration(ref_raw)
    keys_, member = reasons(catalog, names)
    R = len(keys_)
    total, log_odds = np.zeros((len(X), R)), np.zeros((len(X), R))
    for r in range(R):
        total[:, r] = pts[:, member == r].sum(axis=1)
        log_odds[:, r] = delta[:, member == r].sum(axis=1)
    sign = np.sign(total)
    # per (row, reason): the member with the most points of the reason's sign whose words agree
    lead = np.full((len(X), R), -1)
    best = np.zeros((len(X), R))
    for j, name in enumerate(names):
        r = member[j]
        if r < 0:
            continue
        c = catalog[name]
        ref = ref_mean[:, j] if c["unit"] == "flag" else ref_median[:, j]
        ok = agrees(c["direction"], sign[:, r], values[:, j], ref, c.get("missing"))
        strength = np.where(ok & (np.sign(pts[:, j]) == sign[:, r]), np.abs(pts[:, j]), 0.0)
        better = strength > best[:, r]
        lead[better, r], best[better, r] = j, strength[better]
    listable = (lead >= 0) & (np.abs(total) > min_points)
    silent = context["delivery_silent_event_type"].to_numpy() if context is not None and \
        "delivery_silent_event_type" in context else np.full(len(X), None, dtype=object)
    gaps = context["delivery_usual_gap_days"].to_numpy(dtype=float) if context is not None and \
        "delivery_usual_gap_days" in context else np.full(len(X), np.nan)
    account, as_of = keys["account_id"].to_numpy(), keys["as_of"].to_numpy()
    population = profile.get("population", "accounts that renewed")
    members = {r: ", ".join(nm for nm, m in zip(names, member) if m == r) for r in range(R)}
    formatted: dict = {}  # values repeat across accounts: each text is built once

    def fmt(unit, v):
        key = (unit, v)
        if key not in formatted:
            formatted[key] = _fmt(unit, v)
        return formatted[key]

    said: dict = {}

    def words(j, i, want):
        f, v = catalog[names[j]], values[i, j]
        ctx = (silent[i], gaps[i]) if names[j].startswith("delivery") else None
        key = (j, v, ref_median[i, j], ref_mean[i, j], used[i], want, prev[i, j], ctx)
        if key not in said:
            text = value_text(f, v, {"context": silent[i], "gap": gaps[i]})
            if not _isnan(v):
                text += " " + reference_text(f, ref_median[i, j], ref_mean[i, j], used[i], population)
                text += _trend(f, want, v, prev[i, j])
            said[key] = text
        return said[key]

    rows = []
    for direction, want in (("raises", 1), ("lowers", -1)):
        score = np.where(listable & (sign == want), np.abs(total), 0.0)
        order = np.argsort(-score, axis=1, kind="stable")
        for i in range(len(X)):
            rank = 0
            for r in order[i]:
                if score[i, r] <= 0 or rank == n:
                    break
                j = lead[i, r]
                f = catalog[names[j]]
                v = values[i, j]
                ref = ref_mean[i, j] if f["unit"] == "flag" else ref_median[i, j]
                if v == v and f["unit"] != "flag" and fmt(f["unit"], v) == fmt(f["unit"], ref):
                    continue  # "2 days (typically 2 days)" is no reason, whatever the decimals say
                rank += 1
                rows.append((account[i], as_of[i], direction, rank, names[j], members[r], f["description"], v, ref,
                             used[i], peer_p[i], total[i, r], log_odds[i, r],
                             f"{words(j, i, want)} ({points_text(total[i, r])} of churn risk)"))
    cols = ["account_id", "as_of", "direction", "rank", "feature", "features", "description", "value", "reference",
            "peer_group", "peer_probability", "contribution", "shap_value", "sentence"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["account_id", "direction", "rank"], ascending=[True, False, True], ignore_index=True)
