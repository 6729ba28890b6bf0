"""The calendars a feature run joins on: windows as whole slices, days mapped to periods."""
from __future__ import annotations

import datetime as dt

import pytest

from features.inputs import Calendar, month_ends, window_lengths
from features.settings import load_settings

D = dt.date


def test_every_configured_window_is_exactly_a_set_of_whole_slices():
    dates = tuple(month_ends(D(2025, 1, 1), D(2026, 6, 17), 89))
    cal = Calendar(dates, D(2025, 1, 1), window_lengths(load_settings()))
    slice_of = dict(cal.day_slices())
    days_in = {}
    for day, end in cal.day_slices():
        days_in.setdefault(end, set()).add(day)
    for as_of in dates:
        for n in cal.window_lengths:
            window = {as_of - dt.timedelta(days=k) for k in range(n)}
            slices = {end for a, end, oldest in cal.obs_slices() if a == as_of and oldest < n}
            assert set().union(*(days_in[e] for e in slices)) == window, (as_of, n)
            assert {slice_of[d] for d in window} == slices


def test_a_day_belongs_to_the_first_observation_date_on_or_after_it():
    cal = Calendar((D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 17)), D(2026, 3, 1), (7, 30))
    periods = dict(cal.obs_periods())
    assert periods[D(2026, 3, 1)] == periods[D(2026, 3, 31)] == D(2026, 3, 31)
    assert periods[D(2026, 4, 1)] == D(2026, 4, 30) and periods[D(2026, 5, 17)] == D(2026, 5, 17)
    assert D(2026, 5, 18) not in periods  # after the last date: no period


@pytest.mark.parametrize("first, end, expected", [
    (D(2024, 1, 1), D(2024, 6, 15), [D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31), D(2024, 6, 15)]),
    (D(2024, 1, 1), D(2024, 5, 31), [D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31)]),
    (D(2024, 5, 1), D(2024, 5, 20), [D(2024, 5, 20)]),  # shorter than the warm-up: the data end only
])
def test_observation_dates_are_month_ends_after_the_warm_up_and_the_data_end(first, end, expected):
    assert month_ends(first, end, 89) == expected


def test_the_data_end_is_what_the_ingest_recorded_and_its_data_end_option_overrides_it(tiny_source, tmp_path):
    """The tiny fixture's latest stamp is 2026-03-31; the dates built end on the recorded data end."""
    from features import pipeline
    from features.ingest import ingest
    from features.inputs import data_end
    from features.warehouse import connect
    from tests.conftest import quiet
    db = tmp_path / "w.duckdb"
    ingest(tiny_source, db, progress=quiet)
    with connect(db) as con:
        assert data_end(con) == D(2026, 3, 31)
    ingest(tiny_source, db, progress=quiet, data_end=D(2026, 4, 2))  # `radar ingest --data-end 2026-04-02`
    with connect(db) as con:
        assert data_end(con) == D(2026, 4, 2)  # two days without data are still data
        pipeline.run(con, progress=quiet)
        assert con.execute("select max(as_of) from features").fetchall()[0][0] == D(2026, 4, 2)
    ingest(tiny_source, db, progress=quiet, data_end=D(2026, 3, 20), accept_quarantine=True)
    with connect(db) as con:
        assert data_end(con) == D(2026, 3, 20)
        pipeline.run(con, progress=quiet)
        assert con.execute("select max(as_of) from features").fetchall()[0][0] == D(2026, 3, 20)


def test_a_warehouse_ingested_before_the_data_end_was_recorded_ends_on_its_latest_stamp(tiny_db):
    from features.inputs import data_end
    from features.warehouse import connect
    with connect(tiny_db) as con:
        con.execute("update ingest_runs set data_end = null")
        assert data_end(con) == D(2026, 3, 31)
        con.execute("alter table ingest_runs drop column data_end")
        assert data_end(con) == D(2026, 3, 31)