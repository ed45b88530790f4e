"""Is a warehouse file whole? Asked before GapWatch writes into its master and before it publishes.

Why not just open it: DuckDB checks a block's checksum only when a query reads that block, and
it reads lazily (a column when a query names it, a key index when a write needs it). A file
damaged where no query looked opened fine, took writes, and every write published the damage
again (issue #17). So two checks, both needed:

- every block's checksum, computed as the pinned duckdb 1.5.5 computes it
  (`src/common/checksum.cpp`): three 4 KiB headers, then blocks of `block_alloc_size` bytes,
  each starting with a 64-bit checksum of the rest. This reaches the blocks no query reads
  (key indexes), in about 1 ms per MB; blocks on DuckDB's free list are left out;
- DuckDB itself reads the tables, so the check does not rest on this module knowing the file
  format alone: every column of every table in full before a write into the master (once per
  process, unless the master changed behind its back), their row counts before a publish.

Views are not counted: they hold no rows of their own (what they read is checked above), and
counting them all took 17-19 s on a 10-million-row warehouse (the cost views join prices to
every item), against 0.5 s for every block's checksum and 1.3 s to read every table in full.
"""

from pathlib import Path

import duckdb
import numpy as np

from core.errors import GapWatchError
from warehouse.storage import snapshot

HEADER_BYTES = 4096
HEADERS = 3  # the main header, then two database headers (the newer one is in use)
BLOCKS_PER_READ = 64  # 16 MiB at a time: the check's memory stays small for any file size
METADATA_PER_BLOCK = 64  # DuckDB's metadata sub-blocks per block
NO_POINTER = 2**64 - 1
BLOCK_ID_MASK = 2**56 - 1  # a metadata pointer: the block id, and the sub-block in the top byte
_MULTIPLIER = np.uint64(0xBF58476D1CE4E5B9)
_SEED = np.uint64(5381)
READ_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_known_whole: dict[Path, tuple[int, int, int, int]] = {}  # path -> stat when last found whole


class DamagedFile(GapWatchError):
    """A database file whose bytes are not what DuckDB wrote: GapWatch neither writes nor publishes it."""


def damage(path: Path, full_read: bool = True) -> str | None:
    """What is wrong with the file's bytes (None: whole). Blocks first: cheap and exhaustive."""
    problem = damaged_blocks(path)
    if problem:
        return problem
    try:
        con = snapshot.open_read_only(path, dict(READ_CONFIG))
    except duckdb.IOException as exc:
        if "Corrupt" not in str(exc):
            raise
        return str(exc).splitlines()[0].removeprefix("IO Error: ")
    try:
        return unreadable_tables(con, full_read)
    finally:
        con.close()


def verify(path: Path, what_then: str) -> None:
    """DamagedFile naming the file, the damage and `what_then` (what the user should do)."""
    problem = damage(path)
    if problem:
        raise DamagedFile(f"{path} is damaged ({problem}); {what_then}")
    remember_whole(path)


def known_whole(path: Path) -> bool:
    """Is the file as this process last found (or wrote and found) it whole? Then skip a check."""
    return _known_whole.get(path.resolve()) == _identity(path)


def remember_whole(path: Path) -> None:
    _known_whole[path.resolve()] = _identity(path)


def _identity(path: Path) -> tuple[int, int, int, int]:
    stat = path.stat()
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def checksums(words: np.ndarray) -> np.ndarray:
    """DuckDB's checksum of each row of 64-bit words: xor of (word * constant), seeded 5381."""
    with np.errstate(over="ignore"):
        return np.bitwise_xor.reduce(words * _MULTIPLIER, axis=1) ^ _SEED


