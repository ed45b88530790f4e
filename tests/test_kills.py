"""SIGKILL at random moments during real local-model runs loses only the requests in flight.

Each run is the real CLI in its own process (tests/kill_child.py adds one log line per
finished request, with its time, so the test knows what had finished when the kill came).
Latency runs, and every fourth a capability run, each killed at a random moment once it has
finished a request (a killed capability request keeps llama.cpp's one slot busy until it
ends: it is not streamed, so they are kept few); every run's start
tidies up after the dead ones (the product's own recovery), and one last run completes.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warehouse.storage import db, writes

REPO = Path(__file__).resolve().parent.parent
CHILD = REPO / "tests" / "kill_child.py"
SMALL = "local/smollm2-135m"
# A latency run must outlast the longest wait before its kill (10 s after its first request):
# with 8 requests an idle machine finished most runs first, and too few were killed.
RUNS = {
    "latency": ["run", "latency", "--quiet", "--models", SMALL, "--workloads", "smoke-32-16",
                "--requests", "40", "--concurrency", "1"],
    "capability": ["run", "capability", "--quiet", "--models", SMALL, "--fixed", "4",
                   "--fresh", "2", "--seed", "3"],
}
KEYS = {"latency_sample": ("model_id", "workload", "concurrency", "request_index"),
        "capability_item_result": ("model_id", "pack", "pack_version", "item_id", "variant", "seed")}
MARGIN_S = 5.0  # what had finished this long before the kill must be stored


def query(db_path, sql: str, params=()) -> list[tuple]:
    with db.reading(db_path) as con:
        return con.execute(sql, list(params)).fetchall()


def finished_requests(log: Path) -> list[dict]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [line for line in lines if line["kind"] in KEYS]


def stored_keys(db_path, table: str) -> set[tuple]:
    columns = ", ".join(("run_id",) + KEYS[table])
    return set(query(db_path, f"SELECT {columns} FROM {table}"))


@pytest.mark.slow
def test_sigkill_at_random_moments_keeps_every_finished_request(local_servers, db_copy, tmp_path):
    env = {**os.environ, "GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(REPO / "gapwatch.toml")}
    rng, kills, log = random.Random(17), [], tmp_path / "finished.jsonl"
    for n in range(24):
        collector = "capability" if n % 4 == 3 else "latency"
        proc = subprocess.Popen([sys.executable, str(CHILD), str(log), *RUNS[collector]], cwd=REPO,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_first_row(log, proc, n + 1)  # start-up and model speed vary with the machine's load
        time.sleep(rng.uniform(0.0, 10.0))
        if proc.poll() is None:
            kills.append(time.time())
            proc.kill()
        proc.wait(timeout=60)
        if len(kills) >= 10:
            break
    assert len(kills) >= 10, f"only {len(kills)} runs were still going when killed"
    last = subprocess.run([sys.executable, str(CHILD), str(log), *RUNS["latency"][:-4],
                           "--requests", "1", "--concurrency", "1"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert last.returncode == 0, last.stderr[-2000:]

    done = finished_requests(log)
    owed = [r for r in done if _killed_after(r["t"], kills, MARGIN_S)]
    stored = {table: stored_keys(db_copy, table) for table in KEYS}
    missing = [r for r in owed if (r["run_id"], *r["key"]) not in stored[r["kind"]]]
    kept_all = sum((r["run_id"], *r["key"]) in stored[r["kind"]] for r in done)
    print(f"\n{len(kills)} SIGKILLs; {len(done)} requests finished, {kept_all} stored; "
          f"{len(owed)} finished >= {MARGIN_S:.0f} s before their run's kill, {len(missing)} missing")
    assert not missing, missing[:5]
    assert len(owed) >= 5, "too few requests had finished well before a kill to prove anything"

    for table, keys in KEYS.items():
        dupes = query(db_copy, f"SELECT count(*) - count(DISTINCT (run_id, {', '.join(keys)})) "
                               f"FROM {table}")[0][0]
        assert dupes == 0, table
    ledger = query(db_copy, "SELECT run_id, status, n_rows, error FROM run_ledger WHERE "
                            "collector IN ('latency', 'capability')")
    assert not [r for r in ledger if r[1] == "running"], ledger
    abandoned = [r for r in ledger if r[1] == "abandoned"]
    assert abandoned, "no run was left for the recovery to mark"
    for run_id, _status, n_rows, error in abandoned:
        # a run's own rows: its requests and items, and the machine-time price it set
        (stored_n,), = query(db_copy, "SELECT " + " + ".join(
            f"(SELECT count(*) FROM {t} WHERE run_id = $1)" for t in sorted(writes.ROW_TABLES)), [run_id])
        assert n_rows == stored_n and error == \
            f"process ended before the run finished; {stored_n} rows kept", (run_id, n_rows, error)


def _wait_for_first_row(log: Path, proc: subprocess.Popen, n_runs: int, timeout_s: float = 180) -> None:
    """Until the child's run (the `n_runs`-th) has finished a request, or the child ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        lines = log.read_text().splitlines() if log.exists() else []
        runs = [i for i, line in enumerate(lines) if '"kind": "run"' in line]
        if len(runs) >= n_runs and len(lines) > runs[-1] + 1:
            return
        time.sleep(0.1)


def _killed_after(finished_t: float, kills: list[float], margin_s: float) -> bool:
    """True if the first kill after this request's finish came at least `margin_s` later (each
    child is killed once, and a request always belongs to the run killed next after it)."""
    later = [k for k in kills if k >= finished_t]
    return bool(later) and later[0] - finished_t >= margin_s
