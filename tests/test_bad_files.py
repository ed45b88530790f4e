"""A damaged database file, a full disk, a folder where the database file should be: one `error:`
line naming the path and what to do, exit 2, no traceback, and every file in the data folder
byte for byte as it was (sha256 of each, and no file added).

Damage is real: bytes overwritten in the middle of one block of a warehouse built by `init`,
chosen by DuckDB's own account of its blocks (`PRAGMA database_size`, `pragma_storage_info`,
`pragma_metadata_info`), either a block of table data or a block no query reads (neither table
data nor catalog: the key indexes): DuckDB opens both files without complaint. The full disk is a real tmpfs, filled up (as root;
skipped with the reason when mounting is not permitted).
"""

import os
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import duckdb
import pytest

from tests.test_bad_folders import cli, hashes, one_error_line
from warehouse.storage import db, file_errors
from warehouse.storage.integrity import DamagedFile
from core.paths import warehouse_paths

HEADERS_BYTES = 3 * 4096
RUN_PRICES = ("collectors", "run", "prices", "--models", "local/*")
COMMANDS = {"warehouse init": ("warehouse", "init"), "collectors run": RUN_PRICES}
ROOM = "free some space there, or point GAPWATCH_DB at a disk with room, and run again"
BACKUP = "restore your newest backup: `python -m warehouse restore BACKUP.duckdb`"


