"""ChurnModel keeps scikit-learn's contract; Calibration maps raw scores to probabilities."""
from __future__ import annotations

import json

import lightgbm
import numpy as np
import pytest
from sklearn.base import clone

from model.baselines import logistic_regression
from model.estimator import Calibration, ChurnModel, LinearPart
from model.settings import load_settings
from tests.model.helpers import churn_data, fast_model


def test_fit_without_a_validation_set_holds_out_the_last_rows():
    X, y = churn_data()
    alone = fast_model().fit(X, y)
    cut = len(y) - int(np.ceil(len(y) * alone.lightgbm.holdout_fraction))
    explicit = fast_model().fit(X.iloc[:cut], y[:cut], X.iloc[cut:], y[cut:])
    assert np.allclose(alone.predict_proba(X), explicit.predict_proba(X))
    assert alone.booster_.num_trees() == explicit.booster_.num_trees()


def test_fit_without_a_validation_set_needs_churn_in_the_held_out_rows():
    X, y = churn_data()
    y = y.copy()
    y[-200:] = 0
    with pytest.raises(ValueError, match="pass X_valid and y_valid"):
        fast_model().fit(X, y)


def test_fit_returns_self_and_probabilities_come_from_predict_proba():
    X, y = churn_data()
    m = fast_model()
    assert m.fit(X, y) is m
    p = m.predict_proba(X)
    assert p.shape == (len(X), 2) and np.allclose(p.sum(axis=1), 1) and ((p >= 0) & (p <= 1)).all()
    assert list(m.classes_) == [0, 1]


def test_clone_gives_an_unfitted_copy_with_the_same_hyperparameters():
    X, y = churn_data()
    fitted = fast_model(learning_rate=0.1).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "booster_")
    assert np.allclose(copy.fit(X, y).predict_proba(X), fitted.predict_proba(X))  # same seed, same model


def test_unset_hyperparameters_are_read_from_the_config_when_fitting():
    X, y = churn_data()
    m = ChurnModel()
    assert m.get_params() == {"lightgbm": None, "seed": None, "min_positives_isotonic": None, "linear": None}
    s = load_settings()
    m.set_params(lightgbm=fast_model().lightgbm).fit(X, y)
    assert m.hyperparameters_["seed"] == s.seed and m.hyperparameters_["min_positives_isotonic"] == s.min_positives_isotonic
    assert m.hyperparameters_["linear"] == s.linear


def test_the_configured_thread_count_reaches_lightgbm():
    X, y = churn_data()
    assert fast_model(num_threads=2).fit(X, y).booster_.params["num_threads"] == 2


def test_a_model_rebuilt_from_its_parts_reports_its_hyperparameters():
    X, y = churn_data()
    fitted = fast_model(learning_rate=0.1, num_leaves=7).set_params(seed=3).fit(X, y)
    booster = lightgbm.Booster(model_str=fitted.booster_.model_to_string())  # as a saved file reads back
    linear = LinearPart.from_dict(json.loads(json.dumps(fitted.linear_.to_dict())))
    rebuilt = ChurnModel.from_parts(booster, fitted.calibration_, json.loads(json.dumps(fitted.hyperparameters_)),
                                    linear, fitted.mix_)
    assert rebuilt.get_params() == fitted.get_params()
    assert np.allclose(rebuilt.predict_proba(X), fitted.predict_proba(X))


def test_the_raw_score_mixes_lightgbm_and_the_linear_part_and_the_contributions_add_up_to_it():
    X, y = churn_data()
    X = X.assign(tickets=X["tickets"].where(np.arange(len(X)) % 5 > 0))  # some values missing
    m = fast_model().fit(X, y)
    a, b = m.mix_
    assert a >= 0 and b > 0  # churn here is logistic in `usage`: the linear part earns its weight
    trees = m.booster_.predict(X, raw_score=True, num_iteration=m.best_iteration_)
    linear = logistic_regression(m.seed).fit(X.iloc[:480], y[:480]).decision_function(X)  # fit(X, y) holds out 20%
    assert np.allclose(m.raw_score(X), a * trees + b * linear)
    phi, base = m.contributions(X)
    assert np.allclose(base + phi.sum(axis=1), m.raw_score(X))
    alone = fast_model().set_params(linear=False).fit(X, y)
    assert alone.linear_ is None and alone.mix_ == (1.0, 0.0) and np.allclose(alone.raw_score(X), trees)


