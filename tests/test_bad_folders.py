"""A read-only data folder, or a folder where the lock file should be: one `error:` line naming
the path and what to do, exit 2, and every existing file byte for byte as it was.

The read-only folder is a real read-only tmpfs mount (as root, chmod would not stop a write)."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.paths import warehouse_paths

REPO = Path(__file__).resolve().parent.parent


def cli(module: str, *args, db: Path):
    env = {"GAPWATCH_DB": str(db), "GAPWATCH_CONFIG": str(REPO / "gapwatch.toml"),
           "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error_line(result, *fragments) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def read_only_copy(db_copy, tmp_path):
    """The warehouse's files on a tmpfs mounted read-only."""
    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        paths = warehouse_paths(db_copy)
        for source in (paths.published, paths.master):
            shutil.copyfile(source, mount / source.name)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / paths.published.name
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("command", [("warehouse", "init"),
                                     ("collectors", "run", "prices", "--models", "local/*")],
                         ids=["warehouse init", "collectors run"])
def test_a_read_only_folder_is_one_line(read_only_copy, command):
    before = hashes(read_only_copy.parent)
    line = one_error_line(cli(*command, db=read_only_copy), str(read_only_copy.parent),
                          "Read-only file system", "make the folder writable")
    assert hashes(read_only_copy.parent) == before
    print(line)


def test_a_folder_where_the_lock_file_should_be_is_one_line(db_copy):
    lock = warehouse_paths(db_copy).write_lock
    lock.unlink(missing_ok=True)
    lock.mkdir()
    before = hashes(db_copy.parent)
    one_error_line(cli("warehouse", "init", db=db_copy), str(lock), "is a folder", "move it away")
    assert hashes(db_copy.parent) == before
