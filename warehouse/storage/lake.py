"""A DuckLake warehouse with a PostgreSQL catalog, for when one DuckDB file is not enough.

Why: one process at a time can write a DuckDB file. DuckLake keeps the data as Parquet files
under a data path and the catalog (tables, snapshots, which files hold what) in PostgreSQL, so
processes on many hosts can read and write the same warehouse at once. Both extensions load
from their pinned PyPI wheels (warehouse/storage/extensions.py), never from the network.

A lake is addressed like a file, through `GAPWATCH_DB` or a command argument:

    ducklake:postgres:dbname=gapwatch host=db.internal port=5432 user=gapwatch data_path=/srv/lake/

Everything after `ducklake:postgres:` is a libpq connection string, except `data_path=`, the
folder (or object-store URL, e.g. `s3://bucket/gapwatch/` with DuckDB's httpfs configured)
that holds the Parquet files. Passwords belong in `PGPASSWORD` or `~/.pgpass`, never in the
address: it is printed in messages.
"""

import logging
import os
import re
import shlex
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
from tenacity import Retrying, retry_if_exception, retry_if_exception_type, stop_after_attempt, wait_random

from core.address import LAKE_PREFIX as PREFIX, WarehouseAddress
from core.errors import DatabaseBusy, GapWatchError
from warehouse.storage.extensions import OFFLINE_CONFIG, load_extension

ALIAS = "lake"

log = logging.getLogger("gapwatch.lake")


@dataclass(frozen=True)
class LakeTarget:
    conninfo: str
    data_path: str

    def __str__(self) -> str:
        return f"{PREFIX}{self.conninfo} data_path={self.data_path}"


def is_lake(address) -> bool:
    """For an address already in hand; `core.address.resolve()` is the one place that reads it."""
    return WarehouseAddress(str(address)).is_lake


EMPTY = "this lake is empty: fill it from a DuckDB file with `python -m warehouse migrate-to` (docs/lake.md)"


def on_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a connection writes a lake (attached as the default catalog) or a DuckDB file."""
    return con.execute("SELECT current_database()").fetchone()[0] == ALIAS


def parse_target(address: str) -> LakeTarget:
    """The catalog's connection string and the data path; a clear error when either is missing."""
    if not is_lake(address):
        raise GapWatchError(f"not a lake address (it starts with {PREFIX!r}): {address}")
    try:
        parts = shlex.split(address[len(PREFIX):])
    except ValueError as exc:
        raise GapWatchError(f"lake address {address!r}: {exc}") from None
    data = [p.split("=", 1)[1] for p in parts if p.startswith("data_path=")]
    conninfo = " ".join(p for p in parts if not p.startswith("data_path="))
    if not data or not data[0]:
        raise GapWatchError(f"lake address {address!r} has no data_path=<folder or URL>")
    if "password=" in conninfo:
        raise GapWatchError("put the catalog's password in PGPASSWORD or ~/.pgpass, not in the address")
    if not conninfo:
        raise GapWatchError(f"lake address {address!r} has no PostgreSQL connection string")
    return LakeTarget(conninfo, data[0])