def damaged_blocks(path: Path) -> str | None:
    """The first header or block in use that fails its checksum (None: every one passes)."""
    with path.open("rb") as handle:
        headers = np.frombuffer(handle.read(HEADER_BYTES * HEADERS), dtype="<u8")
        if headers.size < HEADER_BYTES * HEADERS // 8:
            return "shorter than DuckDB's file headers"
        rows = headers.reshape(HEADERS, HEADER_BYTES // 8)
        bad = np.nonzero(rows[:, 0] != checksums(rows[:, 1:]))[0]
        if bad.size:
            return f"file header {int(bad[0]) + 1} of {HEADERS} fails its checksum"
        # the database header of the newer iteration: checksum, iteration, catalog, free list,
        # block count, block size
        _, _, _, free_list, block_count, block_bytes = (
            int(word) for word in rows[1 + int(rows[2, 1] > rows[1, 1])][:6])
        if block_bytes < HEADER_BYTES or block_bytes % HEADER_BYTES:
            return f"its database header gives a block size of {block_bytes} bytes"
        failing = _failing_blocks(handle, block_count, block_bytes)
        if isinstance(failing, str):
            return failing
        in_use = [block for block in failing
                  if block not in _free_blocks(handle, free_list, block_bytes, failing)]
    if in_use:
        return (f"block {in_use[0]} of {block_count}, at byte "
                f"{HEADER_BYTES * HEADERS + in_use[0] * block_bytes:,}, fails its checksum")
    return None


def _failing_blocks(handle, block_count: int, block_bytes: int) -> list[int] | str:
    """Every block whose checksum fails, or the block the file ends inside of. (A file may end
    before `block_count` blocks: DuckDB cuts free blocks off its end.)"""
    failing: list[int] = []
    for first in range(0, block_count, BLOCKS_PER_READ):
        data = handle.read(min(BLOCKS_PER_READ, block_count - first) * block_bytes)
        if len(data) % block_bytes:
            return (f"cut short: it ends at byte {handle.tell():,}, inside block "
                    f"{first + len(data) // block_bytes}")
        words = np.frombuffer(data, dtype="<u8").reshape(-1, block_bytes // 8)
        failing += [first + int(i) for i in np.nonzero(words[:, 0] != checksums(words[:, 1:]))[0]]
        if len(data) < BLOCKS_PER_READ * block_bytes:
            break
    return failing


def _free_blocks(handle, pointer: int, block_bytes: int, failing: list[int]) -> set[int]:
    """The blocks DuckDB's free list names. Free blocks hold nothing: a write killed halfway
    through reusing one, or a file system that gave its space back, leaves it failing its
    checksum without harm. Stored as DuckDB's metadata: a chain of sub-blocks (64 to a block,
    each the pointer to the next, then data) holding a count, then that many block ids. A chain
    through a failing block is not trusted: then no block counts as free."""
    sub_bytes = (block_bytes - 8) // METADATA_PER_BLOCK // 8 * 8
    data = b""
    while pointer != NO_POINTER and (len(data) < 8 or len(data) < 8 + 8 * _count(data)):
        block, index = pointer & BLOCK_ID_MASK, pointer >> 56
        if block in failing:
            return set()
        handle.seek(HEADER_BYTES * HEADERS + block * block_bytes + 8 + index * sub_bytes)
        chunk = handle.read(sub_bytes)
        pointer, data = int.from_bytes(chunk[:8], "little"), data + chunk[8:]
    if len(data) < 8 or len(data) < 8 + 8 * _count(data):
        return set()
    return set(np.frombuffer(data, dtype="<u8", count=_count(data), offset=8).tolist())


def _count(data: bytes) -> int:
    return int.from_bytes(data[:8], "little")


def unreadable_tables(con: duckdb.DuckDBPyConnection, full_read: bool = True) -> str | None:
    """The first table DuckDB cannot read on `con` (opened afresh, so every block it reads comes
    from the file and has its checksum checked): every column in full, or only its row count."""
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                         "current_database() ORDER BY 1").fetchall()
    for (name,) in tables:
        query = (f'SELECT count(*), min(hash(COLUMNS(*))) FROM "{name}"' if full_read
                 else f'SELECT count(*) FROM "{name}"')
        try:
            con.execute(query).fetchall()
        except duckdb.IOException as exc:
            return f"table {name}: {str(exc).splitlines()[0].removeprefix('IO Error: ')}"
    return None


def is_whole(path: Path) -> bool:
    """For advice only: may the user restore from this file? (Any failure to read it: no.)"""
    try:
        return path.is_file() and damage(path) is None
    except (OSError, duckdb.Error):
        return False
