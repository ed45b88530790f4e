"""What the SQL explorer may read, as data: the allow-lists, the refused names and their spellings.

Why data and not code: the guard (`sql_guard`, on DuckDB's parse) and the worker (`sql_worker`,
on DuckDB's plan) decide from these sets, and tests generate their cases from them (every
refused name in every spelling of `SPELLINGS`, every query of `ALLOWED_EXAMPLES`), so a name added
here is checked everywhere at once.

The rule is an allow-list. A relation is one of GapWatch's public views (`public_relations()`),
a harmless catalog listing (`HARMLESS_RELATIONS`), or a CTE the statement defines; a table
function is one of `ALLOWED_TABLE_FUNCTIONS`. Everything else is refused whatever its spelling:
`duckdb_databases` and `pragma_database_list` name the database file's absolute path,
`pg_settings` and `duckdb_settings` show `allowed_paths`, the temp and secrets folders.
`REFUSED` only chooses the message for the names a person is likely to try; scalar functions
(hundreds, nearly all harmless) are the one deny-list, `REFUSED_SCALAR_FUNCTIONS`.
"""

import functools

# Table functions that read nothing of the server: generated rows, and listings of views,
# columns, functions, keywords and types (no paths, no settings).
ALLOWED_TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree",
    "duckdb_views", "duckdb_columns", "duckdb_functions", "duckdb_keywords", "duckdb_types",
    "test_all_types", "pg_timezone_names", "icu_calendar_names"})
# DuckDB's own catalog views that only call an allowed function (`duckdb_views` is
# `SELECT * FROM duckdb_views()`): the same read, spelt without parentheses.
HARMLESS_RELATIONS = frozenset({"duckdb_views", "duckdb_columns", "duckdb_functions",
                                "duckdb_keywords", "duckdb_types"})

WHY = {
    "settings": "shows the server's settings (its folders, paths and limits)",
    "databases": "shows the server's databases and their file paths",
    "secrets": "shows the server's secrets",
    "files": "reads files, the network or the environment",
    "sql": "runs SQL text the explorer cannot check",
    "server": "shows the server's internals (memory, logs, extensions, temporary files)",
}
# Names a person may try, by what they would reveal; each is refused as a relation, a table
# function and a scalar function alike.
REFUSED = {
    **dict.fromkeys(("duckdb_settings", "pg_settings", "current_setting", "duckdb_variables",
                     "duckdb_profiling_settings", "pragma_show", "pragma_platform",
                     "pragma_user_agent"), "settings"),
    **dict.fromkeys(("duckdb_databases", "pragma_database_list", "pg_database", "database_list",
                     "show_databases", "pragma_database_size", "get_block_size",
                     "duckdb_approx_database_count", "pragma_storage_info",
                     "pragma_metadata_info", "duckdb_schemas", "duckdb_tables",
                     "information_schema.schemata", "pg_namespace"), "databases"),
    **dict.fromkeys(("duckdb_secrets", "which_secret", "duckdb_secret_types",
                     "load_aws_credentials"), "secrets"),
    **dict.fromkeys(("read_csv", "read_csv_auto", "read_text", "read_blob", "read_parquet",
                     "read_json", "read_json_auto", "read_ndjson", "read_duckdb", "glob",
                     "sniff_csv", "parquet_scan", "parquet_metadata", "parquet_schema",
                     "from_csv_auto", "getenv", "sqlite_scan", "sqlite_attach", "postgres_scan",
                     "iceberg_scan", "delta_scan", "st_read"), "files"),
    **dict.fromkeys(("query", "query_table", "json_execute_serialized_sql", "json_deserialize_sql",
                     "json_serialize_plan"), "sql"),
    **dict.fromkeys(("duckdb_extensions", "duckdb_temporary_files", "duckdb_memory", "duckdb_logs",
                     "duckdb_logs_parsed", "duckdb_log_contexts", "write_log", "duckdb_external_file_cache",
                     "duckdb_connection_count", "duckdb_prepared_statements", "enable_logging",
                     "checkpoint", "force_checkpoint"), "server"),
}
# Scalar functions (and scalar macros) refused by name: everything in REFUSED, and these prefixes
# and suffixes of file and database readers.
REFUSED_SCALAR_FUNCTIONS = frozenset(name for name in REFUSED if "." not in name)
REFUSED_PREFIXES = ("read_", "parquet_", "iceberg_", "delta_", "postgres_", "mysql_", "sqlite_",
                    "excel_", "st_read", "ducklake_", "pragma_")
