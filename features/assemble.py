"""The feature table as one SELECT: the spine, the side-by-side families, and the long families
pivoted into one column per event type, trait, persona and workflow.

Which columns there are depends on the data (the tracked event types, the key personas users
have, the workflows whose event happens, the sources loaded), so the SELECT is written here from
those small lists, in DuckDB's dialect like every SQL file, and runs on either engine. Every
numeric feature is a DOUBLE, so both engines give the same types.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from features.catalog import Feature, event_type_features, persona_feature, slug, slugs, workflow_feature
from features.runner import BaseRunner
from features.settings import PipelineSettings

KEYS = ("account_id", "as_of")
TEXT_TYPES = ("VARCHAR", "DATE", "TIMESTAMP", "BOOLEAN")
# models the assembly reads besides the side-by-side families
LONG = ("manual_traits", "event_types", "tracked_event_types", "persona_activity", "workflow_attainment",
        "workflows", "adoption_summary", "derived")


@dataclass(frozen=True)
class Layout:
    """The feature columns in order with their declarations, and the SELECT that makes them."""
    features: tuple[Feature, ...]
    sql: str
    notes: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        return list(KEYS) + [f.name for f in self.features]


def literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _numeric(typ: str) -> bool:
    return not any(typ.upper().startswith(t) for t in TEXT_TYPES)


def _pivot(alias: str, table: str, key: str, cells: Sequence[tuple[str, str, str]]) -> str:
    """A CTE with one row per (account_id, as_of) and one column per (column, key value, value column)."""
    cols = ",\n           ".join(f"max(case when {key} = {literal(v)} then {value} end) as {ident(c)}"
                                 for c, v, value in cells)
    return (f"{alias} as (\n    select account_id, as_of" + (f",\n           {cols}" if cells else "")
            + f"\n    from {table}\n    group by account_id, as_of\n)")


def layout(runner: BaseRunner, s: PipelineSettings, catalog: dict[str, Feature], have: set[str],
           families: Sequence[str]) -> Layout:
    """Build what the feature table needs on `runner` and write its SELECT.

    `families` are joined side by side in order (manual_traits, being long, is pivoted by trait
    where it stands); then per-event-type counts and trends, persona shares, workflow attainment,
    the adoption summary and the derived ratios. Features whose sources are not in `have` are
    left out, with one note per missing source."""
    runner.build("spine", *families, *LONG)
    catalog = dict(catalog)
    select: list[tuple[str, str]] = []  # (column, expression)
    joins: list[str] = []
    ctes: list[str] = []

    def side_by_side(table: str, alias: str) -> None:
        joins.append(f"left join {table} as {alias} on {alias}.account_id = s.account_id and {alias}.as_of = s.as_of")
        for col, typ in runner.columns(table):
            if col not in KEYS:
                select.append((col, f"cast({alias}.{ident(col)} as double)" if _numeric(typ) else f"{alias}.{ident(col)}"))

    for i, family in enumerate(families):
        if family == "manual_traits":
            cte, columns = trait_pivot(s)
            ctes.append(cte)
            joins.append("left join traits as tr on tr.account_id = s.account_id and tr.as_of = s.as_of")
            select += columns
        else:
            side_by_side(family, f"f{i}")

    tracked = sorted(r[0] for r in runner.rows("select event_type from tracked_event_types"))
    type_keys = slugs(tracked)
    for t in tracked:
        catalog.update({f.name: f for f in event_type_features(t, type_keys[t])})
    counts = [(f"evt_{type_keys[t]}_30d", t, "events_recent") for t in tracked]
    trends = [(f"evt_{type_keys[t]}_trend", t, "trend") for t in tracked]
    ctes.append(_pivot("evt", "event_types", "event_type", counts + trends))
    joins.append("left join evt on evt.account_id = s.account_id and evt.as_of = s.as_of")
    # an event type with no events in the window is a count of zero
    select += [(c, f"coalesce(cast(evt.{ident(c)} as double), 0)") for c, _, _ in counts]
    select += [(c, f"cast(evt.{ident(c)} as double)") for c, _, _ in trends]

    personas = sorted(r[0] for r in runner.rows(
        "select distinct persona from stg_users where persona in (select persona from key_personas)"))
    keys = slugs(personas)
    cells = [(persona_feature(p, keys[p]).name, p, "share") for p in personas]
    catalog.update({persona_feature(p, keys[p]).name: persona_feature(p, keys[p]) for p in personas})
    ctes.append(_pivot("personas", "persona_activity", "persona", cells))
    joins.append("left join personas as pa on pa.account_id = s.account_id and pa.as_of = s.as_of")
    select += [(c, f"cast(pa.{ident(c)} as double)") for c, _, _ in cells]

    present = {r[0] for r in runner.rows("select name from workflows")}
    flows = sorted((w for w in s.workflows if w.name in present), key=lambda w: w.name)
    cells = [(workflow_feature(w.name, w.description).name, w.name, "attainment") for w in flows]
    catalog.update({workflow_feature(w.name, w.description).name: workflow_feature(w.name, w.description)
                    for w in flows})
    ctes.append(_pivot("flows", "workflow_attainment", "workflow", cells))
    joins.append("left join flows as wf on wf.account_id = s.account_id and wf.as_of = s.as_of")
    select += [(c, f"cast(wf.{ident(c)} as double)") for c, _, _ in cells]

    side_by_side("adoption_summary", "adoption")
    side_by_side("derived", "derived")

    kept, notes = _keep_available(select, catalog, have)
    if alike := [t for t in tracked if type_keys[t] != slug(t)]:
        notes.append("note: event types that differ only in spelling are counted apart, each feature naming its "
                     "spelling: " + ", ".join(f"'{t}'" for t in alike) + "; if they are one action, have the "
                     "export spell it one way")
    skipped = [w.name for w in s.workflows if w.name not in present]
    if skipped and "users.persona" in have:
        notes.append(f"note: workflows left out, their event type is not in the data: {', '.join(skipped)}")
    body = ",\n       ".join(f"{expr} as {ident(c)}" for c, expr in kept)
    sql = ("with " + ",\n".join(ctes) + "\nselect s.account_id, s.as_of" + (f",\n       {body}" if kept else "")
           + "\nfrom spine as s\n" + "\n".join(joins))
    return Layout(tuple(catalog[c] for c, _ in kept), sql, tuple(notes))


def trait_pivot(s: PipelineSettings) -> tuple[str, list[tuple[str, str]]]:
    """The CTE `traits` (one row per (account_id, as_of) from sql/families/manual_traits.sql, each
    declared trait's score and age) and its columns as (name, expression over alias `tr`)."""
    cells = [(c, t.name, v) for t in s.traits for c, v in ((t.feature, "score"), (t.age_feature, "age_days"))]
    return _pivot("traits", "manual_traits", "trait", cells), [(c, f"cast(tr.{ident(c)} as double)") for c, _, _ in cells]


def trait_update(s: PipelineSettings, columns: Sequence[str]) -> str:
    """A SELECT of the `columns` that are trait features at every (account_id, as_of) of `spine`,
    null where a trait was never set: what an incremental build writes over the kept dates
    whose traits changed."""
    cte, cols = trait_pivot(s)
    picked = [(c, e) for c, e in cols if c in columns]
    body = "".join(f",\n       {e} as {ident(c)}" for c, e in picked)
    return (f"with {cte}\nselect s.account_id, s.as_of{body}\nfrom spine as s\n"
            "left join traits as tr on tr.account_id = s.account_id and tr.as_of = s.as_of")


def _keep_available(select, catalog, have) -> tuple[list[tuple[str, str]], list[str]]:
    """Drop features whose sources were not loaded, and say so once per missing source."""
    keep, missing = [], {}
    for col, expr in select:
        f = catalog.get(col)
        if f is None:
            raise KeyError(f"feature column '{col}' has no declaration in the catalog")
        lacking = [r for r in f.requires if r not in have]
        if lacking:
            missing.setdefault(lacking[0], []).append(col)
        else:
            keep.append((col, expr))
    notes = [f"note: {source} not loaded; leaving out {len(cols)} features ({', '.join(cols)})"
             for source, cols in missing.items()]
    return keep, notes
