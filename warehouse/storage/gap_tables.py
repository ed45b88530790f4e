"""The database side of the gap verdicts: read their inputs, replace their result tables.

Why apart from `verdicts`: the verdicts are analysis, pure functions of DataFrames, and may not
touch the database (issue #19 item 3); this module runs `verdicts.SQL` on a connection, hands
the frames to `verdicts.compute`, and writes what comes back.
"""

import duckdb
import pandas as pd

from warehouse.analysis import benchmark_stories, dimension_checks, verdicts

DIMENSION_TABLES = {"dimension_check_row": dimension_checks.CHECK_COLUMNS,
                    "benchmark_story_row": benchmark_stories.STORY_COLUMNS}


def compute_all(con: duckdb.DuckDBPyConnection,
                include_contended: bool = False) -> tuple[pd.DataFrame, ...]:
    """(gap series, verdicts, lags, breaks) from whatever the warehouse holds right now; the
    dimension composites' verdicts already qualified by their checks (`dimension_checks`);
    speed series leave out runs measured under contention unless `include_contended`."""
    return compute_results(con, include_contended)[:4]


def compute_results(con: duckdb.DuckDBPyConnection,
             include_contended: bool = False) -> tuple[pd.DataFrame, ...]:
    """(series, verdicts, lags, breaks, dimension checks, benchmark stories)."""
    data = {name: con.execute(text).df() for name, text in input_sql(include_contended).items()}
    series, table, lag_rows, breaks = verdicts.compute(data)
    table, breaks, checks, stories = dimension_checks.apply(data, table, breaks)
    return series, table, lag_rows, breaks, checks, stories


def input_sql(include_contended: bool = False) -> dict[str, str]:
    """`verdicts.SQL`, with the speed inputs taking contended runs too when asked."""
    sql = dict(verdicts.SQL)
    if include_contended:
        sql["latency"] = sql["latency"].replace("AND NOT s.contended", "")
    return sql


def refresh(con: duckdb.DuckDBPyConnection, include_contended: bool = False) -> int:
    """Compute everything once and store it all, the dimension tables included; returns the
    number of gap series rows."""
    series, table, lag_rows, breaks, checks, stories = compute_results(con, include_contended)
    store(con, series, table, lag_rows, breaks, (checks, stories))
    return len(series)


def store(con: duckdb.DuckDBPyConnection, series: pd.DataFrame, verdict_rows: pd.DataFrame,
          lag_rows: pd.DataFrame, breaks: pd.DataFrame | None = None,
          dimension_tables: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> None:
    """Replace all rows of the result tables in one transaction (all or nothing); the breaks
    table, and the dimension checks and stories, are left as they are when not given."""
    con.execute("BEGIN TRANSACTION")
    try:
        frames = (series, verdict_rows, lag_rows, breaks)
        for (table, columns), frame in zip(verdicts.TABLES.items(), frames):
            if frame is not None:
                _replace(con, table, columns, frame)
        for (table, columns), frame in zip(DIMENSION_TABLES.items(), dimension_tables or ()):
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
