"""The SQL explorer's limits: each query runs in its own worker interpreter with a memory
ceiling, a wall-clock limit, a row cap and a result-size cap; the dashboard process stays small
and up.

Real parts only: the built warehouse file, real DuckDB in a real `python -m warehouse.contract.sql_worker`
process, the SQL page headless with AppTest, and a real `streamlit run dashboard.py` driven by
Debian's Chromium (the bug that reverted 3d6f4cf only showed under a real server).
"""

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import duckdb
import httpx
import pytest
from streamlit.testing.v1 import AppTest

from warehouse.contract import queries, sql_worker

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")

MEMORY_BOMBS = {
    "huge list": "SELECT range(0, 2000000000)",
    "huge string": "SELECT string_agg(repeat('x', 1000000), '') FROM range(10000)",
}
MEMORY_LINE = "stopped: the query needed more memory than the explorer allows (1 GiB)"
PAGE_MEMORY_LINE = "Stopped: the query needed more memory than the explorer allows (1 GiB)"
SLOW = "SELECT count(*) FROM range(100000000000) a, range(1000) b"
# 400 MB of strings: under DuckDB's own 512 MB, but as a DataFrame plus its pickled copy it needs
# more than the worker's 1 GiB, so only the OS ceiling can stop it.
PAST_DUCKDB = "SELECT repeat('x', 40000) AS s FROM range(10000)"


