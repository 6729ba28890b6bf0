"""What a feature run reads besides its SQL files: the source tables, the observation dates and
the day calendars built from them, the data end, and the parameter tables and bound values that
come from typed config.

`register_inputs` registers all of them, explicitly, on any engine's runner; `feature_runner`
does it on a DuckDB connection and returns the Runner that builds the SQL under sql/.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import duckdb
import pandas as pd

from features import contract
from features.ingest import recorded_data_end
from features.runner import BaseRunner, Keep, Runner
from features.settings import PipelineSettings
from features.traits import TraitSpec

# tables the warehouse holds after an ingest; the SQL files may read them by name
SOURCES = tuple(t.name for t in contract.TABLES) + ("trait_edits",)
# a full build reads every day: the earliest date either engine stores
BEGINNING = dt.date(1, 1, 1)


def data_end(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The last day the data describes: what the latest ingest recorded (the latest event capped at
    the export time, or its --data-end), or for a warehouse ingested before ingests recorded it,
    the latest event (or ticket or touchpoint) date."""
    recorded = recorded_data_end(con)
    if recorded is not None:
        return recorded
    row = con.execute("""select cast(greatest(
        (select max(occurred_at) from events),
        (select max(opened_at) from tickets),
        (select max(occurred_at) from touchpoints)) as date)""").fetchall()[0]
    return row[0] or dt.date.today()


def first_event_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    return con.execute("select cast(min(occurred_at) as date) from events").fetchall()[0][0]


def month_ends(first: dt.date | None, end: dt.date, warmup_days: int) -> list[dt.date]:
    """Month ends from `warmup_days` after `first` to `end`, plus `end` itself."""
    first = first or end
    start = min(first + dt.timedelta(days=warmup_days), end)
    dates = [d.date() for d in pd.date_range(start, end, freq="ME")]
    return dates + ([end] if not dates or dates[-1] != end else [])


def observation_dates(con: duckdb.DuckDBPyConnection, warmup_days: int) -> list[dt.date]:
    """Month ends from `warmup_days` after the first event to the data end, plus the data end."""
    return month_ends(first_event_day(con), data_end(con), warmup_days)


@dataclass(frozen=True)
class Calendar:
    """The dates a run builds and the day tables its windows join on, as plain rows.

    obs_days: (as_of, event_date, age_days) for every day within the horizon (the longest
    window) up to each as_of; age 0 is as_of itself. A window is an equality join and
    `age_days < N`.
    obs_periods: (event_date, period) for every day from `first_day` to the last as_of: the
    first observation date on or after it. Days after the last date have no period.
    Slices cut the days at every as_of and at as_of - N for every configured window length N,
    so each N-day window up to an as_of is made of whole slices:
    day_slices: (event_date, slice_end) for every day within the horizon of some as_of;
    obs_slices: (as_of, slice_end, oldest_age) for the slices within the horizon up to each
    as_of, with the age at as_of of the slice's first day: it is in an N-day window when
    oldest_age < N.
    """
    dates: tuple[dt.date, ...]
    first_day: dt.date
    window_lengths: tuple[int, ...]

    @property
    def horizon_days(self) -> int:
        return max(self.window_lengths)

    def obs_days(self) -> list[tuple[dt.date, dt.date, int]]:
        return [(d, d - dt.timedelta(days=k), k) for d in self.dates for k in range(self.horizon_days)]

    def obs_periods(self) -> list[tuple[dt.date, dt.date]]:
        ends = sorted(set(self.dates))
        return _cut(min(self.first_day, ends[0]), ends[-1], ends) if ends else []

    def _boundaries(self) -> list[dt.date]:
        return sorted({d - dt.timedelta(days=n) for d in self.dates for n in (0,) + self.window_lengths})

    def day_slices(self) -> list[tuple[dt.date, dt.date]]:
        if not self.dates:
            return []
        first = min(self.dates) - dt.timedelta(days=self.horizon_days - 1)
        return _cut(first, max(self.dates), self._boundaries())

    def obs_slices(self) -> list[tuple[dt.date, dt.date, int]]:
        ends = self._boundaries()
        rows = []
        for d in sorted(set(self.dates)):
            for before, end in zip(ends, ends[1:]):  # the slice after `before`, up to `end`
                oldest = (d - before).days - 1
                if end <= d and oldest < self.horizon_days:
                    rows.append((d, end, oldest))
        return rows


