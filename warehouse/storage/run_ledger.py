"""The run ledger as the collectors see it: write transactions and the questions they ask.

Why a module of its own: the collectors (runner, spool, scheduler, CLI) decide *when* a run
starts, lands its spool or is abandoned; the warehouse alone opens the database and holds the
SQL. A collector opens one transaction with `writing`, hands it back to the functions here and
in `warehouse.storage.writes` (which take rows and never commit on their own), and so keeps every
start, landing and end in the single transaction it had before. Reads return frames or values.
"""

import json
from contextlib import contextmanager
from typing import Iterator

import duckdb
import pandas as pd

from warehouse.storage import db, writes

WRITE_WAIT_S = db.WRITE_WAIT_S
# What `writing` yields: an open write transaction, to pass back to warehouse functions only.
Transaction = duckdb.DuckDBPyConnection


@contextmanager
def writing(db_path=None, wait_s: float = WRITE_WAIT_S) -> Iterator[Transaction]:
    """One write transaction on the master (the lock discipline of `warehouse.storage.db.writing`):
    everything done with it is kept, or none of it, and published once."""
    with db.writing(db_path, wait_s=wait_s) as con:
        yield con


def running(tx: Transaction, host: str | None = None) -> list[tuple[str, dict]]:
    """(run id, context) of the runs the ledger says are `running`, on `host` if given."""
    rows = tx.execute("SELECT run_id, context FROM run_ledger WHERE status = 'running' "
                      "AND ($host IS NULL OR host = $host)", {"host": host}).fetchall()
    return [(run_id, json.loads(context or "{}")) for run_id, context in rows]


def running_now(host: str, db_path=None) -> list[tuple[str, dict]]:
    """`running` from the published snapshot, without taking the writer's lock."""
    with db.reading(db_path) as con:
        return running(con, host)


def set_context(tx: Transaction, run_id: str, context: dict) -> None:
    """Replace a started run's context (a collector learns its seed or chain after the start)."""
    tx.execute("UPDATE run_ledger SET context = ? WHERE run_id = ?",
               [json.dumps(context, default=str), run_id])


def store_context(db_path, run_id: str, context: dict) -> None:
    """`set_context` in a write of its own, retried on a lake's commit conflict."""
    from warehouse.storage.lake import retry_conflicts

    for attempt in retry_conflicts():
        with attempt, writing(db_path) as tx:
            set_context(tx, run_id, context)


def set_validity(run_id: str, why: str | None, db_path=None) -> None:
    """`writes.set_validity` in a write of its own (the CLI's `runs invalidate|restore`)."""
    with writing(db_path) as tx:
        writes.set_validity(tx, run_id, why)


def recent_runs(limit: int, db_path=None) -> pd.DataFrame:
    """The newest runs for `runs list`, columns in words: start, finish and duration (UTC),
    and whether the host was busy while the run measured (`runs.contended`)."""
    with db.reading(db_path) as con:
        return con.execute("""SELECT run_id AS run, collector,
                                     strftime(started_at_utc AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS "started (UTC)",
                                     round(epoch(finished_at_utc - started_at_utc), 1) AS "took (s)",
                                     status, n_rows AS rows, CASE WHEN valid THEN 'yes' ELSE 'no' END AS valid,
                                     CASE WHEN collector LIKE 'public:%' THEN '-'
                                          WHEN contended THEN 'CONTENDED: ' || contention
                                          WHEN contended IS NULL THEN 'not recorded'
                                          ELSE 'quiet' END AS "host while measuring",
                                     coalesce(error, '') AS error
                              FROM runs ORDER BY started_at_utc DESC LIMIT ?""", [limit]).df()


def last_runs(host: str, db_path=None) -> dict[str, dict]:
    """Each collector's last run on `host`: collector -> its start, status, rows and error.
    Empty before the first publish (a DuckDB file not written yet has no ledger to read)."""
    from core.address import resolve
    from core.paths import warehouse_paths

    if not resolve(db_path).is_lake and not warehouse_paths(db_path).published.exists():
        return {}
    with db.reading(db_path) as con:
        frame = con.execute("""SELECT collector, max(started_at_utc) AS started_at_utc,
                   arg_max(status, started_at_utc) AS status, arg_max(n_rows, started_at_utc) AS n_rows,
                   arg_max_null(error, started_at_utc) AS error FROM runs WHERE host = ?
                   GROUP BY collector""", [host]).df()
    return {row["collector"]: row for row in frame.to_dict("records")}

