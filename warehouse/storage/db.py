"""Connections and the lock discipline.

DuckDB locks its file per process: a reader anywhere (a dashboard, a user's
`duckdb -readonly` shell) blocks a writer, and a writer blocks readers. So
GapWatch writes only to a private *master* file and, after every write,
publishes the file people open as a fresh copy (temp file + `os.replace`).
A reader keeps whatever snapshot it opened; the next open sees the new one.
Writers queue on an advisory `flock`, never on DuckDB's lock error.
"""

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from warehouse.storage import file_errors, integrity, lake, snapshot
from core.errors import DatabaseBusy, GapWatchError
from warehouse.storage.extensions import OFFLINE_CONFIG  # db.OFFLINE_CONFIG stays: queries.py and tests use it
from core.address import resolve
from core.paths import WarehousePaths, warehouse_paths

PINNED_DUCKDB = "1.5.5"
WRITE_WAIT_S = 120.0
NOTHING_WRITTEN = "GapWatch wrote nothing and changed no file"


def require_pinned_duckdb() -> None:
    """Refuse to write with another DuckDB: a 2.x file cannot be read by 1.5.5."""
    if duckdb.__version__ != PINNED_DUCKDB:
        raise GapWatchError(
            f"GapWatch writes with duckdb=={PINNED_DUCKDB} but duckdb {duckdb.__version__} is "
            "installed; a file written by a newer DuckDB cannot be read by the pinned one. "
            "Run `pip install -r requirements.txt`."
        )


def describe_open_failure(path: Path, exc: Exception) -> str:
    """Turn DuckDB's open error into one line that says what the file is."""
    try:
        header = _head(path)
    except OSError as os_err:
        return f"{path}: cannot read the file ({os_err.strerror})"
    if header[8:12] != b"DUCK":
        return (f"{path} is not a DuckDB database file (no DuckDB header); GapWatch will not "
                "touch it. Move it away or point GAPWATCH_DB at another path.")
    storage = int.from_bytes(header[12:20], "little")
    writer = header[52:64].rstrip(b"\0").decode("ascii", "replace") or "unknown"
    if "Corrupt database file" in str(exc):
        return file_errors.damaged(path, exc, "GapWatch changed no file")
    if "version number" in str(exc):
        return (f"{path} was written by DuckDB {writer} (storage version {storage}), newer than "
                f"the duckdb {duckdb.__version__} GapWatch pins, which cannot read it. The file is "
                "left untouched: open it with that DuckDB, or point GAPWATCH_DB elsewhere.")
    problem = _damage_or_none(path)
    if problem:  # e.g. cut short: DuckDB says only "Could not read enough bytes"
        return file_errors.damaged(path, problem, "GapWatch changed no file")
    return f"{path}: DuckDB could not open it: {str(exc).splitlines()[0]}"


def _damage_or_none(path: Path) -> str | None:
    try:
        return integrity.damaged_blocks(path)
    except (OSError, ValueError):
        return None


