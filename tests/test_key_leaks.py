"""An API key never reaches a table, a log, the spool, a page or an SQL result, whatever it was
pasted with (issue #26): a CR LF line ending, a trailing space, quotes.

Before #26, a key ending in CR LF made httpx refuse the header with ``Illegal header value
b'Bearer sk-...\\r\\n'``, and that escaped copy of the key slipped past redaction (which matched the
value exactly) into `latency_samples.error`, the ledger, stderr, Overview, Runs and the SQL page.

The provider is the reference server (a mock, tests/reference_server.py): only a scripted server
can answer `401 Incorrect API key provided: <the key>`, echoing the key back as some APIs do, which
is the hardest case for redaction. Everything else is real: the CLI in a subprocess, the warehouse
copy, the spool files, the pages under AppTest, the SQL explorer's worker.
"""

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from reference_server import ReferenceServer
from streamlit.testing.v1 import AppTest
from test_bad_folders import hashes

from collectors import latency
from collectors.providers.base import ChatRequest
from collectors.providers.openai_compatible import OpenAICompatible
from collectors.runner import Run
from core.config import load_config
from core.paths import warehouse_paths
from warehouse.contract import queries

REPO = Path(__file__).resolve().parent.parent
DASHBOARD = str(REPO / "dashboard.py")
SECRET = "7f3a9c1e5b2d4f60"  # the part of every test key that must never be seen
KEYS = {"crlf": f"sk-gw26-{SECRET}\r\n", "trailing space": f"sk-gw26-{SECRET} ",
        "quoted": f'"sk-gw26-{SECRET}"'}
# OPENAI-style name, and one no name rule would call secret: only the config says it is a key
VARIABLES = ("REF_API_KEY", "REF_CREDENTIAL")
RUN = ["run", "latency", "--workloads", "smoke-32-16", "--concurrency", "1", "--requests", "1"]


def needles() -> list[str]:
    """Every 8 characters of the secret part: a key cut short in a message is still a leak."""
    return [SECRET[i:i + 8] for i in range(len(SECRET) - 7)]


def leaks(text: str) -> list[str]:
    return [n for n in needles() if n in text]


def write_config(path: Path, server: ReferenceServer) -> Path:
    models = [("ref/openai-echo", "openai-compatible", server.base_url, "fault-401", VARIABLES[0]),
              ("ref/anthropic-echo", "anthropic", server.root_url, "fault-401", VARIABLES[1]),
              ("ref/ok", "openai-compatible", server.base_url, "ref-n3", VARIABLES[0])]
    path.write_text("\n".join(
        f'[[models]]\nid = "{model_id}"\nprovider = "{kind}"\nmodel = "{name}"\nbase_url = "{url}"\n'
        f'api_key_env = "{env}"\norganization = "Test"\nopen_weights = false\n'
        for model_id, kind, url, name, env in models))
    return path


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(models=["fault-401", "ref-n3"]) as running:
        yield running


