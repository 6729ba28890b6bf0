"""Materialise SQL files in the order their headers give, each one once per run.

Every file under sql/ opens with a header of `--` lines:

    -- grain: one row per (account_id, as_of) in the spine
    -- reads: spine, user_days, obs_dates
    -- kind: table

`reads` names every table the file selects from: other SQL files (by file name, without .sql)
or the run's inputs (source tables and the parameter tables registered from typed config).
`kind` says what the file becomes: `view` (a temporary view), `table` (a temporary table,
the default), `mart` (a table the warehouse keeps) or `query` (run by a caller with its own
parameters; the runner leaves it alone). Values come in as bound parameters (`$name`), never
as text pasted into the SQL.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import duckdb

SQL_ROOT = Path(__file__).parent / "sql"
KINDS = ("view", "table", "mart", "query")
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
    kind = header.get("kind", "table").split()[0] if header.get("kind") else "table"
    if kind not in KINDS:
        raise RunnerError(f"{where}: kind '{kind}' is not one of {', '.join(KINDS)}")
    reads = tuple(r.strip() for r in header.get("reads", "").split(",") if r.strip())
    return SqlModel(path.stem, Path(path), kind, header["grain"], reads, text)


def load_models(root: Path = SQL_ROOT) -> dict[str, SqlModel]:
    """Every SQL file below `root` that the runner materialises (kind `query` files are skipped),
    by name. Refuses two files of one name, and a file whose SQL reads a table its header does
    not list (or lists one it never reads)."""
    models: dict[str, SqlModel] = {}
    parser = duckdb.connect()
    try:
        for path in sorted(Path(root).rglob("*.sql")):
            m = parse(path)
            if m.kind == "query":
                continue
            if m.name in models:
                raise RunnerError(f"{m.where} and {models[m.name].where}: two SQL files named '{m.name}'")
            check_reads(parser, m)
            models[m.name] = m
    finally:
        parser.close()
    return models


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


class Runner:
    """Builds SQL models on one connection with the given inputs and bound values.

    `sources` are tables the warehouse already holds; parameter tables are registered with
    `register`. Each model is materialised at most once per Runner, after what it reads.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, sources: Iterable[str] = (),
                 params: Mapping[str, object] | None = None, models: Mapping[str, SqlModel] | None = None):
        self.con = con
        self.models = dict(models if models is not None else load_models())
        self.params = dict(params or {})
        self.inputs = set(sources)
        self.built: list[str] = []
        if clash := sorted(self.inputs & set(self.models)):
            raise RunnerError(f"{', '.join(self.models[c].where for c in clash)}: named like a source table")

    def register(self, name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence]) -> None:
        """Create temporary table `name` (columns as (name, type)) holding `rows`: a run input."""
        if name in self.models:
            raise RunnerError(f"input '{name}' has the name of {self.models[name].where}")
        ddl = ", ".join(f"{c} {t}" for c, t in columns)
        self.con.execute(f"create or replace temp table {name} ({ddl})")
        rows = [list(r) for r in rows]
        if rows:
            marks = ", ".join("?" for _ in columns)
            self.con.executemany(f"insert into {name} values ({marks})", rows)
        self.inputs.add(name)

    def provide(self, name: str, sql: str, params: Sequence | None = None) -> None:
        """Make `name` from the caller's query instead of its SQL file (e.g. the spine of a
        feature table that already exists), as a temporary table and a run input."""
        self.con.execute(f"create or replace temp table {name} as {sql}", params or [])
        self.inputs.add(name)

    def register_list(self, name: str, column: str, values: Iterable, typ: str = "varchar") -> None:
        self.register(name, [(column, typ)], ([v] for v in values))

    def build(self, *targets: str) -> list[str]:
        """Materialise `targets` and what they read that this run has not built yet; return what was built."""
        done = []
        for m in plan(self.models, targets, self.inputs | set(self.built)):
            self._materialise(m)
            self.built.append(m.name)
            done.append(m.name)
        return done

    def df(self, name: str):
        """A built model or an input as a pandas frame (building it first when needed)."""
        if name not in self.inputs:
            self.build(name)
        return self.con.execute(f"select * from {name}").df()

    def _materialise(self, m: SqlModel) -> None:
        missing = [p for p in m.params if p not in self.params]
        if missing:
            raise RunnerError(f"{m.where} uses ${', $'.join(missing)}, which the run does not bind")
        if m.kind == "view" and m.params:
            raise RunnerError(f"{m.where}: a view cannot take bound parameters; make it a table")
        create = {"view": "create or replace temp view", "table": "create or replace temp table",
                  "mart": "create or replace table"}[m.kind]
        try:
            self.con.execute(f"{create} {m.name} as\n{m.sql}", {p: self.params[p] for p in m.params})
        except duckdb.Error as e:
            raise RunnerError(f"{m.where}: {str(e).splitlines()[0]}") from e
