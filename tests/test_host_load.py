"""A run measured while another CPU-heavy process runs is flagged (issue 28): in the ledger,
in `runs list`, on its latency samples, and it is left out of the speed trend.

Real parts: the production runner (collectors.runner.Run) on a real warehouse file, with real
busy-loop processes eating the CPU while it runs; the host's own /proc gives the numbers."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from measured_data import latency_run

from collectors import host_load
from collectors.runner import Run
from warehouse.storage import db, gap_tables, run_ledger

REPO = Path(__file__).resolve().parent.parent
HOG = "import time\nend = time.monotonic() + 60\nwhile time.monotonic() < end: pass"

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux /proc")


def hogs(n: int) -> list[subprocess.Popen]:
    """`n` processes that each keep a core busy, at the run's own priority. At nice 19 they
    yielded both cores to DuckDB's threads while the short first run wrote its rows, so that
    run saw no one else busy and was not flagged (CI, 2026-12-05): a stranger that gets no
    CPU is no contention, but a stranger at equal priority is what a user's machine has."""
    return [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(n)]


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.kill()
        proc.wait()


def context(db_path, run_id: str) -> dict:
    import json

    with db.reading(db_path) as con:
        return json.loads(con.execute("SELECT context FROM run_ledger WHERE run_id = ?",
                                      [run_id]).fetchone()[0])


def test_a_run_made_while_another_cpu_heavy_process_runs_is_flagged(db_copy):
    busy = hogs(os.cpu_count() or 1)
    try:
        time.sleep(0.5)  # the hogs are running before the run starts
        run_id = latency_run(db_copy, {"local/gemma3-270m": [40.0, 41.0]})
        with Run("latency", db_path=db_copy) as held:
            time.sleep(2.5)  # a run that lasts while the hogs eat the CPU
    finally:
        stop(busy)
    load = context(db_copy, held.run_id)["host_load"]
    assert load["contended"] is True, load
    assert load["foreign_cores_mean"] >= host_load.MIN_FOREIGN_CORES
    assert "other processes used" in load["contention"]
    assert load["cpu_count"] == os.cpu_count() and len(load["load_average_end"]) == 3
    with db.reading(db_copy) as con:
        flagged = dict(con.execute("SELECT run_id, contended FROM runs WHERE run_id IN (?, ?)",
                                   [run_id, held.run_id]).fetchall())
        samples = con.execute("SELECT bool_and(contended) FROM latency_samples WHERE run_id = ?",
                              [run_id]).fetchone()[0]
    assert flagged == {run_id: True, held.run_id: True} and samples is True
    listed = run_ledger.recent_runs(5, db_copy).set_index("run")
    assert listed.loc[held.run_id, "host while measuring"].startswith("CONTENDED: other processes")
    # left out of the speed trend unless asked
    with db.reading(db_copy) as con:  # the speed trend's input rows, as the verdicts read them
        default = con.execute(gap_tables.input_sql()["latency"]).df()
        asked = con.execute(gap_tables.input_sql(include_contended=True)["latency"]).df()
    assert "local/gemma3-270m" not in set(default["model_id"])
    assert "local/gemma3-270m" in set(asked["model_id"])


def test_the_flag_counts_other_processes_not_the_run_or_its_model_server():
    """The rule on numbers: a run whose own work (and its local server's) fills the cores is
    quiet; the same load from a stranger is contention; so is a second GapWatch run."""
    quiet = {"cpu_count": 2, "foreign_cores_mean": 0.1, "steal_share": 0.0,
             "gapwatch_runs_in_flight": []}
    assert host_load.verdict(quiet) == {"contended": False, "contention": None}
    assert host_load.verdict(quiet | {"foreign_cores_mean": 1.2})["contended"]
    assert host_load.verdict(quiet | {"steal_share": 0.2})["contention"].startswith(
        "the hypervisor stole 20%")
    assert "1 other GapWatch run" in host_load.verdict(
        quiet | {"gapwatch_runs_in_flight": ["latency-x"]})["contention"]
    assert host_load.local_ports({"models": {"m": {"base_url": "http://127.0.0.1:8771/v1"},
                                             "h": {"base_url": "https://api.openai.com/v1"}}}) == {8771}


def test_an_idle_host_is_not_flagged(db_copy):
    """The control: with nothing else running, a run is quiet. Skipped when the machine is
    already busy before the run (a shared development machine), where it would rightly be
    flagged: the first test shows that case."""
    probe = host_load.HostLoad().start()
    time.sleep(1.0)
    before = probe.stop()
    if before["contended"]:
        pytest.skip(f"the host is busy already: {before['contention']}")
    with Run("latency", db_path=db_copy) as run:
        time.sleep(1.0)
    assert context(db_copy, run.run_id)["host_load"]["contended"] is False