def cli(db: Path, config: Path, key: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAPWATCH_DB": str(db), "GAPWATCH_CONFIG": str(config),
           VARIABLES[0]: key, VARIABLES[1]: key}
    return subprocess.run([sys.executable, "-m", "collectors", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def database_leaks(path: Path) -> list[str]:
    """Every table of the file, each row as text, searched for the key."""
    found = []
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        for table in tables:
            for needle in needles():
                n = con.execute(f'SELECT count(*) FROM "{table}" AS r '
                                "WHERE contains(CAST(r AS VARCHAR), ?)", [needle]).fetchone()[0]
                if n:
                    found.append(f"{path.name}:{table}: {n} rows with {needle!r}")
    return found


def page_text(at: AppTest) -> str:
    parts = []
    for element in at.main:
        parts.append(str(getattr(element, "proto", "")))
        value = getattr(element, "value", None)
        parts.append(value.to_csv() if isinstance(value, pd.DataFrame) else str(value))
    return "\n".join(parts)


def pages_leaks(db: Path, config: Path, monkeypatch) -> list[str]:
    monkeypatch.setenv("GAPWATCH_DB", str(db))
    monkeypatch.setenv("GAPWATCH_CONFIG", str(config))
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    found = [f"Overview: {n}" for n in leaks(page_text(at))]
    for page in ("pages/runs.py", "pages/speed.py"):
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        found += [f"{page}: {n}" for n in leaks(page_text(at))]
    at.switch_page("pages/sql.py").run()
    for sql in ("SELECT * FROM runs", "SELECT * FROM latency_samples WHERE error IS NOT NULL"):
        at.text_area(key="sql").input(sql).run()
        at.button[0].click().run()
        found += [f"SQL page {sql}: {n}" for n in leaks(page_text(at))]
    return found


def sql_leaks(db: Path) -> list[str]:
    found = []
    for sql in ("SELECT * FROM runs", "SELECT * FROM latency_samples", "SELECT * FROM models"):
        rows, _ = queries.explore(sql, db)
        found += [f"explorer {sql}: {n}" for n in leaks(rows.to_csv())]
    return found


@pytest.mark.slow  # a CLI run, every table, the pages and the explorer swept: ~10 s each
@pytest.mark.parametrize("variant", ["crlf", "trailing space"])
def test_a_key_with_whitespace_around_it_is_cleaned_in_one_line_and_never_seen(
        db_copy, tmp_path, server, monkeypatch, variant):
    config = write_config(tmp_path / "gapwatch.toml", server)
    done = cli(db_copy, config, KEYS[variant], *RUN)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if VARIABLES[0] in line]
    assert said == [f"warning: environment variable {VARIABLES[0]} has a "
                    + ("carriage return and line feed around the key (a file saved with Windows "
                       "line endings?)" if variant == "crlf" else "space around the key")
                    + "; GapWatch uses the key without it"]
    assert leaks(done.stdout + done.stderr) == []
    # the key was sent (cleaned), and the echoing server's 401 answers were stored, redacted
    paths = warehouse_paths(db_copy)
    with duckdb.connect(str(paths.published), read_only=True) as con:
        errors = dict(con.execute("SELECT model_id, any_value(error) FROM latency_samples WHERE "
                                  "run_id LIKE 'latency-%' GROUP BY model_id").fetchall())
    assert errors["ref/ok"] is None
    for model_id in ("ref/openai-echo", "ref/anthropic-echo"):  # the adapter's own placeholder
        assert errors[model_id].endswith("Incorrect API key provided: <api key>"), errors
    assert database_leaks(paths.master) + database_leaks(paths.published) == []
    assert sql_leaks(db_copy) == []
    assert pages_leaks(db_copy, config, monkeypatch) == []


def test_a_key_in_quotes_is_refused_in_one_line_and_nothing_is_written(db_copy, tmp_path, server):
    config = write_config(tmp_path / "gapwatch.toml", server)
    warehouse_paths(db_copy).write_lock.touch()
    before = hashes(db_copy.parent)
    done = cli(db_copy, config, KEYS["quoted"], *RUN)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"error: model ref/openai-echo: environment variable {VARIABLES[0]} holds "
                           f"the key in quotes; set it without them ({VARIABLES[0]}=sk-..., not "
                           f'{VARIABLES[0]}="sk-..."); nothing was run\n')
    assert hashes(db_copy.parent) == before


