"""The journal, quick: a latency run SIGKILLed mid-run has left its finished rows in the spool.

A real `python -m collectors run latency` in its own process, against the reference server (a
mock, tests/reference_server.py: it paces the answers exactly and counts arrivals, so the test
knows which requests had finished well before the kill; the slow test_kills.py does the same
with the real local models). The run flushes to the warehouse only every 200 rows, so the rows
of a run killed after a few dozen requests survive only if the journal thread wrote them to the
spool. The next run's start then marks the dead run abandoned and lands them.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from reference_server import ReferenceServer

from collectors import spool
from collectors.runner import Run
from warehouse.storage import db

REPO = Path(__file__).resolve().parent.parent
SCRIPT = "ref-ttft60-n2"  # about 0.07 s a request: a few dozen before the kill, far from 200
MARGIN_S = 2.0  # the journal writes every second; a loaded machine may take as long again


def stored(db_path, sql: str, params=()) -> list[tuple]:
    with db.reading(db_path) as con:
        return con.execute(sql, list(params)).fetchall()


def test_a_sigkilled_latency_run_left_its_finished_rows_in_the_spool(db_copy, tmp_path):
    config = tmp_path / "gapwatch.toml"
    config.write_text(f'[[models]]\nid = "ref/journaled"\nprovider = "openai-compatible"\n'
                      f'model = "{SCRIPT}"\nbase_url = "{{url}}"\norganization = "Test"\n'
                      f'open_weights = true\n')
    with ReferenceServer(models=[SCRIPT]) as server:
        config.write_text(config.read_text().replace("{url}", server.base_url))
        env = {**os.environ, "GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(config)}
        proc = subprocess.Popen([sys.executable, "-m", "collectors", "run", "latency", "--quiet",
                                 "--models", "ref/journaled", "--workloads", "smoke-32-16",
                                 "--concurrency", "1", "--requests", "150"], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for(lambda: len(server.arrivals[SCRIPT]) >= 6 or proc.poll() is not None)
            time.sleep(MARGIN_S + 1.0)
            killed_at = time.monotonic()
            proc.kill()
        finally:
            proc.wait(timeout=60)
        arrivals = server.arrivals[SCRIPT][1:]  # the first is the warm-up, never stored
    assert proc.returncode == -9, proc.stderr.read().decode()[-2000:]
    owed = sum(t <= killed_at - MARGIN_S for t in arrivals)  # finished, then a journal turn
    (run_id, status), = stored(db_copy, "SELECT run_id, status FROM run_ledger "
                                        "WHERE collector = 'latency'")
    assert status == "running"  # the killed process could not say otherwise
    assert stored(db_copy, "SELECT count(*) FROM latency_sample WHERE run_id = ?",
                  [run_id]) == [(0,)]  # no flush yet: the spool alone holds its rows

    batches = [p for p in spool.pending(spool.folder_for(db_copy))
               if p.name.startswith(f"{run_id}~") and p.name.endswith("~latency_sample.parquet")]
    in_spool = pd.concat([pd.read_parquet(p) for p in batches]) if batches else pd.DataFrame()
    print(f"\n{len(arrivals)} requests sent, {owed} finished >= {MARGIN_S:.0f} s before the "
          f"SIGKILL, {len(in_spool)} rows in {len(batches)} spool batches")
    assert owed >= 10, "too few requests finished well before the kill to prove anything"
    assert len(in_spool) >= owed
    assert in_spool["request_index"].is_unique and set(in_spool["model_id"]) == {"ref/journaled"}

    with Run("prices", db_path=db_copy):  # the next run on this host tidies up after the dead one
        pass
    (status, n_rows, error), = stored(db_copy, "SELECT status, n_rows, error FROM run_ledger "
                                               "WHERE run_id = ?", [run_id])
    n = len(in_spool)
    assert (status, n_rows) == ("abandoned", n)
    assert error == f"process ended before the run finished; {n} rows kept"
    assert stored(db_copy, "SELECT count(*) FROM latency_sample WHERE run_id = ?", [run_id]) == [(n,)]


def _wait_for(condition, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.05)
