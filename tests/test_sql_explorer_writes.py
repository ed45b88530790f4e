"""The SQL explorer never changes a file, checked where a change was possible.

Each statement below does change the warehouse file (or writes a file beside it) when run on an
ordinary read-write DuckDB connection: the test shows that first, on a scratch copy, so the
"unchanged" checks that follow can fail. Then two layers, each on its own: the explorer
refuses the statement (sql_guard), and the connection its worker queries through
(`sql_worker._open`: read-only, external access off), given the statement directly, cannot
write either. (The worker also wraps what it runs in a SELECT, so through `explore` a write
would stop at a parse error and a defect in the connection would never show.)
"""

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from warehouse.contract import queries, sql_worker
from warehouse.contract.sql_guard import RefusedQuery

# statement -> the file it changes: None for the warehouse itself, else a name in the test's folder
WRITES = {
    "drop view": ("DROP VIEW gap_verdicts", None),
    "drop table": ("DROP TABLE model_alias", None),
    "insert": ("INSERT INTO model_alias VALUES ('x/y', 'config', 'x/y')", None),
    "update": ("UPDATE run_ledger SET n_rows = n_rows + 1", None),
    "delete": ("DELETE FROM model_alias", None),
    "create table": ("CREATE TABLE leak AS SELECT 1 AS x", None),
    "create view": ("CREATE OR REPLACE VIEW runs AS SELECT 1 AS x", None),
    "copy to": ("COPY model_alias TO '{folder}/leak.csv'", "leak.csv"),
    "export": ("EXPORT DATABASE '{folder}/export'", "export"),
    "attach": ("ATTACH '{folder}/other.duckdb' AS other", "other.duckdb"),
}


def fingerprint(path: Path) -> tuple:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def state(db_path: Path, folder: Path, target: str | None):
    return fingerprint(db_path) if target is None else (folder / target).exists()


@pytest.mark.parametrize("sql, target", WRITES.values(), ids=WRITES.keys())
def test_a_write_that_would_change_the_file_is_refused_and_changes_nothing(db_copy, tmp_path,
                                                                          sql, target):
    sql = sql.format(folder=tmp_path)
    scratch = tmp_path / "scratch.duckdb"
    shutil.copyfile(db_copy, scratch)
    scratch.chmod(0o644)
    before = state(scratch, tmp_path, target)
    with duckdb.connect(str(scratch)) as con:  # an ordinary writer: this statement writes
        con.execute(sql)
    assert state(scratch, tmp_path, target) != before, "the statement writes nothing: no test"
    shutil.rmtree(tmp_path / "export", ignore_errors=True)
    for name in ("leak.csv", "other.duckdb"):
        (tmp_path / name).unlink(missing_ok=True)

    before = state(db_copy, tmp_path, target)
    with pytest.raises(RefusedQuery):
        queries.explore(sql, db_copy)
    assert state(db_copy, tmp_path, target) == before

    con = sql_worker._open(str(db_copy), dict(queries.EXPLORER_CONFIG))
    try:
        with pytest.raises(duckdb.Error, match="(?i)read-only|disabled|permission"):
            con.execute(sql)
    finally:
        con.close()
    assert state(db_copy, tmp_path, target) == before
