"""Unreadable, foreign or too-new database files: one clear line, file untouched."""

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from warehouse.storage import db
from core.errors import GapWatchError
from core.paths import warehouse_paths

REPO = Path(__file__).resolve().parent.parent
NEWER = REPO / "tests" / "fixtures" / "written-by-duckdb-2.0.1.duckdb"


def run_cli(*args, env_db: Path):
    env = {"GAPWATCH_DB": str(env_db), "GAPWATCH_CONFIG": str(REPO / "gapwatch.toml"),
           "PATH": "/usr/bin:/bin", "HOME": str(env_db.parent)}
    return subprocess.run([sys.executable, "-m", "warehouse", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def assert_one_clean_error(result, *fragments):
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_text_file_in_place_of_the_database(tmp_path):
    path = tmp_path / "gapwatch.duckdb"
    path.write_text("these are my notes, not a database\n" * 50)
    before = path.read_bytes()
    result = run_cli("init", env_db=path)
    assert_one_clean_error(result, str(path), "not a DuckDB database file")
    assert path.read_bytes() == before


def test_file_written_by_a_newer_duckdb(tmp_path):
    path = tmp_path / "gapwatch.duckdb"
    shutil.copyfile(NEWER, path)
    before = path.read_bytes()
    result = run_cli("status", env_db=path)
    assert_one_clean_error(result, "written by DuckDB v2.0.1", "storage version 999", "newer")
    result = run_cli("init", env_db=path)
    assert_one_clean_error(result, "written by DuckDB v2.0.1")
    assert path.read_bytes() == before


def test_foreign_duckdb_database_via_cli(tmp_path):
    path = tmp_path / "gapwatch.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (name VARCHAR); INSERT INTO customers VALUES ('ada')")
    con.close()
    result = run_cli("init", env_db=path)
    assert_one_clean_error(result, "not a GapWatch warehouse", "customers")
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT * FROM customers").fetchall() == [("ada",)]


def test_missing_database_says_how_to_create_it(tmp_path):
    result = run_cli("status", env_db=tmp_path / "nope" / "gapwatch.duckdb")
    assert_one_clean_error(result, "does not exist yet", "python -m warehouse init")


def test_writing_refuses_an_unpinned_duckdb(monkeypatch, tmp_path):
    monkeypatch.setattr(duckdb, "__version__", "2.0.1")
    with pytest.raises(GapWatchError, match="duckdb==1.5.5.*2.0.1 is installed"):
        with db.writing(tmp_path / "gapwatch.duckdb"):
            pass
    assert not (tmp_path / "gapwatch.master.duckdb").exists()


def test_published_file_is_read_only_on_disk_and_opens_read_only(built_db):
    assert oct(built_db.stat().st_mode & 0o777) == "0o444"
    with db.reading(built_db) as con:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("CREATE TABLE x (i INT)")


def test_failed_write_publishes_nothing(db_copy):
    before = db_copy.read_bytes()
    with pytest.raises(RuntimeError):
        with db.writing(db_copy) as con:
            con.execute("DELETE FROM price_period")
            raise RuntimeError("collector crashed")
    assert db_copy.read_bytes() == before
    with db.writing(db_copy) as con:  # the master rolled back too: the next publish loses nothing
        assert con.execute("SELECT count(*) FROM prices").fetchone()[0] > 1000


def test_published_copy_without_master_becomes_the_master(db_copy):
    warehouse_paths(db_copy).master.unlink()
    with db.writing(db_copy) as con:
        n = con.execute("SELECT count(*) FROM prices").fetchone()[0]
    assert n > 1000
    assert warehouse_paths(db_copy).master.exists()


def test_a_file_with_views_from_older_code_is_rebuilt_on_open(db_copy):
    """A new or changed view needs no migration: the stored fingerprint differs, so the next open
    (the dashboard's ensure_ready) recreates every view."""
    from warehouse.bootstrap import ensure_ready, is_ready

    with db.writing(db_copy) as con:
        con.execute("DROP VIEW method_changes")
        con.execute("UPDATE view_definition SET fingerprint = 'older-code'")
    assert not is_ready(db_copy)
    assert ensure_ready(db_copy) is False  # it rebuilt
    with db.reading(db_copy) as con:
        assert con.execute("SELECT count(*) FROM method_changes").fetchone()[0] > 0
    assert is_ready(db_copy)


def test_sql_never_reads_a_python_object_that_shares_a_name(db_copy):
    """No replacement scans: the SQL page runs users' SQL inside the dashboard's process."""
    secrets = pd.DataFrame({"key": ["sk-should-never-be-queryable"]})  # noqa: F841
    with db.reading(db_copy) as con, pytest.raises(duckdb.CatalogException, match="secrets"):
        con.execute("SELECT * FROM secrets")
