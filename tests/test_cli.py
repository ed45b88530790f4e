"""The command line as a person meets it: progress bars on a terminal, each collector's own
options, and a --help for every command that says what it does.

Runs are real subprocesses of `python -m collectors` against a real warehouse copy. The
models are the reference server (a mock, tests/reference_server.py) because these tests are
about what the terminal shows, not about the models, and must stay quick; the local models are
measured through the same code in test_latency.py and test_capability.py.
"""

import fcntl
import importlib
import os
import pty
import re
import select
import shlex
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from dead_endpoints import closed_port_url
from reference_server import ReferenceServer

from warehouse.storage import db

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


@pytest.mark.slow  # the unreachable model's retries wait 1 + 2 + 4 s
def test_a_latency_run_on_a_terminal_shows_the_whole_run_above_each_cell(db_copy, tmp_path, server):
    config = write_config(tmp_path / "gapwatch.toml", server.base_url)
    code, out, screen = on_terminal(LATENCY, env_for(db_copy, config))
    assert code == 0, screen
    # 2 reachable models x 6 requests; the unreachable model's 6 left the total, so it reads 12/12
    assert overall_bar_ends(screen, "all models", "12/12"), screen
    assert "ref/slower smoke-32-16 c=2" in screen  # a cell's own bar, drawn below
    # the bar's postfix names the model being checked; the warning itself is a line of its own
    warning = next(line for line in screen.splitlines() if "gapwatch.runner: ref/unreachable" in line)
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


@pytest.mark.slow  # two more CLI latency runs
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


def collectors_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "collectors", *args], cwd=REPO, text=True,
                          capture_output=True, timeout=60)


def help_of(capsys, main, *words: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*words, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def listed(help_text: str) -> dict[str, str]:
    """The subcommands a --help lists, with the summary beside each (or on the next line)."""
    section = help_text.partition("\npositional arguments:\n")[2].partition("\noptions:")[0]
    return dict(re.findall(r"^    ([a-z][\w-]*)(?: +|\n +)(\S.*)$", section, re.M))


def what_it_does(help_text: str) -> str:
    """The paragraph after the usage lines: argparse's description."""
    return " ".join(help_text.split("\n\n")[1].split())


@pytest.mark.parametrize("collector, own, others", [
    ("latency", ["--workloads", "--concurrency", "--requests"], ["--packs", "--seed", "--max-usd"]),
    ("prices", [], ["--requests", "--workloads", "--concurrency", "--packs", "--dry-run"]),
    ("capability", ["--packs", "--seed", "--fresh", "--fixed", "--concurrency", "--max-usd",
                    "--dry-run", "--no-resume"], ["--requests", "--workloads"]),
])
def test_each_collectors_help_lists_only_its_own_options(capsys, collector, own, others):
    from collectors.__main__ import main

    text = help_of(capsys, main, "run", collector)
    for option in ["--models", "--quiet", *own]:
        assert option in text, option
    for option in others:
        assert option not in text, option
    sentence = {"latency": "Measure how fast each model answers.",
                "prices": "Update each model's dated prices.",
                "capability": "Ask each model the task packs and score it per dimension."}
    assert what_it_does(text).startswith(sentence[collector])


@pytest.mark.parametrize("words, refused", [
    (["run", "prices", "--requests", "4"], "--requests 4"),
    (["run", "capability", "--workloads", "smoke-32-16"], "--workloads smoke-32-16"),
    (["run", "latency", "--packs", "reasoning"], "--packs reasoning"),
])
def test_an_option_of_another_collector_is_refused_in_one_line(words, refused):
    done = collectors_cli(*words)
    command = f"python -m collectors {' '.join(words[:2])}"
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "usage:" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"error: {command}: unrecognized arguments: {refused} (options: "
                                  "--models, --quiet"), done.stderr
    assert f"`{command} --help` says more)" in done.stderr


def test_a_bad_value_or_a_missing_collector_is_one_line_too():
    bad = collectors_cli("run", "latency", "--concurrency", "1,x")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "argument --concurrency: '1,x' is not whole numbers separated by commas" in bad.stderr
    missing = collectors_cli("run")
    assert missing.returncode == 2 and missing.stderr == (
        "error: python -m collectors run: the following arguments are required: COLLECTOR "
        "(commands: latency, prices, capability, public, drift; `python -m collectors run --help` "
        "says more)\n")
    no_run = collectors_cli("runs", "invalidate")
    assert no_run.returncode == 2 and no_run.stderr.startswith(
        "error: python -m collectors runs: invalidate needs a RUN_ID")


def test_the_per_collector_options_still_parse_as_before():
    from collectors.__main__ import parser

    args = parser().parse_args(["run", "latency", "--requests", "4", "--concurrency", "1,4",
                                "--workloads", "100-300,1k-1k", "--quiet", "--models", "local/*"])
    assert (args.requests, args.concurrency, args.workloads, args.quiet, args.models) == (
        4, [1, 4], ["100-300", "1k-1k"], True, ["local/*"])
    args = parser().parse_args(["run", "capability", "--quiet", "--models", "a", "--fixed", "4",
                                "--fresh", "2", "--seed", "3", "--concurrency", "2"])
    assert (args.fixed, args.fresh, args.seed, args.concurrency, args.quiet) == (4, 2, 3, 2, True)
    assert parser().parse_args(["run", "prices"]).models is None


def test_every_collectors_run_in_the_docs_and_the_dashboard_still_parses():
    """The README, docs/ and the Runs page's start button (pages/ui/actions.py) use these words."""
    from collectors.__main__ import parser
    from pages.ui.actions import COLLECTORS

    texts = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    found = [match for path in texts for match in re.findall(
        r"python -m collectors run\s+((?:latency|prices|capability)[^`\n#|\[)]*)", path.read_text())]
    assert len(found) >= 6, found
    for words in [*(w for w in found if "--help" not in w), *COLLECTORS]:
        args = parser().parse_args(["run", *shlex.split(words)])
        assert args.collector in COLLECTORS, words


@pytest.mark.parametrize("program", ["collectors", "warehouse"])
def test_every_command_says_what_it_does(capsys, program):
    main = importlib.import_module(f"{program}.__main__").main
    top = help_of(capsys, main)
    commands = listed(top)
    assert len(commands) >= 5, top
    for name, summary in commands.items():
        text = help_of(capsys, main, name)
        sentence = what_it_does(text)
        assert sentence.lower().startswith(summary.rstrip(".").lower()), (name, sentence)
        for sub, sub_summary in listed(text).items():  # `run`'s collectors
            assert what_it_does(help_of(capsys, main, name, sub)).lower().startswith(
                sub_summary.lower()), (name, sub)
