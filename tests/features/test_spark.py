"""The same feature SQL on Spark: transpiled from the files DuckDB runs, and giving the same
features, value for value. One local SparkSession serves every test here."""
from __future__ import annotations

import ast
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import pipeline
from features.ingest import ingest
from features.inputs import data_end
from features.runner import load_models
from features.transpile import decimal_literals, to_spark
from features.warehouse import connect
from tests.conftest import quiet
from tests.fixtures import tiny_tables, write_source

ROOT = Path(__file__).resolve().parents[2]
MARTS = {"user_activity": ["account_id", "user_id"], "recent_activity": ["account_id", "event_type"],
         "adoption_personas": ["account_id", "as_of", "persona"],
         "adoption_workflows": ["account_id", "as_of", "workflow"]}


def assert_agree(duck: pd.DataFrame, spark: pd.DataFrame, keys: list[str], what: str) -> None:
    """Same columns in the same order, same rows, numbers within 1e-9, text and nulls equal."""
    assert list(spark.columns) == list(duck.columns), what
    a = duck.sort_values(keys, ignore_index=True)
    b = spark.sort_values(keys, ignore_index=True)
    assert len(a) == len(b), f"{what}: {len(a)} rows in DuckDB, {len(b)} on Spark"
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            x, y = x.astype(float).to_numpy(), y.astype(float).to_numpy()
            assert np.array_equal(np.isnan(x), np.isnan(y)), f"{what}.{col}: nulls differ"
            assert np.allclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True), \
                f"{what}.{col}: largest difference {np.nanmax(np.abs(x - y))}"
        else:
            same = (x.astype(object) == y.astype(object)) | (x.isna() & y.isna())
            assert same.all(), f"{what}.{col}: {x[~same].head(3).tolist()} vs {y[~same].head(3).tolist()}"


def test_every_feature_sql_file_has_a_spark_form_with_named_parameters():
    for name, m in load_models().items():
        spark_sql = to_spark(m.sql)
        assert "$" not in spark_sql.split("*/")[-1], name  # comments keep their text; the SQL binds :name
        assert all(f":{p}" in spark_sql for p in m.params), name


def test_no_feature_sql_file_divides_by_a_decimal_literal():
    """`x * 1.0 / y` is DOUBLE in DuckDB and DECIMAL in Spark; the files cast instead."""
    assert {n: decimal_literals(m.sql) for n, m in load_models().items() if decimal_literals(m.sql)} == {}
    assert decimal_literals("select a * 1.0 / b from t") == ["1.0"]  # the check itself finds one
    assert decimal_literals("select a / cast(30.4375 as double) from t") == []  # and lets a cast one be


def test_only_the_spark_engine_imports_pyspark_and_only_when_it_runs():
    importers = []
    for path in sorted((ROOT / "features").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "pyspark" for n in names):
                importers.append((path.name, node.col_offset > 0))
    assert importers and {p for p, _ in importers} == {"spark_engine.py"}
    assert all(inside for _, inside in importers)  # inside functions: nothing at import time
    code = "import sys, features.spark_engine, features.pipeline; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
    # nor does `radar --help` or `radar features --help`
    for argv in (["--help"], ["features", "--help"]):
        code = ("import contextlib, io, sys\nfrom radar import cli\nwith contextlib.redirect_stdout(io.StringIO()):\n"
                f"    try: cli.main({argv!r})\n    except SystemExit: pass\n"
                "print('pyspark' in sys.modules, 'sqlglot' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        assert out.stdout.strip() == "False False", argv
    # loading a folder Spark wrote (radar features --from) needs neither pyspark nor sqlglot
    code = "import sys, features.spark_folder; print('pyspark' in sys.modules, 'sqlglot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False False"


def test_the_spark_engine_says_what_to_install_when_pyspark_is_missing(tiny_db, monkeypatch, capsys):
    import importlib.util
    from radar import cli
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    assert cli.main(["features", "--db", str(tiny_db), "--engine", "spark"]) == 1
    assert "--engine spark needs pyspark: pip install '.[spark]' (and Java 17)" in capsys.readouterr().err


def test_a_spark_run_refuses_a_warehouse_whose_source_folder_is_gone(tiny_db, tiny_source, tmp_path):
    from features.spark_engine import run
    shutil.rmtree(tiny_source)
    with connect(tiny_db) as con, pytest.raises(FileNotFoundError, match="Spark reads the source files"):
        run(con, tmp_path / "out")


class FakeBuilder:
    """Records what `session` asks of SparkSession.builder."""
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name, *args))
            return self
        return call