@pytest.mark.slow  # a run held busy so everything waits in the spool, then landed
@pytest.mark.parametrize("variant", ["crlf", "trailing space"])
def test_a_run_through_the_spool_keeps_no_key_either(db_copy, tmp_path, server, monkeypatch,
                                                     variant):
    """In process, as a scheduled job runs it, with the warehouse held busy so every row and the
    ledger's start and end wait in the spool first: the spool files, then the landed rows, are
    searched. One model's key is quoted (refused for that model, in one line), the others have
    whitespace around them (cleaned)."""
    config = load_config(write_config(tmp_path / "gapwatch.toml", server))
    monkeypatch.setenv(VARIABLES[0], KEYS[variant])
    monkeypatch.setenv(VARIABLES[1], KEYS["quoted"])
    spool = tmp_path / "spool"
    lock = warehouse_paths(db_copy).write_lock.open("a")
    fcntl.flock(lock, fcntl.LOCK_EX)  # another writer holds the warehouse
    try:
        with Run("latency", db_path=db_copy, spool_dir=spool, busy_wait_s=0.2,
                 end_wait_s=0.2) as run:
            latency.collect(run, config.models, workloads=[latency.SMOKE], concurrencies=[1],
                            requests=1, progress=False)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
    files = sorted(spool.iterdir())
    assert len(files) >= 3  # the run's start, its rows, its end
    for path in files:
        assert leaks(path.read_bytes().decode("latin-1")) == [], path
        assert leaks(pd.read_parquet(path).to_csv()) == [], path
    refused = [w for w in run.warnings if VARIABLES[1] in w]
    assert refused == [f"ref/anthropic-echo: model ref/anthropic-echo: environment variable "
                       f"{VARIABLES[1]} holds the key in quotes; set it without them "
                       f'({VARIABLES[1]}=sk-..., not {VARIABLES[1]}="sk-...")']
    with Run("latency", db_path=db_copy, spool_dir=spool):  # the next run lands the spool
        pass
    assert not any(spool.glob("*.parquet"))
    paths = warehouse_paths(db_copy)
    assert database_leaks(paths.master) + database_leaks(paths.published) == []


@pytest.mark.slow  # a real scheduler process until its first run has ended
def test_the_scheduler_log_file_keeps_no_key(db_copy, tmp_path, server):
    """`python -m collectors schedule` writes data/logs/scheduler.log beside the warehouse (and
    stderr): each run's start and end, and its warnings (here: every 401 that echoed the key)."""
    config = write_config(tmp_path / "gapwatch.toml", server)
    config.write_text(config.read_text() + '\n[collectors.latency]\nschedule = "*/2 * * * * *"\n'
                      'jitter_s = 0\nrequests = 1\nconcurrency = [1]\nworkloads = ["smoke-32-16"]\n')
    env = {**os.environ, "GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(config),
           VARIABLES[0]: KEYS["crlf"], VARIABLES[1]: KEYS["crlf"]}
    proc = subprocess.Popen([sys.executable, "-m", "collectors", "schedule"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = db_copy.parent / "logs" / "scheduler.log"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and "ended:" not in (log.read_text() if log.exists() else ""):
            time.sleep(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=120)[0]
    text = log.read_text()
    assert "ended:" in text and "401" in text, text  # the run and its echoed-key errors were logged
    assert leaks(text + out) == []
    paths = warehouse_paths(db_copy)
    assert database_leaks(paths.master) + database_leaks(paths.published) == []


def test_a_provider_handed_an_uncleaned_key_still_reports_it_redacted(server, monkeypatch):
    """The redaction itself, through a provider's own error path: an adapter given the key as it
    sits in the environment (CR LF and all) gets httpx's refusal, which quotes the key escaped
    (b'Bearer sk-...\\r\\n'); the stored error must name the variable instead."""
    monkeypatch.setenv(VARIABLES[0], KEYS["crlf"])
    provider = OpenAICompatible(server.base_url, KEYS["crlf"], max_attempts=1)
    try:
        result = provider.chat(ChatRequest("ref-n3", [{"role": "user", "content": "hi"}], 8))
    finally:
        provider.close()
    assert result.error_class == "connection_error"
    assert "Illegal header value" in result.error and f"<{VARIABLES[0]}>" in result.error
    assert leaks(result.error) == []
