"""Why an account's health score is what it is: each trait of the health score (features/config/
health.toml) with the account's value, the thresholds, its 0-100 score and the points it costs.
Pure: a health row, a features row and the catalog in, a frame out.

The points add up: a trait with data weighs its share of the weight that had data (the health
score renormalises over it), and costs that share of (100 - its score). So the points lost by
every trait sum to 100 - the health score, and a SAM can say "utilisation costs 30 of the 62
points this account is below 100".
"""
from __future__ import annotations

import functools

import pandas as pd

from features.catalog import format_value, listing, load_catalog
from features.health import HealthConfig
from features.traits import load_traits

COLUMNS = ["category", "trait", "value", "healthy_at", "poor_at", "score", "weight", "points_lost", "note"]


def _value(catalog: pd.DataFrame, feature: str, v) -> str:
    """`v` as a person reads it: a manual trait as the value a SAM picks ("poor", "yes"), anything
    else in its catalog unit (the warehouse's catalog, else the declared one: a trait only ever set
    in the portal is in no built catalog)."""
    words, units = _declared()
    if v is not None and not pd.isna(v) and (word := words.get((feature, round(float(v), 6)))) is not None:
        return word
    if feature in catalog.index and "unit" in catalog.columns:
        unit = catalog.loc[feature, "unit"]
    else:
        unit = units.get(feature, "count")
    return format_value(str(unit), v)


@functools.lru_cache(maxsize=1)
def _declared() -> tuple[dict[tuple[str, float], str], dict[str, str]]:
    """What config declares, read once: {(trait feature, score): value} and {feature: unit}."""
    words = {(t.feature, round(float(score), 6)): w for t in load_traits() for w, score in zip(t.values, t.scores)}
    return words, {name: f.unit for name, f in load_catalog().items()}


def breakdown(health: pd.Series, features: pd.Series, cfg: HealthConfig, catalog: pd.DataFrame) -> pd.DataFrame:
    """One row per trait of the health score, the costliest first, traits without data last.

    `weight` is the trait's share of the score as computed (of the weight that had data);
    `points_lost` is weight x (100 - score); `note` says why a trait without data was left out."""
    weights = cfg.trait_weights()
    scored = {f: w for f, w in weights.items() if pd.notna(health.get(f"trait_{f}"))}
    total = sum(scored.values())
    stale = {s.strip() for s in str(health.get("stale_traits") or "").split(";") if s.strip()}
    rows = []
    for c in cfg.categories:
        for t in c.traits:
            s = health.get(f"trait_{t.feature}")
            has = pd.notna(s)
            raw = features.get(t.feature)
            if has and t.age_feature:  # a manual trait: its setting as it stands now (the portal's
                raw = t.poor + float(s) / 100 * (t.healthy - t.poor)  # edits count before a rebuild)
            w = scored[t.feature] / total if has and total else None
            note = "" if has else ("set too long ago: left out" if t.label in stale
                                   else "no data: left out, the other traits weigh more")
            rows.append({"category": c.label, "trait": t.label, "value": _value(catalog, t.feature, raw),
                         "healthy_at": _value(catalog, t.feature, t.healthy), "poor_at": _value(catalog, t.feature, t.poor),
                         "score": float(s) if has else None, "weight": w,
                         "points_lost": w * (100 - float(s)) if has and w is not None else None, "note": note})
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values("points_lost", ascending=False, na_position="last", kind="stable", ignore_index=True)


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the page shows it: scores and points as text, a dash where a trait was left out
    (a grid would print "None")."""
    return table.assign(score=table["score"].map(lambda v: "—" if pd.isna(v) else f"{v:.0f}"),
                        points_lost=table["points_lost"].map(lambda v: "—" if pd.isna(v) else f"{v:.1f}"))


def summary(health_score, table: pd.DataFrame, top: int = 2) -> str:
    """E.g. "Health 38 of 100: Active users over seats (55%) costs 30 points, DAU / MAU (12%)
    costs 22 points and 2 other traits cost 10 points; left out for lack of data: Last CSM touchpoint." The
    points named add up to 100 less the score (to rounding)."""
    if pd.isna(health_score):
        return "No health score: none of its traits has data for this account."
    losing = table[table["points_lost"].fillna(0) >= 1]
    costly, rest = losing.head(top), losing.iloc[top:]
    parts = [f"{r.trait} ({r.value}) costs {r.points_lost:.0f} points" for r in costly.itertuples()]
    if len(rest):  # the points always add up to what the score lost: the others, together
        many = len(rest) > 1
        parts.append(f"{len(rest)} other trait{'s' if many else ''} cost{'' if many else 's'} "
                     f"{rest['points_lost'].sum():.0f} points")
    text = f"Health {health_score:.0f} of 100" + (": " + listing(parts) if parts else ": every trait is healthy")
    left_out = table[table["score"].isna()]
    stale = left_out["note"].str.startswith("set too long ago")
    for names, why in ((left_out[~stale]["trait"].tolist(), "for lack of data"),
                       (left_out[stale]["trait"].tolist(), "as set too long ago")):
        if names:
            text += f"; left out {why}: {', '.join(names)}"
    return text + "."


def unreachable(cfg: HealthConfig, requires: dict[str, str], present: set[str]) -> pd.DataFrame:
    """The traits no account can have data for, because their feature needs a source or column
    this portfolio did not load (`requires`: feature -> "table.column,table" as the catalog says;
    `present`: every loaded "table" and "table.column"). Manual traits are never among them: the
    portal sets them. One row per trait: its label, its share of the whole weight, what it needs."""
    weights = cfg.trait_weights()
    total = sum(weights.values())
    rows = []
    for c in cfg.categories:
        for t in c.traits:
            needs = [r for r in (requires.get(t.feature) or "").split(",") if r and r not in present]
            if needs and not t.age_feature:
                rows.append({"trait": t.label, "weight": weights[t.feature] / total,
                             "needs": " and ".join(_source_words(r) for r in needs)})
    return pd.DataFrame(rows, columns=["trait", "weight", "needs"])


def _source_words(requirement: str) -> str:
    """"tickets" -> "the tickets file"; "tickets.kind" -> "the kind column of tickets"."""
    table, _, column = requirement.partition(".")
    return f"the {column} column of {table}" if column else f"the {table} file"


def gaps_sentence(gaps: pd.DataFrame) -> str:
    """E.g. "The health score can use at most 77% of its weight here: Defect tickets (90 days) and
    Help tickets (90 days) need the kind column of tickets; Last CSM touchpoint needs the
    touchpoints file. Load them to count those traits." (plain text: escape it to show it)"""
    parts = []
    for needs, group in gaps.groupby("needs", sort=False):
        names = list(group["trait"])
        parts.append(f"{' and '.join([', '.join(names[:-1]), names[-1]] if len(names) > 1 else names)} "
                     f"{'need' if len(names) > 1 else 'needs'} {needs}")
    return (f"The health score can use at most {1 - gaps['weight'].sum():.0%} of its weight here: "
            + "; ".join(parts) + ". Load them to count those traits.")
