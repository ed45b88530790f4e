"""Worker processes for test_concurrency: one writer, readers of several kinds.

Run as scripts so each is a separate OS process, as DuckDB's file lock is per process.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from warehouse.storage import db  # noqa: E402

ROW = ("INSERT INTO latency_sample (run_id, model_id, workload, concurrency, request_index, "
       "measured_at_utc, ttft_s, e2e_s, output_tokens) "
       "SELECT 'concurrency-test', 'local/test', '100-300', 1, ? + i, now(), 0.1, 1.0, 300 "
       "FROM range(?) t(i)")


def writer(path: str, batches: int, rows: int) -> dict:
    for batch in range(batches):
        with db.writing(path, wait_s=60) as con:
            con.execute(ROW, [batch * rows, rows])
    return {"batches": batches}


def fresh_reader(path: str, stop: Path) -> dict:
    """Opens a new connection for every read, as the dashboard does."""
    seen, errors = [], []
    while not stop.exists():
        try:
            with db.reading(path) as con:
                seen.append(con.execute("SELECT count(*) FROM latency_samples").fetchone()[0])
        except Exception as exc:  # noqa: BLE001 - any error is what the test counts
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.01)
    return {"seen": seen, "errors": errors}


def holding_reader(path: str, stop: Path) -> dict:
    """Keeps one read-only connection open the whole time, like a user's shell."""
    con = duckdb.connect(path, read_only=True)
    seen, errors = [], []
    while not stop.exists():
        try:
            seen.append(con.execute("SELECT count(*) FROM latency_samples").fetchone()[0])
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.01)
    con.close()
    return {"seen": seen, "errors": errors}


if __name__ == "__main__":
    kind, path, *rest = sys.argv[1:]
    if kind == "writer":
        result = writer(path, int(rest[0]), int(rest[1]))
    else:
        result = {"fresh": fresh_reader, "holding": holding_reader}[kind](path, Path(rest[0]))
    print(json.dumps(result))
