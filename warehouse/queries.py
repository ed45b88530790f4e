"""Read-only queries the dashboard and the CLI share; each returns a DataFrame."""

import pandas as pd

from warehouse import db


def read(sql: str, params: list | None = None, db_path=None) -> pd.DataFrame:
    """Run one read on the published snapshot with a short-lived connection."""
    with db.reading(db_path) as con:
        return con.execute(sql, params or []).df()


def coverage(db_path=None) -> pd.DataFrame:
    return read("""
        SELECT count(DISTINCT model_id) AS n_models,
               count(DISTINCT model_id) FILTER (WHERE source = 'measured') AS n_measured_models,
               min(measured_at_utc) AS first_utc, max(measured_at_utc) AS last_utc,
               count(DISTINCT (pack, measured_at_utc)) FILTER (WHERE pack LIKE 'arena:%' AND pack NOT LIKE 'arena:lab_frontier:%') AS n_arena_snapshots,
               count(*) AS n_scores
        FROM capability_scores""", db_path=db_path)


def gap_series(gap_kind: str, db_path=None) -> pd.DataFrame:
    return read("SELECT * FROM gap_series WHERE gap_kind = ? ORDER BY metric, bucket_start",
                [gap_kind], db_path=db_path)


def freshness(db_path=None) -> pd.DataFrame:
    """The newest run per collector, with its outcome."""
    return read("""
        SELECT collector, arg_max(status, started_at_utc) AS status,
               max(finished_at_utc) AS finished_at_utc, arg_max(error, started_at_utc) AS error
        FROM runs WHERE valid GROUP BY collector ORDER BY finished_at_utc DESC""", db_path=db_path)