def _cut(first: dt.date, last: dt.date, ends: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """(day, the first of `ends` on or after it) for every day from `first` to `last`."""
    rows, day, i = [], first, 0
    while day <= last:
        while ends[i] < day:
            i += 1
        rows.append((day, ends[i]))
        day += dt.timedelta(days=1)
    return rows


def window_lengths(s: PipelineSettings) -> tuple[int, ...]:
    """Every window length the features use, in days; the longest is the horizon."""
    w, d = s.windows, s.delivery
    return tuple(sorted({w.short_days, w.stickiness_days, w.recent_days, w.recent_days + w.prior_days,
                         w.long_days, d.lookback_days}))


def run_params(s: PipelineSettings, end: dt.date, since: dt.date | None, dates: Sequence[dt.date]) -> dict[str, object]:
    """Every bound value of the feature SQL: the config's, the data end, `since` (the day after
    which grains are (re)built; the beginning of time in a full build), and from all the
    observation dates (not only those this run builds) the last and the one before it."""
    dates = sorted(dates) or [end]
    return s.params() | {"data_end": end, "since": since or BEGINNING, "last_date": dates[-1],
                         "merge_date": dates[-2] if len(dates) > 1 else dates[-1]}


def register_inputs(runner: BaseRunner, dates: Sequence[dt.date], first_day: dt.date | None,
                    s: PipelineSettings) -> None:
    """Register the observation dates, their day calendars and every parameter table from `s`."""
    cal = Calendar(tuple(dates), first_day or min(dates, default=dt.date.today()), window_lengths(s))
    runner.register_list("obs_dates", "as_of", dates, "date")
    runner.register("obs_days", [("as_of", "date"), ("event_date", "date"), ("age_days", "integer")],
                    cal.obs_days())
    runner.register("obs_periods", [("event_date", "date"), ("period", "date")], cal.obs_periods())
    runner.register("day_slices", [("event_date", "date"), ("slice_end", "date")], cal.day_slices())
    runner.register("obs_slices", [("as_of", "date"), ("slice_end", "date"), ("oldest_age", "integer")],
                    cal.obs_slices())
    runner.register_list("configured_event_types", "event_type", s.event_types)
    runner.register_list("qbr_kinds", "kind", s.qbr_kinds)
    runner.register_list("defect_kinds", "kind", s.defect_kinds)
    runner.register_list("help_kinds", "kind", s.help_kinds)
    runner.register_list("high_priorities", "priority", s.high_priorities)
    runner.register_list("key_personas", "persona", s.key_personas)
    runner.register("configured_workflows",
                    [("name", "varchar"), ("event_type", "varchar"), ("persona", "varchar"),
                     ("per_user_per_30d", "double"), ("description", "varchar")],
                    [(w.name, w.event_type, w.persona.lower(), w.per_user_per_30d, w.description)
                     for w in s.workflows])
    register_trait_values(runner, s.traits)
    # what an earlier build kept of each user's activity (sql/base/user_history.sql); a full
    # build starts from nothing
    runner.register("kept_user_history", [("account_id", "varchar"), ("user_id", "varchar"), ("period", "date"),
                                          ("first_day", "date"), ("last_day", "date"), ("active_days", "bigint")], [])


def register_trait_values(runner: BaseRunner, traits: Sequence[TraitSpec]) -> None:
    """`trait_values`: one row per (trait, accepted spelling) with the score it maps to."""
    runner.register("trait_values", [("trait", "varchar"), ("value", "varchar"), ("score", "double")],
                    [row for t in traits for row in t.score_rows()])


def feature_runner(con: duckdb.DuckDBPyConnection, dates: Sequence[dt.date], s: PipelineSettings,
                   keep: Keep | None = None, end: dt.date | None = None, first_day: dt.date | None = None,
                   all_dates: Sequence[dt.date] | None = None) -> Runner:
    """A DuckDB Runner for the feature SQL at `dates`, with every input registered from `s`.
    With `keep`, grains are kept in the warehouse (rebuilt after `keep.since`). `end` and
    `first_day` default to the warehouse's data end and first event day; `all_dates` (every
    observation date, when this run builds only some) to `dates`."""
    since = keep.since if keep else None
    end = end or data_end(con)
    r = Runner(con, sources=SOURCES, params=run_params(s, end, since, all_dates or dates), keep=keep)
    register_inputs(r, dates, first_day or first_event_day(con), s)
    return r
