"""Backups while a writer holds the warehouse, restores that check row counts, retention."""

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from warehouse.storage import db
from warehouse.storage.backup import backup, prune, restore, table_counts
from core.errors import GapWatchError

HOLD_WRITE_LOCK = """
import sys, time
from warehouse.storage import db
with db.writing(sys.argv[1]) as con:
    con.execute("INSERT INTO run_ledger (run_id, collector, host, started_at_utc, status) "
                "VALUES ('held', 'latency', 'h', now(), 'running')")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_backup_does_not_wait_for_a_writer(db_copy, tmp_path):
    repo = Path(__file__).resolve().parent.parent
    writer = subprocess.Popen([sys.executable, "-c", HOLD_WRITE_LOCK, str(db_copy), "20"], cwd=repo,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "holding"
    started = time.monotonic()
    path, counts = backup(tmp_path / "backups", db_copy)
    assert time.monotonic() - started < 10, "backup waited for the writer"
    writer.kill()
    writer.wait()
    assert path.parent == tmp_path / "backups" and counts["price_period"] > 1000
    assert table_counts(path) == counts


def test_restore_brings_back_the_backed_up_rows(db_copy, tmp_path):
    path, counts = backup(tmp_path / "b.duckdb", db_copy)
    with db.writing(db_copy) as con:
        con.execute("DELETE FROM price_period")
    assert table_counts(db_copy)["price_period"] == 0
    assert restore(path, db_copy) == counts
    with db.writing(db_copy) as con:  # the master is the restored file too
        assert con.execute("SELECT count(*) FROM price_period").fetchone()[0] == counts["price_period"]


def test_restore_refuses_a_foreign_file_and_changes_nothing(db_copy, tmp_path):
    foreign = tmp_path / "other.duckdb"
    duckdb.connect(str(foreign)).execute("CREATE TABLE t (x INT)").close()
    before = db_copy.read_bytes()
    with pytest.raises(GapWatchError, match="not a GapWatch warehouse"):
        restore(foreign, db_copy)
    assert db_copy.read_bytes() == before


def test_retention_keeps_the_newest(db_copy, tmp_path):
    folder = tmp_path / "backups"
    made = [backup(folder, db_copy)[0] for _ in range(3)]
    backup(folder, db_copy, keep=2)
    left = sorted(folder.glob("*.duckdb"))
    assert len(left) == 2 and made[0] not in left
    assert prune(folder, 5) == []