@pytest.mark.parametrize("remote, master, expected", [
    ("sc://spark-connect:15002", None, ("remote", "sc://spark-connect:15002")),
    ("sc://spark-connect:15002", "spark://host:7077", ("master", "spark://host:7077")),  # --master wins
    (None, None, ("master", "local[*]")),
])
def test_a_session_goes_to_spark_connect_when_spark_remote_is_set(remote, master, expected, monkeypatch):
    pytest.importorskip("pyspark")
    import pyspark.sql
    from features.spark_engine import session
    builder = FakeBuilder()
    monkeypatch.setattr(pyspark.sql, "SparkSession", type("FakeSession", (), {"builder": builder}))
    if remote:
        monkeypatch.setenv("SPARK_REMOTE", remote)
    else:
        monkeypatch.delenv("SPARK_REMOTE", raising=False)
    session(master)
    assert expected in builder.calls
    assert ("config", "spark.sql.session.timeZone", "UTC") in builder.calls
    # a Connect server's memory is its own: no static settings sent there
    sent = {c[1]: c[2] for c in builder.calls if c[0] == "config"}
    assert ("spark.buffer.pageSize" in sent) == (expected[0] == "master")
    local = expected == ("master", "local[*]")
    assert sent.get("spark.sql.shuffle.partitions") == (str(4 * (os.cpu_count() or 1)) if local else None)


