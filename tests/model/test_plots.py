"""Each evaluation figure is drawn on its own figure and released once logged."""
from __future__ import annotations

import io

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
