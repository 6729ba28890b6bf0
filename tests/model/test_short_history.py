"""A customer with a year of data gets a model: 12- and 18-month portfolios (plans and add-ons,
billed monthly and yearly, accounts/contracts/events only) train with rolling-origin folds and
score; a 60-account portfolio is told, in one line, what it has and what it needs."""
from __future__ import annotations

import pytest

from features.warehouse import connect
from model import protocol
from model.settings import load_settings
from model.score import run as score
from model.train import run as train
from tests.conftest import quiet
from tests.model.conftest import build_portfolio

S = load_settings()


def portfolio(folder, accounts: int, months: int, keep_events: float = 0.1, **kw):
    return build_portfolio(folder, accounts, months, keep_events, **kw)


@pytest.mark.parametrize("accounts, months", [(450, 12), (250, 18)])
def test_a_short_history_trains_with_rolling_origin_folds_and_scores(accounts, months, tmp_path, own_store):
    db = portfolio(tmp_path, accounts, months)
    lines = []
    out = train(db, progress=lines.append)
    assert out["version"] == "1" and out["alias"] == "champion"
    from mlflow import MlflowClient
    from features import paths
    client = MlflowClient(tracking_uri=paths.tracking_uri(), registry_uri=paths.tracking_uri())
    p = client.get_run(out["run_id"]).data.params
    assert p["protocol"] == "rolling_origin" and int(p["labelled_months"]) >= S.min_labelled_months
    assert int(p["churn_outcomes"]) >= S.min_churn_outcomes
    # each fold's months and churn outcomes are recorded, and they add up to something trainable
    assert int(p["fold_1_test_months"]) == 1 and int(p["fold_1_train_churners"]) > 0
    assert any("protocol rolling_origin" in line for line in lines)
    summary = score(db, progress=quiet)
    with connect(db, read_only=True) as con:
        s = con.execute("select * from scores").df()
        d = con.execute("select * from drivers").df()
    assert summary["accounts"] == len(s) > 0 and s["churn_probability"].between(0, 1).all() and len(d) > 0


def test_exactly_a_year_exported_mid_month_trains(tmp_path, own_store):
    """Twelve months to the 17th: the last 120 days' outcomes are unknown, so 5 month ends are
    labelled. A year of history must be enough."""
    import datetime as dt
    db = portfolio(tmp_path, 250, 12, end=dt.date(2026, 6, 17))
    with connect(db, read_only=True) as con:
        dates = [d for (d,) in con.execute("select distinct as_of from features order by as_of").fetchall()]
    assert dates[-1] == dt.date(2026, 6, 17)
    out = train(db, progress=quiet)
    assert out["version"] == "1"
    from mlflow import MlflowClient
    from features import paths
    p = MlflowClient(tracking_uri=paths.tracking_uri()).get_run(out["run_id"]).data.params
    assert int(p["labelled_months"]) == 5 and p["protocol"] == "rolling_origin"


def test_sixty_accounts_are_told_what_they_have_and_what_they_need(tmp_path, own_store):
    db = portfolio(tmp_path, 60, 18, keep_events=0.2)
    with pytest.raises(protocol.NotEnoughHistory) as e:
        train(db, progress=quiet)
    text = str(e.value)
    assert "\n" not in text
    assert text.startswith("not enough history to train: 1") and "labelled months and" in text
    assert text.endswith(f"need {S.min_churn_outcomes} churn outcomes")
