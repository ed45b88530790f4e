"""Every bad argument and bad file a user can hand the command line (issue #26): one `error:` line
naming the problem, a non-zero exit, no traceback, and every file in the data folder byte for
byte as it was (sha256 of each, and no file added), because commands validate first and write
after.

Real parts: the commands run as subprocesses (`python -m collectors|warehouse`) on a copy of the
built warehouse; damage is real bytes cut off or overwritten. The one in-process case is the
broken public CSV row, which needs the shipped data folder swapped for a broken copy.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from test_bad_files import BACKUP, damage
from test_bad_folders import cli, hashes, one_error_line
from test_private_packs import TOML_PACK

from core.paths import warehouse_paths
from warehouse.ingestion import public_history

REPO = Path(__file__).resolve().parent.parent
DASHBOARD = str(REPO / "dashboard.py")


def run_with_config(config: Path, db: Path, *args: str):
    env = {"GAPWATCH_DB": str(db), "GAPWATCH_CONFIG": str(config), "PATH": "/usr/bin:/bin",
           "HOME": "/tmp"}
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def unchanged(db_copy):
    """The data folder's files before the command (the lock file as any write leaves it); the
    test asserts they are all as they were after it."""
    warehouse_paths(db_copy).write_lock.touch()
    return hashes(db_copy.parent)


# --- bad arguments ---------------------------------------------------------------------------

BAD_ARGUMENTS = {
    "latency concurrency 0": (["run", "latency", "--concurrency", "0"],
                              "error: python -m collectors run latency: argument --concurrency: "
                              "'0': each number must be 1 or more, e.g. 1,4"),
    "latency concurrency 1,0": (["run", "latency", "--concurrency", "1,0"],
                                "argument --concurrency: '1,0': each number must be 1 or more"),
    "latency requests 0": (["run", "latency", "--requests", "0"],
                           "argument --requests: '0': must be 1 or more"),
    "capability concurrency 0": (["run", "capability", "--concurrency", "0"],
                                 "argument --concurrency: '0': must be 1 or more"),
    "capability fixed -1": (["run", "capability", "--fixed", "-1"],
                            "argument --fixed: '-1': must be 0 or more"),
    "capability max-usd 0": (["run", "capability", "--max-usd", "0"],
                             "argument --max-usd: '0': must be above 0"),
    "mistyped pack": (["run", "capability", "--packs", "reasonin"],
                      "error: task pack 'reasonin' not run: no loaded pack or dimension of that "
                      "name (did you mean 'reasoning'?); packs: "),
    "unknown workload": (["run", "latency", "--workloads", "1k-1kk"],
                         "error: unknown workload '1k-1kk' (known: 100-300, 1k-1k"),
}


QUICK = {"latency concurrency 0", "capability concurrency 0", "mistyped pack"}  # the rest: slow


@pytest.mark.parametrize("words, line", [
    pytest.param(*case, id=name, marks=() if name in QUICK else pytest.mark.slow)
    for name, case in BAD_ARGUMENTS.items()])
def test_a_bad_argument_is_one_line_and_nothing_is_written(db_copy, unchanged, words, line):
    """Before #26, --concurrency 0 printed a 24-line traceback and recorded a failed run, and a
    mistyped --packs only warned, said "nothing to ask" and exited 0."""
    result = cli("collectors", *words, db=db_copy)
    text = one_error_line(result)
    assert text.startswith(line) if line.startswith("error:") else f"run {words[1]}: {line}" in text
    assert result.stdout == ""
    assert hashes(db_copy.parent) == unchanged


def test_a_broken_row_in_a_private_pack_is_one_line_naming_file_and_item(db_copy, unchanged,
                                                                          tmp_path_factory):
    """Before #26 the pack was skipped with a warning and the run exited 0."""
    tmp_path = tmp_path_factory.mktemp("user")  # outside the data folder, whose files are hashed
    folder = tmp_path / "private-packs"
    folder.mkdir()
    (folder / "tickets.toml").write_text(TOML_PACK.replace('prompt = "Say t1."\n', ""))
    config = tmp_path / "gapwatch.toml"
    config.write_text((REPO / "gapwatch.toml").read_text().replace(
        '# private_packs = ["private-packs"]', f'private_packs = ["{folder}"]'))
    line = (f"error: private pack not loaded: {folder / 'tickets.toml'}: items[1]: prompt: Field "
            "required")
    result = run_with_config(config, db_copy, "collectors", "run", "capability", "--dry-run")
    assert one_error_line(result) == f"{line}; nothing was run"
    result = run_with_config(config, db_copy, "collectors", "run", "capability", "--packs", "tickets")
    assert one_error_line(result) == f"{line} (and 1 more); nothing was run"  # `tickets`: no such pack
    assert hashes(db_copy.parent) == unchanged


