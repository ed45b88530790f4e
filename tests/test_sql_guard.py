"""The SQL explorer runs only one reading statement, and never changes the database file; it
reads only GapWatch's public views, whatever the spelling (the lists: warehouse/contract/sql_policy.py)."""

import hashlib

import duckdb
import pytest

from warehouse.contract import queries, sql_guard, sql_policy, sql_worker
from warehouse.storage import db
from warehouse.contract.sql_guard import RefusedQuery, check

REFUSED = {
    "drop": ("DROP TABLE runs", "DROP statement"),
    "drop view": ("DROP VIEW gap_verdicts", "DROP statement"),
    "insert": ("INSERT INTO runs (run_id) VALUES ('x')", "INSERT statement"),
    "update": ("UPDATE runs SET valid = false", "UPDATE statement"),
    "delete": ("DELETE FROM runs", "DELETE statement"),
    "create": ("CREATE TABLE t AS SELECT 1", "CREATE statement"),
    "create view": ("CREATE OR REPLACE VIEW gap_verdicts AS SELECT 1", "CREATE statement"),
    "copy to": ("COPY runs TO '/tmp/gapwatch_leak.csv'", "COPY statement"),
    "copy select to": ("COPY (SELECT * FROM runs) TO '/tmp/gapwatch_leak.parquet'",
                       "COPY statement"),
    "attach": ("ATTACH '/tmp/other.duckdb' AS other", "ATTACH statement"),
    "detach": ("DETACH other", "DETACH statement"),
    "install": ("INSTALL httpfs", "only reading queries"),
    "load": ("LOAD httpfs", "LOAD statement"),
    "set": ("SET enable_external_access = true", "SET statement"),
    "reset": ("RESET enable_external_access", "only reading queries"),
    "pragma": ("PRAGMA database_list", "no PRAGMA"),
    "pragma call": ("CALL pragma_database_list()", "CALL statement"),
    "read_csv": ("SELECT * FROM read_csv('/etc/passwd')", "`read_csv` reads files"),
    "read_csv_auto": ("SELECT * FROM read_csv_auto('/etc/passwd')", "`read_csv_auto`"),
    "read_text": ("SELECT content FROM read_text('/etc/hostname')", "`read_text`"),
    "read_text in where": ("SELECT 1 FROM runs WHERE EXISTS (SELECT * FROM read_text('x'))",
                           "`read_text`"),
    "glob": ("SELECT * FROM glob('/etc/*')", "`glob`"),
    "replacement scan": ("SELECT * FROM '/etc/passwd'", "looks like a file"),
    "parquet file": ("SELECT * FROM 'data/x.parquet'", "looks like a file"),
    "getenv": ("SELECT getenv('HOME')", "`getenv`"),
    "query()": ("SELECT * FROM query('SELECT 1')", "`query`"),
    "two statements": ("SELECT 1; DROP TABLE runs", "found 2"),
    "two selects": ("SELECT 1; SELECT 2", "found 2"),
    "comment hides second": ("SELECT 1 -- harmless\n; DROP TABLE runs", "found 2"),
    "line comment first": ("-- just a select\nDROP TABLE runs", "DROP statement"),
    "block comment first": ("/* SELECT * FROM runs */ DELETE FROM runs", "DELETE statement"),
    "comment inside keyword": ("SELECT 1; /* ; */ UPDATE runs SET valid = false",
                               "found 2"),
    "select then comment then copy": ("SELECT 1 /* x */; COPY runs TO '/tmp/x.csv'", "found 2"),
    "empty": ("   -- nothing\n", "found 0"),
    "blank": ("  ", "Type a query"),
    "export": ("EXPORT DATABASE '/tmp/gapwatch_export'", "EXPORT statement"),
    "checkpoint": ("CHECKPOINT", "this is a CHECKPOINT statement"),
    "install label": ("INSTALL httpfs", "this is an INSTALL statement"),
    "update label": ("UPDATE runs SET valid = false", "this is an UPDATE statement"),
    "attach label": ("ATTACH '/tmp/other.duckdb' AS other", "this is an ATTACH statement"),
    "drop label": ("DROP TABLE runs", "this is a DROP statement"),
    "use label": ("USE memory", "this is a USE statement"),
    "pivot is one statement": ("PIVOT runs ON status USING count(*)", "this is a PIVOT statement"),
    "duckdb_settings": ("SELECT * FROM duckdb_settings()", "`duckdb_settings` shows the server's"),
    "duckdb_databases": ("SELECT path FROM duckdb_databases()", "`duckdb_databases`"),
    "current_setting": ("SELECT current_setting('temp_directory')", "`current_setting`"),
    "duckdb_extensions": ("SELECT * FROM duckdb_extensions()", "`duckdb_extensions`"),
    "serialized sql": ("SELECT json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
                       "`json_execute_serialized_sql`"),
}


