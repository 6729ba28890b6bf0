"""The registry path: aliases, promotion and loading in a store of this test's own, and errors that
are not "does not exist" reaching the caller instead of being read as "no champion"."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, TEMPORARILY_UNAVAILABLE
from sklearn.base import clone

from model import tracking
from tests.model.helpers import churn_data, fast_model


def log(model, X) -> dict:
    return tracking.log_training_run(
        run_name="tiny", params={"rows": len(X)}, metrics={"eval_roc_auc": 0.5}, features=[], figures={},
        model=model, train_frame=X.assign(churned=0.0), example=X.head(3), tags={})


@pytest.fixture
def two_versions(own_store):
    """Two tiny versions in an empty store: 1 @champion, 2 @challenger."""
    X, y = churn_data()
    models = [fast_model().fit(X, y), fast_model(learning_rate=0.2).fit(X, y)]
    return X, models, [log(m, X) for m in models]


@pytest.fixture
def broken_store(tmp_path, monkeypatch):
    """A tracking URI whose SQLite file is not a database."""
    bad = tmp_path / "mlflow.db"
    bad.write_text("this is not a database\n")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{bad}")


def test_first_version_is_champion_later_ones_challengers(two_versions):
    _, _, out = two_versions
    assert [(o["version"], o["alias"]) for o in out] == [("1", "champion"), ("2", "challenger")]
    assert tracking.champion_version() == "1"


def test_promote_moves_the_champion_and_drops_the_challenger_alias(two_versions):
    tracking.promote("2")
    assert tracking.champion_version() == "2"
    assert tracking.versions().set_index("version")["aliases"].to_dict() == {"2": "champion", "1": ""}
    tracking.promote("1")
    assert tracking.champion_version() == "1"


@pytest.mark.parametrize("version", ["99", "abc"])
def test_promoting_a_version_that_does_not_exist_is_refused(two_versions, version):
    with pytest.raises(LookupError, match=f"no version {version}"):
        tracking.promote(version)
    assert tracking.champion_version() == "1"


def test_a_loaded_version_predicts_and_reports_what_it_was_trained_with(two_versions):
    X, models, _ = two_versions
    loaded, version, _ = tracking.load("2")
    assert version == "2"
    assert np.allclose(loaded.predict_proba(X), models[1].predict_proba(X))
    assert loaded.get_params() == models[1].get_params()
    assert loaded.get_params()["lightgbm"].learning_rate == 0.2
    assert clone(loaded).get_params() == loaded.get_params()


def test_an_empty_store_has_no_champion_and_no_versions(own_store):
    assert tracking.champion_version() is None
    assert tracking.versions().empty
    assert tracking.runs().empty
    with pytest.raises(LookupError, match="run `radar train` first"):
        tracking.load()


def test_a_model_without_a_champion_alias_has_no_champion(two_versions, own_store):
    from mlflow import MlflowClient
    uri = f"sqlite:///{own_store / 'mlflow.db'}"
    MlflowClient(tracking_uri=uri, registry_uri=uri).delete_registered_model_alias("account-radar-churn", "champion")
    assert tracking.champion_version() is None


def test_a_broken_store_raises_instead_of_reporting_no_champion(broken_store):
    for call in (tracking.champion_version, tracking.versions, lambda: tracking.promote("1"), tracking.load):
        with pytest.raises(Exception) as e:
            call()
        assert not isinstance(e.value, LookupError), call


def test_an_unreadable_alias_table_is_an_error_not_a_missing_champion(two_versions, own_store):
    """The store opens, but reading aliases fails: a new version must not become champion unseen."""
    with sqlite3.connect(own_store / "mlflow.db") as con:
        con.execute("drop table registered_model_aliases")
    for call in (tracking.champion_version, tracking.versions, lambda: tracking.promote("2"), tracking.load):
        with pytest.raises(Exception, match="registered_model_aliases") as e:
            call()
        assert not isinstance(e.value, LookupError), call


class Client:
    """Stands in for MlflowClient: get_registered_model raises `error`."""

    def __init__(self, error):
        self.error = error

    def get_registered_model(self, name):
        raise self.error


def test_only_does_not_exist_reads_as_no_alias():
    missing = MlflowException("Registered Model with name=x not found", RESOURCE_DOES_NOT_EXIST)
    assert tracking._alias_version(Client(missing), "x", "champion") is None
    down = MlflowException("try again later", TEMPORARILY_UNAVAILABLE)
    with pytest.raises(MlflowException, match="try again later"):
        tracking._alias_version(Client(down), "x", "champion")
    with pytest.raises(OSError):
        tracking._alias_version(Client(OSError("network unreachable")), "x", "champion")
