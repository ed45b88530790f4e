"""Backups without stopping collection, and restores that prove they are whole.

The published snapshot is already a consistent, checkpointed copy, so a backup
is a copy of it: no lock on the master, no pause for collectors. A restore
replaces the master under the write lock and republishes, then checks that
every table holds the row count the backup held.
"""

import shutil
from datetime import datetime, timezone
from pathlib import Path

from warehouse.storage import db, integrity
from core.errors import GapWatchError
from core.paths import warehouse_paths

PREFIX = "gapwatch-backup-"


def table_counts(path: Path) -> dict[str, int]:
    """Rows per GapWatch table of a database file (opened read-only)."""
    con = db.connect(path, read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                            "WHERE NOT internal ORDER BY 1").fetchall()]
        if "gapwatch_migrations" not in tables:
            raise GapWatchError(f"{path} is not a GapWatch warehouse (no gapwatch_migrations table)")
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def backup(dest: Path, db_path=None, keep: int | None = None) -> tuple[Path, dict[str, int]]:
    """Copy the published snapshot to `dest` (a folder gets a time-stamped file); verify it."""
    source = warehouse_paths(db_path).published
    integrity.verify(source, "GapWatch made no backup of it: `python -m warehouse init` publishes it "
                     "again from the master, then back up")
    expected = table_counts(source)
    target = _target(Path(dest))
    tmp = target.with_name(target.name + ".partial")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    if table_counts(target) != expected:
        raise GapWatchError(f"{target}: row counts differ from {source}; the backup is not whole")
    if keep and target.parent.is_dir():
        prune(target.parent, keep)
    return target, expected


def _target(dest: Path) -> Path:
    if dest.suffix == ".duckdb":
        dest.parent.mkdir(parents=True, exist_ok=True)
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    return dest / f"{PREFIX}{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}.duckdb"


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `folder`; return what was deleted."""
    backups = sorted(folder.glob(f"{PREFIX}*.duckdb"))
    doomed = backups[:-keep] if keep > 0 else backups
    for path in doomed:
        path.unlink()
    return doomed


def restore(source: Path, db_path=None) -> dict[str, int]:
    """Make `source` the warehouse: replace the master under the write lock, then republish."""
    integrity.verify(Path(source), "GapWatch restored nothing and changed no file: pick another backup")
    expected = table_counts(Path(source))
    paths = warehouse_paths(db_path)
    db.replace_master(Path(source), db_path)
    restored = table_counts(paths.published)
    if restored != expected:
        raise GapWatchError(f"restore from {source}: row counts differ after publishing "
                            f"({restored} vs {expected})")
    return restored
