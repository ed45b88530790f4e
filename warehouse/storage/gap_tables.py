"""The database side of the gap verdicts: read their inputs, replace their result tables.

Why apart from `verdicts`: the verdicts are analysis, pure functions of DataFrames, and may not
touch the database (issue #19 item 3); this module runs `verdicts.SQL` on a connection, hands
the frames to `verdicts.compute`, and writes what comes back.
"""

import duckdb
import pandas as pd

from warehouse.analysis import verdicts


def compute_all(con: duckdb.DuckDBPyConnection,
                include_contended: bool = False) -> tuple[pd.DataFrame, ...]:
    """(gap series, verdicts, lags, breaks) from whatever the warehouse holds right now; speed
    series leave out runs measured under contention unless `include_contended`."""
    return verdicts.compute({name: con.execute(text).df()
                             for name, text in input_sql(include_contended).items()})


def input_sql(include_contended: bool = False) -> dict[str, str]:
    """`verdicts.SQL`, with the speed inputs taking contended runs too when asked."""
    sql = dict(verdicts.SQL)
    if include_contended:
        sql["latency"] = sql["latency"].replace("AND NOT s.contended", "")
    return sql


def store(con: duckdb.DuckDBPyConnection, series: pd.DataFrame, verdict_rows: pd.DataFrame,
          lag_rows: pd.DataFrame, breaks: pd.DataFrame | None = None) -> None:
    """Replace all rows of the result tables in one transaction (all or nothing); the breaks
    table is left as it is when `breaks` is None."""
    con.execute("BEGIN TRANSACTION")
    try:
        frames = (series, verdict_rows, lag_rows, breaks)
        for (table, columns), frame in zip(verdicts.TABLES.items(), frames):
            if frame is not None:
                _replace(con, table, columns, frame)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _replace(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
             frame: pd.DataFrame) -> None:
    con.execute(f"DELETE FROM {table}")
    if frame.empty:
        return
    con.register("incoming_results", frame[columns])
    try:
        names = ", ".join(columns)
        con.execute(f"INSERT INTO {table} ({names}, computed_at_utc) "
                    f"SELECT {names}, now() FROM incoming_results")
    finally:
        con.unregister("incoming_results")
