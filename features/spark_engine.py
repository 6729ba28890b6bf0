"""`radar features --engine spark`: the same feature SQL on Apache Spark, for portfolios one DuckDB
file cannot build.

Spark reads the source folder (the contract's files: Parquet files or folders, or CSV) itself,
runs every SQL file under sql/ transpiled from DuckDB's dialect (features/transpile.py), and
writes a folder the warehouse loads (features/spark_folder.py; `radar features --from PATH`):
the features partitioned by as_of, the marts, the catalog and a manifest.

Everything after the features (health, model, scores, portal) stays on one machine.
pyspark is imported here only, and only when a session is needed: `local[*]` by default,
`master` for a cluster, or Spark Connect when SPARK_REMOTE is set. Nothing is downloaded at run
time (no Spark packages). A Spark run builds every date; incremental builds are DuckDB's.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import duckdb
import pandas as pd

from features import contract, inputs, spark_folder
from features.assemble import KEYS, Layout, layout
from features.catalog import load_catalog
from features.contract import Table
from features.inputs import SOURCES, month_ends, register_inputs, run_params
from features.runner import BaseRunner, SqlModel
from features.settings import PipelineSettings, load_settings
from features.transpile import to_spark

# DuckDB's type names (the contract's, the registered inputs') in Spark's spelling
SPARK_TYPES = {"varchar": "string", "timestamp": "timestamp_ntz", "date": "date", "double": "double",
               "bigint": "bigint", "integer": "int"}
DUCKDB_TYPES = {"StringType": "VARCHAR", "DoubleType": "DOUBLE", "LongType": "BIGINT", "IntegerType": "INTEGER",
                "DateType": "DATE", "TimestampType": "TIMESTAMP", "TimestampNTZType": "TIMESTAMP",
                "BooleanType": "BOOLEAN", "FloatType": "FLOAT", "ShortType": "SMALLINT", "ByteType": "TINYINT"}
PAGE_SIZE = "4m"
LOCAL_PARTITIONS_PER_CORE = 4
TRAIT_EDITS = (("account_id", "varchar"), ("trait", "varchar"), ("value", "varchar"),
               ("edited_by", "varchar"), ("edited_at", "timestamp"))


def session(master: str | None = None, conf: Mapping[str, str] | None = None):
    """A SparkSession: Spark Connect at $SPARK_REMOTE when set, else `master` (default local[*]).
    `conf` overrides the settings chosen here."""
    from pyspark.sql import SparkSession
    builder = SparkSession.builder.appName("account-radar-features")
    remote = os.environ.get("SPARK_REMOTE") if not master else None
    # timestamps are wall-clock times (DuckDB's TIMESTAMP); no session zone may shift them
    settings = {"spark.sql.session.timeZone": "UTC", "spark.sql.timestampType": "TIMESTAMP_NTZ"}
    if remote:  # a Connect server's memory and parallelism are its own
        builder = builder.remote(remote)
    else:
        master = master or "local[*]"
        builder = builder.master(master)
        settings["spark.ui.enabled"] = "false"
        settings["spark.ui.showConsoleProgress"] = "false"  # `radar` says what it builds; bars fill logs
        # the feature table joins some twenty aggregates in one stage, each taking a memory page
        # when it starts; Spark's default page (up to 64 MB) exhausts a task's share at about 16
        settings["spark.buffer.pageSize"] = PAGE_SIZE
        if master.startswith("local"):
            settings["spark.driver.memory"] = os.environ.get("RADAR_SPARK_DRIVER_MEMORY", "4g")
            # a few shuffle partitions per core, not Spark's 200: the run has hundreds of stages,
            # and 200 tasks each made it 5x slower on 2 cores (docs/scale.md)
            settings["spark.sql.shuffle.partitions"] = str(LOCAL_PARTITIONS_PER_CORE * local_cores(master))
    settings |= dict(conf or {})
    for k, v in settings.items():
        builder = builder.config(k, v)
    return builder.getOrCreate()


def local_cores(master: str) -> int:
    """The cores a local master uses: local, local[N], local[N,F] or local[*]."""
    inside = master.partition("[")[2].partition("]")[0].split(",")[0]
    return int(inside) if inside.isdigit() else (1 if master == "local" else os.cpu_count() or 1)


class SparkRunner(BaseRunner):
    """Builds the SQL models on a SparkSession as temporary views; tables, grains and marts are
    cached (executor memory, spilling to disk) when first computed, because several models read them."""
    engine = "spark"

    def __init__(self, spark, sources: Iterable[str] = (), params: Mapping[str, object] | None = None,
                 models: Mapping[str, SqlModel] | None = None):
        super().__init__(sources, params, models)
        self.spark = spark

    def provide(self, name: str, sql: str, params: Sequence | None = None) -> None:
        self.spark.sql(to_spark(sql), args=list(params or [])).createOrReplaceTempView(name)
        self.inputs.add(name)

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(to_spark(sql)).collect()]

    def query_df(self, sql: str):
        return self.spark.sql(to_spark(sql)).toPandas()

    def columns(self, name: str) -> list[tuple[str, str]]:
        return [(f.name, DUCKDB_TYPES.get(type(f.dataType).__name__, f.dataType.simpleString().upper()))
                for f in self.spark.table(name).schema.fields]

    def _register(self, name: str, columns: list[tuple[str, str]], rows: list[list]) -> None:
        schema = ", ".join(f"`{c}` {SPARK_TYPES[t.lower()]}" for c, t in columns)
        kinds = [{"double": float, "bigint": int, "integer": int}.get(t.lower()) for _, t in columns]
        rows = [[v if v is None or k is None else k(v) for v, k in zip(r, kinds)] for r in rows]
        self.spark.createDataFrame(rows, schema=schema).createOrReplaceTempView(name)

    def _materialise(self, m: SqlModel, values: dict[str, object]) -> None:
        from pyspark.sql import functions as F
        # dates as ISO text cast back (py4j cannot pass a year before 1000, the beginning of time)
        values = {k: F.expr(f"DATE'{v.isoformat()}'") if isinstance(v, dt.date) else v for k, v in values.items()}
        df = self.spark.sql(to_spark(m.sql), args=values)
        df.createOrReplaceTempView(m.name)
        if m.kind != "view":  # computed once, when first needed; later plans read the cached rows
            self.spark.sql(f"cache lazy table `{m.name}`")


def read_sources(spark, folder: Path, trait_edits: pd.DataFrame | None = None,
                 data_end: dt.date | None = None) -> set[str]:
    """Register every contract table of `folder` as a temporary view, typed as the contract says,
    without the rows the ingest would quarantine for a reason the features depend on (a missing
    required value, a number that is negative or not finite, a time before the floor or, with
    `data_end`, a thing that happened after it, an inverted pair of dates, an unknown account, a
    repeated id, a trait value the declaration refuses). Text the ingest would still parse (dates
    like 03/31/2026, amounts like $1,200) is null here: give Spark typed files (Parquet).
    Returns what is loaded, as `pipeline.available_sources` names it."""
    from features.ingest.settings import load_ingest_settings
    from features.traits import load_traits
    rules = load_ingest_settings()
    have: set[str] = set()
    for t in contract.TABLES:
        df, present = _read_table(spark, Path(folder), t, rules.integer_id_digits)
        if present:
            have |= {t.name} | {f"{t.name}.{c}" for c in present}
        df.createOrReplaceTempView(f"raw_{t.name}")
    values = [(s.name, v) for s in load_traits() for _, v, _ in s.score_rows()]
    spark.createDataFrame(values or [("", "")], "trait string, value string").createOrReplaceTempView("trait_values_known")
    for t in contract.TABLES:
        spark.sql(_valid_rows(t, rules.floor, data_end)).createOrReplaceTempView(t.name)
        spark.sql(f"cache lazy table `{t.name}`")  # read once from the files, whatever reads it after
    edits = trait_edits if trait_edits is not None else pd.DataFrame(columns=[c for c, _ in TRAIT_EDITS])
    rows = [tuple(None if pd.isna(v) else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for v in r)
            for r in edits[[c for c, _ in TRAIT_EDITS]].itertuples(index=False)]
    spark.createDataFrame(rows, ", ".join(f"`{c}` {SPARK_TYPES[t]}" for c, t in TRAIT_EDITS)) \
        .createOrReplaceTempView("trait_edits")
    if rows:
        have.add("traits")
    return have


def _read_table(spark, folder: Path, t: Table, id_digits: int = 0):
    """The table's file as a DataFrame of the contract's columns (typed; null where absent), and
    the columns the file has. An integer id is its digits, zero-padded to `id_digits` (as the
    ingest writes it)."""
    from pyspark.sql import functions as F
    found = next((p for p in (folder / f"{t.name}.parquet", folder / f"{t.name}.csv") if p.exists()), None)
    if found is None:
        schema = ", ".join(f"`{c}` {SPARK_TYPES[typ]}" for c, typ in t.columns)
        return spark.createDataFrame([], schema).withColumn("_row", F.lit(0).cast("bigint")), []
    raw = (spark.read.parquet(str(found)) if found.suffix == ".parquet"
           else spark.read.option("header", True).option("encoding", "UTF-8").csv(str(found)))
    names = {c.strip().lower(): c for c in raw.columns}
    cols = []
    for c, typ in t.columns:
        if c not in names:
            cols.append(F.lit(None).cast(SPARK_TYPES[typ]).alias(c))
            continue
        value, raw_type = F.col(f"`{names[c]}`"), dict(raw.dtypes)[names[c]]
        if c in contract.ID_COLUMNS and id_digits and raw_type in ("bigint", "int", "smallint", "tinyint"):
            digits = f"cast(`{names[c]}` as string)"
            value = F.expr(f"case when `{names[c]}` >= 0 and length({digits}) < {id_digits} "
                           f"then lpad({digits}, {id_digits}, '0') else {digits} end")
        elif raw_type == "string":
            value = F.expr(f"try_cast(nullif(trim(`{names[c]}`), '') as {SPARK_TYPES[typ]})")
        cols.append(value.cast(SPARK_TYPES[typ]).alias(c))
    return raw.select(*cols, F.monotonically_increasing_id().alias("_row")), [c for c, _ in t.columns if c in names]


def _valid_rows(t: Table, floor: dt.date, data_end: dt.date | None) -> str:
    """Spark SQL keeping the rows of raw_<table> the ingest would load (see `read_sources`).
    Joins rather than IN subqueries: Spark 4.3 loses a column of an IN subquery's table when a
    later query reads the view twice."""
    cols = ", ".join(f"r.`{c}`" for c, _ in t.columns)
    checks = [f"r.`{c}` is not null" for c, _ in t.required if c not in t.may_be_empty]
    checks += ["(" + " or ".join(f"r.`{c}` is not null" for c in group) + ")" for group in t.one_of]
    checks += [f"(r.`{c}` is null or (not isnan(r.`{c}`) and abs(r.`{c}`) < cast('Infinity' as double)))"
               for c, typ in t.columns if typ == "double"]
    checks += [f"(r.`{c}` is null or r.`{c}` >= 0)" for c in t.non_negative]
    checks += [f"(r.`{c}` is null or cast(r.`{c}` as date) >= DATE'{floor.isoformat()}')"
               for c, typ in t.columns if typ in ("date", "timestamp")]
    if data_end is not None:  # what the ingest quarantines as happened after the data end
        checks += [f"cast(r.`{c}` as date) <= DATE'{data_end.isoformat()}'" for c in t.happened]
    checks += [f"(r.`{b}` is null or r.`{a}` is null or r.`{b}` >= r.`{a}`)" for a, b in t.ordered]
    joins = []
    if t.name != "accounts":
        joins.append("left semi join accounts as a on a.account_id = r.account_id")
    if t.name == "traits":
        joins.append("left join (select distinct trait from trait_values_known) as d on d.trait = lower(r.trait)")
        joins.append("left join trait_values_known as v on v.trait = lower(r.trait) and v.value = lower(r.value)")
        checks.append("(d.trait is null or v.trait is not null)")
    body = f"select {cols}, r._row from raw_{t.name} as r {' '.join(joins)} where {' and '.join(checks) or 'true'}"
    if t.key:  # the first row of a repeated id, as the ingest keeps it
        body = (f"select * from (select *, min(_row) over (partition by `{t.key}`) as _first from ({body})) "
                f"where _row = _first")
    names = ", ".join(f"`{c}`" for c, _ in t.columns)
    if t.name == "contracts":  # one money column downstream: annual recurring revenue
        names = names.replace("`arr`", "coalesce(`arr`, `mrr` * 12) as `arr`")
    return f"select {names} from ({body})"


@dataclass(frozen=True)
class Built:
    """A Spark run's outputs, still lazy: the feature rows and the marts, with their layout."""
    features: object  # pyspark DataFrame
    marts: dict[str, object]
    layout: Layout
    dates: tuple[dt.date, ...]
    data_end: dt.date