def refuse_foreign(*paths: Path) -> None:
    """A file that is not a DuckDB database where GapWatch keeps one: one line, before anything
    (the write lock included) is created beside it."""
    for path in paths:
        try:
            header = _head(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise GapWatchError(f"{path}: cannot read the file ({exc.strerror})") from None
        if header[8:12] != b"DUCK":
            raise GapWatchError(describe_open_failure(path, duckdb.IOException("not a DuckDB file")))


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(64)


def connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open one short-lived, offline connection with times in UTC."""
    if read_only and not path.exists():
        raise GapWatchError(f"{path} does not exist yet: run `python -m warehouse init`.")
    file_errors.refuse_folders(path)
    try:
        con = (snapshot.open_read_only(path, dict(OFFLINE_CONFIG)) if read_only else
               duckdb.connect(str(path), config=dict(OFFLINE_CONFIG)))
    except duckdb.IOException as exc:
        if "Could not set lock" in str(exc):
            raise
        raise GapWatchError(describe_open_failure(path, exc)) from None
    except duckdb.Error as exc:
        raise GapWatchError(describe_open_failure(path, exc)) from None
    con.execute("SET TimeZone = 'UTC'")
    return con


def version_key(db: str | os.PathLike | None = None) -> tuple[str, int]:
    """What identifies the data a reader sees: the published file and its modification time.

    A lake's is its newest snapshot id, so cached pages stay cached until a writer commits; if
    the catalog cannot be asked, the current minute (new rows show within a minute).
    """
    address = resolve(db)
    if address.is_lake:
        snapshot = lake.snapshot_id(lake.parse_target(address.text))
        return address.text, snapshot if snapshot is not None else -int(time.time() // 60)
    published = warehouse_paths(address).published
    return str(published), published.stat().st_mtime_ns


@contextmanager
def reading(db: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published snapshot (or to a lake); it never blocks a writer."""
    address = resolve(db)
    if address.is_lake:
        with lake.reading(lake.parse_target(address.text)) as con:
            yield con
        return
    paths = warehouse_paths(address)
    con = connect(paths.published, read_only=True)
    try:
        with _damaged_snapshot_as_one_line(paths):
            yield con
    finally:
        con.close()


@contextmanager
def _damaged_snapshot_as_one_line(paths: WarehousePaths) -> Iterator[None]:
    """A query that meets a damaged block of the published file: one line, and the way out
    (any write publishes a fresh copy of the master, which writes check before they begin)."""
    try:
        yield
    except duckdb.IOException as exc:
        if "Corrupt database file" not in str(exc):
            raise
        raise integrity.DamagedFile(file_errors.damaged(paths.published, exc)) from None


@contextmanager
def writing(db: str | os.PathLike | None = None, wait_s: float = WRITE_WAIT_S,
            atomic: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """The one writer: lock, write the master, checkpoint, publish, unlock.

    With `atomic` (the default) the block is one transaction: if it raises,
    nothing it wrote is kept and nothing is published. Callers that manage
    their own transactions (migrations, the public import) pass `atomic=False`.
    """
    require_pinned_duckdb()
    address = resolve(db)
    if address.is_lake:
        with lake.writing(lake.parse_target(address.text), atomic) as con:
            yield con
        return
    paths = warehouse_paths(address)
    file_errors.refuse_folders(paths.published, paths.master)
    _refuse_unusable(paths)
    with _write_lock(paths, wait_s):
        with file_errors.as_one_line(paths, publishing=False):
            file_errors.require_room(paths)
            _seed_master_from_published(paths)
            con = _open_whole_master(paths, wait_s)
            try:
                with _transaction(con, atomic):
                    yield con
                con.execute("CHECKPOINT")
            finally:
                _close(con, paths)
        with file_errors.as_one_line(paths, publishing=True):
            publish(paths)


def _open_whole_master(paths: WarehousePaths, wait_s: float) -> duckdb.DuckDBPyConnection:
    """The master, checked whole before anything is written to it (unless this process left
    it whole and it has not changed since): a damaged master is never written, nor published."""
    if not paths.master.exists() or integrity.known_whole(paths.master):
        return _connect_master(paths, wait_s)
    problem = integrity.damaged_blocks(paths.master)
    if problem:
        raise file_errors.damaged_master(paths, problem, NOTHING_WRITTEN)
    con = _connect_master(paths, wait_s)
    try:
        problem = integrity.unreadable_tables(con)
        if problem:
            raise file_errors.damaged_master(paths, problem, NOTHING_WRITTEN)
    except BaseException:
        con.close()
        raise
    return con


def _close(con: duckdb.DuckDBPyConnection, paths: WarehousePaths) -> None:
    """Close; a write-ahead log left empty by a write that failed (a full disk) goes too."""
    con.close()
    wal = paths.master.with_name(paths.master.name + ".wal")
    if wal.exists() and wal.stat().st_size == 0:
        wal.unlink()


def replace_master(source: Path, db: str | os.PathLike | None = None,
                   wait_s: float = WRITE_WAIT_S) -> None:
    """Swap another warehouse file in as the master (a restore), under the write lock; publish."""
    require_pinned_duckdb()
    paths = warehouse_paths(db)
    paths.folder.mkdir(parents=True, exist_ok=True)
    file_errors.refuse_folders(paths.published, paths.master)
    with _write_lock(paths, wait_s), file_errors.as_one_line(paths, publishing=False):
        tmp = paths.master.with_name(paths.master.name + ".restoring")
        try:
            shutil.copyfile(source, tmp)
            tmp.chmod(0o644)
            os.replace(tmp, paths.master)
        finally:
            tmp.unlink(missing_ok=True)
        publish(paths)  # a full disk here: the restored master is kept, as after any write


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection, atomic: bool) -> Iterator[None]:
    if not atomic:
        yield
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        _rollback_quietly(con)
        raise
    con.execute("COMMIT")


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back without masking the caller's exception (the block may have ended it itself)."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


@contextmanager
def _write_lock(paths: WarehousePaths, wait_s: float) -> Iterator[None]:
    handle = _open_lock(paths)
    try:
        for attempt in Retrying(stop=stop_after_delay(wait_s), wait=wait_fixed(0.05),
                                retry=retry_if_exception_type(BlockingIOError), reraise=True):
            with attempt:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    except BlockingIOError:
        raise DatabaseBusy(f"{paths.master}: another GapWatch writer held it for over "
                           f"{wait_s:.0f} s") from None
    finally:
        handle.close()


def _open_lock(paths: WarehousePaths):
    """The lock file, or one line naming the path and what to do (a read-only or full disk, a
    folder where the file should be): nothing is written then."""
    try:
        paths.folder.mkdir(parents=True, exist_ok=True)
        return paths.write_lock.open("a")
    except IsADirectoryError:
        raise GapWatchError(f"{paths.write_lock} is a folder where GapWatch keeps its lock file; "
                            "move it away") from None
    except OSError as exc:
        if exc.errno in file_errors.FULL_ERRNOS:
            raise file_errors.no_room_for_lock(paths, exc) from None
        raise GapWatchError(f"cannot write in {paths.folder} ({exc.strerror}): GapWatch keeps its "
                            "database and lock there; make the folder writable (or free space), "
                            "or point GAPWATCH_DB at a writable place") from None


def _connect_master(paths: WarehousePaths, wait_s: float) -> duckdb.DuckDBPyConnection:
    """Only someone opening the master by hand can hold its lock: wait, then say so."""
    try:
        for attempt in Retrying(stop=stop_after_delay(wait_s), wait=wait_fixed(0.1),
                                retry=retry_if_exception_type(duckdb.IOException), reraise=True):
            with attempt:
                return connect(paths.master, read_only=False)
    except duckdb.IOException:
        raise DatabaseBusy(f"{paths.master} is held open by another process (a shell?); open "
                           f"{paths.published} instead, it never blocks GapWatch") from None
    raise AssertionError("unreachable")


def _refuse_unusable(paths: WarehousePaths) -> None:
    """Before the lock file is created: a foreign file, or a published file with no master whose
    blocks are damaged (cut short, say), is one line, and GapWatch creates nothing beside it."""
    refuse_foreign(paths.published, paths.master)
    if paths.published.exists() and not paths.master.exists():
        problem = _damage_or_none(paths.published)
        if problem:
            raise integrity.DamagedFile(f"{paths.published} is damaged ({problem}); there is no "
                                        f"master beside it; {NOTHING_WRITTEN}; "
                                        f"{file_errors.RESTORE_BACKUP}")


def _seed_master_from_published(paths: WarehousePaths) -> None:
    """A published file with no master (copied from elsewhere) becomes the master, if whole."""
    if paths.published.exists() and not paths.master.exists():
        connect(paths.published, read_only=True).close()
        integrity.verify(paths.published, f"there is no master beside it; {NOTHING_WRITTEN}; "
                         f"{file_errors.RESTORE_BACKUP}")
        shutil.copyfile(paths.published, paths.master)
        paths.master.chmod(0o644)


def publish(paths: WarehousePaths) -> None:
    """Replace the published file atomically with a copy of the checkpointed master, once the
    copy is found whole: a damaged master is never published (the published file stays)."""
    _remove_stale_copies(paths)
    tmp = paths.published.with_name(f".{paths.published.name}.tmp-{os.getpid()}")
    try:
        shutil.copyfile(paths.master, tmp)
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        problem = integrity.damage(tmp, full_read=False)
        if problem:
            raise file_errors.damaged_master(paths, problem, f"GapWatch did not publish it, "
                                             f"{paths.published.name} is as it was")
        tmp.chmod(0o444)
        os.replace(tmp, paths.published)
        _fsync_folder(paths.folder)
    finally:
        tmp.unlink(missing_ok=True)
    integrity.remember_whole(paths.master)


def _remove_stale_copies(paths: WarehousePaths) -> None:
    """Half-written copies left by a killed writer (we hold the write lock, so none is live)."""
    for stale in paths.folder.glob(f".{paths.published.name}.tmp-*"):
        stale.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable, so a crash cannot bring back the previous snapshot."""
    fd = os.open(folder or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
