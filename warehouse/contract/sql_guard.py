"""Which SQL the explorer page may run: one reading statement, nothing that touches files.

This is the statement check; the other defences are where the query runs
(`warehouse.contract.sql_worker`, started by `warehouse.contract.queries.explore`): a separate
process that opens the published file read-only with
`enable_external_access=false`, under limits on time, memory, rows and result size.

The check uses DuckDB's own parser, never a regular expression over the text:
`duckdb.extract_statements` splits and classifies the statements (so comments
and `;` cannot hide a second one), and `json_serialize_sql` gives the syntax
tree of the one SELECT. The check decides on what that tree reads, not on how it is spelt:
every relation must be a public view or a CTE in scope, every table function one of the
allowed ones, and no scalar function may be a refused one (the lists: `sql_policy`). The
worker checks DuckDB's plan of the statement against the same table functions before it runs
it, which catches a refused read hidden where the parse cannot see it (a macro's body).
"""

import functools
import json
import re
import threading

import duckdb

from warehouse.contract import sql_policy

MAX_SQL_CHARS = 20_000
PATH_LIKE = re.compile(r"[/\\:~.]|^http", re.IGNORECASE)
READS_ONLY = "the explorer only reads GapWatch's public views (listed under Public views)"


_PARSER_LOCK = threading.Lock()


@functools.cache
def _parser() -> duckdb.DuckDBPyConnection:
    """An empty in-memory DuckDB that only parses (opening one per check cost ~20 ms). It holds
    no database file and no data, so keeping it is not keeping a connection to the warehouse."""
    return duckdb.connect(":memory:", config={"enable_external_access": False,
                                              "autoload_known_extensions": False,
                                              "autoinstall_known_extensions": False})


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
    with _PARSER_LOCK:
        text = _parser().execute("SELECT json_serialize_sql(?)", [query]).fetchone()[0]
    tree = json.loads(text)
    if tree.get("error"):
        raise RefusedQuery("Only plain reading queries run here (no PRAGMA, CALL or settings): "
                           f"{tree.get('error_message', 'not a SELECT')}")
    return tree


def _check_names(tree) -> None:
    """Refuse anything the statement reads that is not on the allow-list (sql_policy)."""
    for kind, name in _reads(tree, frozenset()):
        _check_one(kind, name)


def _check_one(kind: str, name: str) -> None:
    why = sql_policy.why_refused(name) or sql_policy.why_refused(name.rsplit(".", 1)[-1])
    if kind == "table" and PATH_LIKE.search(name) and not why:
        raise RefusedQuery(f"`{name}` looks like a file or URL; {READS_ONLY}.")
    if why:
        raise RefusedQuery(f"`{name}` {why}; {READS_ONLY}.")
    if kind == "show":
        shown = "ALL TABLES" if name == "__show_tables_expanded" else name.strip('"').upper()
        raise RefusedQuery(f"`SHOW {shown}` lists the server's tables or databases; {READS_ONLY}.")
    if kind == "table function" and name.lower() not in sql_policy.ALLOWED_TABLE_FUNCTIONS:
        raise RefusedQuery(f"`{name}()` is not a table function the explorer runs (it runs "
                           f"{', '.join(sorted(sql_policy.ALLOWED_TABLE_FUNCTIONS))}); {READS_ONLY}.")
    if kind == "qualified table" or (kind == "table" and
                                     name.lower() not in sql_policy.public_relations()):
        raise RefusedQuery(f"`{name}` is not one of GapWatch's public views, which are all the "
                           "explorer reads (listed under Public views).")


def _reads(node, ctes: frozenset):
    """Yield (kind, name) for everything the tree reads, CTE references left out.

    `ctes` holds the CTE names in scope, as DuckDB's binder scopes them: a CTE's own body sees
    only the CTEs before it (and itself, if recursive), so `WITH pg_settings AS (SELECT * FROM
    pg_settings) ...` reads DuckDB's `pg_settings`, and is refused."""
    if isinstance(node, list):
        for value in node:
            yield from _reads(value, ctes)
        return
    if not isinstance(node, dict):
        return
    if node.get("cte_map", {}).get("map"):
        for entry in node["cte_map"]["map"]:
            yield from _reads(entry["value"], ctes)
            ctes = ctes | {entry["key"].lower()}
    if node.get("type") == "RECURSIVE_CTE_NODE":
        ctes = ctes | {str(node.get("cte_name", "")).lower()}
    yield from _node_reads(node, ctes)
    for key, value in node.items():
        if key != "cte_map":
            yield from _reads(value, ctes)


def _node_reads(node: dict, ctes: frozenset):
    kind = node.get("type")
    if kind == "BASE_TABLE":
        name = str(node.get("table_name", ""))
        if not node.get("catalog_name") and not node.get("schema_name") and name.lower() in ctes:
            return  # a CTE of the statement (a qualified name never is one)
        if _in_main(node):
            yield "table", name
        else:
            yield "qualified table", ".".join(
                p for p in (node.get("catalog_name"), node.get("schema_name"), name) if p)
    elif kind == "TABLE_FUNCTION":
        function = node.get("function", {})
        yield "table function", str(function.get("function_name", ""))
    elif kind == "SHOW_REF" and not node.get("query"):
        yield "show", str(node.get("table_name", ""))
    elif "function_name" in node and node.get("class") != "TABLE_FUNCTION":
        schema = node.get("schema") or ""
        name = str(node["function_name"])
        yield "function", f"{schema}.{name}" if schema not in ("", "main") else name


def _in_main(node: dict) -> bool:
    """An unqualified name, or `main.name`: a view of the file itself (a catalog or another
    schema reads something else: `system.main.duckdb_databases`, `information_schema.tables`)."""
    return not node.get("catalog_name") and str(node.get("schema_name", "")).lower() in ("", "main")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
