"""Writes: the run ledger and idempotent row inserts.

Every measurement table has a natural primary key, and rows are inserted
with `ON CONFLICT DO NOTHING`, so a retried or resumed run never stores a
row twice. Runs are recorded when they start and when they end.
"""

import json

import duckdb
import pandas as pd

from warehouse.storage import lake
from core.errors import GapWatchError
from core.redaction import redact

ROW_TABLES = {"latency_sample", "capability_item_result", "price_period"}  # a run's own rows
# Natural keys, as the DuckDB file's PRIMARY KEYs declare them; a DuckLake table has no
# constraints, so there the same keys are checked by the insert itself.
NATURAL_KEYS = {
    "latency_sample": ("run_id", "model_id", "workload", "concurrency", "request_index"),
    "capability_item_result": ("run_id", "model_id", "pack", "pack_version", "item_id", "variant", "seed"),
    "capability_score_row": ("run_id", "model_id", "pack", "pack_version", "metric"),
}
RUN_STATUSES = ("running", "ok", "partial", "failed", "abandoned")
# Rows of runs `set_validity` has not invalidated: the views and the price periods filter on it.
VALID_RUN = "run_id IN (SELECT run_id FROM run_ledger WHERE invalidated_at_utc IS NULL)"


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, collector: str, host: str,
              context: dict) -> None:
    con.execute("""INSERT INTO run_ledger (run_id, collector, host, started_at_utc, status, context)
                   VALUES (?, ?, ?, now(), 'running', ?)""",
                [run_id, collector, host, redact(json.dumps(context, default=str))])


def start_run_once(con: duckdb.DuckDBPyConnection, run_id: str, collector: str, host: str,
                   context: str) -> None:
    """A start that waited in a spool: its time is the one in the run id; landed twice, kept once."""
    con.execute("""INSERT INTO run_ledger (run_id, collector, host, started_at_utc, status, context)
                   SELECT $run, $collector, $host, strptime(regexp_extract($run, '[0-9]{8}T[0-9]{6}Z'),
                          '%Y%m%dT%H%M%SZ')::TIMESTAMP AT TIME ZONE 'UTC', 'running', $context
                   WHERE NOT EXISTS (SELECT 1 FROM run_ledger WHERE run_id = $run)""",
                {"run": run_id, "collector": collector, "host": host, "context": context})


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, n_rows: int,
               n_warnings: int, error: str | None, context: dict | None = None,
               finished_at=None) -> None:
    """Record the outcome; `context` replaces the one stored at start (collectors add to it).
    `finished_at`: when the run really ended, if its end waited in a spool (default: now)."""
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    con.execute("""UPDATE run_ledger SET finished_at_utc = coalesce(?::TIMESTAMPTZ, now()),
                   status = ?, n_rows = ?, n_warnings = ?, error = ?, context = coalesce(?, context)
                   WHERE run_id = ?""",
                [finished_at, status, n_rows, n_warnings, redact(error),
                 redact(json.dumps(context, default=str)) if context is not None else None, run_id])


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame) -> int:
    """Insert by column name; rows already stored (same natural key) are skipped."""
    if table not in ROW_TABLES | set(NATURAL_KEYS):
        raise ValueError(f"not a measurement table: {table}")
    if rows.empty:
        return 0
    con.register("incoming_rows", rows)
    try:
        columns = ", ".join(rows.columns)
        return con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_rows "
                           f"{_skip_stored(con, table)}").fetchone()[0]
    finally:
        con.unregister("incoming_rows")


def _skip_stored(con: duckdb.DuckDBPyConnection, table: str) -> str:
    return skip_existing(con, table, NATURAL_KEYS.get(table, ()), "incoming_rows")


def skip_existing(con: duckdb.DuckDBPyConnection, table: str, keys, incoming: str) -> str:
    """`ON CONFLICT DO NOTHING` on a DuckDB file; on a lake (no keys) the same test, spelt out
    against the rows coming from `incoming`."""
    if not lake.on_lake(con):
        return "ON CONFLICT DO NOTHING"
    if not keys:
        return ""
    match = " AND ".join(f"stored.{k} = {incoming}.{k}" for k in keys)
    return f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS stored WHERE {match})"


def _stored_rows_sql(run_param: str) -> str:
    return " + ".join(f"(SELECT count(*) FROM {t} WHERE run_id = {run_param})" for t in sorted(ROW_TABLES))


ABANDONED = "process ended before the run finished; "


def recount_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Set a run's n_rows to what is stored for it (rows that landed after it ended); an
    abandoned run's error says the same count."""
    con.execute(f"""UPDATE run_ledger SET n_rows = {_stored_rows_sql('$run')},
                    error = CASE WHEN status = 'abandoned' AND starts_with(error, '{ABANDONED}')
                                 THEN '{ABANDONED}' || {_stored_rows_sql('$run')} || ' rows kept'
                                 ELSE error END
                    WHERE run_id = $run""", {"run": run_id})


def settle_landed_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """A run that ended while its rows waited in a spool said `partial` ("rows wait in ...");
    once they have all landed it gets the status it had apart from that (kept in its context)."""
    con.execute("""UPDATE run_ledger SET error = json_extract_string(context, '$.error_once_landed'),
                       status = json_extract_string(context, '$.status_once_landed')
                   WHERE run_id = ? AND status = 'partial' AND error LIKE 'warehouse busy: %'
                     AND json_extract_string(context, '$.status_once_landed') IS NOT NULL""", [run_id])


def abandon_stale_runs(con: duckdb.DuckDBPyConnection, host: str, alive_run_ids: set[str]) -> int:
    """Mark this host's `running` runs whose process is gone as abandoned; keep their rows and
    say how many (rows that land from a spool later are counted in: `recount_rows`)."""
    stale = [r[0] for r in con.execute("SELECT run_id FROM run_ledger WHERE host = ? AND "
                                       "status = 'running'", [host]).fetchall()
             if r[0] not in alive_run_ids]
    for run_id in stale:
        con.execute("UPDATE run_ledger SET status = 'abandoned', finished_at_utc = now(), "
                    f"error = coalesce(error, '{ABANDONED}') WHERE run_id = $run", {"run": run_id})
        recount_rows(con, run_id)
    return len(stale)


def set_validity(con: duckdb.DuckDBPyConnection, run_id: str, why: str | None) -> None:
    """Invalidate a run (`why` given) or restore it (`why` None); views follow at once."""
    found = con.execute("SELECT count(*) FROM run_ledger WHERE run_id = ?", [run_id]).fetchone()[0]
    if not found:
        raise GapWatchError(f"no run with id {run_id!r} (see the runs view)")
    con.execute("UPDATE run_ledger SET invalidated_at_utc = CASE WHEN ? IS NULL THEN NULL "
                "ELSE now() END, invalid_reason = ? WHERE run_id = ?", [why, why, run_id])