def blocks(path: Path, table: str | None) -> tuple[int, int, int, int]:
    """(block bytes, block count, a block of the table's data (default: the largest table's),
    a block no query reads: neither table data nor catalog), by DuckDB's own account."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        _, _, block_bytes, count, *_ = con.execute("PRAGMA database_size").fetchone()
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        data = {t: sorted({b for (b,) in con.execute(
            f"SELECT DISTINCT block_id FROM pragma_storage_info('{t}') WHERE block_id >= 0").fetchall()})
            for t in tables}
        catalog = {b for (b,) in con.execute("SELECT block_id FROM pragma_metadata_info()").fetchall()}
    finally:
        con.close()
    largest = data[table] if table else max(data.values(), key=len)
    unread = sorted(set(range(count)) - set().union(*data.values()) - catalog)
    return block_bytes, count, largest[len(largest) // 2], unread[len(unread) // 2]


def block_count(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("PRAGMA database_size").fetchone()[3]


class Damage(NamedTuple):
    block: int
    count: int
    start: int  # the block's first byte

    @property
    def reason(self) -> str:
        """What the error line says of it."""
        return f"block {self.block} of {self.count}, at byte {self.start:,}, fails its checksum"


def damage(path: Path, kind: str, table: str | None = None) -> Damage:
    """Overwrite 4 KiB in the middle of one block with noise.

    Noise, not one repeated byte: DuckDB's block checksum is the xor of each 64-bit word times a
    constant, so an even number of identical words written over zeros cancels out (DuckDB then
    reads the garbage unawares, and so would this check)."""
    block_bytes, count, data_block, unread_block = blocks(path, table)
    block = data_block if kind == "data" else unread_block
    start = HEADERS_BYTES + block * block_bytes
    path.chmod(0o644)
    with path.open("r+b") as handle:
        handle.seek(start + block_bytes // 2)
        handle.write(random.Random(17).randbytes(4096))
    return Damage(block, count, start)


def lay_out(folder: Path, placement: str, kind: str) -> str:
    """Damage the master, or both files alike, or a published file that has no master."""
    paths = warehouse_paths(folder / "gapwatch.duckdb")
    paths.write_lock.touch()  # as any write leaves it: then no file may appear either
    if placement == "published, no master":
        paths.master.unlink()
        return damage(paths.published, kind).reason
    reason = damage(paths.master, kind).reason
    if placement == "master and published":
        shutil.copyfile(paths.master, paths.published)
    return reason


def expected_damage_line(folder: Path, placement: str, reason: str) -> str:
    paths = warehouse_paths(folder / "gapwatch.duckdb")
    if placement == "published, no master":
        return (f"error: {paths.published} is damaged ({reason}); there is no master beside it; "
                f"GapWatch wrote nothing and changed no file; {BACKUP}")
    advice = (f"its last published copy is whole: `python -m warehouse restore {paths.published}` "
              "makes that the master again" if placement == "master" else BACKUP)
    return (f"error: {paths.master} is damaged ({reason}); GapWatch wrote nothing and changed no "
            f"file; {advice}")


def assert_exact_error(result, line: str) -> None:
    assert one_error_line(result) == line


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("placement, kind", [("master", "unread"), ("master and published", "data"),
                                             ("published, no master", "unread")])
def test_a_damaged_file_is_one_line_and_never_written(db_copy, placement, kind, command):
    """Before #17 the master was written and published again: `init` died in a traceback from
    register_models, `collectors run` stored its rows in the damaged file and republished it."""
    reason = lay_out(db_copy.parent, placement, kind)
    before = hashes(db_copy.parent)
    result = cli(*COMMANDS[command], db=db_copy)
    assert_exact_error(result, expected_damage_line(db_copy.parent, placement, reason))
    assert hashes(db_copy.parent) == before


def test_the_advice_for_a_damaged_master_works(db_copy):
    """What the line says to do (restore from the whole published copy) makes init work again."""
    lay_out(db_copy.parent, "master", "unread")
    assert cli("warehouse", "init", db=db_copy).returncode == 2
    restored = cli("warehouse", "restore", str(db_copy), db=db_copy)
    assert restored.returncode == 0, restored.stderr[-2000:]
    result = cli("warehouse", "init", db=db_copy)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "migrations applied: none (up to date)" in result.stdout


def test_a_damaged_published_file_is_one_line_for_a_reader_and_init_republishes_it(db_copy):
    paths = warehouse_paths(db_copy)
    paths.write_lock.touch()
    start = damage(paths.published, "data", "model_alias").start
    before = hashes(db_copy.parent)
    result = cli("warehouse", "aliases", db=db_copy)
    assert re.fullmatch(
        re.escape(f"error: {paths.published} is damaged (Corrupt database file: computed checksum ")
        + r"\d+ does not match stored checksum \d+"
        + re.escape(f" in block at location {start}); `python -m warehouse init` publishes it again "
                    f"from {paths.master.name}, which is whole"), one_error_line(result))
    assert hashes(db_copy.parent) == before
    assert cli("warehouse", "init", db=db_copy).returncode == 0
    assert cli("warehouse", "aliases", db=db_copy).returncode == 0


def test_a_collector_never_publishes_a_master_damaged_behind_its_back(db_copy, tmp_path):
    """Damage that leaves the file's size and time as they were (a bad disk sector does) gets
    past the check before the write, which this process skips for a master it left whole; the
    check of the copy about to be published stops it. In process: the collector's own `Run`."""
    from collectors.runner import Run

    paths = warehouse_paths(db_copy)
    with db.writing(db_copy):
        pass  # this process now knows the master whole
    stat = paths.master.stat()
    said = damage(paths.master, "data").reason  # public history: a run's start never reads it
    os.utime(paths.master, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    published = paths.published.read_bytes()
    with pytest.raises(DamagedFile) as caught:
        with Run("prices", db_path=db_copy, spool_dir=tmp_path / "spool"):
            pass
    grown = said.replace(f" of {block_count(paths.published)},",  # the write added blocks
                         f" of {block_count(paths.master)},")
    assert str(caught.value) == (
        f"{paths.master} is damaged ({grown}); GapWatch did not publish it, {paths.published.name} "
        f"is as it was; its last published copy is whole: `python -m warehouse restore "
        f"{paths.published}` makes that the master again")
    assert paths.published.read_bytes() == published


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("which", ["published", "master"])
def test_a_folder_where_the_database_file_should_be_is_one_line(db_copy, which, command):
    paths = warehouse_paths(db_copy)
    path = getattr(paths, which)
    path.unlink()
    path.mkdir()
    paths.write_lock.touch()
    before = hashes(db_copy.parent)
    result = cli(*COMMANDS[command], db=db_copy)
    assert_exact_error(result, f"error: {path} is a folder where GapWatch keeps its database file; "
                               "move it away, or point GAPWATCH_DB at a file path (e.g. data/gapwatch.duckdb)")
    assert hashes(db_copy.parent) == before
    assert path.is_dir()


def mounted_tmpfs(mount: Path, options: str):
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 32 MB tmpfs: room for two 7 MB warehouse files, a write and its publish copy (skipped
    without root). 24 MB fitted the 6 MB file of before issue 25 (three more tables)."""
    yield from mounted_tmpfs(tmp_path / "disk", "size=32m")


@pytest.fixture
def four_inode_disk(tmp_path):
    """A tmpfs with room for four files (its own folder counts as one): skipped without root."""
    yield from mounted_tmpfs(tmp_path / "disk", "size=24m,nr_inodes=4")


def fill(folder: Path, leave: int = 0) -> None:
    """Write a filler file until the disk is full (or `leave` bytes are left)."""
    room = shutil.disk_usage(folder).free - leave
    with (folder / "filler").open("wb", buffering=0) as filler:
        try:
            while room > 0:
                room -= filler.write(b"\0" * min(room, 2**20))
        except OSError:
            pass


def warehouse_on(disk: Path, db_copy: Path) -> Path:
    paths = warehouse_paths(db_copy)
    for source in (paths.master, paths.published):
        shutil.copyfile(source, disk / source.name)
    (disk / paths.write_lock.name).touch()
    return disk / paths.published.name


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_is_one_line_and_nothing_changes(tiny_disk, db_copy, command):
    path = warehouse_on(tiny_disk, db_copy)
    fill(tiny_disk)
    before = hashes(tiny_disk)
    need = warehouse_paths(path).master.stat().st_size + file_errors.HEADROOM_BYTES
    result = cli(*COMMANDS[command], db=path)
    assert_exact_error(result, f"error: disk full: {tiny_disk} has 0.0 MB free and GapWatch needs "
                               f"about {need / 2**20:.0f} MB there to write gapwatch.master.duckdb "
                               f"and publish gapwatch.duckdb; it wrote nothing and changed no file: {ROOM}")
    assert hashes(tiny_disk) == before


def test_a_disk_that_fills_while_publishing_keeps_the_rows_for_the_next_write(
        tiny_disk, db_copy, monkeypatch):
    """The write fits, the publish copy does not. In process, with the headroom asked for up
    front set to 0 (with the real 16 MB the same disk is refused before anything is written)."""
    monkeypatch.setattr(file_errors, "HEADROOM_BYTES", 0)
    path = warehouse_on(tiny_disk, db_copy)
    fill(tiny_disk, leave=warehouse_paths(path).master.stat().st_size + 64 * 1024)
    published = path.read_bytes()
    with pytest.raises(file_errors.DiskFull) as caught:
        with db.writing(path) as con:
            con.execute("INSERT INTO model_registry (model_id, display_name, organization, open_weights, release_date, source) SELECT 'test/model-' || range, 'm', 'org', true, "
                        "NULL, 'config' FROM range(20000)")
    assert str(caught.value) == (f"disk full: No space left on device while GapWatch published in "
                                 f"{tiny_disk}; what it wrote is kept in gapwatch.master.duckdb, and "
                                 f"the next write publishes it: {ROOM}")
    assert path.read_bytes() == published
    assert sorted(p.name for p in tiny_disk.iterdir()) == [
        "filler", "gapwatch.duckdb", "gapwatch.master.duckdb", "gapwatch.write.lock"]
    (tiny_disk / "filler").unlink()
    with db.writing(path):
        pass
    with db.reading(path) as con:
        assert con.execute("SELECT count(*) FROM models WHERE model_id LIKE 'test/%'").fetchone()[0] == 20000


def test_a_disk_with_no_room_for_the_lock_file_is_one_line(four_inode_disk, db_copy):
    """No inode left: the file system says "No space left on device" when the lock is created."""
    paths = warehouse_paths(db_copy)
    for source in (paths.master, paths.published):
        shutil.copyfile(source, four_inode_disk / source.name)
    (four_inode_disk / "notes.txt").write_text("the last inode\n")
    before = hashes(four_inode_disk)
    result = cli("warehouse", "init", db=four_inode_disk / paths.published.name)
    assert_exact_error(result, f"error: disk full: No space left on device while GapWatch created its "
                               f"lock file {four_inode_disk / paths.write_lock.name}; it wrote nothing "
                               f"and changed no file: {ROOM}")
    assert hashes(four_inode_disk) == before


def test_a_free_block_that_fails_its_checksum_is_no_damage(db_copy):
    """A write killed halfway through reusing a free block (or a file system that gave a free
    block's space back) leaves it failing its checksum, holding nothing: writes go on."""
    paths = warehouse_paths(db_copy)
    with db.writing(db_copy) as con:
        con.execute("CREATE TABLE scratch AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(300000)")
    with db.writing(db_copy) as con:  # blocks after scratch's, so its own are not the file's tail
        con.execute("CREATE TABLE after_scratch AS SELECT range AS i FROM range(300000)")
    with duckdb.connect(str(paths.master), read_only=True) as con:
        dropped = {b for (b,) in con.execute("SELECT block_id FROM pragma_storage_info('scratch') "
                                             "WHERE block_id >= 0").fetchall()}
    with db.writing(db_copy) as con:
        con.execute("DROP TABLE scratch")
    with duckdb.connect(str(paths.master), read_only=True) as con:
        _, _, block_bytes, count, _, free, *_ = con.execute("PRAGMA database_size").fetchone()
        in_use = {b for (b,) in con.execute("SELECT block_id FROM pragma_metadata_info()").fetchall()}
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            in_use |= {b for (b,) in con.execute(f"SELECT block_id FROM pragma_storage_info('{table}')")
                       .fetchall()}
    inside = (paths.master.stat().st_size - HEADERS_BYTES) // block_bytes  # checkpoints truncate
    block = max(b for b in dropped - in_use if b < min(count, inside))
    assert free > 0
    with paths.master.open("r+b") as handle:
        handle.seek(HEADERS_BYTES + block * block_bytes + 1000)
        handle.write(random.Random(17).randbytes(4096))
    result = cli("warehouse", "init", db=db_copy)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
