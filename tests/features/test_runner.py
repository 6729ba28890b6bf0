"""The SQL runner: files say what they read, and are built in that order, once, or refused."""
from __future__ import annotations

import duckdb
import pytest

from features.marts import build_marts
from features.runner import Runner, RunnerError, load_models
from features.warehouse import connect, has_table
from portal.queries import ACCOUNT_USERS_SQL


def sql_dir(tmp_path, **files: str):
    """Write name.sql files (in a `families` folder) and return the folder."""
    root = tmp_path / "sql"
    (root / "families").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / "families" / f"{name}.sql").write_text(text)
    return root


def runner(root, **params) -> Runner:
    con = duckdb.connect()
    con.execute("create table src as select * from range(5) as r(n)")
    return Runner(con, sources=["src"], params=params, models=load_models(root))


def test_files_are_built_in_the_order_their_reads_headers_give_not_by_name(tmp_path):
    root = sql_dir(tmp_path,
                   a_total="-- grain: one row\n-- reads: m_doubled\nselect sum(n2) as total from m_doubled\n",
                   m_doubled="-- grain: one row per n\n-- reads: z_base\nselect n * 2 as n2 from z_base\n",
                   z_base="-- grain: one row per n\n-- reads: src\nselect n from src\n")
    r = runner(root)
    assert r.build("a_total") == ["z_base", "m_doubled", "a_total"]
    assert r.con.execute("select total from a_total").fetchone()[0] == 20
    assert r.build("a_total", "m_doubled") == []  # each file is built once per run


def test_a_file_reading_a_table_its_header_does_not_list_is_refused(tmp_path):
    root = sql_dir(tmp_path, sneaky="-- grain: one row per n\n-- reads: src\n"
                                    "with kept as (select n from src) select * from kept join other using (n)\n")
    with pytest.raises(RunnerError, match=r"families/sneaky.sql reads other but its header does not list it"):
        load_models(root)


def test_a_header_listing_a_table_the_file_never_reads_is_refused(tmp_path):
    root = sql_dir(tmp_path, stale="-- grain: one row per n\n-- reads: src, gone\nselect n from src\n")
    with pytest.raises(RunnerError, match="families/stale.sql lists gone in `-- reads:` but never reads it"):
        load_models(root)


def test_a_read_that_no_file_makes_and_no_input_provides_is_refused_before_anything_runs(tmp_path):
    root = sql_dir(tmp_path, ok="-- grain: one row per n\n-- reads: src\nselect n from src\n",
                   orphan="-- grain: one row per n\n-- reads: ok, missing_input\n"
                          "select * from ok join missing_input using (n)\n")
    r = runner(root)
    with pytest.raises(RunnerError, match="families/orphan.sql reads 'missing_input', which no SQL file makes"):
        r.build("orphan")
    assert r.built == []


def test_a_cycle_is_refused_and_named(tmp_path):
    root = sql_dir(tmp_path, a="-- grain: x\n-- reads: b\nselect * from b\n",
                   b="-- grain: x\n-- reads: a\nselect * from a\n")
    with pytest.raises(RunnerError, match="cycle: a -> b -> a"):
        runner(root).build("a")


def test_a_file_without_a_grain_is_refused(tmp_path):
    root = sql_dir(tmp_path, vague="-- reads: src\nselect n from src\n")
    with pytest.raises(RunnerError, match="families/vague.sql: the header must say its grain"):
        load_models(root)


def test_values_come_in_as_bound_parameters_and_a_missing_one_is_named(tmp_path):
    root = sql_dir(tmp_path, small="-- grain: one row per n below $limit\n-- reads: src\n"
                                   "select n from src where n < $limit\n")
    assert runner(root, limit=2).df("small")["n"].tolist() == [0, 1]
    with pytest.raises(RunnerError, match=r"families/small.sql uses \$limit, which the run does not bind"):
        runner(root).build("small")