@pytest.mark.parametrize("sql,why", REFUSED.values(), ids=REFUSED.keys())
def test_check_refuses_with_a_clear_message(sql, why):
    with pytest.raises(RefusedQuery) as refused:
        check(sql)
    assert why.lower() in str(refused.value).lower()


@pytest.mark.parametrize("sql, message", [
    ("INSTALL httpfs", "Only reading queries (SELECT, WITH, FROM ...) run here; this is an "
                       "INSTALL statement."),
    ("UPDATE runs SET valid = false", "Only reading queries (SELECT, WITH, FROM ...) run here; "
                                      "this is an UPDATE statement."),
    ("DROP TABLE runs", "Only reading queries (SELECT, WITH, FROM ...) run here; this is a DROP "
                       "statement."),
    ("USE memory", "Only reading queries (SELECT, WITH, FROM ...) run here; this is a USE "
                   "statement."),
    ("SHOW TABLES", "`SHOW TABLES` lists the server's tables or databases; the explorer only "
                    "reads GapWatch's public views (listed under Public views)."),
    ("SHOW ALL TABLES", "`SHOW ALL TABLES` lists the server's tables or databases; the explorer "
                        "only reads GapWatch's public views (listed under Public views)."),
    ("show databases", "`SHOW DATABASES` lists the server's tables or databases; the explorer "
                       "only reads GapWatch's public views (listed under Public views)."),
    ("SELEC 1", 'DuckDB cannot parse this query: Parser Error: syntax error at or near "SELEC"'),
    ("PRAGMA database_list", "Only plain reading queries run here (no PRAGMA, CALL or settings): "
                             "Only SELECT statements can be serialized to json!"),
    ("unpivot runs on collector into name k value v", "Only reading queries (SELECT, WITH, FROM "
                                                      "...) run here; this is an UNPIVOT statement."),
    ("drop table runs", "Only reading queries (SELECT, WITH, FROM ...) run here; this is a DROP "
                        "statement."),
    ("SELECT 1; SELECT 2", "Only one statement at a time: found 2 (statements separated by `;`)."),
    ("  ", "Type a query, for example `SELECT * FROM gap_verdicts`."),
    ("WITH duckdb_databases AS (SELECT 1 AS x) SELECT * FROM main.duckdb_databases",
     "`duckdb_databases` shows the server's databases and their file paths; the explorer only "
     "reads GapWatch's public views (listed under Public views)."),
])
def test_the_message_word_for_word(sql, message):
    """What the page prints, exactly: the article as the keyword is read aloud, the SHOW
    statement in capitals, the parser's first line (the checks above match words only)."""
    with pytest.raises(RefusedQuery) as refused:
        check(sql)
    assert str(refused.value) == message


@pytest.mark.parametrize("sql, named", [("SELECT main.getenv('HOME')", "`getenv` reads"),
                                        ("SELECT pg_catalog.current_setting('x')",
                                         "`pg_catalog.current_setting` shows")])
def test_a_scalar_is_named_as_typed_without_the_default_schema(sql, named):
    with pytest.raises(RefusedQuery) as refused:
        check(sql)
    assert str(refused.value).startswith(named)


