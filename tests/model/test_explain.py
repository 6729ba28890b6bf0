"""From SHAP values to points of probability, and from a feature's value to a sentence."""
from __future__ import annotations

import math

import numpy as np
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
