"""Rows, and run endings, that could not reach the warehouse yet: kept on disk until they can.

Why: the warehouse can stay busy for longer than a run will wait (someone opened the
master file itself in a shell, a restore is running). Rows held in memory would die with
the process; a spool file per batch survives crashes and restarts, and the next write of
any run lands it. Landing is idempotent (natural keys, `ON CONFLICT DO NOTHING`), so a
batch landed twice (a crash between commit and delete) is still stored once.

Each batch is written under a temporary name, fsynced, then renamed: a full disk leaves no
half-written batch behind, only a clear error. Files are named `<run>~<sequence>~<table>.parquet`
and land in name order: within a run, in the order they were written, its start first and
its end last.
"""

import contextlib
import itertools
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from collectors.context import process_alive
from warehouse.storage import run_ledger, writes
from core.errors import GapWatchError
from core.paths import local_folder

# A run is spooled by one process only, so a per-process sequence keeps its batches in order.
_SEQUENCE = itertools.count()
RUN_START = "run_start"  # a spooled ledger row: the run began while the warehouse was busy
RUN_END = "run_end"  # a spooled ledger update: the run finished while the warehouse was busy
SUFFIX = ".parquet"


class SpoolFull(GapWatchError):
    """A batch could not be written to the spool (disk full, no permission)."""


def folder_for(db=None) -> Path:
    """`spool/` beside the warehouse file; for a lake, `data/spool/` on this host."""
    return local_folder(db) / "spool"


def save(folder: Path, run_id: str, table: str, rows: list[dict]) -> Path:
    """One batch to one file, atomically; SpoolFull (nothing left behind) if it cannot."""
    name = f"{run_id}~{next(_SEQUENCE):08d}~{table}{SUFFIX}"
    tmp = folder / f".{name}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_parquet(tmp, index=False)
        _fsync(tmp)
        os.replace(tmp, folder / name)
        _fsync(folder)
    except OSError as exc:
        with contextlib.suppress(OSError):  # nothing to remove, or no folder to remove it from
            tmp.unlink()
        raise SpoolFull(f"cannot spool {len(rows)} {table} rows of run {run_id} to {folder}: "
                        f"{exc.strerror or exc}") from exc
    return folder / name


def pending(folder: Path) -> list[Path]:
    """Spooled batches waiting to land, oldest first within each run."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob(f"*~*~*{SUFFIX}") if not path.name.startswith("."))


@dataclass
class Landed:
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # run id -> rows newly stored


def land(con: run_ledger.Transaction, folder: Path, own_run_id: str | None = None) -> Landed:
    """Store every pending batch, inside the caller's write transaction.

    Batches of another run still `running` (and not ended in the spool) wait for that run: it
    lands its own, or they land after it is marked abandoned. The caller deletes `files` only
    after its commit.
    """
    waiting = pending(folder)
    ended = {run_id for run_id, table in map(_parts, waiting) if table == RUN_END}
    landed, busy = Landed(), (_running(con) | _started_here(waiting)) - ended - {own_run_id}
    for path in waiting:
        run_id, table = _parts(path)
        if run_id in busy:
            continue
        frame = pd.read_parquet(path)
        if table == RUN_START:
            writes.start_run_once(con, **frame.iloc[0].to_dict())
        elif table == RUN_END:
            _end_run(con, frame.iloc[0].to_dict())
        else:
            landed.rows[run_id] = landed.rows.get(run_id, 0) + writes.insert_rows(con, table, frame)
        landed.files.append(path)
    for run_id in set(landed.rows) - {own_run_id}:
        writes.recount_rows(con, run_id)
    still_waiting = {_parts(path)[0] for path in set(waiting) - set(landed.files)}
    for run_id in {_parts(path)[0] for path in landed.files} - still_waiting - {own_run_id}:
        writes.settle_landed_run(con, run_id)
    return landed


def land_pending(db_path=None) -> int:
    """Land what waits in the spool now (the scheduler does at start); rows newly stored."""
    folder = folder_for(db_path)
    if not pending(folder):
        return 0
    with run_ledger.writing(db_path) as con:
        landed = land(con, folder)
    remove(landed.files)
    return sum(landed.rows.values())


def remove(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _parts(path: Path) -> tuple[str, str]:
    """(run id, table) from `<run>~<sequence>~<table>.parquet`."""
    run_id, _sequence, table = path.name.removesuffix(SUFFIX).split("~")
    return run_id, table


def _started_here(waiting: list[Path]) -> set[str]:
    """Runs whose start waits in this host's spool and whose process still lives: they land
    their own rows (a dead one's rows land, and the scheduler marks it abandoned)."""
    starts = [path for path in waiting if _parts(path)[1] == RUN_START]
    return {_parts(path)[0] for path in starts
            if process_alive(json.loads(pd.read_parquet(path).iloc[0]["context"]).get("pid"))}


def start_record(run_id: str, collector: str, host: str, context: dict) -> dict:
    return {"run_id": run_id, "collector": collector, "host": host,
            "context": json.dumps(context, default=str)}


def _running(con: run_ledger.Transaction) -> set[str]:
    return {run_id for run_id, _context in run_ledger.running(con)}


def _end_run(con: run_ledger.Transaction, end: dict) -> None:
    """The run's own end time (older spool files have none: then the landing time)."""
    finished = end.get("finished_at_utc")
    writes.finish_run(con, end["run_id"], end["status"], 0, int(end["n_warnings"]),
                      end["error"], json.loads(end["context"]),
                      finished_at=None if finished is None or pd.isna(finished)
                      else pd.Timestamp(finished).to_pydatetime())
    writes.recount_rows(con, end["run_id"])


def end_record(run_id: str, status: str, n_warnings: int, error: str | None, context: dict,
               finished_at_utc=None) -> dict:
    return {"run_id": run_id, "status": status, "n_warnings": n_warnings, "error": error,
            "context": json.dumps(context, default=str), "finished_at_utc": finished_at_utc}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