def test_a_query_of_the_longest_length_runs_one_character_more_does_not():
    longest = "SELECT 1 AS x " + "-" * (sql_guard.MAX_SQL_CHARS - 14)
    assert len(longest) == sql_guard.MAX_SQL_CHARS and check(longest)
    with pytest.raises(RefusedQuery) as refused:
        check(longest + "-")
    assert str(refused.value) == "The query is longer than 20,000 characters."


@pytest.mark.parametrize("function", ["duckdb_indexes", "duckdb_constraints", "duckdb_dependencies"])
def test_a_table_function_on_no_list_is_refused_by_the_allow_list(function):
    """Not in REFUSED and no refused prefix: the allow-list alone refuses it, and says which
    table functions do run."""
    with pytest.raises(RefusedQuery) as refused:
        check(f"SELECT * FROM {function}()")
    runs = ", ".join(sorted(sql_policy.ALLOWED_TABLE_FUNCTIONS))
    assert str(refused.value) == (f"`{function}()` is not a table function the explorer runs (it "
                                  f"runs {runs}); the explorer only reads GapWatch's public views "
                                  "(listed under Public views).")


@pytest.mark.parametrize("name", ["system.main.runs", "memory.main.runs", "gapwatch.main.runs",
                                  "other.runs", "information_schema.runs"])
def test_a_public_view_name_in_another_catalog_or_schema_is_not_the_view(name):
    """`runs` is a public view of the file; the same name read through a catalog or another
    schema is something else, refused by its full name."""
    assert check("SELECT * FROM main.runs")
    with pytest.raises(RefusedQuery) as refused:
        check(f"SELECT * FROM {name}")
    assert str(refused.value).startswith(f"`{name}` is not one of GapWatch's public views")


@pytest.mark.parametrize("sql", sql_policy.ALLOWED_EXAMPLES)
def test_check_allows_reading_queries(sql):
    assert check(sql)


def spelt(template: str, name: str) -> str:
    return template.format(name=name, NAME=name.upper())


@pytest.mark.parametrize("name", sorted(sql_policy.REFUSED))
def test_every_refused_name_is_refused_in_every_spelling(name):
    """Generated from sql_policy (issue #27 generates its own cases from the same lists). Before
    #26, `SELECT * FROM duckdb_databases` (no parentheses), `pragma_database_list` and
    `pg_settings` passed the check and showed the file's path and the server's folders."""
    passed = []
    for spelling, template in sql_policy.SPELLINGS.items():
        try:
            check(spelt(template, name))
        except RefusedQuery:
            continue
        passed.append(spelling)
    assert passed == [], f"{name} passed the check when spelt: {passed}"


# Every name `sql_policy.REFUSED` held when issue #27 was closed, by what it would reveal. The
# generated test above takes its cases from the list itself, so a name dropped from the list
# would drop its own case; this copy makes a dropped name fail (a dropped scalar such as
# `getenv` or `current_setting` would run, a dropped table function gets a message that no
# longer says what it reveals). A name added to the list needs no line here.
KNOWN_REFUSED = {
    "settings": "current_setting duckdb_profiling_settings duckdb_settings duckdb_variables "
                "pg_settings pragma_platform pragma_show pragma_user_agent",
    "databases": "database_list duckdb_approx_database_count duckdb_databases duckdb_schemas "
                 "duckdb_tables get_block_size information_schema.schemata pg_database "
                 "pg_namespace pragma_database_list pragma_database_size pragma_metadata_info "
                 "pragma_storage_info show_databases",
    "secrets": "duckdb_secret_types duckdb_secrets load_aws_credentials which_secret",
    "files": "delta_scan from_csv_auto getenv glob iceberg_scan parquet_metadata parquet_scan "
             "parquet_schema postgres_scan read_blob read_csv read_csv_auto read_duckdb read_json "
             "read_json_auto read_ndjson read_parquet read_text sniff_csv sqlite_attach "
             "sqlite_scan st_read",
    "sql": "json_deserialize_sql json_execute_serialized_sql json_serialize_plan query query_table",
    "server": "checkpoint duckdb_connection_count duckdb_extensions duckdb_external_file_cache "
              "duckdb_log_contexts duckdb_logs duckdb_logs_parsed duckdb_memory "
              "duckdb_prepared_statements duckdb_temporary_files enable_logging "
              "force_checkpoint write_log",
}
KNOWN = [(name, kind) for kind, names in KNOWN_REFUSED.items() for name in names.split()]
# Spellings every refused name parses in (`glob` is a keyword elsewhere, refused as unparseable).
SAID_IN = ("call", "scalar call")