def test_registered_inputs_are_tables_the_files_may_read(tmp_path):
    root = sql_dir(tmp_path, picked="-- grain: one row per kept n\n-- reads: src, wanted\n"
                                    "select n from src where n in (select n from wanted)\n")
    r = runner(root)
    r.register_list("wanted", "n", [1, 3], "bigint")
    assert r.df("picked")["n"].tolist() == [1, 3]


def test_query_files_are_left_to_their_callers(tmp_path):
    root = sql_dir(tmp_path, report="-- kind: query (run by the portal with $as_of bound)\n-- grain: x\n"
                                    "-- reads: scores\nselect * from scores where as_of = $as_of\n")
    assert load_models(root) == {}


def test_every_feature_sql_file_states_its_grain_and_reads_honestly():
    models = load_models()  # raises if any header is missing or does not match the SQL
    assert {"spine", "usage", "manual_traits", "user_activity"} <= set(models)
    assert all(m.grain and m.reads for m in models.values())
    assert {m.name for m in models.values() if m.kind == "mart"} == {
        "user_activity", "recent_activity", "adoption_personas", "adoption_workflows"}


def test_marts_build_on_their_own_from_a_fresh_connection(tiny_db):
    with connect(tiny_db) as con:
        assert build_marts(con) == ["adoption_personas", "adoption_workflows", "recent_activity", "user_activity"]
    with connect(tiny_db) as con:  # a new connection: the marts were kept, the helpers were not
        assert all(has_table(con, t) for t in ("user_activity", "recent_activity", "adoption_personas"))
        assert not has_table(con, "spine")
        # the mart holds who was active; the portal's user list adds who never was (u3)
        assert con.execute("select user_id from user_activity where account_id = 'A' order by user_id").fetchall() == [
            ("u1",), ("u2",)]
        listed = con.execute(ACCOUNT_USERS_SQL.read_text(), {"account_id": "A"}).df()
        assert listed[["user_id", "active_days"]].values.tolist() == [["u1", 3], ["u2", 1], ["u3", 0]]


def test_a_grain_names_the_column_an_incremental_build_replaces_by(tmp_path):
    root = sql_dir(tmp_path, days="-- grain: one row per n\n-- reads: src\n-- kind: grain\nselect n from src\n")
    with pytest.raises(RunnerError, match=r"families/days.sql: a grain names the column .* \(-- kind: grain by event_date\)"):
        load_models(root)
    root = sql_dir(tmp_path, days="-- grain: one row per n\n-- reads: src\n-- kind: table by n\nselect n from src\n")
    with pytest.raises(RunnerError, match="only a grain or a mart is replaced `by` a column"):
        load_models(root)


def test_a_kept_grain_is_rewritten_by_a_full_build_and_redone_after_since_by_an_incremental_one(tmp_path):
    from features.runner import Keep
    root = sql_dir(tmp_path, days="-- grain: one row per n after $since\n-- reads: src\n-- kind: grain by n\n"
                                  "select n, n * 10 as v from src where n > $since\n")
    con = duckdb.connect()
    con.execute("create table src as select * from range(5) as r(n)")
    Runner(con, ["src"], {"since": -1}, load_models(root), keep=Keep(None)).build("days")
    con.execute("update src set n = n + 100 where n >= 3")  # rows after `since` change; earlier ones do not
    Runner(con, ["src"], {"since": 2}, load_models(root), keep=Keep(2)).build("days")
    assert con.execute("select n from feature_state.days order by n").fetchall() == [(0,), (1,), (2,), (103,), (104,)]
    assert con.execute("select count(*) from days").fetchone()[0] == 5  # the run reads the kept table


def test_without_keep_a_grain_is_a_temporary_table_like_the_rest(tmp_path):
    root = sql_dir(tmp_path, days="-- grain: one row per n\n-- reads: src\n-- kind: grain by n\n"
                                  "select n from src where n > $since\n")
    r = runner(root, since=0)
    assert r.df("days")["n"].tolist() == [1, 2, 3, 4]
    assert r.con.execute("select count(*) from information_schema.schemata "
                         "where schema_name = 'feature_state'").fetchone()[0] == 0
