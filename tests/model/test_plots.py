"""Each evaluation figure is drawn on its own figure and released once logged."""
from __future__ import annotations

import io
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model import plots


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_the_shap_summary_does_not_draw_over_the_importance_plot():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    labels = ["Usage", "Tickets", "Seats"]
    before = set(plt.get_fignums())
    importance = plots.importance(labels, np.array([5.0, 3.0, 1.0]))
    summary = plots.shap_summary(X.to_numpy() * [0.5, -0.2, 0.1], X, labels)
    assert summary is not importance
    assert len(importance.axes) == 1 and importance.axes[0].get_title() == "Feature importance (share of gain)"
    assert png(importance) != png(summary)
    plots.close({"importance": importance, "shap_summary": summary})
    assert set(plt.get_fignums()) == before


def test_two_jobs_drawing_at_once_do_not_draw_on_each_others_figures():
    """A retrain and a backtest started from the portal run in threads of one process, and pyplot's
    current figure is one per process: the SHAP summary, which draws on it, must not lose it."""
    import threading
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = rng.integers(0, 2, 200)
    errors: list[BaseException] = []

    def draw(job):
        try:
            for _ in range(15):
                plots.close({"f": job()})
        except BaseException as e:  # noqa: BLE001 - what the thread met is the test's result
            errors.append(e)

    jobs = [lambda: plots.shap_summary(X.to_numpy() * [0.5, -0.2, 0.1], X, ["Usage", "Tickets", "Seats"]),
            lambda: plots.roc(y, {"model": X["a"].to_numpy()}),
            lambda: plots.importance(["Usage", "Tickets", "Seats"], np.array([5.0, 3.0, 1.0]))]
    threads = [threading.Thread(target=draw, args=(job,)) for job in jobs * 2]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as they can, as on a busy machine
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
