"""A running app shows a finished refresh at its next rerun: no restart, no cache clearing."""
from __future__ import annotations

from features.catalog import money
from features.warehouse import connect
from tests.portal.conftest import open_page, texts


def metric(at, label):
    return next(m for m in at.metric if m.label == label).value


def test_a_changed_warehouse_shows_at_the_next_rerun(portal_db):
    at = open_page()
    assert not at.exception
    before = metric(at, "ARR")
    with connect(portal_db) as con:  # what a refresh does: new figures and a new model version
        con.execute("update scores set arr = arr * 2, arr_at_risk = arr_at_risk * 2, model_version = '99' "
                    "where as_of = (select max(as_of) from scores)")
        arr = con.execute("select sum(arr) from scores where as_of = (select max(as_of) from scores)").fetchall()[0][0]
    at.run()
    assert not at.exception
    assert metric(at, "ARR") == money(arr) != before
    assert any("model version 99" in c.value for c in at.caption)


def test_the_account_page_shows_a_new_score_at_the_next_rerun(portal_db):
    with connect(portal_db, read_only=True) as con:
        account_id = con.execute("select account_id from scores where as_of = (select max(as_of) from scores) "
                                 "order by churn_probability desc limit 1").fetchall()[0][0]
    at = open_page(account=account_id)
    assert not at.exception
    with connect(portal_db) as con:
        con.execute("update scores set churn_probability = 0.9876, risk_tier = 'high' "
                    "where account_id = ? and as_of = (select max(as_of) from scores)", [account_id])
    at.run()
    assert not at.exception
    assert next(m for m in at.metric if m.label.startswith("Churn probability")).value.startswith("99%")


def test_leadership_sees_a_refresh_under_way_and_an_export_not_built_yet(portal_db, sample_source):
    """While a job writes the warehouse the portfolio says which one and since when; after the
    ingest and before the features, it says the figures on screen are the previous build's."""
    import subprocess
    import sys
    import time

    from features.ingest import ingest
    from features.publish import lock_path
    at = open_page()
    assert not at.exception and "refresh is under way" not in texts(at, "info")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom features.publish import job_lock\n"
                               f"with job_lock({str(portal_db)!r}, 'features'):\n    print('held', flush=True)\n"
                               "    time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        at.run()
        assert "A refresh is under way: `radar features` since" in texts(at, "info")
    finally:
        holder.kill()
        holder.wait()
    at.run()  # a killed job leaves its line in the lock file; a dead holder is no job
    assert lock_path(portal_db).read_text() and "refresh is under way" not in texts(at, "info")

    time.sleep(0.01)
    ingest(sample_source, portal_db, progress=lambda *a: None)
    at.run()
    assert not at.exception
    assert "is not built yet: the figures here are from the build of" in texts(at, "info")


def test_leadership_is_told_which_figures_predate_the_latest_feature_build_until_those_steps_run(
        portal_db, mlflow_store):
    """A feature build that health and scoring have not followed (not yet, or they failed): the
    portfolio names the figures that are behind and the commands that bring them up, and says
    nothing once each has run, nor after a feature run that found nothing new to build. Every step
    is a real `radar` process, as cron runs them."""
    import os
    import subprocess
    import sys

    def radar(*args):
        done = subprocess.run([sys.executable, "-m", "radar", *args, "--db", str(portal_db)],
                              env=os.environ.copy(), capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    at = open_page()
    assert not at.exception and "recomputed since" not in texts(at, "info")
    assert "up to date" in radar("features")  # nothing new: health and scores still match the features
    at.run()
    assert "recomputed since" not in texts(at, "info")
    radar("features", "--full")
    at.run()
    assert ("The health scores and churn risks have not been recomputed since the feature build of"
            in texts(at, "info"))
    assert "run `radar health` and `radar score`" in texts(at, "info")
    radar("health")
    at.run()
    assert "The churn risks have not been recomputed since the feature build of" in texts(at, "info")
    assert "`radar health`" not in texts(at, "info")
    radar("score", "--all-dates")
    at.run()
    assert "recomputed since" not in texts(at, "info")
    assert "up to date" in radar("features")
    at.run()
    assert not at.exception
    assert "recomputed since" not in texts(at, "info")