def build(spark, source: Path, data_end: dt.date | None = None, as_of: dt.date | None = None,
          trait_edits: pd.DataFrame | None = None, settings: PipelineSettings | None = None,
          progress=print) -> Built:
    """Run the feature SQL on Spark over the contract files in `source`: every observation date
    (month ends after the warm-up, and the data end), or `as_of` only. `data_end` (a warehouse's:
    what its ingest recorded) also leaves out what happened after it, as the ingest does; it
    defaults to the latest event, ticket or touchpoint."""
    from features.pipeline import FAMILIES
    s = settings or load_settings()
    t0 = time.perf_counter()
    have = read_sources(spark, Path(source), trait_edits, data_end)
    first, last = spark.sql("select cast(min(occurred_at) as date), cast(max(occurred_at) as date) from events").collect()[0]
    end = data_end or spark.sql(
        "select cast(greatest((select max(occurred_at) from events), (select max(opened_at) from tickets), "
        "(select max(occurred_at) from touchpoints)) as date)").collect()[0][0] or last or dt.date.today()
    dates = [as_of] if as_of else month_ends(first, end, s.warmup_days)
    runner = SparkRunner(spark, sources=SOURCES, params=run_params(s, end, None, dates))
    register_inputs(runner, dates, first, s)
    lay = layout(runner, s, load_catalog(traits=s.traits), have, FAMILIES)
    for note in lay.notes:
        progress(f"  {note}")
    names = sorted(n for n, m in runner.models.items() if m.kind == "mart")
    runner.build(*names)
    where = f"Spark Connect at {os.environ['SPARK_REMOTE']}" if _is_connect(spark) else f"Spark {spark.version}"
    progress(f"  planned on {where} ({len(dates)} dates) {time.perf_counter() - t0:5.1f}s")
    return Built(spark.sql(to_spark(lay.sql)), {n: spark.table(n) for n in names}, lay, tuple(dates), end)


def _is_connect(spark) -> bool:
    """Whether `spark` is a Spark Connect client (the classic session runs the JVM in this process)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def run(con: duckdb.DuckDBPyConnection, out: Path, master: str | None = None, as_of: dt.date | None = None,
        progress=print, spark=None) -> pd.DataFrame:
    """The whole Spark path for a warehouse: read the source folder its last ingest loaded, build
    on Spark with the warehouse's data end and trait edits, write `out`, load it. Returns the
    feature rows."""
    row = con.execute("select source_dir from ingest_runs order by finished_at desc limit 1").fetchall()
    if not row or not Path(row[0][0]).is_dir():
        raise FileNotFoundError(f"the warehouse's last ingest read {row[0][0] if row else 'nothing'}, which is not "
                                "a folder here; Spark reads the source files themselves")
    edits = con.execute("select * from trait_edits").df()
    own = spark is None
    spark = spark or session(master)
    try:
        built = build(spark, Path(row[0][0]), inputs.data_end(con), as_of, edits, progress=progress)
        spark_folder.write(built, Path(out), progress)
    finally:
        if own:
            spark.stop()
    return spark_folder.load(con, Path(out), as_of, progress)


__all__ = ["session", "SparkRunner", "read_sources", "build", "run", "KEYS"]