def connect(target: LakeTarget, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as the default catalog, times in UTC."""
    con = duckdb.connect(config=dict(OFFLINE_CONFIG))
    con.execute("SET TimeZone = 'UTC'")
    load_extension(con, "postgres_scanner")
    load_extension(con, "ducklake")
    options = f"DATA_PATH '{_quote(target.data_path)}'" + (", READ_ONLY" if read_only else "")
    try:
        con.execute(f"ATTACH '{_quote('ducklake:postgres:' + target.conninfo)}' AS {ALIAS} ({options})")
    except duckdb.Error as exc:
        con.close()
        if read_only and "creating a new DuckLake is explicitly disabled" in str(exc):
            raise GapWatchError(f"{EMPTY}; lake: {target}") from None
        raise GapWatchError(f"cannot open the lake {target}: {_first_line(exc)}") from None
    con.execute(f"USE {ALIAS}")
    return con


# Attaching the catalog costs 0.3-0.5 s, more than most of the queries behind a page (5-15 ms),
# so a read-only connection is handed on to the next read for a while. Each read still sees the
# newest snapshot: DuckLake consults the catalog at every transaction, new tables and views too.
IDLE_READER_S = 60.0
MAX_IDLE_READERS = 4
_idle: dict[LakeTarget, list[tuple[float, int, duckdb.DuckDBPyConnection]]] = {}
_idle_lock = threading.Lock()


@contextmanager
def reading(target: LakeTarget) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, reused if one was left idle here in the last minute. A read that
    fails closes its connection instead of handing it on."""
    con = _take_idle(target) or connect(target, read_only=True)
    try:
        yield con
    except BaseException:
        con.close()
        raise
    _give_back(target, con)


def _take_idle(target: LakeTarget) -> duckdb.DuckDBPyConnection | None:
    with _idle_lock:
        idle = _usable_idle(target)
        return idle.pop()[2] if idle else None


def _give_back(target: LakeTarget, con: duckdb.DuckDBPyConnection) -> None:
    with _idle_lock:
        idle = _usable_idle(target)
        idle.append((time.monotonic(), os.getpid(), con))
        while len(idle) > MAX_IDLE_READERS:
            idle.pop(0)[2].close()


def _usable_idle(target: LakeTarget) -> list:
    """This process's idle readers under a minute old, oldest first. Expired ones are closed;
    ones inherited through a fork are dropped unclosed (their sockets are the parent's)."""
    idle = _idle.setdefault(target, [])
    now, pid = time.monotonic(), os.getpid()
    for entry in [e for e in idle if e[1] != pid or now - e[0] > IDLE_READER_S]:
        idle.remove(entry)
        if entry[1] == pid:
            entry[2].close()
    return idle


def snapshot_id(target: LakeTarget) -> int | None:
    """The lake's newest snapshot, asked of the PostgreSQL catalog directly (a few ms, where
    attaching the lake in DuckDB takes a few hundred); None if the catalog cannot say."""
    import psycopg

    try:
        with psycopg.connect(target.conninfo, connect_timeout=5) as con:
            return con.execute("SELECT max(snapshot_id) FROM ducklake_snapshot").fetchone()[0]
    except psycopg.Error:
        return None


class WriteConflict(DatabaseBusy):
    """Another writer committed a conflicting change first; the write can be tried again."""


def retry_conflicts() -> Retrying:
    """Writes tried again when another writer on a lake committed first (run_ledger rows are
    updated in place, which DuckLake checks at commit); a busy file is not retried here."""
    return Retrying(retry=retry_if_exception_type(WriteConflict), stop=stop_after_attempt(8),
                    wait=wait_random(0.05, 0.5), reraise=True)


@contextmanager
def writing(target: LakeTarget, atomic: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction on the lake. Many processes on many hosts may write at once: DuckLake
    checks for conflicts at commit, and a conflict becomes WriteConflict (a DatabaseBusy, so a
    run spools the batch and lands it with its next write)."""
    con = connect(target)
    try:
        con.execute("BEGIN TRANSACTION") if atomic else None
        try:
            yield con
            con.execute("COMMIT") if atomic else None
        except duckdb.TransactionException as exc:
            raise WriteConflict(f"{target}: {_first_line(exc)}") from None
        except BaseException:
            if atomic:
                _rollback(con)
            raise
    finally:
        con.close()


class LakeDialect:
    """A connection that takes the project's DuckDB SQL into a DuckLake catalog.

    Why: migrations are written once, for DuckDB files, with PRIMARY KEY, UNIQUE and CHECK
    constraints that DuckLake does not have (rows are checked against their natural keys on
    insert instead, warehouse/storage/writes.py). Those constraints are dropped; all else passes.
    """

    CONSTRAINT = re.compile(r",\s*(PRIMARY KEY|UNIQUE)\s*\([^)]*\)|\s+(PRIMARY KEY|UNIQUE)\b"
                            r"|\s+CHECK\s*\((?:[^()]|\([^()]*\))*\)", re.IGNORECASE)

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def execute(self, sql: str, *args):
        return self.con.execute(self.CONSTRAINT.sub("", sql), *args)

    def __getattr__(self, name):
        return getattr(self.con, name)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def maintain(target: LakeTarget, keep_days: int = 7) -> dict[str, tuple[int, int]]:
    """Upkeep, so thousands of small writes do not stay thousands of files and snapshots.

    Writes small inserts still held in the catalog out to Parquet, merges adjacent small files,
    expires snapshots older than `keep_days` (time travel before that is given up) and deletes
    the files no snapshot needs any more. Returns (before, after) counts of files and snapshots.
    """
    con = connect(target)
    try:
        before = _upkeep_counts(con)
        for call in ("ducklake_flush_inlined_data('lake')", "ducklake_merge_adjacent_files('lake')",
                     f"ducklake_expire_snapshots('lake', older_than => now() - INTERVAL {int(keep_days)} DAY)",
                     "ducklake_cleanup_old_files('lake', cleanup_all => true)"):
            for attempt in Retrying(retry=retry_if_exception(_upkeep_conflict), stop=stop_after_attempt(5),
                                    wait=wait_random(0.1, 1.0), reraise=True,
                                    before_sleep=lambda state, call=call: log.info(
                                        "lake upkeep: %s met a writer's commit; trying it again",
                                        call.split("(")[0])):
                with attempt:  # a writer on another host may commit first: try the step again
                    con.execute(f"CALL {call}").fetchall()
        after = _upkeep_counts(con)
    finally:
        con.close()
    return {name: (before[name], after[name]) for name in before}


# PostgreSQL's words when a writer changed the catalog rows an upkeep step was deleting: the
# flush of inlined data reports it as a plain duckdb.Error, not a TransactionException.
CATALOG_CONFLICT = "could not serialize access due to concurrent update"


def _upkeep_conflict(exc: BaseException) -> bool:
    """A conflict with a writer that committed first: the step can simply be tried again."""
    return isinstance(exc, duckdb.TransactionException) or (
        isinstance(exc, duckdb.Error) and CATALOG_CONFLICT in str(exc))


def _upkeep_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    files = con.execute("SELECT count(*) FROM __ducklake_metadata_lake.ducklake_data_file "
                        "WHERE end_snapshot IS NULL").fetchone()[0]
    snapshots = con.execute("SELECT count(*) FROM ducklake_snapshots('lake')").fetchone()[0]
    return {"data files": files, "snapshots": snapshots}
