"""Materialise SQL files in the order their headers give, each one once per run.

Every file under sql/ opens with a header of `--` lines:

    -- grain: one row per (account_id, as_of) in the spine
    -- reads: spine, user_days, obs_dates
    -- kind: table

`reads` names every table the file selects from: other SQL files (by file name, without .sql)
or the run's inputs (source tables and the parameter tables registered from typed config).
`kind` says what the file becomes:

- `view`: a temporary view; `table` (the default): a temporary table;
- `grain by COLUMN`: a day grain an incremental build keeps between builds (schema
  `feature_state`): a full build rewrites it, an incremental one replaces the rows whose COLUMN
  is after `$since`, so the file must read only such rows;
- `mart` / `mart by as_of`: a table the warehouse keeps for the portal, built here as a temporary
  table and published by the caller (whole, or only the dates a build replaces);
- `query`: run by a caller with its own parameters; the runner leaves it alone.

Values come in as bound parameters (`$name`), never as text pasted into the SQL. The same
files run on Spark (features/spark_engine.py), transpiled by sqlglot.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import duckdb

SQL_ROOT = Path(__file__).parent / "sql"
KINDS = ("view", "table", "grain", "mart", "query")
STATE_SCHEMA = "feature_state"  # where kept grains live in the warehouse
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*|'(?:[^']|'')*'")  # comments and string literals hold no parameters


class RunnerError(Exception):
    """A SQL file or a run is not well formed; the message names the file and the fix."""


@dataclass(frozen=True)
class SqlModel:
    """One SQL file: what it is called, what it reads, what it becomes, and its text."""
    name: str
    path: Path
    kind: str
    grain: str
    reads: tuple[str, ...]
    sql: str
    by: str | None = None  # for `grain by` / `mart by`: the column an incremental build replaces by

    @property
    def where(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def params(self) -> tuple[str, ...]:
        """The bound parameters (`$name`) the file uses, in order of first use."""
        text = _COMMENT.sub("", self.sql)
        return tuple(dict.fromkeys(_PARAM.findall(text)))


def parse(path: Path) -> SqlModel:
    """Read one file and its header; raise RunnerError when the header lacks grain or kind is unknown."""
    text = Path(path).read_text()
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        body = line[2:].strip()
        m = re.match(r"([a-z_]+):\s*(.*)", body)
        if m:  # grain, reads, kind; other `name:` lines are notes for the reader
            key = m.group(1)
            header[key] = m.group(2)
        elif key == "grain":  # a grain may run on over the next comment lines
            header[key] += " " + body
    where = f"{path.parent.name}/{path.name}"
    if "grain" not in header:
        raise RunnerError(f"{where}: the header must say its grain (-- grain: one row per ...)")
    words = header.get("kind", "").split()
    kind = words[0] if words else "table"
    if kind not in KINDS:
        raise RunnerError(f"{where}: kind '{kind}' is not one of {', '.join(KINDS)}")
    by = words[2] if len(words) > 2 and words[1] == "by" else None
    if kind == "grain" and by is None:
        raise RunnerError(f"{where}: a grain names the column an incremental build replaces by "
                          f"(-- kind: grain by event_date)")
    if by is not None and kind not in ("grain", "mart"):
        raise RunnerError(f"{where}: only a grain or a mart is replaced `by` a column")
    reads = tuple(r.strip() for r in header.get("reads", "").split(",") if r.strip())
    return SqlModel(path.stem, Path(path), kind, header["grain"], reads, text, by)


def load_models(root: Path = SQL_ROOT) -> dict[str, SqlModel]:
    """Every SQL file below `root` that the runner materialises (kind `query` files are skipped),
    by name. Refuses two files of one name, and a file whose SQL reads a table its header does
    not list (or lists one it never reads)."""
    paths = sorted(Path(root).rglob("*.sql"))
    return dict(_load(tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in paths)))


@lru_cache(maxsize=16)
def _load(files: tuple[tuple[Path, int, int], ...]) -> tuple[tuple[str, SqlModel], ...]:
    """load_models for these files as they are now (a file that changes is read again)."""
    models: dict[str, SqlModel] = {}
    parser = duckdb.connect()
    try:
        for path, _, _ in files:
            m = parse(path)
            if m.kind == "query":
                continue
            if m.name in models:
                raise RunnerError(f"{m.where} and {models[m.name].where}: two SQL files named '{m.name}'")
            check_reads(parser, m)
            models[m.name] = m
    finally:
        parser.close()
    return tuple(models.items())


def tables_read(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """The tables a statement selects from (its CTEs left out), by DuckDB's own parser."""
    tree = json.loads(con.execute("select json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise RunnerError(tree.get("error_message", "the SQL does not parse"))
    tables, ctes = set(), set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE":
                tables.add(node["table_name"].lower())
            for entry in node.get("cte_map", {}).get("map", []) if isinstance(node.get("cte_map"), dict) else []:
                ctes.add(entry["key"].lower())
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return tables - ctes


def check_reads(con: duckdb.DuckDBPyConnection, m: SqlModel) -> None:
    try:
        used = tables_read(con, m.sql)
    except RunnerError as e:
        raise RunnerError(f"{m.where}: {e}") from None
    declared = set(m.reads)
    if undeclared := sorted(used - declared):
        raise RunnerError(f"{m.where} reads {', '.join(undeclared)} but its header does not list "
                          f"{'it' if len(undeclared) == 1 else 'them'}: add to `-- reads: {', '.join(m.reads)}`")
    if unused := sorted(declared - used):
        raise RunnerError(f"{m.where} lists {', '.join(unused)} in `-- reads:` but never reads "
                          f"{'it' if len(unused) == 1 else 'them'}")


def plan(models: Mapping[str, SqlModel], targets: Sequence[str], inputs: Iterable[str]) -> list[SqlModel]:
    """The models `targets` need, each after everything it reads (depth first, in header order).
    Raises RunnerError for a read that is neither a model nor an input, and for a cycle."""
    inputs = set(inputs)
    order: list[SqlModel] = []
    state: dict[str, str] = {}  # name -> "visiting" | "done"

    def visit(name: str, path: list[str]) -> None:
        if name in inputs or state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = path[path.index(name):] + [name]
            raise RunnerError(f"the SQL files read each other in a cycle: {' -> '.join(cycle)}")
        m = models.get(name)
        if m is None:
            who = f"{models[path[-1]].where} reads" if path else "asked for"
            raise RunnerError(f"{who} '{name}', which no SQL file makes and the run does not provide "
                              f"as an input")
        state[name] = "visiting"
        for r in m.reads:
            visit(r, path + [name])
        state[name] = "done"
        order.append(m)

    for t in targets:
        visit(t, [])
    return order


@dataclass(frozen=True)
class Keep:
    """Grains are kept in the warehouse: rebuilt whole (`since` None) or after `since` only."""
    since: dt.date | None = None


class BaseRunner:
    """What every engine's runner shares: the models, the bound values, the inputs, the order.

    `sources` are tables the engine already holds; parameter tables are registered with
    `register`. Each model is materialised at most once per runner, after what it reads.
    Subclasses say how a model, an input table and a query are made and read.
    """
    engine = "base"

    def __init__(self, sources: Iterable[str] = (), params: Mapping[str, object] | None = None,
                 models: Mapping[str, SqlModel] | None = None):
        self.models = dict(models if models is not None else load_models())
        self.params = dict(params or {})
        self.inputs = set(sources)
        self.built: list[str] = []
        if clash := sorted(self.inputs & set(self.models)):
            raise RunnerError(f"{', '.join(self.models[c].where for c in clash)}: named like a source table")

    def register(self, name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence]) -> None:
        """Make input table `name` (columns as (name, type)) holding `rows`."""
        if name in self.models:
            raise RunnerError(f"input '{name}' has the name of {self.models[name].where}")
        self._register(name, list(columns), [list(r) for r in rows])
        self.inputs.add(name)

    def register_list(self, name: str, column: str, values: Iterable, typ: str = "varchar") -> None:
        """One-column input table; each value once, in first-seen order."""
        self.register(name, [(column, typ)], ([v] for v in dict.fromkeys(values)))

    def build(self, *targets: str) -> list[str]:
        """Materialise `targets` and what they read that this run has not built yet; return what was built."""
        done = []
        for m in plan(self.models, targets, self.inputs | set(self.built)):
            missing = [p for p in m.params if p not in self.params]
            if missing:
                raise RunnerError(f"{m.where} uses ${', $'.join(missing)}, which the run does not bind")
            if m.kind == "view" and m.params:
                raise RunnerError(f"{m.where}: a view cannot take bound parameters; make it a table")
            self._materialise(m, {p: self.params[p] for p in m.params})
            self.built.append(m.name)
            done.append(m.name)
        return done

    def df(self, name: str):
        """A built model or an input as a pandas frame (building it first when needed)."""
        if name not in self.inputs:
            self.build(name)
        return self.query_df(f"select * from {name}")

    def rows(self, sql: str) -> list[tuple]:
        """A small query's rows as tuples (engine SQL: DuckDB's dialect, transpiled where needed)."""
        raise NotImplementedError

    def columns(self, name: str) -> list[tuple[str, str]]:
        """(column, type) of a built model or input; types in DuckDB's spelling (VARCHAR, DOUBLE ...)."""
        raise NotImplementedError

    def query_df(self, sql: str):
        raise NotImplementedError

    def _register(self, name: str, columns: list[tuple[str, str]], rows: list[list]) -> None:
        raise NotImplementedError

    def _materialise(self, m: SqlModel, values: dict[str, object]) -> None:
        raise NotImplementedError


class Runner(BaseRunner):
    """Builds SQL models on one DuckDB connection.

    With `keep`, grains live in schema feature_state between builds (see `Keep`); without, they
    are temporary tables like the rest. Marts are temporary tables the caller publishes.
    """
    engine = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, sources: Iterable[str] = (),
                 params: Mapping[str, object] | None = None, models: Mapping[str, SqlModel] | None = None,
                 keep: Keep | None = None):
        super().__init__(sources, params, models)
        self.con = con
        self.keep = keep
        self._temp_kinds: dict[str, str] | None = None  # temporary table or view, by name

    def provide(self, name: str, sql: str, params: Sequence | None = None) -> None:
        """Make `name` from the caller's query instead of its SQL file (e.g. the spine of a
        feature table that already exists), as a temporary table and a run input."""
        self._create("table", name, f"as {sql}", params)
        self.inputs.add(name)

    def provide_view(self, name: str, sql: str) -> None:
        """Like `provide`, as a temporary view (read where it is used, never copied); `sql` takes
        no parameters."""
        self._create("view", name, f"as {sql}")
        self.inputs.add(name)

    def rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def query_df(self, sql: str):
        return self.con.execute(sql).df()

    def columns(self, name: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.con.execute(f"describe select * from {name}").fetchall()]

    def _create(self, kind: str, name: str, body: str, params=None) -> None:
        """`create or replace temp {kind} {name} {body}` (kind table or view). A temporary object
        of the other kind under that name, left by an earlier run on this connection, is dropped
        first (DuckDB will not replace a view with a table, nor the reverse)."""
        if self._temp_kinds is None:  # one look at the connection's temporary objects per run
            self._temp_kinds = dict(self.con.execute(
                "select table_name, 'table' from duckdb_tables() where temporary union all "
                "select view_name, 'view' from duckdb_views() where temporary and not internal").fetchall())
        other = self._temp_kinds.get(name)
        if other is not None and other != kind:
            self.con.execute(f"drop {other} temp.main.{name}")
        self.con.execute(f"create or replace temp {kind} {name} {body}", params or [])
        self._temp_kinds[name] = kind

    def _register(self, name: str, columns: list[tuple[str, str]], rows: list[list]) -> None:
        self._create("table", name, "(" + ", ".join(f"{c} {t}" for c, t in columns) + ")")
        if rows:  # one insert of column lists, not one per row
            cols = ", ".join(f"unnest(cast(? as {t}[]))" for _, t in columns)
            self.con.execute(f"insert into {name} select {cols}", [[r[i] for r in rows] for i in range(len(columns))])

    def _materialise(self, m: SqlModel, values: dict[str, object]) -> None:
        try:
            if m.kind == "grain" and self.keep is not None:
                self._keep_grain(m, values)
            else:
                self._create("view" if m.kind == "view" else "table", m.name, f"as\n{m.sql}", values)
        except duckdb.Error as e:
            raise RunnerError(f"{m.where}: {str(e).splitlines()[0]}") from e

    def _keep_grain(self, m: SqlModel, values: dict[str, object]) -> None:
        kept = f"{STATE_SCHEMA}.{m.name}"
        self.con.execute(f"create schema if not exists {STATE_SCHEMA}")
        if self.keep.since is None:
            self.con.execute(f"create or replace table {kept} as\n{m.sql}", values)
        else:
            self.con.execute(f"delete from {kept} where {m.by} > ?", [self.keep.since])
            self.con.execute(f"insert into {kept} by name\n{m.sql}", values)
        self._create("view", m.name, f"as select * from {kept}")