def reset_peak_rss(pid: int | str = "self") -> None:
    """Start a process's VmHWM afresh (Linux: "5" to clear_refs), so an earlier test's peak
    cannot hide this one's growth."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory so far (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


@pytest.mark.parametrize("sql", MEMORY_BOMBS.values(), ids=MEMORY_BOMBS.keys())
def test_a_memory_bomb_is_stopped_in_one_line_and_the_caller_stays_small(db_copy, sql):
    reset_peak_rss()
    before = peak_rss_mb()
    start = time.monotonic()
    with pytest.raises(sql_worker.QueryMemory) as stopped:
        queries.explore(sql, db_copy)
    took = time.monotonic() - start
    growth = peak_rss_mb() - before
    print(f"{sql}: {stopped.value} after {took:.1f} s; caller peak RSS growth {growth:.0f} MB")
    assert str(stopped.value) == MEMORY_LINE
    assert took < 15
    assert growth < 1.5 * 1024


def test_a_memory_error_wrapped_by_cpython_still_reads_as_the_memory_line():
    """What CI met at the OS ceiling: a C function inside pandas ran out of memory and CPython
    raised SystemError("<built-in method items ...> returned a result with an exception set")
    with the MemoryError as its cause. The page must show the memory line, not that text."""
    try:
        try:
            raise MemoryError()
        except MemoryError as cause:
            raise SystemError("<built-in method items of dict object at 0x7f75> returned a "
                              "result with an exception set") from cause
    except SystemError as wrapped:
        assert sql_worker._describe(wrapped) == {"kind": "memory"}
    plain = duckdb.Error("Catalog Error: Table with name nope does not exist!")
    assert sql_worker._describe(plain)["kind"] == "error"


@pytest.mark.slow  # two workers fill 1 GiB and 3 GiB
def test_memory_past_duckdbs_own_limit_meets_the_os_ceiling(db_copy):
    """The same query fits under a 3 GiB ceiling, so it is the ceiling that stops it at 1 GiB."""
    config, path = dict(queries.EXPLORER_CONFIG), str(db_copy)
    with pytest.raises(sql_worker.QueryMemory, match=r"^stopped: .* allows \(1 GiB\)$"):
        sql_worker.run(PAST_DUCKDB, path, config, result_bytes=1 << 31, timeout_s=60)
    start = time.monotonic()
    rows, _ = sql_worker.run(PAST_DUCKDB, path, config, result_bytes=1 << 31, timeout_s=60,
                             memory_bytes=3 << 30)
    print(f"400 MB came back under a 3 GiB ceiling in {time.monotonic() - start:.1f} s")
    assert len(rows) == 10_000 and len(rows["s"].iloc[0]) == 40_000


def test_a_slow_query_is_killed_at_the_time_limit(db_copy):
    start = time.monotonic()
    with pytest.raises(queries.QueryTimeout) as stopped:
        queries.explore(SLOW, db_copy, timeout_s=2)
    took = time.monotonic() - start
    print(f"killed after {took:.1f} s in all (start of the worker included)")
    assert str(stopped.value) == "stopped: the query ran longer than 2 s, the explorer's time limit"
    assert took < 15


def test_a_big_result_is_cut_to_the_row_cap(db_copy):
    rows, truncated = queries.explore("SELECT * FROM range(1000000)", db_copy)
    assert truncated and len(rows) == 10_000 and rows.iloc[-1, 0] == 9_999
    assert sql_worker.cut_message(10_000) == "result cut to the first 10,000 rows"


def test_a_result_over_the_byte_cap_is_one_line(db_copy):
    with pytest.raises(sql_worker.ResultTooLarge) as stopped:
        sql_worker.run("SELECT repeat('x', 1000) AS s FROM range(5000)", str(db_copy),
                       dict(queries.EXPLORER_CONFIG), result_bytes=1_000_000)
    assert str(stopped.value) == ("stopped: the result is 5 MB, more than the explorer's 1 MB; "
                                  "select fewer columns or rows")


def test_an_ordinary_query_returns_the_right_rows(db_copy):
    rows, truncated = queries.explore(
        "SELECT range AS n, range * range AS square FROM range(5) ORDER BY n", db_copy)
    assert not truncated
    assert rows.to_dict("list") == {"n": [0, 1, 2, 3, 4], "square": [0, 1, 4, 9, 16]}
    rows, _ = queries.explore("SELECT count(*) AS n FROM runs", db_copy)
    assert rows["n"].iloc[0] > 0


def test_duckdb_errors_still_come_back_as_one_line(db_copy):
    with pytest.raises(sql_worker.QueryError) as failed:
        queries.explore("SELECT no_such_column FROM runs", db_copy)
    assert "no_such_column" in str(failed.value) and "\n" not in str(failed.value)


@pytest.mark.slow  # five workers, two of them killed at their limits
def test_queries_leave_no_descriptor_or_process_behind(db_copy):
    """The dashboard runs for weeks: each answered, failed or killed query must close its pipes
    and reap its worker."""
    def open_fds() -> int:
        return len(list(Path("/proc/self/fd").iterdir()))

    def children() -> str:
        return Path(f"/proc/self/task/{threading.get_native_id()}/children").read_text().strip()

    queries.explore("SELECT 1", db_copy)
    before, others = open_fds(), children()  # in a full run: the session's local model servers
    for sql in ("SELECT 1", MEMORY_BOMBS["huge list"], "SELECT no_such_column", SLOW):
        with contextlib.suppress(sql_worker.QueryLimit, sql_worker.QueryError):
            queries.explore(sql, db_copy, timeout_s=1)
    assert open_fds() == before and children() == others


def test_the_worker_never_runs_the_callers_main_script(db_copy, tmp_path, monkeypatch):
    """Under `streamlit run`, `__main__` is dashboard.py; a 'spawn' worker re-ran it before each
    query (the reverted 3d6f4cf). Here `__main__` is a script that leaves a mark if it runs."""
    mark = tmp_path / "main-script-ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(mark)!r}, 'w').close()\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    rows, _ = queries.explore("SELECT 7 AS x", db_copy)
    assert rows["x"].tolist() == [7] and not mark.exists()


@pytest.mark.slow  # a worker burns its 2 s of CPU
def test_a_worker_whose_dashboard_died_ends_by_itself(db_copy):
    """Nobody kills this worker at its wall-clock limit (as if the dashboard had died): its CPU
    limit ends it."""
    request = {"statement": SLOW, "path": str(db_copy), "config": dict(queries.EXPLORER_CONFIG),
               "row_cap": 10, "memory_bytes": 1 << 30, "result_bytes": 1 << 20, "cpu_s": 2}
    worker = subprocess.Popen([sys.executable, "-m", "warehouse.contract.sql_worker"],
                              cwd=sql_worker.PROJECT_ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker.communicate(json.dumps(request).encode(), timeout=60)
    assert worker.returncode == -signal.SIGXCPU


def test_the_sql_page_shows_one_line_for_a_memory_bomb(db_copy, monkeypatch):
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    at.switch_page("pages/sql.py").run()
    assert not at.exception, at.exception
    reset_peak_rss()
    before = peak_rss_mb()
    at.text_area(key="sql").input(MEMORY_BOMBS["huge list"]).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [PAGE_MEMORY_LINE]
    assert peak_rss_mb() - before < 1.5 * 1024
    at.text_area(key="sql").input("SELECT * FROM range(1000000)").run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.warning[0].value.startswith("Result cut to the first 10,000 rows")


# --- Under a real `streamlit run dashboard.py`, in Chromium -------------------------------------

ERROR = "[data-testid='stMain'] [data-testid='stAlert']"
# The result grid's cells (drawn on a canvas, mirrored in an accessible table).
SHOWS_CELL = """text => [...document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stDataFrame"] [role="gridcell"], '
    + '[data-testid="stMain"] [data-testid="stDataFrame"] td')]
    .some(c => c.textContent.trim() === text)"""


def type_and_run(page, sql: str) -> None:
    """Type into the Query box as a person does, commit it (Ctrl+Enter), then press Run."""
    box = page.get_by_label("Query")
    box.fill(sql)
    box.press("Control+Enter")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"] "
                           "[data-testid=\"stStatusWidgetRunningIcon\"]')", timeout=60_000)
    page.get_by_role("button", name="Run").click()


def bomb_then_ordinary_query(page, bomb: str, n_runs: int, shot: Path) -> dict:
    """What the page shows after the bomb, then after an ordinary query. The ordinary query's
    result replaces the bomb's line, so the next bomb's line cannot be a stale one."""
    type_and_run(page, bomb)
    page.wait_for_selector(ERROR, timeout=60_000)
    shown = {"bomb": page.locator(ERROR).all_inner_texts()}
    page.screenshot(path=str(shot))
    type_and_run(page, "SELECT count(*) AS runs FROM runs")
    page.wait_for_function(SHOWS_CELL, arg=str(n_runs), timeout=60_000)
    shown.update(errors_after=page.locator(ERROR).count(),
                 rows_after=page.get_by_test_id("stMetricValue").inner_text())
    return shown


def test_memory_bombs_on_the_real_sql_page_leave_the_server_up(dashboard_server, db_copy,
                                                               tmp_path):
    browser = pytest.importorskip("tests.test_browser")  # skips where Chromium is missing
    url, server = dashboard_server
    with duckdb.connect(str(db_copy), read_only=True) as con:
        n_runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    with browser.sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.FLAGS)
        page = chromium.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{url}/sql")
        page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)  # the example ran
        reset_peak_rss(server.pid)
        before = peak_rss_mb(server.pid)
        shown = {name: bomb_then_ordinary_query(page, bomb, n_runs,
                                                tmp_path / f"sql-{name.replace(' ', '-')}.png")
                 for name, bomb in MEMORY_BOMBS.items()}
        growth = peak_rss_mb(server.pid) - before
        chromium.close()
    print(f"screenshots in {tmp_path}; server peak RSS growth {growth:.0f} MB")
    assert shown == {name: {"bomb": [PAGE_MEMORY_LINE], "errors_after": 0, "rows_after": "1"}
                     for name in MEMORY_BOMBS}
    assert growth < 1.5 * 1024
    assert server.poll() is None and httpx.get(f"{url}/_stcore/health").status_code == 200
    log = (tmp_path / "streamlit.log").read_text()
    assert "Traceback" not in log
    assert "No runtime found" not in log  # nothing re-ran dashboard.py outside the server


@pytest.mark.slow  # waits for a slow query's 4 s limit
def test_more_queries_at_once_than_worker_slots_are_refused_in_one_line(db_copy, monkeypatch):
    """Each worker may take 1 GiB: a dashboard runs at most MAX_WORKERS at once. With one slot,
    a second query while a slow one runs waits, then is refused with one line; the slot is
    free again once the slow one was killed."""
    monkeypatch.setattr(sql_worker, "_SLOTS", threading.BoundedSemaphore(1))
    monkeypatch.setattr(sql_worker, "BUSY_WAIT_S", 0.5)

    def slow_query():
        with contextlib.suppress(queries.QueryTimeout):
            queries.explore(SLOW, db_copy, timeout_s=4)
    slow = threading.Thread(target=slow_query)
    slow.start()
    time.sleep(0.3)
    with pytest.raises(sql_worker.ExplorerBusy) as busy:
        queries.explore("SELECT 1 AS one", db_copy)
    slow.join(timeout=30)
    assert str(busy.value) == ("stopped: 2 explorer queries are already running on this "
                               "dashboard (each may use up to 1 GiB); run yours again in a few "
                               "seconds")
    rows, _ = queries.explore("SELECT 1 AS one", db_copy)
    assert rows["one"].tolist() == [1]
