"""The command line as a person meets it: progress bars on a terminal.

Runs are real subprocesses of `python -m collectors` against a real warehouse copy. The
models are the reference server (a mock, tests/reference_server.py) because these tests are
about what the terminal shows, not about the models, and must stay quick; the local models are
measured through the same code in test_latency.py and test_capability.py.
"""

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from dead_endpoints import closed_port_url
from reference_server import ReferenceServer

from warehouse import db

REPO = Path(__file__).resolve().parent.parent
MODELS = {"ref/quick": "ref-ttft20-n4", "ref/slower": "ref-ttft40-n4"}
# smoke workload, concurrency 1 and 2, 2 requests per stream: 2*1 + 2*2 = 6 requests a model
LATENCY = ["run", "latency", "--workloads", "smoke-32-16", "--concurrency", "1,2",
           "--requests", "2"]


def write_config(path: Path, base_url: str) -> Path:
    """Two reference-server models and one that cannot be reached (its requests leave the total)."""
    models = {**MODELS, "ref/unreachable": "ref"}
    urls = {model_id: base_url for model_id in MODELS} | {"ref/unreachable": closed_port_url()}
    path.write_text("\n".join(
        f'[[models]]\nid = "{model_id}"\nprovider = "openai-compatible"\nmodel = "{name}"\n'
        f'base_url = "{urls[model_id]}"\norganization = "Test"\nopen_weights = true\n'
        for model_id, name in models.items()))
    return path


def env_for(db_path: Path, config: Path) -> dict:
    return {**os.environ, "GAPWATCH_DB": str(db_path), "GAPWATCH_CONFIG": str(config)}


def on_terminal(args: list[str], env: dict, timeout: float = 120) -> tuple[int, str, str]:
    """Run `python -m collectors ARGS` with stderr on a pseudo-terminal (160 columns), as in a
    person's shell: (exit code, stdout, everything the terminal received)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "collectors", *args], cwd=REPO, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    screen, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not select.select([leader], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process has closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        out = proc.communicate(timeout=10)[0]
    finally:
        os.close(leader)
        proc.kill()
    return proc.returncode, out.decode(), screen.decode(errors="replace")


def overall_bar_ends(screen: str, desc: str, count: str) -> bool:
    """The overall bar's last drawing: its description, 100%, N/N and tqdm's elapsed<remaining."""
    return re.search(rf"{re.escape(desc)}: 100%\|[^|]*\| {count} \[\d\d:\d\d<\d\d:\d\d", screen) is not None


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(models=[*MODELS.values(), "ref-n1"]) as running:
        yield running


def test_a_latency_run_on_a_terminal_shows_the_whole_run_above_each_cell(db_copy, tmp_path, server):
    config = write_config(tmp_path / "gapwatch.toml", server.base_url)
    code, out, screen = on_terminal(LATENCY, env_for(db_copy, config))
    assert code == 0, screen
    # 2 reachable models x 6 requests; the unreachable model's 6 left the total, so it reads 12/12
    assert overall_bar_ends(screen, "all models", "12/12"), screen
    assert "ref/slower smoke-32-16 c=2" in screen  # a cell's own bar, drawn below
    warning = next(line for line in screen.splitlines() if "ref/unreachable" in line)
    assert warning.startswith("WARNING gapwatch.runner: ref/unreachable:")  # printed whole, above
    assert "all models" not in out and "12/12" not in out  # stdout keeps only the summary
    with db.reading(db_copy) as con:
        n, stored = con.execute("SELECT count(*), string_agg(coalesce(error, ''), ' ') FROM "
                                "latency_samples").fetchone()
        ledger = " ".join(map(str, con.execute("SELECT error, context FROM run_ledger").fetchone()))
    assert n == 13 and "all models" not in stored + ledger and "%|" not in stored + ledger


def test_a_capability_run_counts_every_item_of_every_model(db_copy, tmp_path, server):
    config = write_config(tmp_path / "gapwatch.toml", server.base_url)
    args = ["run", "capability", "--models", *MODELS, "--packs", "reasoning", "--fixed", "2",
            "--fresh", "1", "--seed", "5"]
    code, out, screen = on_terminal(args, env_for(db_copy, config))
    assert code == 0, screen
    assert overall_bar_ends(screen, "all models", "6/6"), screen  # 2 models x (2 fixed + 1 fresh)
    assert "reasoning" in out and "all models" not in out


def test_quiet_and_a_log_file_get_no_bars(db_copy, tmp_path, server):
    """--quiet on a terminal draws nothing; without a terminal (the dashboard sends stderr to a
    log file, cron to mail) nothing is drawn either, so no log fills with redrawn bars."""
    config = write_config(tmp_path / "gapwatch.toml", server.base_url)
    env, reachable = env_for(db_copy, config), [*LATENCY, "--models", *MODELS]
    code, out, screen = on_terminal([*reachable, "--quiet"], env)
    assert code == 0 and "ref/slower" in out
    assert "all models" not in screen and "%|" not in screen
    with (tmp_path / "collect.log").open("w") as log:
        done = subprocess.run([sys.executable, "-m", "collectors", *reachable], cwd=REPO, env=env,
                              stdout=log, stderr=subprocess.STDOUT, timeout=120)
    text = (tmp_path / "collect.log").read_text()
    assert done.returncode == 0 and "ref/slower" in text  # the run's summary reached the log
    assert "all models" not in text and "%|" not in text and "\r" not in text


def test_a_prices_run_steps_through_its_sources(db_copy, tmp_path):
    config = tmp_path / "gapwatch.toml"
    config.write_text('[importers.openrouter]\nenabled = false\n[importers.litellm]\nenabled = false\n')
    code, out, screen = on_terminal(["run", "prices"], env_for(db_copy, config))
    assert code == 0, screen
    assert overall_bar_ends(screen, "all sources", "1/1") and "price book" in screen, screen

