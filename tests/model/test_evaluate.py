"""Metric functions on rows small enough to check by hand."""
from __future__ import annotations

import numpy as np
import pytest

from model import evaluate


def test_top_decile_lift_recall_and_arr_recall():
    y = np.array([1] + [0] * 9 + [1] + [0] * 9)  # 20 rows, 2 churners, base rate 0.1
    score = np.arange(20, 0, -1).astype(float)  # row 0 ranked first
    arr = np.array([100.0] * 10 + [300.0] * 10)
    m = evaluate.ranking_metrics(y, score, arr)
    assert m["lift_at_10pct"] == pytest.approx(0.5 / 0.1)  # top 2 rows hold 1 churner
    assert m["recall_at_10pct"] == pytest.approx(0.5)
    assert m["arr_recall_at_10pct"] == pytest.approx(100 / 400)


def test_ece_is_zero_when_probabilities_match_rates():
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    p = np.array([0.25] * 4 + [0.75] * 4)
    assert evaluate.ece(y, p) == pytest.approx(0.0)
    assert evaluate.ece(y, np.full(8, 0.9)) == pytest.approx(0.4)


def test_probability_metrics_have_the_agreed_names():
    m = evaluate.probability_metrics(np.array([0, 1, 0, 1]), np.array([0.1, 0.8, 0.3, 0.6]), np.ones(4))
    assert set(m) == {"roc_auc", "pr_auc", "brier", "log_loss", "lift_at_10pct", "recall_at_10pct",
                      "arr_recall_at_10pct", "ece"}
    assert m["roc_auc"] == 1.0


def test_without_any_health_score_its_comparison_is_not_a_coin_flip_but_not_available():
    import math
    import numpy as np
    from model.train import _auc, _compare
    y = np.array([0, 1, 0, 1, 0, 0])
    arr, p = np.ones(6), np.array([.1, .9, .2, .8, .3, .1])
    unknown = np.full(6, 50.0)  # every account's health unknown: one constant risk
    m = _compare(y, arr, p, unknown, p, np.full(6, 30.0), 90, health_known=False)
    assert math.isnan(m["health_roc_auc"]) and math.isnan(m["health_renewing_roc_auc"])
    assert m["roc_auc"] == 1.0 and _auc(m["health_roc_auc"]) == "n/a (no health score)"
    assert _compare(y, arr, p, unknown, p, np.full(6, 30.0), 90)["health_roc_auc"] == 0.5
