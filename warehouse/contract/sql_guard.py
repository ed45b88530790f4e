"""Which SQL the explorer page may run: one reading statement, nothing that touches files.

This is the statement check; the other defences are where the query runs
(`warehouse.contract.sql_worker`, started by `warehouse.contract.queries.explore`): a separate
process that opens the published file read-only with
`enable_external_access=false`, under limits on time, memory, rows and result size.

The check uses DuckDB's own parser, never a regular expression over the text:
`duckdb.extract_statements` splits and classifies the statements (so comments
and `;` cannot hide a second one), and `json_serialize_sql` gives the syntax
tree of the one SELECT, in which every function and table name is checked.
"""

import json
import re

import duckdb

MAX_SQL_CHARS = 20_000

# Table and scalar functions that read files, the network, the environment or run SQL text.
REFUSED_FUNCTIONS = {"glob", "query", "query_table", "getenv", "sniff_csv", "from_csv_auto",
                     "duckdb_secrets", "which_secret", "load_aws_credentials", "sqlite_attach"}
REFUSED_PREFIXES = ("read_", "parquet_", "iceberg_", "delta_", "postgres_", "mysql_", "sqlite_",
                    "excel_", "st_read", "ducklake_", "pragma_")
REFUSED_SUFFIXES = ("_scan",)
# Functions whose answers or errors name the server's files and settings (database and temp
# paths, the secrets and extension folders), and those that run serialized SQL past this check.
REVEALING = {"duckdb_settings", "duckdb_databases", "current_setting", "duckdb_extensions",
             "duckdb_temporary_files", "duckdb_secret_types", "duckdb_logs", "duckdb_memory",
             "json_execute_serialized_sql", "json_deserialize_sql", "json_serialize_plan"}
PATH_LIKE = re.compile(r"[/\\:~.]|^http", re.IGNORECASE)


class RefusedQuery(ValueError):
    """The statement is not one the read-only explorer runs; the message says why."""


def check(sql: str) -> str:
    """Return the one reading statement in `sql`, or raise RefusedQuery with a clear reason."""
    if not sql or not sql.strip():
        raise RefusedQuery("Type a query, for example `SELECT * FROM gap_verdicts`.")
    if len(sql) > MAX_SQL_CHARS:
        raise RefusedQuery(f"The query is longer than {MAX_SQL_CHARS:,} characters.")
    _single_statement(sql)
    text = _without_final_semicolon(sql)
    _check_names(_syntax_tree(text))
    return text


def _without_final_semicolon(sql: str) -> str:
    """The statement's own text, up to (not including) a closing `;`; comments may remain,
    so callers wrap it on lines of its own."""
    tokens = duckdb.tokenize(sql)
    while tokens and sql[tokens[-1][0]] == ";":
        sql = sql[:tokens.pop()[0]]
    return sql


def _single_statement(sql: str):
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise RefusedQuery(f"DuckDB cannot parse this query: {_first_line(exc)}") from None
    keyword = _first_keyword(sql) if statements else ""
    if keyword in ("PIVOT", "UNPIVOT") or (len(statements) == 1 and
                                            statements[0].type != duckdb.StatementType.SELECT):
        raise RefusedQuery(f"Only reading queries (SELECT, WITH, FROM ...) run here; "
                           f"this is {_article(keyword)} {keyword} statement.")
    if len(statements) != 1:
        raise RefusedQuery(f"Only one statement at a time: found {len(statements)} "
                           "(statements separated by `;`).")
    return statements[0]


def _article(keyword: str) -> str:
    """The article as the word is read aloud: an INSTALL, an UPDATE, a DROP, a USE ("you")."""
    return "an" if keyword and keyword[0] in "AEIOU" and not keyword.startswith("USE") else "a"


def _first_keyword(sql: str) -> str:
    """The statement's own first word (DuckDB files INSTALL under LOAD, USE under SET and
    CHECKPOINT under CALL; a person typed INSTALL, USE, CHECKPOINT)."""
    tokens = [(pos, kind) for pos, kind in duckdb.tokenize(sql) if kind != duckdb.token_type.comment]
    if not tokens:
        return ""
    return re.split(r"[^A-Za-z_]", sql[tokens[0][0]:], maxsplit=1)[0].upper()


def _syntax_tree(query: str) -> dict:
    """The parsed tree of the text as typed: PRAGMA, which DuckDB rewrites into a SELECT, is not
    one and fails here."""
    with duckdb.connect(":memory:", config={"enable_external_access": False,
                                           "autoload_known_extensions": False,
                                           "autoinstall_known_extensions": False}) as con:
        text = con.execute("SELECT json_serialize_sql(?)", [query]).fetchone()[0]
    tree = json.loads(text)
    if tree.get("error"):
        raise RefusedQuery("Only plain reading queries run here (no PRAGMA, CALL or settings): "
                           f"{tree.get('error_message', 'not a SELECT')}")
    return tree


def _check_names(tree) -> None:
    for kind, name in _names(tree):
        if kind == "function" and name.lower() in REVEALING:
            raise RefusedQuery(f"`{name}` shows the server's settings, files or runs SQL the "
                               "explorer cannot check; the explorer only reads the GapWatch views.")
        if kind == "function" and _refused_function(name):
            raise RefusedQuery(f"`{name}` reads files, the network or the environment; "
                               "the explorer only reads the GapWatch views.")
        if kind == "table" and PATH_LIKE.search(name):
            raise RefusedQuery(f"`{name}` looks like a file or URL; the explorer only reads "
                               "the GapWatch views (see the list of views).")


def _refused_function(name: str) -> bool:
    name = name.lower()
    return (name in REFUSED_FUNCTIONS or name.startswith(REFUSED_PREFIXES)
            or name.endswith(REFUSED_SUFFIXES))


def _names(node):
    """Yield ("function", name) and ("table", name) for every call and base table in the tree."""
    if isinstance(node, dict):
        if "function_name" in node:
            yield "function", str(node["function_name"])
        if node.get("type") == "BASE_TABLE":
            yield "table", str(node.get("table_name", ""))
        for value in node.values():
            yield from _names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _names(value)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