@pytest.mark.parametrize("name, kind", KNOWN, ids=[name for name, _ in KNOWN])
def test_a_known_refused_name_stays_refused_and_says_what_it_reveals(name, kind):
    """sniff_csv, query_table, duckdb_databases, pragma_database_list, pg_settings and the rest:
    refused as a table function and as a scalar, the message saying what the name would show
    (every other spelling: the generated tests)."""
    said = {}
    for spelling in SAID_IN:
        if "." in name and spelling == "call":
            continue  # `information_schema.schemata()` is not a function DuckDB parses as one
        try:
            check(spelt(sql_policy.SPELLINGS[spelling], name))
            said[spelling] = "passed"
        except RefusedQuery as refused:
            said[spelling] = str(refused)
    assert all(sql_policy.WHY[kind] in text for text in said.values()), said


@pytest.mark.parametrize("name", sorted(sql_policy.REFUSED))
def test_every_listed_name_is_refused_for_its_own_reason(name):
    """Generated from the list: each refused name's message says what it would reveal, in
    every spelling DuckDB parses (a spelling it cannot parse is refused as such)."""
    why = sql_policy.WHY[sql_policy.REFUSED[name]]
    wrong = {}
    for spelling, template in sql_policy.SPELLINGS.items():
        with pytest.raises(RefusedQuery) as refused:
            check(spelt(template, name))
        text = str(refused.value)
        if why not in text and not text.startswith("DuckDB cannot parse this query") and not (
                "." in name and spelling in ("call", "schema")):
            wrong[spelling] = text
    assert wrong == {}


@pytest.mark.parametrize("affix", sql_policy.REFUSED_PREFIXES + sql_policy.REFUSED_SUFFIXES)
def test_every_refused_prefix_and_suffix_refuses_a_name_not_listed(affix):
    """A reader DuckDB adds later (`read_xlsx`, `mysql_scan`, ...) is refused by its prefix or
    suffix, as a table function and as a scalar."""
    name = f"{affix}gapwatch_new" if affix in sql_policy.REFUSED_PREFIXES else f"gapwatch_new{affix}"
    for spelling in ("call", "scalar call"):
        with pytest.raises(RefusedQuery, match=sql_policy.WHY["files"]):
            check(spelt(sql_policy.SPELLINGS[spelling], name))


# What issue #26 found leaking, in the spellings it asked for; each shows the database file's path
# or the server's folders when run on the file without the explorer's checks.
LEAKS = {
    "duckdb_databases bare": "SELECT path FROM duckdb_databases",
    "duckdb_databases call": "SELECT path FROM duckdb_databases()",
    "pragma_database_list bare": "SELECT file FROM pragma_database_list",
    "pragma_database_list call": "SELECT file FROM pragma_database_list()",
    "pg_settings": "SELECT name, setting FROM pg_settings WHERE setting LIKE '%/%'",
    "duckdb_settings call": "SELECT name, value FROM duckdb_settings() WHERE value LIKE '%/%'",
    "duckdb_settings bare": "SELECT name, value FROM duckdb_settings WHERE value LIKE '%/%'",
    "in a subquery": "SELECT * FROM (SELECT path FROM duckdb_databases) AS d",
    "in a scalar subquery": "SELECT (SELECT max(path) FROM duckdb_databases) AS p",
    "in a CTE": "WITH d AS (SELECT file FROM pragma_database_list) SELECT * FROM d",
    "a CTE of the same name": "WITH pg_settings AS (SELECT * FROM pg_settings) SELECT * FROM pg_settings",
    "in a UNION": "SELECT 'x' AS v UNION ALL SELECT setting FROM pg_settings WHERE setting LIKE '%/%'",
    "in a join": "SELECT r.run_id, d.path FROM runs r, duckdb_databases d",
    "a system catalog": "SELECT path FROM system.main.duckdb_databases",
    "a macro over a pragma": "SELECT get_block_size(current_database()) AS b",
}