# --- bad files -------------------------------------------------------------------------------

def test_a_broken_public_csv_row_names_its_physical_line_and_init_changes_no_file(
        db_copy, unchanged, tmp_path_factory, monkeypatch, capsys):
    """Through `python -m warehouse init`'s own main(), with the shipped data swapped for a copy
    broken at line 100 of the ECI export (earlier records' quoted notes span lines). Before #26
    the line said 98, and the failed init had already rewritten view_definition in the master."""
    from warehouse.__main__ import main

    data = tmp_path_factory.mktemp("shipped") / "public_data"  # outside the hashed data folder
    shutil.copytree(public_history.DATA_DIR, data)
    csv = data / "epoch_capabilities_index.csv"
    lines = csv.read_text().splitlines(keepends=True)
    lines[99] = "a,b,c\n"
    csv.write_text("".join(lines))
    monkeypatch.setattr(public_history, "DATA_DIR", data)
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    monkeypatch.setenv("GAPWATCH_CONFIG", str(REPO / "gapwatch.toml"))
    assert main(["init"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {csv}:100: broken row (column release_date): Expected Number "
                          "of Columns: 12 Found: 3") and err.endswith("Nothing was imported.\n")
    assert hashes(db_copy.parent) == unchanged


def test_a_foreign_file_is_refused_and_gets_no_lock_beside_it(tmp_path):
    """Before #26 the message said GapWatch would not touch it, and a .write.lock appeared."""
    db = tmp_path / "data" / "gapwatch.duckdb"
    db.parent.mkdir()
    db.write_text("name,value\nnot,a database\n")
    before = hashes(db.parent)
    for command in (("warehouse", "init"), ("collectors", "run", "prices", "--models", "local/*")):
        line = one_error_line(cli(*command, db=db))
        assert line == (f"error: {db} is not a DuckDB database file (no DuckDB header); GapWatch "
                        "will not touch it. Move it away or point GAPWATCH_DB at another path.")
        assert hashes(db.parent) == before  # no lock file, no master


@pytest.fixture
def truncated_no_master(db_copy):
    paths = warehouse_paths(db_copy)
    paths.master.unlink()
    paths.published.chmod(0o644)
    os.truncate(paths.published, 2_000_000)
    paths.published.chmod(0o444)
    return paths.published


@pytest.mark.parametrize("command", [
    ("warehouse", "status"), ("warehouse", "init"),
    *(pytest.param(c, marks=pytest.mark.slow) for c in [  # the same check, more commands
        ("warehouse", "gaps"), ("collectors", "status"),
        ("collectors", "run", "prices", "--models", "local/*")])])
def test_a_truncated_file_with_no_master_is_one_line_with_the_way_out(truncated_no_master, command):
    """Before #26: DuckDB's raw "Could not read enough bytes", and no next step."""
    folder = truncated_no_master.parent
    before = hashes(folder)
    line = one_error_line(cli(*command, db=truncated_no_master))
    assert re.fullmatch(re.escape(f"error: {truncated_no_master} is damaged (cut short: it ends at "
                                  "byte 2,000,000, inside block ") + r"\d+\); .*" + re.escape(BACKUP),
                        line), line
    assert "Could not read enough bytes" not in line
    assert hashes(folder) == before  # not even a lock file


def test_warehouse_status_runs_the_integrity_check(db_copy, unchanged):
    """Before #26 `status` counted rows and exited 0 on a damaged file (a count reads no block of
    the column that is damaged)."""
    assert cli("warehouse", "status", db=db_copy).returncode == 0
    paths = warehouse_paths(db_copy)
    paths.master.unlink()
    reason = damage(paths.published, "data", "public_capability_score").reason
    before = hashes(db_copy.parent)
    result = cli("warehouse", "status", db=db_copy)
    assert one_error_line(result) == (f"error: {paths.published} is damaged ({reason}); GapWatch "
                                      f"changed no file; {BACKUP}")
    assert result.stdout == ""
    assert hashes(db_copy.parent) == before


def test_collectors_status_with_a_broken_config_is_one_line_and_nothing_else(db_copy, tmp_path):
    """Before #26 two header lines came first, then the error."""
    config = tmp_path / "gapwatch.toml"
    config.write_text('[collectors.latency]\nschedule = "every hour"\n')
    result = run_with_config(config, db_copy, "collectors", "status")
    assert one_error_line(result) == (f"error: {config}: collectors.latency.schedule: invalid cron "
                                      "expression 'every hour': Wrong number of fields; got 2, "
                                      "expected 5")
    assert result.stdout == ""


def test_collectors_status_says_never_for_a_job_that_never_ran(db_copy):
    result = cli("collectors", "status", db=db_copy)
    assert result.returncode == 0, result.stderr
    assert "last run: never\n" in result.stdout and "never   rows" not in result.stdout
    assert "never  rows" not in result.stdout


@pytest.mark.parametrize("command", [("warehouse", "gaps"),
                                     pytest.param(("warehouse", "schema"), marks=pytest.mark.slow)])
def test_a_closed_pipe_ends_quietly(db_copy, command):
    """`... | head -1`: before #26 a BrokenPipeError traceback."""
    env = {"GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(REPO / "gapwatch.toml"),
           "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    done = subprocess.run(f"{sys.executable} -m {' '.join(command)} | head -c 10; "
                          "echo \" exit=${PIPESTATUS[0]}\"", shell=True, executable="/bin/bash",
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.stderr == "", done.stderr
    assert re.search(r"exit=(0|141)$", done.stdout.strip()), done.stdout


# --- pages -----------------------------------------------------------------------------------

PAGES = ["pages/home.py", "pages/gaps.py", "pages/capability.py", "pages/speed.py",
         "pages/prices.py", "pages/fresh.py", "pages/runs.py", "pages/sql.py"]


def as_in_a_browser(monkeypatch) -> None:
    """Pages run inside dashboard.py, as in a real session. Under AppTest, Streamlit's older
    pages-folder mode (pages/__init__.py says why it exists) would run a page's file alone:
    pages/__init__.py switches it off in a real session, and this does the same here."""
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def test_every_page_shows_a_damaged_file_as_one_line(db_copy, monkeypatch):
    """A published file damaged in the public scores, with no master: before #26 the Capability
    page showed an uncaught DamagedFile traceback."""
    paths = warehouse_paths(db_copy)
    paths.master.unlink()
    damage(paths.published, "data", "public_capability_score")
    before = hashes(db_copy.parent)
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    as_in_a_browser(monkeypatch)
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    shown = {}
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        shown[page] = [e.value for e in at.error]
        assert at.title, page  # the page itself ran (inside dashboard.py)
    line = shown["pages/capability.py"]
    assert len(line) == 1 and line[0].startswith(f"GapWatch cannot read its database: "
                                                 f"{paths.published} is damaged (Corrupt database file")
    assert "\n" not in line[0] and line[0].endswith(BACKUP)
    assert hashes(db_copy.parent) == before
