"""A damaged database file, a full disk, a folder where a file should be: one line each.

Why here and not where they happen: DuckDB, `shutil` and the OS report these from deep inside
a write (a commit, a checkpoint, the publish copy) as exceptions whose text a user cannot act
on. `warehouse.storage.db` asks this module before a write (is there room? is anything a folder?) and
wraps every write in `as_one_line`, so each ends as a `GapWatchError` that names the file and
says what to do, and the CLIs print it as one `error:` line.
"""

import errno
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from warehouse.storage import integrity
from core.errors import GapWatchError
from core.paths import WarehousePaths

# Beyond the publish copy: the write-ahead log and the blocks a checkpoint adds.
HEADROOM_BYTES = 16 * 2**20
FULL_ERRNOS = {errno.ENOSPC: "No space left on device", errno.EFBIG: "File too large",
               errno.EDQUOT: "Disk quota exceeded"}
RESTORE_BACKUP = "restore your newest backup: `python -m warehouse restore BACKUP.duckdb`"
ROOM_ADVICE = "free some space there, or point GAPWATCH_DB at a disk with room, and run again"


class DiskFull(GapWatchError):
    """No room to write the master or its published copy."""


def refuse_folders(*paths: Path) -> None:
    """A folder where a database file should be (the published file, the master): say so
    before anything is opened or written."""
    for path in paths:
        if path.is_dir():
            raise GapWatchError(f"{path} is a folder where GapWatch keeps its database file; move "
                                "it away, or point GAPWATCH_DB at a file path (e.g. data/gapwatch.duckdb)")


def require_room(paths: WarehousePaths) -> None:
    """Refuse a write that cannot be published: the copy alone needs the master's size again."""
    source = paths.master if paths.master.exists() else paths.published
    size = source.stat().st_size if source.exists() else 0
    need = size * (1 if paths.master.exists() else 2) + HEADROOM_BYTES
    free = shutil.disk_usage(paths.folder).free
    if free < need:
        raise DiskFull(f"disk full: {paths.folder} has {free / 2**20:.1f} MB free and GapWatch needs "
                       f"about {need / 2**20:.0f} MB there to write {paths.master.name} and publish "
                       f"{paths.published.name}; it wrote nothing and changed no file: {ROOM_ADVICE}")


def damaged(path: Path, exc: Exception | str, outcome: str | None = None) -> str:
    """DuckDB met a damaged block of `path`: the line, and the way out for that file."""
    paths = WarehousePaths(path.with_name(path.name.replace(".master.duckdb", ".duckdb")))
    way_out = (f"`python -m warehouse init` publishes it again from {paths.master.name}, which is whole"
               if path != paths.master and integrity.is_whole(paths.master) else restore_advice(paths))
    return f"{path} is damaged ({_first_line(exc)}); " + (f"{outcome}; " if outcome else "") + way_out


def verify_published(paths: WarehousePaths) -> None:
    """DamagedFile, with the way out, when the published file's blocks or tables are damaged:
    `python -m warehouse status` asks this, as DuckDB itself reads only the blocks a query needs."""
    problem = integrity.damage(paths.published)
    if problem:
        raise integrity.DamagedFile(damaged(paths.published, problem, "GapWatch changed no file"))


def restore_advice(paths: WarehousePaths) -> str:
    """Where to restore from: the published snapshot if it is whole, else a backup."""
    if integrity.is_whole(paths.published):
        return (f"its last published copy is whole: `python -m warehouse restore {paths.published}` "
                "makes that the master again")
    return RESTORE_BACKUP


def damaged_master(paths: WarehousePaths, problem: str, outcome: str) -> integrity.DamagedFile:
    return integrity.DamagedFile(f"{paths.master} is damaged ({problem}); {outcome}; "
                                 f"{restore_advice(paths)}")


@contextmanager
def as_one_line(paths: WarehousePaths, publishing: bool) -> Iterator[None]:
    """DuckDB's and the OS's disk-full and corrupt-block errors of a write (or of its publish)
    as one line naming the folder or the master, and what became of the rows."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in FULL_ERRNOS or not _ours(exc, paths):
            raise
        raise _disk_full(paths, FULL_ERRNOS[exc.errno], publishing) from None
    except duckdb.Error as exc:
        full = next((text for text in FULL_ERRNOS.values() if text in str(exc)), None)
        if full:
            raise _disk_full(paths, full, publishing) from None
        if "Corrupt database file" not in str(exc):
            raise
        raise damaged_master(paths, _first_line(exc), "nothing was published") from None


def no_room_for_lock(paths: WarehousePaths, exc: OSError) -> DiskFull:
    return DiskFull(f"disk full: {exc.strerror} while GapWatch created its lock file {paths.write_lock}; "
                    f"it wrote nothing and changed no file: {ROOM_ADVICE}")


def _disk_full(paths: WarehousePaths, reason: str, publishing: bool) -> DiskFull:
    """After the commit (publishing), the rows are in the master, and the next write publishes
    them; before it, the master rolled back."""
    kept = (f"what it wrote is kept in {paths.master.name}, and the next write publishes it"
            if publishing else f"{paths.published.name} is as it was")
    return DiskFull(f"disk full: {reason} while GapWatch "
                    f"{'published' if publishing else 'wrote'} in {paths.folder}; {kept}: {ROOM_ADVICE}")


def _ours(exc: OSError, paths: WarehousePaths) -> bool:
    """An error of a file in the warehouse's folder (a copy reports no file name)."""
    return exc.filename is None or Path(exc.filename).parent == paths.folder


def _first_line(exc: Exception | str) -> str:
    return str(exc).splitlines()[0].removeprefix("IO Error: ")
