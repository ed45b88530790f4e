"""Two hosts' schedulers collect into one lake, each taking only its own share of the jobs.

PostgreSQL and the three local models are real. The two "hosts" are two scheduler processes
on this machine, each with its own `GAPWATCH_HOST` and its own state folder (job store, lock,
spool, logs), as two machines would have.
"""

import os
import signal
import subprocess
import sys
import time

from test_hosts import MODELS
from test_lake import REPO, lake_address, postgres, warehouse  # noqa: F401 (fixtures)

from collectors import scheduler
from warehouse.storage import db

CONFIG = MODELS + """
[collectors.latency]
schedule = "*/4 * * * * *"
jitter_s = 0
requests = 1
concurrency = [1]
workloads = ["smoke-32-16"]

[upkeep]
schedule = "*/7 * * * * *"
keep_days = 0

[hosts.eu-1]
models = ["small"]
upkeep = true

[hosts.us-1]
models = ["coder"]
"""
SHARES = {"eu-1": {"local/smollm2-135m", "local/gemma3-270m"}, "us-1": {"local/qwen2.5-coder-0.5b"}}


def runs_by_host(address: str) -> dict[str, list[tuple]]:
    with db.reading(address) as con:
        rows = con.execute("""SELECT r.host, r.collector, r.run_id, r.status, r.context,
                                     list(DISTINCT s.model_id ORDER BY s.model_id)
                              FROM run_ledger r LEFT JOIN latency_sample s USING (run_id)
                              WHERE r.collector IN ('latency', 'upkeep') GROUP BY ALL""").fetchall()
    found: dict[str, list[tuple]] = {}
    for host, *run in rows:
        found.setdefault(host, []).append(tuple(run))
    return found


def enough(found: dict) -> bool:
    done = {h: [r for r in runs if r[2] == "ok"] for h, runs in found.items()}
    return (sum(r[0] == "latency" for r in done.get("eu-1", [])) >= 2
            and sum(r[0] == "latency" for r in done.get("us-1", [])) >= 2
            and any(r[0] == "upkeep" for r in done.get("eu-1", [])))


def test_two_hosts_schedule_their_own_share_into_one_lake(db_copy, lake_address, local_servers, tmp_path):
    assert warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address).returncode == 0
    config = tmp_path / "gapwatch.toml"
    config.write_text(CONFIG)
    procs = {host: subprocess.Popen(
        [sys.executable, "-m", "collectors", "schedule"], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "GAPWATCH_DB": lake_address, "GAPWATCH_CONFIG": str(config),
             "GAPWATCH_HOST": host, "GAPWATCH_STATE_DIR": str(tmp_path / host)}) for host in SHARES}
    try:
        deadline = time.monotonic() + 300
        while not enough(runs_by_host(lake_address)) and time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs.values()), [p.stdout.read() for p in procs.values()]
            time.sleep(2)
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        logs = {host: proc.communicate(timeout=120)[0] for host, proc in procs.items()}
    assert all(p.returncode == 0 for p in procs.values()), logs
    found = runs_by_host(lake_address)
    assert enough(found), (found, logs)
    assert set(found) == set(SHARES)  # the ledger names the host of every run
    for host, share in SHARES.items():
        latency = [r for r in found[host] if r[0] == "latency" and r[2] == "ok"]
        assert all(set(models) == share for *_, models in latency), (host, latency)
        assert all(f'"host": "{host}", "machine": ' in context for *_, context, _ in latency)
        assert f"on host {host} running" in logs[host]
        assert scheduler.store_path().name in os.listdir(tmp_path / host)  # its own job store
    assert not any(r[0] == "upkeep" for r in found["us-1"])  # upkeep runs on one host only
    upkeep = [r for r in found["eu-1"] if r[0] == "upkeep"]
    assert all(r[2] == "ok" for r in upkeep), ([r[1:3] for r in upkeep], logs["eu-1"][-3000:])  # beside writers, and when stopped mid-way
    assert '"snapshots"' in upkeep[0][3] and '"after"' in upkeep[0][3]
    with db.reading(lake_address) as con:  # every sample once
        assert con.execute("SELECT count(*) = count(DISTINCT (run_id, model_id, request_index)) "
                           "FROM latency_sample").fetchone()[0]


def scheduler_process(env: dict, host: str, state) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "collectors", "schedule"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**env, "GAPWATCH_HOST": host, "GAPWATCH_STATE_DIR": str(state)})


def wait_for_line(proc: subprocess.Popen, text: str) -> str:
    seen = ""
    for line in proc.stdout:
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} never came; output:\n{seen}")


def test_two_machines_with_one_host_name_cannot_both_schedule(db_copy, lake_address, tmp_path,
                                                              monkeypatch):
    """Separate state folders stand for separate machines (their local locks do not meet); the
    catalog's advisory lock refuses the second, naming the first, and frees when it stops."""
    assert warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address).returncode == 0
    config = tmp_path / "gapwatch.toml"
    config.write_text(CONFIG.replace("*/4 * * * * *", "0 0 1 1 *").replace("*/7 * * * * *", "0 0 1 1 *"))
    env = {**os.environ, "GAPWATCH_DB": lake_address, "GAPWATCH_CONFIG": str(config)}
    first = scheduler_process(env, "eu-1", tmp_path / "machine-a")
    try:
        wait_for_line(first, "on host eu-1 running")
        second = scheduler_process(env, "eu-1", tmp_path / "machine-b")
        out = second.communicate(timeout=120)[0]
        assert second.returncode == 2 and "Traceback" not in out
        assert f"host 'eu-1' already has a scheduler (on {os.uname().nodename} pid {first.pid})" in out
        other = scheduler_process(env, "us-1", tmp_path / "machine-b")  # another host name may run
        wait_for_line(other, "on host us-1 running")
        runs_page = runs_page_on(lake_address, config, monkeypatch)  # from a third machine
        assert next(m for m in runs_page.metric if m.label == "Scheduler").value == "running on eu-1, us-1"
        status = subprocess.run([sys.executable, "-m", "collectors", "status"], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=120).stdout
        assert (f"schedulers on this lake: eu-1 on {os.uname().nodename} pid {first.pid}; "
                f"us-1 on {os.uname().nodename} pid {other.pid}") in status
        assert "no jobs of its own: this host is" in status  # the third machine is in no [hosts]
        jobs = next(d.value for d in runs_page.dataframe if "Scheduler" in d.value.columns)
        assert set(zip(jobs["Host"], jobs["Scheduler"])) == {  # the page's headers, in words
            ("eu-1", f"on {os.uname().nodename} pid {first.pid}"),
            ("us-1", f"on {os.uname().nodename} pid {other.pid}")}
        other.send_signal(signal.SIGTERM)
        assert other.wait(timeout=60) == 0
        first.kill()  # as if machine A died: PostgreSQL drops its session and the lease with it
        first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate(timeout=60)
    again = scheduler_process(env, "eu-1", tmp_path / "machine-b")
    wait_for_line(again, "on host eu-1 running")
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=60) == 0


def runs_page_on(address: str, config, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GAPWATCH_DB", address)
    monkeypatch.setenv("GAPWATCH_CONFIG", str(config))
    monkeypatch.setenv("GAPWATCH_HOST", "dashboard")
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=180).run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception, at.exception
    return at
