"""Shared fixtures: a real warehouse built once per session from the shipped history.

Tests that change a database copy the built one into their own temp folder,
so they stay independent without paying for the import each time.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_healthy
from warehouse.bootstrap import init
from core.paths import warehouse_paths

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """Path of a published database holding the whole public history (read only!).

    `GAPWATCH_TEST_BUILT_DB` names one already built: the mutation bench (bench/mutation.py)
    runs a short pytest session per mutant and builds it once, for modules the import never
    runs (a mutant of the import itself must rebuild it, so the bench leaves the variable unset).
    """
    prebuilt = os.environ.get("GAPWATCH_TEST_BUILT_DB")
    if prebuilt:
        assert warehouse_paths(prebuilt).master.exists(), f"GAPWATCH_TEST_BUILT_DB={prebuilt}: not built"
        return Path(prebuilt)
    path = tmp_path_factory.mktemp("built") / "gapwatch.duckdb"
    init(path)
    return path


def copy_built(built_db: Path, folder: Path) -> Path:
    src, dst = warehouse_paths(built_db), warehouse_paths(folder / "gapwatch.duckdb")
    shutil.copyfile(src.master, dst.master)
    shutil.copyfile(src.published, dst.published)
    return dst.published


@pytest.fixture
def db_copy(built_db, tmp_path) -> Path:
    """A private, writable copy of the built warehouse (master and published file)."""
    return copy_built(built_db, tmp_path)


@pytest.fixture(scope="module")
def module_db_copy(built_db, tmp_path_factory) -> Path:
    """One writable copy shared by a module whose tests only read it, each test checking
    that it left the file as it found it (test_sql_guard: 55 copies cost ~3 s)."""
    return copy_built(built_db, tmp_path_factory.mktemp("module_db"))


@pytest.fixture(scope="session")
def local_servers():
    """The three real local models, served by llama.cpp; reused if already up.

    They run from data/ (the same place `python -m collectors local up` uses), so the
    assembled GGUFs are shared with the developer's own runs. Stopped at the end only
    if this session started them.
    """
    from collectors import local_models

    data_dir = REPO / "data"
    already = all(s["healthy"] and s["served_id"] == m
                  for m, s in local_models.status(data_dir).items())
    if not already:
        local_models.up(data_dir=data_dir)
    yield local_models.MODELS
    if not already:
        local_models.down(data_dir)


@pytest.fixture
def gapwatch_env(monkeypatch, tmp_path):
    """Point GAPWATCH_DB and GAPWATCH_CONFIG at a temp folder for CLI and page tests."""
    db = tmp_path / "data" / "gapwatch.duckdb"
    monkeypatch.setenv("GAPWATCH_DB", str(db))
    monkeypatch.setenv("GAPWATCH_CONFIG", str(REPO / "gapwatch.toml"))
    return db


@pytest.fixture
def dashboard_server(db_copy, tmp_path):
    """(url, process) of a real `streamlit run dashboard.py` on a copy of the built warehouse;
    its output goes to streamlit.log in the test's temp folder."""
    port = free_port()
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py",
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=REPO, env={**os.environ, "GAPWATCH_DB": str(db_copy)},
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture
def dashboard_url(dashboard_server):
    return dashboard_server[0]


# Fixtures that start a real heavy part: a test that asks for one is slow by definition, so the
# quick loop (`pytest -m "not slow"`) never waits for a model server, PostgreSQL or Chromium.
SLOW_FIXTURES = {"local_servers", "postgres", "lake_address", "dashboard_url",
                 "dashboard_server"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
