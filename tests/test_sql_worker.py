"""The SQL explorer's limits: each query runs in a killable worker process with a memory
ceiling, a wall-clock limit, a row cap and a result-size cap; the dashboard process stays small.

Real parts only: the built warehouse file, real DuckDB in a real spawned worker, and the SQL
page run headless with AppTest.
"""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from warehouse import queries, sql_worker

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")

MEMORY_BOMBS = {
    "huge list": "SELECT range(0, 2000000000)",
    "huge string": "SELECT string_agg(repeat('x', 1000000), '') FROM range(10000)",
}
ONE_LINE_LIMIT = ("stopped: the query needed more than 1 GiB of memory",
                  "stopped after 10 s: the query ran past the explorer's time limit")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


@pytest.mark.parametrize("sql", MEMORY_BOMBS.values(), ids=MEMORY_BOMBS.keys())
def test_a_memory_bomb_is_stopped_in_one_line_and_the_caller_stays_small(db_copy, sql):
    before = peak_rss_mb()
    start = time.monotonic()
    with pytest.raises(sql_worker.QueryLimit) as stopped:
        queries.explore(sql, db_copy)
    took = time.monotonic() - start
    growth = peak_rss_mb() - before
    print(f"{sql}: {stopped.value} after {took:.1f} s; caller peak RSS growth {growth:.0f} MB")
    assert str(stopped.value) in ONE_LINE_LIMIT and "\n" not in str(stopped.value)
    assert took < 15
    assert growth < 1.5 * 1024


def test_a_big_result_is_cut_to_the_row_cap(db_copy):
    rows, truncated = queries.explore("SELECT * FROM range(1000000)", db_copy)
    assert truncated and len(rows) == 10_000 and rows.iloc[-1, 0] == 9_999
    assert sql_worker.cut_message(10_000) == "result cut to the first 10,000 rows"


def test_a_slow_query_is_killed_at_the_time_limit(db_copy):
    start = time.monotonic()
    with pytest.raises(queries.QueryTimeout) as stopped:
        queries.explore("SELECT count(*) FROM range(100000000000) a, range(1000) b", db_copy,
                        timeout_s=2)
    assert str(stopped.value) == "stopped after 2 s: the query ran past the explorer's time limit"
    assert time.monotonic() - start < 15


def test_a_result_over_the_byte_cap_is_one_line(db_copy):
    path = str(db_copy)
    with pytest.raises(sql_worker.ResultTooLarge, match=r"^stopped: the result is \d+ MB, more "
                                                         r"than the explorer's 1 MB"):
        sql_worker.run("SELECT repeat('x', 1000) AS s FROM range(5000)", path,
                       dict(queries.EXPLORER_CONFIG), result_bytes=1_000_000)


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


def test_the_sql_page_shows_one_line_for_a_memory_bomb(db_copy, monkeypatch):
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    at.switch_page("pages/sql.py").run()
    assert not at.exception, at.exception
    before = peak_rss_mb()
    at.text_area(key="sql").input(MEMORY_BOMBS["huge list"]).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Stopped: the query needed more than 1 GiB of memory"]
    assert peak_rss_mb() - before < 1.5 * 1024
    at.text_area(key="sql").input("SELECT * FROM range(1000000)").run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.warning[0].value.startswith("Result cut to the first 10,000 rows")
