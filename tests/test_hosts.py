"""Several hosts, one warehouse: each host's scheduler takes only its own share of the jobs.

The config names each host's models (ids, globs or groups); a model in two shares, a share
that matches nothing, or not exactly one host for the jobs of no model are config errors.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from collectors import jobs, scheduler
from core.config import load_config
from core.errors import GapWatchError

REPO = Path(__file__).resolve().parent.parent
MODELS = "".join(f"""
[[models]]
id = "local/{name}"
provider = "local"
organization = "{org}"
open_weights = true
groups = ["{group}"]
""" for name, org, group in (("smollm2-135m", "Hugging Face", "small"), ("gemma3-270m", "Google", "small"),
                             ("qwen2.5-coder-0.5b", "Alibaba", "coder")))
JOBS = """
[collectors.latency]
schedule = "*/5 * * * * *"
jitter_s = 0

[collectors.capability]
schedule = "0 3 * * *"
models = ["local/smollm2-135m", "local/qwen2.5-coder-0.5b"]

[collectors.prices]
schedule = "0 5 * * *"

[upkeep]
schedule = "0 4 * * *"
keep_days = 3

[backup]
schedule = "0 6 * * *"
"""
HOSTS = """
[hosts.eu-1]
models = ["small"]
upkeep = true

[hosts.us-1]
models = ["local/qwen*"]
"""


def config_of(tmp_path, text: str):
    path = tmp_path / "gapwatch.toml"
    path.write_text(MODELS + JOBS + text)
    return load_config(path)


def error_of(tmp_path, text: str) -> str:
    with pytest.raises(GapWatchError) as info:
        config_of(tmp_path, text)
    return str(info.value)


def test_each_host_schedules_only_its_own_models(tmp_path):
    config = config_of(tmp_path, HOSTS)
    eu = scheduler.job_specs(config, "eu-1", lake=True)
    us = scheduler.job_specs(config, "us-1", lake=True)
    assert eu["latency"].kwargs["models"] == ["local/smollm2-135m", "local/gemma3-270m"]
    assert eu["capability"].kwargs["models"] == ["local/smollm2-135m"]
    assert us["latency"].kwargs["models"] == ["local/qwen2.5-coder-0.5b"]
    assert us["capability"].kwargs["models"] == ["local/qwen2.5-coder-0.5b"]
    # the jobs of no model run on the upkeep host only; a lake has upkeep but no file backup
    assert set(eu) == {"latency", "capability", "prices", "upkeep"} and set(us) == {"latency", "capability"}
    assert eu["upkeep"].kwargs == {"keep_days": 3} and eu["upkeep"].function == "collectors.jobs:run_upkeep"


def test_a_share_without_a_collectors_models_gets_no_job(tmp_path):
    config = config_of(tmp_path, HOSTS.replace('["local/qwen*"]', '["local/qwen*"]\n[hosts.asia-1]\n'
                                                                   'models = ["local/gemma*"]')
                       .replace('models = ["small"]', 'models = ["local/smollm2-135m"]'))
    asia = scheduler.job_specs(config, "asia-1", lake=True)
    assert set(asia) == {"latency"}  # gemma is in no capability list


def test_without_hosts_one_host_runs_every_job_and_a_file_gets_backups(tmp_path):
    config = config_of(tmp_path, "")
    specs = scheduler.job_specs(config, "any-host", lake=False)
    assert set(specs) == {"latency", "capability", "prices", "backup"}
    assert specs["latency"].kwargs["models"] == ["*"]
    assert scheduler.skipped_jobs(config, lake=False) == ["[upkeep] is not scheduled: a DuckDB file needs no upkeep"]
    assert "back up a lake's PostgreSQL catalog" in scheduler.skipped_jobs(config, lake=True)[0]


@pytest.mark.parametrize("hosts, message", [
    (HOSTS.replace('["local/qwen*"]', '["local/qwen*", "local/gemma3-270m"]'),
     "model local/gemma3-270m is in the share of both hosts 'eu-1' and 'us-1'; give it to one"),
    (HOSTS.replace('["local/qwen*"]', '["local/llama*"]'),
     "hosts.us-1.models: 'local/llama*' matches no configured model"),
    (HOSTS.replace("upkeep = true", ""), "exactly one host needs upkeep = true"),
    (HOSTS + "upkeep = true\n", "found 2: eu-1, us-1"),
    (HOSTS.replace('models = ["small"]', 'models = ["small"]\nregion = "eu"'), "hosts.eu-1.region: unknown key"),
    (HOSTS.replace('models = ["small"]', "models = []"), "hosts.eu-1.models: List should have at least 1 item"),
])
def test_a_bad_host_split_is_one_clear_message(tmp_path, hosts, message):
    assert message in error_of(tmp_path, hosts)


def test_a_host_outside_the_split_is_refused_by_name(tmp_path):
    config = config_of(tmp_path, HOSTS)
    with pytest.raises(GapWatchError, match="this host is 'lab-7', which is not in \\[hosts\\] "
                                            "\\(configured: eu-1, us-1\\); set GAPWATCH_HOST"):
        scheduler.job_specs(config, "lab-7")


def test_unowned_models_are_named(tmp_path):
    config = config_of(tmp_path, HOSTS.replace('models = ["small"]', 'models = ["local/smollm2-135m"]'))
    assert scheduler.skipped_jobs(config, lake=True)[-1] == (
        "model local/gemma3-270m is in no host's share: nobody collects it")


def test_the_scheduler_refuses_to_start_on_a_host_outside_the_split(tmp_path):
    config = tmp_path / "gapwatch.toml"
    config.write_text(MODELS + JOBS + HOSTS)
    env = {"GAPWATCH_CONFIG": str(config), "GAPWATCH_HOST": "lab-7", "GAPWATCH_DB": str(tmp_path / "w.duckdb")}
    done = subprocess.run([sys.executable, "-m", "collectors", "schedule"], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "this host is 'lab-7', which is not in [hosts]" in done.stderr
    assert not (tmp_path / "w.duckdb").exists()  # refused before touching the warehouse


def test_every_scheduled_collector_has_a_job_function():
    """The shipped config schedules prices; a job for it must exist (it once did not)."""
    scheduled = load_config(REPO / "gapwatch.toml").collectors
    assert "prices" in scheduled
    for name in scheduled:
        assert callable(jobs.collector_function(name))


def test_the_runs_page_lists_every_hosts_jobs(tmp_path, db_copy, monkeypatch):
    """The dashboard's host need not be a collector host: it shows each host's share."""
    from streamlit.testing.v1 import AppTest

    config = tmp_path / "gapwatch.toml"
    config.write_text(MODELS + JOBS + HOSTS)
    monkeypatch.setenv("GAPWATCH_CONFIG", str(config))
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    monkeypatch.setenv("GAPWATCH_HOST", "dashboard-only")
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=120).run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception and not at.warning, at.warning
    jobs = next(d.value for d in at.dataframe if "Schedule" in d.value.columns)  # headers in words
    assert sorted(zip(jobs["Host"], jobs["Job"])) == [
        ("eu-1", "backup"), ("eu-1", "capability"), ("eu-1", "latency"), ("eu-1", "prices"),
        ("us-1", "capability"), ("us-1", "latency")]  # a file: backups, no upkeep
    us = jobs[(jobs["Host"] == "us-1") & (jobs["Job"] == "latency")].iloc[0]
    assert us["Models"] == "local/qwen2.5-coder-0.5b"