def test_a_local_master_says_how_many_cores_it_uses():
    from features.spark_engine import local_cores
    assert [local_cores(m) for m in ("local", "local[3]", "local[2,4]")] == [1, 3, 2]
    assert local_cores("local[*]") == (os.cpu_count() or 1)


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from features.spark_engine import session
    # tiny data: one shuffle partition, no adaptive re-planning or code generation per stage
    s = session("local[2]", {"spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "2",
                             "spark.sql.adaptive.enabled": "false", "spark.sql.codegen.wholeStage": "false"})
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def test_spark_and_duckdb_agree_on_the_tiny_fixture_and_leave_out_what_the_ingest_quarantines(spark, tmp_path):
    from features.spark_engine import build
    tables = tiny_tables()
    # kept: an evergreen contract (no end date) brings B back; left out: an event before the
    # floor, a touchpoint after the data end (2026-03-31, the latest event)
    tables["contracts"].append({"contract_id": "c4", "account_id": "B", "start_date": "2026-03-01",
                                "end_date": "", "arr": "6000", "seats": "4"})
    tables["events"].append({"account_id": "A", "user_id": "u1", "occurred_at": "1970-01-01 00:00:00",
                             "event_type": "login"})
    tables["touchpoints"].append({"account_id": "A", "occurred_at": "2026-04-05 10:00:00", "kind": "qbr"})
    src, db = write_source(tmp_path / "src", tables), tmp_path / "tiny.duckdb"
    ingest(src, db, progress=quiet, accept_quarantine=True)
    with connect(db) as con:
        assert con.execute("select count(*) from quarantine").fetchall()[0][0] == 2
        duck, _ = pipeline.build(con, progress=quiet)
        end, edits = data_end(con), con.execute("select * from trait_edits").df()
    built = build(spark, src, end, trait_edits=edits, progress=quiet)
    on_spark = built.features.toPandas().astype({"as_of": "datetime64[us]"})
    assert_agree(duck, on_spark, ["account_id", "as_of"], "tiny features")
    assert set(duck.loc[duck["as_of"] == pd.Timestamp(end), "account_id"]) == {"A", "B"}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small generated portfolio (15 accounts, 9 months) ingested and built by DuckDB."""
    from features.sample.generate import generate
    root = tmp_path_factory.mktemp("spark_sample")
    generate(root / "src", accounts=15, months=9, end=dt.date(2026, 6, 30), seed=5, fmt="parquet", progress=quiet)
    db = root / "duck.duckdb"
    ingest(root / "src", db, progress=quiet)
    with connect(db) as con:
        pipeline.run(con, progress=quiet)
    return root, db


def test_spark_and_duckdb_agree_on_a_small_sample_through_the_folder_it_writes(spark, small):
    from features.spark_engine import run
    from radar import cli
    root, db = small
    loaded = root / "spark.duckdb"
    shutil.copy(db, loaded)
    with connect(loaded) as con:
        run(con, root / "out", spark=spark, progress=quiet)  # builds on Spark, writes, loads
    shutil.copy(db, root / "from.duckdb")  # the same folder through `radar features --from`
    assert cli.main(["features", "--db", str(root / "from.duckdb"), "--from", str(root / "out")]) == 0
    with connect(db, read_only=True) as duck, connect(loaded, read_only=True) as on_spark, \
            connect(root / "from.duckdb", read_only=True) as from_cli:
        for table, keys in {"features": ["account_id", "as_of"], **MARTS}.items():
            expected = duck.execute(f"select * from {table}").df()
            assert_agree(expected, on_spark.execute(f"select * from {table}").df(), keys, table)
            assert_agree(expected, from_cli.execute(f"select * from {table}").df(), keys, f"{table} (--from)")
        assert len(expected) > 0
        assert (duck.execute("select * from feature_catalog").df()
                .equals(on_spark.execute("select * from feature_catalog").df()))
        dates = [r[0] for r in duck.execute("select distinct as_of from features order by 1").fetchall()]
    assert sorted(p.name for p in (root / "out" / "features").glob("as_of=*")) == [f"as_of={d}" for d in dates]


def test_the_churn_labels_sql_runs_on_spark_and_finds_the_same_churns(spark, tiny_source, tiny_db):
    """model/sql/churn_events.sql need not run on Spark, but nothing in it is DuckDB's alone."""
    from pyspark.sql import functions as F
    from features.spark_engine import read_sources
    from model import labels
    with connect(tiny_db, read_only=True) as con:
        expected = labels.churn_events(con, dt.date(2026, 3, 31), 30)
    assert expected["account_id"].tolist() == ["B"]  # ended 2026-01-31, nothing started within 30 days
    read_sources(spark, tiny_source)
    sql = to_spark((labels.SQL / "churn_events.sql").read_text())
    got = spark.sql(sql, args={"cutoff": F.expr("DATE'2026-03-31'"), "grace_days": 30}).toPandas()
    assert_agree(expected, got.astype({"churn_date": expected["churn_date"].dtype}), ["account_id"], "churns")


def test_radar_features_runs_through_spark_connect_when_spark_remote_is_set(tiny_source, tiny_db, tmp_path):
    """SPARK_REMOTE reaches a Spark Connect server: here `local[2]`, a Connect server pyspark starts
    in a JVM of its own, spoken to over gRPC as a cluster's would be (the client is pyspark's
    Connect session, not the classic one). The command runs as a user runs it, in a process of its
    own, and its features equal DuckDB's."""
    pytest.importorskip("pyspark.sql.connect.session")
    pytest.importorskip("grpc")  # pip install .[spark]: pyspark[connect]
    shutil.copy(tiny_db, tmp_path / "duck.duckdb")
    with connect(tmp_path / "duck.duckdb") as con:
        pipeline.run(con, progress=quiet)
        expected = con.execute("select * from features").df()
    db = tmp_path / "connect.duckdb"
    shutil.copy(tiny_db, db)
    conf = tmp_path / "spark-conf"  # the server's own settings, as a cluster's are: sized for tiny data
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text("spark.sql.shuffle.partitions 1\nspark.default.parallelism 2\n"
                                              "spark.sql.adaptive.enabled false\nspark.sql.codegen.wholeStage false\n"
                                              "spark.ui.enabled false\n")
    env = os.environ | {"SPARK_REMOTE": "local[2]", "SPARK_CONF_DIR": str(conf)}
    run = subprocess.run([sys.executable, "-m", "radar", "features", "--db", str(db), "--engine", "spark",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "Spark Connect" in run.stdout, run.stdout[-2000:]
    with connect(db, read_only=True) as con:
        assert_agree(expected, con.execute("select * from features").df(), ["account_id", "as_of"], "features")