def test_the_mix_leaves_out_a_part_that_would_weigh_against_the_outcome():
    from model.estimator import mix
    rng = np.random.default_rng(0)
    signal = rng.normal(size=2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(3 - signal))).astype(int)
    a, b = mix(signal, -signal + rng.normal(scale=0.1, size=2000), y)
    assert a > 0 and b == 0.0


def test_a_version_saved_before_the_blend_scores_with_lightgbm_alone():
    X, y = churn_data()
    fitted = fast_model().fit(X, y)
    old = ChurnModel.from_parts(fitted.booster_, fitted.calibration_, fitted.hyperparameters_)
    assert old.get_params()["linear"] is False
    assert np.allclose(old.raw_score(X), fitted.booster_.predict(X, raw_score=True, num_iteration=fitted.best_iteration_))


# calibration

def test_calibration_switches_to_isotonic_at_the_configured_number_of_positives():
    n = load_settings().min_positives_isotonic
    raw = np.linspace(-3, 3, 400)

    def with_positives(k):
        y = np.zeros(400, int)
        y[-k:] = 1  # the highest raw scores churn
        return Calibration.fit(raw, y, n).kind

    assert (with_positives(n - 1), with_positives(n)) == ("platt", "isotonic")


@pytest.mark.parametrize("positives", [10, 80])  # Platt, isotonic
def test_calibrated_probabilities_never_fall_as_the_raw_score_rises(positives):
    rng = np.random.default_rng(1)
    raw = rng.normal(size=500)
    y = (rng.random(500) < positives / 500 * 2 / (1 + np.exp(-raw))).astype(int)
    cal = Calibration.fit(raw, y, 40)
    assert cal.kind == ("platt" if positives < 40 else "isotonic")
    grid = np.linspace(-5, 5, 201)
    p = cal(grid)
    assert (np.diff(p) >= 0).all() and ((p > 0) & (p < 1)).all()


@pytest.mark.parametrize("positives", [10, 80])
def test_calibration_survives_a_round_trip_through_json(positives):
    raw = np.linspace(-3, 3, 300)
    y = np.zeros(300, int)
    y[np.linspace(100, 299, positives).astype(int)] = 1
    cal = Calibration.fit(raw, y, 40)
    assert cal.kind == ("platt" if positives < 40 else "isotonic")
    back = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert back.kind == cal.kind
    assert np.array_equal(back(np.linspace(-4, 4, 50)), cal(np.linspace(-4, 4, 50)))


def test_calibration_needs_both_outcomes():
    with pytest.raises(ValueError, match="churned and retained"):
        Calibration.fit(np.arange(5.0), np.zeros(5, int), 40)


def test_isotonic_calibration_keeps_apart_the_accounts_the_raw_score_tells_apart():
    """Plain isotonic steps would give whole blocks one probability and cost the ranking its AUC."""
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(3)
    raw = rng.normal(size=3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(3 - 1.5 * raw))).astype(int)
    cal = Calibration.fit(raw, y, 40)
    assert cal.kind == "isotonic"
    grid = np.linspace(-6, 6, 601)
    assert (np.diff(cal(grid)) > 0).all()  # strictly, tails included
    assert roc_auc_score(y, cal(raw)) == pytest.approx(roc_auc_score(y, raw))
    # and it still says how often churn happens: mean probability against the churn rate, by decile
    order = np.argsort(raw)
    for part in np.array_split(order, 10):
        assert abs(cal(raw[part]).mean() - y[part].mean()) < 0.05