@pytest.mark.parametrize("sql", LEAKS.values(), ids=LEAKS.keys())
def test_what_leaked_the_path_is_refused_by_the_explorer(db_copy, sql):
    before = fingerprint(db_copy)
    with pytest.raises(RefusedQuery, match="shows the server's"):
        queries.explore(sql, db_copy)
    assert fingerprint(db_copy) == before


def test_the_leaks_are_real_without_the_checks(db_copy):
    """The cases above are not imagined: on the published file, opened as the worker opens it,
    most of them show its absolute path or a folder (this is what the checks stand between)."""
    shown = []
    with duckdb.connect(str(db_copy), read_only=True, config=dict(queries.EXPLORER_CONFIG)) as con:
        for sql in LEAKS.values():
            try:
                shown.append(str(con.execute(sql).fetchall()))
            except duckdb.Error:
                continue
    assert sum(str(db_copy) in text for text in shown) >= 8, shown


@pytest.mark.parametrize("sql", ["SELECT * FROM duckdb_databases", "SELECT * FROM pg_settings",
                                 "SELECT get_block_size(current_database()) AS b",
                                 "SELECT * FROM information_schema.schemata"])
def test_the_worker_refuses_on_the_plan_even_if_the_parse_check_were_bypassed(db_copy, sql):
    """The second line of defence: DuckDB's plan of the statement, in the worker, names every
    table function it will call; a refused one stops the query there."""
    with pytest.raises(RefusedQuery, match="shows the server's|not one of GapWatch's"):
        sql_worker.run(sql, str(db_copy), dict(queries.EXPLORER_CONFIG))


def test_a_table_that_is_not_a_public_view_is_refused_by_name():
    with pytest.raises(RefusedQuery) as refused:
        check("SELECT * FROM run_ledger")
    assert str(refused.value) == ("`run_ledger` is not one of GapWatch's public views, which are "
                                  "all the explorer reads (listed under Public views).")


@pytest.fixture(scope="module")
def db_copy(module_db_copy):
    """The explorer only reads: one copy for the module, and the tests that matter check the
    file's fingerprint before and after themselves."""
    return module_db_copy


def fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


# That a refused write leaves the file unchanged is checked where the write was possible:
# tests/test_sql_explorer_writes.py.


def test_explore_reads_caps_rows_and_leaves_the_file_alone(db_copy):
    before = fingerprint(db_copy)
    rows, truncated = queries.explore("SELECT * FROM capability_scores", db_copy, row_cap=50)
    assert len(rows) == 50 and truncated
    rows, truncated = queries.explore("SELECT verdict FROM gap_verdicts", db_copy)
    with db.reading(db_copy) as con:  # every verdict, as a direct read sees them
        stored = [v for (v,) in con.execute("SELECT verdict FROM gap_verdicts").fetchall()]
    assert not truncated and sorted(rows["verdict"]) == sorted(stored) and len(stored) > 100
    assert fingerprint(db_copy) == before


def test_external_access_is_off_even_if_the_check_were_bypassed(db_copy, monkeypatch):
    monkeypatch.setattr("warehouse.contract.sql_guard.check", lambda sql: sql)
    with pytest.raises(Exception, match="(?i)external|disabled|permission"):
        queries.explore("SELECT * FROM read_text('/etc/hostname')", db_copy)


def test_a_slow_query_is_interrupted(db_copy):
    with pytest.raises(queries.QueryTimeout, match="longer than 0.5 s"):
        queries.explore("SELECT count(*) FROM range(100000000000) a, range(1000) b",
                        db_copy, timeout_s=0.5)


@pytest.mark.parametrize("sql", ["SELECT 1 AS x; -- done\n", "SELECT 1 AS x -- no newline",
                                 "SELECT 1 AS x /* ; */ ;"])
def test_trailing_comments_and_semicolons_still_run(db_copy, sql):
    rows, _ = queries.explore(sql, db_copy)
    assert rows["x"].tolist() == [1]
