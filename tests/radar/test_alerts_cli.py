"""`radar alerts`, `radar digest`, `radar qbr` on the command line: help with examples, the alerts job
under the warehouse's job lock on a building copy, and the backtest on a private copy."""
from __future__ import annotations

import shutil
import threading

import pytest

from features.publish import job_lock
from features.warehouse import connect
from radar import cli


@pytest.mark.parametrize("command", ["alerts", "digest", "qbr"])
def test_the_new_commands_have_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: radar {command}" in out and "example:" in out


@pytest.fixture
def warehouse(scored_db, tmp_path, monkeypatch):
    db = tmp_path / "radar.duckdb"
    shutil.copy(scored_db, db)
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    return db


def test_radar_alerts_writes_alerts_and_expansion_signals(warehouse, capsys):
    assert cli.main(["alerts", "--db", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "critical" in out and "interrupt their owners this week" in out and "expansion:" in out
    with connect(warehouse, read_only=True) as con:
        n_alerts = con.execute("select count(*) from alerts").fetchall()[0][0]
        n_kinds = con.execute("select count(*) from alert_kinds").fetchall()[0][0]
        assert con.execute("select count(distinct as_of) from alerts").fetchall()[0][0] == 1
        assert con.execute("select count(*) from expansion").fetchall()[0][0] > 0
    assert n_alerts > 0 and n_kinds == 8
    assert not list(warehouse.parent.glob("*.building"))


def test_radar_alerts_waits_for_or_names_the_running_job(warehouse, capsys):
    with job_lock(warehouse, "score", say=lambda *a: None):
        assert cli.main(["alerts", "--db", str(warehouse), "--no-wait"]) == 1
    assert "`radar score`" in capsys.readouterr().err
    with connect(warehouse, read_only=True) as con:
        assert not con.execute("select count(*) from information_schema.tables where table_name = 'alerts'").fetchall()[0][0]
    release = threading.Event()

    def hold():
        with job_lock(warehouse, "features", say=lambda *a: None):
            release.wait(5)
    t = threading.Thread(target=hold)
    t.start()
    threading.Timer(1.0, release.set).start()
    assert cli.main(["alerts", "--db", str(warehouse)]) == 0  # waits, then runs
    t.join()
    assert "waiting for `radar features`" in capsys.readouterr().out


def test_the_backtest_reads_a_copy_and_prints_the_figures(warehouse, capsys):
    before = warehouse.read_bytes()
    assert cli.main(["alerts", "--db", str(warehouse), "--backtest", "--retrain-every", "quarter"]) == 0
    out = capsys.readouterr().out
    assert "out-of-time models, one per quarter end" in out and "model at " in out
    assert "churned accounts with a critical alert 60-365 days before:" in out and "earlier churns left out" in out
    assert "critical alerts that interrupt, after the cap per owner per week: median" in out
    assert "scored snapshots it was trained on" not in out  # no run is scored by a model that saw its outcome
    assert warehouse.read_bytes() == before  # the warehouse itself is never written
