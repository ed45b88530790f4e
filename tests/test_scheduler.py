"""The scheduler against a real local model: catch-up, restarts, kills, readers, changes.

Each test runs `python -m collectors schedule` as a real process on a temporary
warehouse, with a seconds-level cron so that due times come quickly.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from datetime import datetime, timezone

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from collectors import scheduler
from core.config import load_config
from warehouse.storage import db

REPO = Path(__file__).resolve().parent.parent
CONFIG = """
[[models]]
id = "local/smollm2-135m"
provider = "local"
organization = "Hugging Face"
open_weights = true

[collectors.latency]
schedule = "{schedule}"
jitter_s = 0
requests = 2
concurrency = [1]
workloads = ["smoke-32-16"]
"""


STARTED: list[subprocess.Popen] = []


@pytest.fixture
def sched_env(tmp_path, local_servers, db_copy):
    """A warehouse copy and a config whose latency job fires every three seconds.

    Every scheduler a test starts is killed at teardown, even when the test fails.
    """
    config = tmp_path / "gapwatch.toml"
    config.write_text(CONFIG.format(schedule="*/3 * * * * *"))
    env = {**os.environ, "GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(config)}
    yield env, db_copy, config
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def start(env) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "collectors", "schedule"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    STARTED.append(proc)
    return proc


def stop(proc: subprocess.Popen, sig=signal.SIGTERM, timeout=60) -> str:
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=timeout)
    return out


def ledger(db_path) -> list[tuple]:
    with db.reading(db_path) as con:
        return con.execute("SELECT run_id, status, n_rows, started_at_utc FROM runs "
                           "WHERE collector = 'latency' ORDER BY started_at_utc").fetchall()


def rows_per_run(db_path) -> dict[str, int]:
    with db.reading(db_path) as con:
        return dict(con.execute("SELECT run_id, count(*) FROM latency_sample GROUP BY 1").fetchall())


def test_sigterm_finishes_cleanly_and_a_second_scheduler_refuses(sched_env):
    env, db_path, _ = sched_env
    first = start(env)
    time.sleep(5)
    second = subprocess.run([sys.executable, "-m", "collectors", "schedule"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 2 and "a scheduler is already running" in second.stderr
    status = subprocess.run([sys.executable, "-m", "collectors", "status"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60).stdout
    assert f"running, pid {first.pid}" in status and "latency" in status
    time.sleep(4)
    out = stop(first)
    assert first.returncode == 0, out
    runs = ledger(db_path)
    assert runs, "no run fired"
    *finished, last = runs
    assert all(status == "ok" for _, status, _, _ in finished), runs
    if last[1] != "ok":  # the run in flight at SIGTERM stopped after its current item
        with db.reading(db_path) as con:
            error = con.execute("SELECT error FROM runs WHERE run_id = ?", [last[0]]).fetchone()[0]
        assert "stopped by a signal" in error
    assert "run latency-" in out and "started (latency)" in out and "ended:" in out


def test_one_catch_up_run_after_missing_three_due_times(sched_env):
    """A machine that slept leaves the job store as it was: its next fire time in the past.

    A yearly schedule with the stored next fire time moved three years back is that state
    with three due times missed, and no regular fire time can blur the count.
    """
    env, db_path, config = sched_env
    config.write_text(CONFIG.format(schedule="0 3 1 1 *"))
    proc = start(env)
    _wait_for(lambda: scheduler.stored_jobs(db_path), 60)  # the job is stored
    stop(proc)
    set_next_fire_time(db_path, "latency", datetime(2023, 1, 1, 3, tzinfo=timezone.utc))
    before = len(ledger(db_path))
    proc = start(env)
    _wait_for(lambda: len(ledger(db_path)) > before, 60)
    time.sleep(5)  # a second catch-up would have started by now
    stop(proc)
    assert len(ledger(db_path)) - before == 1
    assert scheduler.stored_jobs(db_path)[0].next_run_time.year >= datetime.now().year + 1


def test_status_reads_the_job_store_without_eating_the_catch_up(sched_env):
    """`status` between a missed fire time and the restart: no traceback, the stored job
    store's bytes unchanged, the miss shown, and the restart still runs exactly one catch-up."""
    env, db_path, config = sched_env
    config.write_text(CONFIG.format(schedule="0 3 1 1 *"))
    proc = start(env)
    out = until_running(proc) + stop(proc)
    assert out.count("schedule added latency") == 1, out  # each log line once, not twice
    set_next_fire_time(db_path, "latency", datetime(2023, 1, 1, 3, tzinfo=timezone.utc))
    store = scheduler.store_path(db_path)
    before_bytes, before = store.read_bytes(), len(ledger(db_path))
    status = subprocess.run([sys.executable, "-m", "collectors", "status"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0 and "Traceback" not in status.stderr + status.stdout, status
    assert "latency" in status.stdout and "next 2023-01-01 03:00 UTC  (missed" in status.stdout
    assert store.read_bytes() == before_bytes, "status wrote to the job store"
    assert scheduler.stored_jobs(db_path)[0].next_run_time.year == 2023
    proc = start(env)
    _wait_for(lambda: len(ledger(db_path)) > before, 60)
    time.sleep(5)  # a second catch-up would have started by now
    stop(proc)
    assert len(ledger(db_path)) - before == 1


def test_status_lists_the_configured_jobs_before_any_scheduler_stored_them(sched_env):
    env, db_path, config = sched_env
    config.write_text(CONFIG.format(schedule="0 3 1 1 *"))
    status = subprocess.run([sys.executable, "-m", "collectors", "status"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status
    assert "no jobs stored yet" in status.stdout
    assert f"next {datetime.now().year + 1}-01-01 03:00 UTC" in status.stdout, status.stdout
    assert not scheduler.store_path(db_path).exists()


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(sched_env):
    env, db_path, _ = sched_env
    rng = random.Random(7)
    for _ in range(10):
        proc = start(env)
        time.sleep(rng.uniform(1.5, 6.0))
        proc.kill()
        proc.wait(timeout=30)
    ok_before = sum(status == "ok" for _, status, _, _ in ledger(db_path))
    proc = start(env)  # the restart marks the dead runs abandoned
    _wait_for(lambda: sum(status == "ok" for _, status, _, _ in ledger(db_path)) > ok_before, 120)
    stop(proc)
    runs = ledger(db_path)
    stored = rows_per_run(db_path)
    statuses = {status for _, status, _, _ in runs}
    assert "running" not in statuses, runs
    assert statuses <= {"ok", "abandoned", "failed", "partial"}, statuses
    for run_id, status, n_rows, _ in runs:
        if status == "ok":
            assert stored.get(run_id, 0) == n_rows == 2, (run_id, status, n_rows)
    assert set(stored) <= {r[0] for r in runs}, "rows without a ledger entry"
    with db.reading(db_path) as con:
        dupes = con.execute("SELECT count(*) - count(DISTINCT (run_id, model_id, workload, "
                            "concurrency, request_index)) FROM latency_sample").fetchone()[0]
    assert dupes == 0


def test_a_reader_holding_the_file_loses_no_run(sched_env):
    """A user's `duckdb -readonly` shell stays open on the file while several runs land."""
    env, db_path, _ = sched_env
    shell = subprocess.Popen([shutil.which("duckdb") or pytest.skip("duckdb CLI missing"),
                              "-readonly", str(db_path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = start(env)
    done = lambda: [r for r in ledger(db_path) if r[1] == "ok"]  # noqa: E731
    _wait_for(lambda: len(done()) >= 3, 240)
    stop(proc)
    out, err = shell.communicate("SELECT count(*) AS runs_seen FROM runs;\n", timeout=30)
    assert shell.returncode == 0 and "Error" not in err, err
    stored = rows_per_run(db_path)
    assert all(stored[run_id] == n_rows == 2 for run_id, _, n_rows, _ in done())


def test_stored_jobs_are_kept_and_a_changed_schedule_is_reported(sched_env):
    env, db_path, config = sched_env
    proc = start(env)
    out = until_running(proc) + stop(proc)
    assert "schedule added latency" in out
    proc = start(env)
    out = until_running(proc) + stop(proc)
    assert "schedule added" not in out and "schedule changed" not in out
    config.write_text(CONFIG.format(schedule="0 */6 * * *"))
    proc = start(env)
    out = until_running(proc) + stop(proc)
    assert "schedule changed latency" in out and "hour='*/6'" in out
    jobs = scheduler.stored_jobs(db_path)
    assert [j.id for j in jobs] == ["latency"] and "hour='*/6'" in str(jobs[0].trigger)


def test_job_specs_follow_the_config():
    specs = scheduler.job_specs(load_config(REPO / "gapwatch.toml"))
    assert set(specs) == {"latency", "capability", "prices", "public", "drift"}
    assert specs["latency"].kwargs == {"collector": "latency", "models": ["*"]}
    assert specs["public"].schedule == "0 4 * * 1"  # the public history refresh, weekly
    assert specs["drift"].kwargs == {"collector": "drift", "models": ["*"]}


def set_next_fire_time(db_path, job_id: str, when: datetime) -> None:
    """Edit the stored job directly, as a sleeping machine leaves it (no scheduler runs)."""
    store = scheduler.job_store(db_path)
    store.start(BackgroundScheduler(timezone="UTC"), "default")
    job = store.lookup_job(job_id)
    job.next_run_time = when
    store.update_job(job)
    store.shutdown()


def until_running(proc: subprocess.Popen, timeout_s: float = 90) -> str:
    """The scheduler's output up to its "running N jobs" line (start-up time varies with load)."""
    lines = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if not line or " jobs: " in line:
            break
    return "".join(lines)


def _wait_for(predicate, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise TimeoutError("condition not met in time")
