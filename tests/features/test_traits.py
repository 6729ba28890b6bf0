"""Manual traits are declared once, in config/traits.toml; validation, features, health and the
form all follow that declaration."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from features import contract, health, pipeline
from features.catalog import load_catalog
from features.ingest import ingest
from features.paths import FEATURES_CONFIG
from features.settings import load_settings
from features.traits import load_traits
from features.warehouse import connect
from features.writeback import validate
from tests.conftest import quiet
from tests.fixtures import AS_OF, tiny_tables, write_source

EXTRA = '''
[[traits]]
name = "exec_sponsor"
label = "Executive sponsor"
values = { engaged = 10, distant = 4, absent = 0 }
stale_days = 120
feature = "exec_sponsor_score"
unit = "score"
description = "Executive sponsor ({scale})"
age_feature = "exec_sponsor_age_days"
age_description = "Days since the executive sponsor was last assessed"
'''


@pytest.fixture
def config_with_extra_trait(tmp_path):
    cfg = tmp_path / "config"
    shutil.copytree(FEATURES_CONFIG, cfg)
    with open(cfg / "traits.toml", "a") as f:
        f.write(EXTRA)
    return cfg


def test_the_form_gets_names_labels_and_values_in_declared_order():
    specs = load_traits()
    assert [(t.name, t.label, t.values) for t in specs] == [
        ("pulse", "CSM pulse", ("healthy", "concerning", "poor")),
        ("champion", "Active champion", ("yes", "no")),
        ("buyer_access", "Access to buyer", ("yes", "no"))]
    assert contract.TRAIT_VALUES == {t.name: t.values for t in specs}  # the old name, derived


def test_aliases_are_read_as_their_value():
    champion = next(t for t in load_traits() if t.name == "champion")
    assert [champion.canonical(v) for v in ("Yes", " true ", "1", "0", "maybe")] == ["yes", "yes", "yes", "no", None]
    validate({"champion": "TRUE"}, None, "sam")
    with pytest.raises(ValueError, match="'maybe' is not a champion value: expected one of yes, no"):
        validate({"champion": "maybe"}, None, "sam")


def test_an_alias_in_the_source_loads_and_scores_as_its_value(tmp_path):
    tables = tiny_tables()
    tables["traits"].append({"account_id": "A", "as_of": "2026-03-02 00:00:00", "trait": "buyer_access", "value": "TRUE"})
    db = tmp_path / "w.duckdb"
    ingest(write_source(tmp_path / "src", tables), db, progress=quiet)
    with connect(db) as con:
        assert con.execute("select count(*) from quarantine").fetchone()[0] == 0
        frame, _ = pipeline.build(con, dt.date.fromisoformat(AS_OF), progress=quiet)
    assert frame["buyer_access"].tolist() == [1]


def test_a_trait_added_to_traits_toml_is_validated_featured_catalogued_and_scored(config_with_extra_trait, tmp_path):
    specs = load_traits(config_with_extra_trait / "traits.toml")
    tables = tiny_tables()
    tables["traits"] += [
        {"account_id": "A", "as_of": "2026-03-10 00:00:00", "trait": "exec_sponsor", "value": "Distant"},
        {"account_id": "A", "as_of": "2026-03-11 00:00:00", "trait": "exec_sponsor", "value": "gone"},
    ]
    db = tmp_path / "w.duckdb"
    ingest(write_source(tmp_path / "src", tables), db, progress=quiet, traits=specs, accept_quarantine=True)
    with connect(db) as con:
        reasons = [r[0] for r in con.execute("select reason from quarantine").fetchall()]
        frame, features = pipeline.build(con, dt.date.fromisoformat(AS_OF),
                                         settings=load_settings(config_with_extra_trait), progress=quiet)
    assert reasons == ["invalid exec_sponsor value: gone"]
    a = frame.iloc[0]
    assert (a.exec_sponsor_score, a.exec_sponsor_age_days) == (4, 21)
    declared = {f.name: f for f in features}
    assert declared["exec_sponsor_score"].description == "Executive sponsor (engaged 10, distant 4, absent 0)"
    assert "exec_sponsor_age_days" in declared and "exec_sponsor_score" in load_catalog(traits=specs)

    toml = config_with_extra_trait / "health.toml"
    toml.write_text(toml.read_text().replace('{ trait = "pulse" },', '{ trait = "pulse" },\n  { trait = "exec_sponsor" },'))
    h = health.score(frame, health.load_config(toml, traits=specs)).iloc[0]
    assert h.trait_exec_sponsor_score == 40  # distant: 4 on a scale from absent 0 to engaged 10


def test_the_shipped_config_declares_no_trait_feature_twice():
    features = [f for t in load_traits() for f in (t.feature, t.age_feature)]
    assert len(features) == len(set(features))
    assert not set(features) & set(load_catalog(traits=()))  # catalog.toml leaves them to traits.toml
