"""What a run ran on: host, code, packages and hardware.

Stored with every run so that a new machine, a new llama.cpp build or a
new model file is never read as a trend.
"""

import importlib.metadata
import os
import platform
import socket
import subprocess
from functools import lru_cache
from pathlib import Path

PACKAGES = ("duckdb", "httpx", "openai", "anthropic", "xllamacpp", "streamlit", "apscheduler")
REPO = Path(__file__).resolve().parent.parent


def host_name() -> str:
    """`GAPWATCH_HOST` if set (containers get random host names; one machine can play
    several hosts), else the machine's host name. It names the host in the run ledger and
    picks this host's share of the jobs (`[hosts]` in the config)."""
    return os.environ.get("GAPWATCH_HOST") or socket.gethostname()


@lru_cache(maxsize=1)
def code_version() -> str:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        return None


def run_context(**extra) -> dict:
    """The context recorded in `run_ledger.context`; collectors add model details."""
    return {"host": host_name(), "machine": socket.gethostname(), "pid": os.getpid(),
            "code_version": code_version(),
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu": cpu_model(), "cpu_count": os.cpu_count(), "memory_gb": memory_gb(),
            "packages": package_versions(), **extra}


def process_alive(pid) -> bool:
    """True if a process of that id exists: a `running` run whose process is gone is dead."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    return True
