"""What the Runs page does outside reading: start a collector in its own process; read the jobs.

A collection never runs inside Streamlit: `start_collector` launches
`python -m collectors run <name>` detached (its own session), so closing the
page or restarting the server does not stop it, and the run ledger records it.
"""

import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from collectors.registry import NAMES as COLLECTORS  # the collectors the page can start
from core.address import resolve

REPO = Path(__file__).resolve().parents[2]


def collect_log(name: str) -> Path:
    return Path(tempfile.gettempdir()) / f"gapwatch-collect-{name}.log"


def start_collector(name: str) -> int:
    """Start one collector detached; return its pid. Output goes to a log in the temp folder."""
    if name not in COLLECTORS:
        raise ValueError(f"unknown collector {name!r}")
    with collect_log(name).open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "collectors", "run", name], cwd=REPO,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True)
    return proc.pid


def configured_jobs() -> pd.DataFrame:
    """Every host's jobs from the config with their next fire time (never the job stores: each
    host keeps its own). Without `[hosts]` one host runs them all."""
    from collectors import job_list
    from core.config import load_config
    from collectors.context import host_name

    config, now = load_config(), datetime.now(timezone.utc)
    lake = resolve().is_lake
    rows = [{"host": host, "job": spec.id, "schedule": spec.schedule,
             "models": ", ".join(spec.kwargs.get("models", [])),
             "next_run_utc": spec.trigger().get_next_fire_time(None, now)}
            for host in (list(config.hosts) or [host_name()])
            for spec in job_list.job_specs(config, host, lake).values()]
    return pd.DataFrame(rows, columns=["host", "job", "schedule", "models", "next_run_utc"])


def schedulers() -> dict[str, str]:
    """Host -> where its scheduler runs, for each scheduler running now: every host's on a lake
    (each holds a lease in the catalog), this machine's on a DuckDB file."""
    from collectors import job_list
    from collectors.context import host_name
    from warehouse.storage.host_lease import live_schedulers
    from warehouse.storage.lake import parse_target

    address = resolve()
    if address.is_lake:
        return live_schedulers(parse_target(address.text))
    pid = job_list.running_pid()
    return {host_name(): f"pid {pid}"} if pid else {}
