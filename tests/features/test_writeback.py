"""Traits and notes set in the portal: validated, kept as history, and read by the next health run."""
from __future__ import annotations

import datetime as dt

import pytest

from features import health, pipeline
from features.warehouse import connect
from features.writeback import save
from tests.conftest import quiet


@pytest.mark.parametrize("traits, note, who, message", [
    ({"pulse": "great"}, None, "sam", "'great' is not a pulse value"),
    ({"mood": "good"}, None, "sam", "unknown trait 'mood'"),
    ({"pulse": "poor"}, None, "  ", "the editor's name is required"),
    ({}, "two\nlines", "sam", "must be one line"),
    ({}, "x" * 281, "sam", "keep it to 280"),
])
def test_bad_edits_are_refused_and_nothing_is_stored(tiny_db, traits, note, who, message):
    with connect(tiny_db) as con:
        with pytest.raises(ValueError, match=message):
            save(con, "A", who, traits, note)
        assert con.execute("select count(*) from trait_edits").fetchall()[0][0] == 0
        assert con.execute("select count(*) from status_notes").fetchall()[0][0] == 0


def test_unknown_account_is_refused(tiny_db):
    with connect(tiny_db) as con, pytest.raises(ValueError, match="unknown account 'Z'"):
        save(con, "Z", "sam", {"pulse": "poor"})


def test_edits_are_kept_as_history_and_the_next_health_run_uses_them(tiny_db):
    with connect(tiny_db) as con:
        pipeline.run(con, progress=quiet)  # snapshots up to the data end, 2026-03-31
        health.run(con)
        before = con.execute("select trait_pulse_score from health where as_of = '2026-03-31'").fetchall()[0][0]
        save(con, "A", "Jordan", {"pulse": "poor"}, "Sponsor left", at=dt.datetime(2026, 4, 2, 9, 0))
        save(con, "A", "Jordan", {"pulse": "healthy"}, at=dt.datetime(2026, 4, 3, 9, 0))
        health.run(con)
        after = con.execute("select trait_pulse_score from health where as_of = '2026-03-31'").fetchall()[0][0]
        history = con.execute("select value from trait_edits order by edited_at").fetchall()
    assert before == 50 and after == 100  # the latest edit wins on the current snapshot
    with connect(tiny_db) as con:  # a past snapshot never sees a later edit
        frame, _ = pipeline.build(con, dt.date(2026, 3, 15), progress=quiet)
    assert frame["pulse_score"].tolist() == [50]
    assert history == [("poor",), ("healthy",)]