REFUSED_SUFFIXES = ("_scan",)

# How a name can be spelt in one reading statement. Each is a template on `{name}`; a guard test
# expects every REFUSED name refused in every one (a spelling DuckDB cannot parse is refused too).
SPELLINGS = {
    "bare": "SELECT * FROM {name}",
    "call": "SELECT * FROM {name}()",
    "upper case": "SELECT * FROM {NAME}",
    "quoted": 'SELECT * FROM "{name}"',
    "schema": "SELECT * FROM main.{name}",
    "system catalog": "SELECT * FROM system.main.{name}",
    "subquery": "SELECT * FROM (SELECT * FROM {name}) AS s",
    "scalar subquery": "SELECT (SELECT count(*) FROM {name}) AS n",
    "exists": "SELECT 1 AS x WHERE EXISTS (SELECT * FROM {name})",
    "cte": "WITH c AS (SELECT * FROM {name}) SELECT * FROM c",
    "cte of the same name": "WITH {name} AS (SELECT * FROM {name}) SELECT * FROM {name}",
    "union": "SELECT 1 AS x UNION ALL SELECT 1 FROM {name}",
    "join": "SELECT * FROM runs JOIN {name} ON true",
    "lateral": "SELECT * FROM runs, LATERAL (SELECT * FROM {name}) AS l",
    "describe": "DESCRIBE {name}",
    "summarize": "SUMMARIZE {name}",
    "scalar call": "SELECT {name}('x') AS v",
}

# Reading queries the explorer must keep running (on the published file).
ALLOWED_EXAMPLES = (
    "SELECT * FROM gap_verdicts",
    "FROM runs",
    "DESCRIBE runs",
    "SUMMARIZE prices",
    "select 1;",
    "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
    "WITH b AS (SELECT 1 AS y), a AS (SELECT * FROM b) SELECT * FROM a",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT * FROM t",
    "WITH runs AS (SELECT 1 AS x) SELECT * FROM runs",
    "SELECT * FROM duckdb_views()",
    "SELECT view_name FROM duckdb_views",
    "SELECT column_name FROM duckdb_columns() WHERE table_name = 'runs'",
    "SELECT * FROM range(3)",
    "SELECT * FROM RUNS",
    "SELECT * FROM main.runs",
    "SELECT 1 /* ; DROP TABLE runs */",
    "SELECT 'read_csv(''x'')' AS text",
    "SELECT count(*) FROM runs UNION ALL SELECT count(*) FROM models",
    "SELECT MAP() AS m",
    "SELECT {'a': 1, 'b': [1, 2]} AS s",
    "SELECT union_value(num := 2) AS u",
    "SELECT '\\x00\\xff'::BLOB AS b",
)


@functools.cache
def public_relations() -> frozenset[str]:
    """GapWatch's public views (the contract in docs/schema.md) and the harmless listings."""
    from warehouse.contract.views import VIEWS

    return frozenset(v.name for v in VIEWS) | HARMLESS_RELATIONS


def why_refused(name: str) -> str | None:
    """What a refused name would reveal, in words; None for a name not listed in REFUSED."""
    name = name.lower()
    if name in REFUSED:
        return WHY[REFUSED[name]]
    if name.startswith(REFUSED_PREFIXES) or name.endswith(REFUSED_SUFFIXES):
        return WHY["files"]
    return None


def plan_function_allowed(name: str) -> bool:
    """A table function met in DuckDB's plan (upper case there): allowed ones only."""
    return name.lower() in ALLOWED_TABLE_FUNCTIONS
