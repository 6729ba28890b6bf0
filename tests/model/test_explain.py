"""From SHAP values to points of probability, and from a feature's value to a sentence."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features.catalog import event_type_features, load_catalog, persona_feature, workflow_feature
from model import explain
from model.estimator import Calibration

LOGISTIC = Calibration("platt", [1.0], [0.0])  # probability = 1 / (1 + e^-raw)


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_points_add_up_to_the_change_in_probability_and_keep_their_signs():
    phi = np.array([[1.0, -0.5, 0.2]])  # log-odds: -2 + 0.7 = -1.3
    base = np.array([-2.0])
    prob = LOGISTIC(base + phi.sum(axis=1))
    pts = explain.to_points(phi, base, prob, LOGISTIC)
    # sigmoid(-1.3) - sigmoid(-2) = 0.214165 - 0.119203 = 9.496 points, shared in proportion to phi
    assert pts.sum() == pytest.approx(100 * (sigmoid(-1.3) - sigmoid(-2.0)))
    assert pts[0] == pytest.approx([13.566, -6.783, 2.713], abs=1e-3)
    assert (np.sign(pts) == np.sign(phi)).all()


def test_a_row_whose_drivers_cancel_uses_the_local_slope():
    phi = np.array([[0.3, -0.3, 0.0]])
    base = np.array([-2.0])
    pts = explain.to_points(phi, base, LOGISTIC(base), LOGISTIC)
    # slope of the logistic curve at p = 0.1192: p(1 - p) = 0.10499 per unit of log-odds
    assert pts[0] == pytest.approx([3.150, -3.150, 0.0], abs=1e-3)


def test_a_flat_calibration_still_gives_each_driver_its_sign():
    flat = Calibration("isotonic", [-3.0, 0.0], [0.1, 0.1])  # raw -2 and raw -1.5 map to the same 10%
    phi = np.array([[0.8, -0.3]])
    base = np.array([-2.0])
    pts = explain.to_points(phi, base, flat(base + phi.sum(axis=1)), flat)
    assert pts[0, 0] > 0 > pts[0, 1]


USERS = {"unit": "users", "description": "Active users in the last 30 days"}
SHARE = {"unit": "share", "description": "Share of seats in use"}


@pytest.mark.parametrize("value", [float("nan"), None])
def test_a_missing_value_is_not_recorded(value):
    assert explain.sentence(USERS, value, 12.0) == "Active users in the last 30 days: not recorded"


def test_counts_rise_and_fall_with_the_relative_change():
    assert explain.sentence(USERS, 30.0, 20.0) == "Active users in the last 30 days rose from 20 to 30 (+50%)"
    assert explain.sentence(USERS, 12.0, 20.0) == "Active users in the last 30 days fell from 20 to 12 (-40%)"


def test_shares_fall_in_percent_without_a_relative_change():
    assert explain.sentence(SHARE, 0.3, 0.5) == "Share of seats in use fell from 50% to 30%"


def test_a_small_move_is_stated_not_called_a_rise():
    assert explain.sentence(USERS, 21.0, 20.0) == "Active users in the last 30 days is 21 (was 20)"
    assert explain.sentence(USERS, 21.0, float("nan")) == "Active users in the last 30 days is 21"


def test_a_rise_from_zero_has_no_percentage():
    assert explain.sentence(USERS, 4.0, 0.0) == "Active users in the last 30 days rose from 0 to 4"


def test_flags_and_templates_speak_in_their_own_words():
    flag = {"unit": "flag", "description": "Champion recorded", "yes": "An active champion is recorded",
            "no": "No active champion is recorded"}
    assert explain.sentence(flag, 1.0) == "An active champion is recorded"
    assert explain.sentence(flag, 0.0) == "No active champion is recorded"
    days = {"unit": "days", "description": "Days since the last touchpoint", "sentence": "No CSM touchpoint for {value}"}
    assert explain.sentence(days, 47.0, 40.0) == "No CSM touchpoint for 47 days"


def every_feature():
    cat = {f.name: f for f in load_catalog().values()}
    for f in [*event_type_features("Report run"), persona_feature("Analyst"), workflow_feature("close_books", "Month-end close")]:
        cat[f.name] = f
    return cat


@pytest.mark.parametrize("value, previous", [(0.0, 5.0), (1.0, float("nan")), (37.5, 12.0), (0.45, 0.2)])
def test_no_sentence_contains_a_column_name(value, previous):
    for name, f in every_feature().items():
        text = explain.sentence(f.to_row(), value, previous, {"context": "Report run", "gap": 7.0})
        assert "_" not in text, (name, text)  # no snake_case name leaks (one-word names are plain words)


# ---- reasons against peers: the wording rules, on hand-made SHAP values ------------------------------

CAT = {
    "usage": {"description": "Active users in the last 30 days", "unit": "users", "direction": "higher_better",
              "reason": "active_users"},
    "usage_7d": {"description": "Active users in the last 7 days", "unit": "users", "direction": "higher_better",
                 "reason": "active_users"},
    "tickets": {"description": "Support tickets in the last 90 days", "unit": "count", "direction": "lower_better",
                "sentence": "Support tickets in the last 90 days: {value}"},
    "touch_days": {"description": "Days since the last CSM touchpoint", "unit": "days", "direction": "lower_better",
                   "sentence": "No CSM touchpoint for {value}", "missing": "No CSM touchpoint recorded"},
    "trend": {"description": "Change in product events", "unit": "change", "direction": "higher_better"},
    "days_to_renewal": {"description": "Days until the current contract term ends", "unit": "days",
                        "direction": "neutral", "timing": True},
    **{f.name: f.to_row() for f in event_type_features("report_created")},
}
NAMES = ["usage", "usage_7d", "tickets", "touch_days", "trend", "days_to_renewal", "evt_report_created_30d"]
PEERS = {"features": NAMES, "population": "accounts that renewed", "groups": {
    explain.ALL_RETAINED: {"rows": 500, "raw": -3.0, "phi": [0.0] * len(NAMES),
                           "median": [10, 4, 2, 10, 0.0, 200, 20], "mean": [12, 5, 2.5, 12, 0.0, 190, 22]}}}


def reasons_for(values, phi, previous=None, n=5):
    X = pd.DataFrame([values], columns=NAMES, dtype=float)
    keys = pd.DataFrame({"account_id": ["A"], "as_of": [pd.Timestamp("2026-03-31")]})
    phi = np.array([phi], float)
    raw = -3.0 + phi.sum(axis=1)
    prev = pd.DataFrame([previous], columns=NAMES, index=["A"], dtype=float) if previous else None
    groups = np.array(["with renewal within 90 days"], dtype=object)  # too few peers: all who renewed
    return explain.drivers(X, keys, phi, raw, LOGISTIC(raw), LOGISTIC, CAT, PEERS, groups, prev, n=n)


def test_timing_is_never_a_reason_however_much_it_moves_the_risk():
    d = reasons_for([2, 1, 2, 10, 0.0, 20, 20], [0.5, 0.3, 0, 0, 0, 2.5, 0])
    assert "days_to_renewal" not in set(d["feature"]) and len(d) == 1


def test_a_count_and_its_siblings_are_one_reason_with_their_points_summed():
    d = reasons_for([2, 1, 2, 10, 0.0, 200, 20], [0.5, 0.3, 0, 0, 0, 0, 0])
    (row,) = d.itertuples()
    pts = explain.to_points(np.array([[0.5, 0.3, 0, 0, 0, 0, 0]]), np.array([-3.0]), LOGISTIC(np.array([-2.2])),
                            LOGISTIC)[0]
    assert row.contribution == pytest.approx(pts[0] + pts[1]) and row.features == "usage, usage_7d"
    assert row.feature == "usage"  # the member that moves the most leads


def test_a_value_better_than_the_peers_never_raises_the_risk():
    # tickets below the peers' 2, yet pushing the risk up: no sentence can say that, so none is listed
    d = reasons_for([12, 5, 1, 10, 0.0, 200, 20], [0, 0, 0.6, 0, 0, 0, 0])
    assert d.empty
    d = reasons_for([12, 5, 5, 10, 0.0, 200, 20], [0, 0, 0.6, 0, 0, 0, 0])
    assert d["direction"].tolist() == ["raises"] and d["value"].iloc[0] > d["reference"].iloc[0]


def test_every_sentence_names_the_peers_it_compares_with():
    d = reasons_for([2, 1, 5, 3, 0.0, 200, 5], [0.4, 0, 0.3, -0.4, 0, 0, 0.2])
    assert set(d["direction"]) == {"raises", "lowers"}
    for text in d["sentence"]:
        assert "typically" in text and "accounts that renewed" in text and "pts of churn risk" in text, text
        assert "_" not in text, text


def test_an_absent_value_is_a_reason_only_where_absence_is_the_information_and_only_as_a_warning():
    d = reasons_for([12, 5, 2, np.nan, np.nan, 200, 20], [0, 0, 0, 0.5, 0.4, 0, 0])
    # the missing trend says nothing (absence is no information there): only the touchpoint is a reason
    assert d["feature"].tolist() == ["touch_days"]
    assert d["sentence"].iloc[0].startswith("No CSM touchpoint recorded (+")
    assert reasons_for([12, 5, 2, np.nan, 0.0, 200, 20], [0, 0, 0, -0.5, 0, 0, 0]).empty


def test_the_accounts_own_trend_is_added_only_when_it_moved_the_way_the_risk_did():
    fell = reasons_for([2, 1, 2, 10, 0.0, 200, 20], [0.5, 0, 0, 0, 0, 0, 0], previous=[6, 3, 2, 10, 0, 200, 20])
    rose = reasons_for([2, 1, 2, 10, 0.0, 200, 20], [0.5, 0, 0, 0, 0, 0, 0], previous=[1, 0, 2, 10, 0, 200, 20])
    assert "down from 6" in fell["sentence"].iloc[0]
    assert "from" not in rose["sentence"].iloc[0]


def test_event_types_read_by_their_display_names():
    d = reasons_for([12, 5, 2, 10, 0.0, 200, 5], [0, 0, 0, 0, 0, 0, 0.5])
    assert d["sentence"].iloc[0].startswith("Reports created: 5 in the last 30 days (typically 20")


@pytest.mark.parametrize("name, shown", [("report_created", "reports created"), ("PageView", "page views"),
                                         ("login", "logins"), ("Action 3", "Action 3 events"),
                                         ("message_sent", "messages sent by the platform"),
                                         ("search_query", "search queries"), ("export_run", "exports run"),
                                         ("Éxport", "éxports"), ("ünïcode événement", "ünïcode événements"),
                                         ("ログイン", "ログイン events"),
                                         ("data_uploaded_to_s3", "data uploaded to s3 events")])
def test_display_names_humanise_event_types_or_take_the_configured_name(name, shown):
    from features.catalog import display_name
    assert display_name(name) == shown
