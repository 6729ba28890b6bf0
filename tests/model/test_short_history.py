"""A customer with a year of data gets a model: 12- and 18-month portfolios (plans and add-ons,
billed monthly and yearly, accounts/contracts/events only) train with rolling-origin folds and
score; a 60-account portfolio is told, in one line, what it has and what it needs."""
from __future__ import annotations

import pytest

from features.warehouse import connect
from model import protocol
from model.score import run as score
from model.train import run as train
from tests.conftest import quiet
from tests.model.conftest import build_portfolio

def portfolio(folder, accounts: int, months: int, keep_events: float = 0.1):
    return build_portfolio(folder, accounts, months, keep_events)


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
    assert p["protocol"] == "rolling_origin" and int(p["labelled_months"]) >= 6 and int(p["churn_outcomes"]) >= 20
    # each fold's months and churn outcomes are recorded, and they add up to something trainable
    assert int(p["fold_1_test_months"]) == 1 and int(p["fold_1_train_churners"]) > 0
    assert any("protocol rolling_origin" in line for line in lines)
    summary = score(db, progress=quiet)
    with connect(db, read_only=True) as con:
        s = con.execute("select * from scores").df()
        d = con.execute("select * from drivers").df()
    assert summary["accounts"] == len(s) > 0 and s["churn_probability"].between(0, 1).all() and len(d) > 0


def test_sixty_accounts_are_told_what_they_have_and_what_they_need(tmp_path, own_store):
    db = portfolio(tmp_path, 60, 18, keep_events=0.2)
    with pytest.raises(protocol.NotEnoughHistory) as e:
        train(db, progress=quiet)
    text = str(e.value)
    assert "\n" not in text
    assert text.startswith("not enough history to train: 1") and "labelled months and" in text
    assert text.endswith("need 20 churn outcomes")
