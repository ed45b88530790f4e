"""One writer and several readers at once: every row lands and no reader sees an error.

Readers are real separate processes: fresh-connection readers (the dashboard's
pattern), a reader that holds one connection open throughout, and the real
`duckdb -readonly` shell a user would open on the published file.
"""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warehouse.storage import db

WORKERS = Path(__file__).resolve().parent / "concurrency_workers.py"
BATCHES, ROWS = 15, 40


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKERS), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    return json.loads(out)


def open_shell(path: Path) -> subprocess.Popen | None:
    if not shutil.which("duckdb"):
        return None
    return subprocess.Popen(["duckdb", "-readonly", str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow  # five processes on one file (the spool and backup tests hold it quickly)
def test_writer_and_readers_at_once(db_copy, tmp_path):
    with db.writing(db_copy) as con:
        con.execute("INSERT INTO run_ledger (run_id, collector, host, started_at_utc, status) "
                    "VALUES ('concurrency-test', 'latency', 'test', now(), 'running')")
    stop = tmp_path / "stop"
    shell = open_shell(db_copy)
    readers = [start("fresh", db_copy, stop) for _ in range(3)] + [start("holding", db_copy, stop)]
    time.sleep(1.0)
    writer = finish(start("writer", db_copy, BATCHES, ROWS))
    stop.touch()
    results = [finish(r) for r in readers]

    with db.reading(db_copy) as con:
        landed = con.execute("SELECT count(DISTINCT request_index) FROM latency_samples "
                             "WHERE run_id = 'concurrency-test'").fetchone()[0]
    assert writer["batches"] == BATCHES and landed == BATCHES * ROWS
    for result in results:
        assert result["errors"] == []
        assert result["seen"] == sorted(result["seen"]), "a reader saw rows disappear"
    fresh_seen = {n for r in results[:3] for n in r["seen"]}
    assert len(fresh_seen) > 2, "readers never overlapped the writer: the test proved nothing"
    assert len(set(results[3]["seen"])) == 1, "a held connection must keep one consistent snapshot"
    if shell is not None:
        out, err = shell.communicate("SELECT count(*) AS n FROM latency_samples;\n", timeout=30)
        assert shell.returncode == 0 and "Error" not in err, err
    elif "CI" in __import__("os").environ:
        pytest.fail("duckdb CLI (duckdb-cli==1.5.5) missing in CI")
