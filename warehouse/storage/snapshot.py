"""A read-only connection that sees the file as it is now, not as this process first opened it.

Why: DuckDB keeps one database instance per path in a process (its instance cache). While any
connection to the published file is open, `duckdb.connect(path)` hands back that instance, so
a read after a publish (a new file under the same name, `os.replace`) still saw the old
snapshot, while `db.version_key()` already named the new one: a dashboard serving two sessions
cached old rows under the new key (issue #26). An in-memory database of its own that ATTACHes
the file opens whatever the path names now, and goes away with its connection.
"""

from pathlib import Path

import duckdb

RESERVED = {"memory", "system", "temp", "main"}


def open_read_only(path: Path, config: dict) -> duckdb.DuckDBPyConnection:
    """The file, attached read-only under its own stem (so `current_database()` reads as
    before) in a fresh in-memory database, and made the default catalog."""
    con = duckdb.connect(":memory:", config=config)
    alias = path.stem if path.stem.lower() not in RESERVED else "warehouse"
    try:
        con.execute(f"ATTACH '{_sql_string(path)}' AS {_identifier(alias)} (READ_ONLY)")
        con.execute(f"USE {_identifier(alias)}")
    except BaseException:
        con.close()
        raise
    return con


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
