"""portal/queries.py and portal/actions.py: the portal's arithmetic without Streamlit, on frames
small enough to check by eye."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from portal import actions, queries
from portal.access import AccessDenied, Identity


@pytest.fixture
def view() -> pd.DataFrame:
    """Four scored accounts of two owners."""
    return pd.DataFrame({
        "account_id": ["a", "b", "c", "d"],
        "owner": ["Ana", "Ana", "Bo", "Bo"],
        "segment": ["SMB", "Enterprise", "SMB", "SMB"],
        "arr": [10_000.0, 200_000.0, 50_000.0, 40_000.0],
        "churn_probability": [0.5, 0.2, 0.01, 0.1],
        "arr_at_risk": [5_000.0, 40_000.0, 500.0, 4_000.0],
        "risk_tier": ["high", "high", "low", "medium"],
        "health_score": [80.0, 20.0, 30.0, None],
        "health_tier": ["healthy", "poor", "poor", "unknown"],
        "days_to_renewal": [30, 200, 89, 91],
        "renewal_date": pd.to_datetime(["2026-05-01", "2026-10-17", "2026-06-28", "2026-06-30"]),
        "status_note": [None, "Sponsor left", None, "All good"],
        "note_at": pd.to_datetime([None, "2026-03-01", None, "2026-03-20"]),
    })


def test_key_figures_count_the_view_and_its_comparison(view):
    f = queries.key_figures(view, view.iloc[:2], renewal_days=90)
    assert (f.accounts, f.arr, f.arr_at_risk) == (4, 300_000.0, 49_500.0)
    assert (f.high_risk, f.high_risk_arr) == (2, 210_000.0)
    assert (f.renewing, f.renewing_arr) == (2, 60_000.0)  # 30 and 89 days; 91 is outside
    assert (f.before.accounts, f.before.arr, f.before.high_risk) == (2, 210_000.0, 2)


def test_key_figures_without_an_earlier_snapshot_have_no_comparison(view):
    assert queries.key_figures(view, None, 90).before is None
    assert queries.key_figures(view, view.iloc[0:0], 90).before is None


def test_tier_counts_list_every_tier_even_when_empty(view):
    counts = queries.tier_counts(view[view["risk_tier"] != "medium"], ["high", "medium", "low"])
    assert counts["accounts"].tolist() == [2, 0, 1]
    assert counts["arr"].tolist() == [210_000.0, 0.0, 50_000.0]


def test_owner_rollup_ranks_owners_by_arr_at_risk(view):
    roll = queries.owner_rollup(view, renewal_days=90)
    assert roll["owner"].tolist() == ["Ana", "Bo"]
    ana = roll.iloc[0]
    assert (ana.accounts, ana.arr, ana.arr_at_risk, ana.high_risk, ana.renewing, ana.notes) == \
           (2, 210_000.0, 45_000.0, 2, 1, 1)
    assert ana.median_health == 50.0
    assert roll.iloc[1].median_health == 30.0  # an unknown health score is left out, not counted as 0


def test_disagreements_pair_a_healthy_score_with_high_risk_and_poor_with_low(view):
    d = queries.disagreements(view)
    assert dict(zip(d["account_id"], d["disagreement"])) == {
        "a": "Healthy score, high model risk", "c": "Poor score, low model risk"}


def test_renewals_due_are_within_the_window_and_soonest_first(view):
    assert queries.renewals_due(view, 90)["account_id"].tolist() == ["a", "c"]
    assert queries.renewals_due(view, 180)["account_id"].tolist() == ["a", "c", "d"]


def test_latest_notes_are_newest_first(view):
    assert queries.latest_notes(view)["account_id"].tolist() == ["d", "b"]


@pytest.mark.parametrize("owners, segments, tiers, expected", [
    ([], [], [], ["a", "b", "c", "d"]),
    (["Bo"], [], [], ["c", "d"]),
    ([], ["SMB"], ["high"], ["a"]),
    (["Ana"], [], ["low"], []),
])
def test_filters_keep_rows_matching_every_non_empty_filter(view, owners, segments, tiers, expected):
    assert queries.apply_filters(view, owners, segments, tiers)["account_id"].tolist() == expected


def test_user_status_at_the_boundaries_of_the_active_window():
    as_of = dt.date(2026, 3, 31)
    users = pd.DataFrame({
        "last_active": pd.to_datetime(["2026-03-31", "2026-03-02", "2026-03-01", None, "2026-03-30"]),
        "deactivated_at": pd.to_datetime([None, None, None, None, "2026-03-31"]),
    })
    assert queries.user_status(users, as_of, 30).tolist() == [
        "active", "active", "inactive 30+ days", "never logged in", "deactivated"]
    assert set(queries.user_status(users, as_of, 30)) <= set(queries.user_statuses(30))
    # the active figure counts the last one (active on 2026-03-30); the list says deactivated
    assert queries.active_then_deactivated(users, as_of, 30) == 1


def test_comparison_date_is_the_latest_snapshot_far_enough_back():
    dates = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 10)]
    assert queries.comparison_date(dates, 10) == dt.date(2026, 3, 31)  # exactly 10 days back counts
    assert queries.comparison_date(dates, 28) == dt.date(2026, 2, 28)
    assert queries.comparison_date(dates, 60) == dt.date(2026, 1, 31)
    assert queries.comparison_date(dates[:1], 28) is None
    assert queries.comparison_date([], 28) is None


def test_readiness_names_the_first_missing_step_and_its_command():
    assert queries.readiness("x.duckdb", set(), [])[1].startswith("radar demo")
    assert queries.readiness("x.duckdb", {"features"}, []) == (
        "The warehouse has no `health` table yet.", "radar health")
    assert queries.readiness("x.duckdb", {"features", "health", "scores"}, [])[1] == "radar score --all-dates"
    assert queries.readiness("x.duckdb", {"features", "health", "scores"}, [dt.date(2026, 3, 31)]) is None


def test_days_ago_counts_calendar_days():
    assert queries.days_ago(dt.date(2026, 3, 1), today=dt.date(2026, 3, 31)) == 30
    assert queries.days_ago(None) is None


def test_only_traits_the_form_changes_are_saved():
    current = {"pulse": "poor", "champion": "yes"}
    picked = {"pulse": "poor", "champion": "no", "buyer_access": actions.NOT_SET}
    assert actions.changed_traits(picked, current) == {"champion": "no"}


def test_workflows_read_as_done_against_expected():
    flows = pd.DataFrame({"description": ["Managers launch campaigns", "Admins configure alerts"],
                          "intended_persona": ["manager", "admin"], "per_user_per_30d": [2.0, 1.0],
                          "by_persona": [2, 3], "attainment": [2 / 86, None]})
    personas = pd.DataFrame({"persona": ["manager"], "registered": [43], "active_30d": [10]})
    rows = queries.workflow_rows(flows, personas)
    assert rows["done"].tolist() == ["2 of the 86 expected (43 managers x 2)",
                                     "3 done; no admin users are registered"]


def test_probability_then_is_the_comparison_snapshots():
    scores = pd.DataFrame({"as_of": pd.to_datetime(["2026-02-28", "2026-03-31"]), "churn_probability": [0.1, 0.2]})
    assert queries.probability_then(scores, dt.date(2026, 2, 28)) == 0.1
    assert queries.probability_then(scores, dt.date(2026, 1, 31)) is None
    assert queries.probability_then(scores, None) is None


def test_an_update_is_stored_as_the_signed_in_person_and_only_where_they_may(tmp_path):
    from features import appstore
    eng = appstore.engine(f"sqlite:///{tmp_path / 'app.db'}")
    sam = Identity("sam@example.com", "sam", "Avery Chen")
    assert actions.save_account_update(sam, "a", "Avery Chen", {"pulse": "Poor "}, "  Call booked  ", eng) == 2
    assert appstore.edits(eng)[["trait", "value", "edited_by"]].values.tolist() == [["pulse", "poor", "sam@example.com"]]
    assert appstore.notes(eng)["note"].tolist() == ["Call booked"]
    with pytest.raises(AccessDenied):
        actions.save_account_update(sam, "b", "Bo", {"pulse": "poor"}, None, eng)
    with pytest.raises(ValueError, match="nothing to save"):
        actions.save_account_update(sam, "a", "Avery Chen", {}, "   ", eng)
    with pytest.raises(ValueError, match="not a pulse value"):
        actions.save_account_update(sam, "a", "Avery Chen", {"pulse": "great"}, None, eng)
    assert len(appstore.edits(eng)) == 1 and len(appstore.audit_log(eng)) == 2


def test_a_background_job_keeps_its_progress_and_result():
    def work(say):
        say("step", 1)
        say("step", 2)
        return 42
    job = actions.BackgroundJob("demo", work).start().wait(10)
    assert (job.ok, job.result, job.lines) == (True, 42, ["step 1", "step 2"])


def test_a_failing_background_job_reports_one_line():
    def work(say):
        raise LookupError("no @champion model registered\nsecond line")
    job = actions.BackgroundJob("demo", work).start().wait(10)
    assert not job.ok and job.error == "LookupError: no @champion model registered"


def test_what_moved_the_risk_names_the_families_that_moved_it_most():
    contributions = pd.DataFrame({
        "as_of": ["2026-09-30"] * 3 + ["2026-10-31"] * 3,
        "family": ["usage", "support", "contract_history"] * 2,
        "points": [2.0, 1.0, -1.0, 8.0, 0.0, -1.02],
        "peer_probability": [0.05] * 3 + [0.07] * 3})
    scores = pd.DataFrame({"as_of": ["2026-09-30", "2026-10-31"], "churn_probability": [0.07, 0.14]})
    assert queries.risk_moves(contributions, scores) == (
        "From 2026-09-30 to 2026-10-31 the churn probability went from 7% to 14%: usage +6.0 points, "
        "support -1.0 points, the renewed peers' own level +2.0 points.")
    assert queries.family_label("contract_history") == "Contract history"


def test_what_moved_the_risk_needs_two_snapshots():
    one = pd.DataFrame({"as_of": ["2026-10-31"], "family": ["usage"], "points": [1.0], "peer_probability": [0.1]})
    assert queries.risk_moves(one, pd.DataFrame({"as_of": ["2026-10-31"], "churn_probability": [0.11]})) is None
    assert queries.risk_moves(one.iloc[0:0], pd.DataFrame()) is None
