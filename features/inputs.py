"""What a feature run reads besides its SQL files: the source tables, the observation dates, the
data end, and the parameter tables and bound values that come from typed config.

`feature_runner` registers all of them, explicitly, on a connection and returns the Runner that
builds the SQL under sql/ from them.
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

import duckdb
import pandas as pd

from features import contract
from features.runner import Runner
from features.settings import PipelineSettings
from features.traits import TraitSpec

# tables the warehouse holds after an ingest; the SQL files may read them by name
SOURCES = tuple(t.name for t in contract.TABLES) + ("trait_edits",)


def data_end(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The last day the data describes: the latest event (or ticket or touchpoint) date."""
    row = con.execute("""select greatest(
        (select max(cast(occurred_at as date)) from events),
        (select max(cast(opened_at as date)) from tickets),
        (select max(cast(occurred_at as date)) from touchpoints))""").fetchall()[0]
    return row[0] or dt.date.today()


def observation_dates(con: duckdb.DuckDBPyConnection, warmup_days: int) -> list[dt.date]:
    """Month ends from `warmup_days` after the first event to the data end, plus the data end."""
    end = data_end(con)
    first = con.execute("select min(cast(occurred_at as date)) from events").fetchall()[0][0] or end
    start = min(first + dt.timedelta(days=warmup_days), end)
    dates = [d.date() for d in pd.date_range(start, end, freq="ME")]
    return dates + ([end] if not dates or dates[-1] != end else [])


def register_trait_values(runner: Runner, traits: Sequence[TraitSpec]) -> None:
    """`trait_values`: one row per (trait, accepted spelling) with the score it maps to."""
    runner.register("trait_values", [("trait", "varchar"), ("value", "varchar"), ("score", "double")],
                    [row for t in traits for row in t.score_rows()])


def feature_runner(con: duckdb.DuckDBPyConnection, dates: Sequence[dt.date],
                   s: PipelineSettings) -> Runner:
    """A Runner for the feature SQL at `dates`, with every parameter table registered from `s`."""
    r = Runner(con, sources=SOURCES, params=s.params() | {"data_end": data_end(con)})
    r.register_list("obs_dates", "as_of", dates, "date")
    r.register_list("configured_event_types", "event_type", s.event_types)
    r.register_list("qbr_kinds", "kind", s.qbr_kinds)
    r.register_list("defect_kinds", "kind", s.defect_kinds)
    r.register_list("help_kinds", "kind", s.help_kinds)
    r.register_list("high_priorities", "priority", s.high_priorities)
    r.register_list("key_personas", "persona", s.key_personas)
    r.register("configured_workflows",
               [("name", "varchar"), ("event_type", "varchar"), ("persona", "varchar"),
                ("per_user_per_30d", "double"), ("description", "varchar")],
               [(w.name, w.event_type, w.persona.lower(), w.per_user_per_30d, w.description)
                for w in s.workflows])
    register_trait_values(r, s.traits)
    return r
