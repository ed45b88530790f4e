"""A fresh install answers every capability dimension from the shipped public history (issue 16):
in `gap_verdicts`, in `python -m warehouse gaps`, on the Overview board (AppTest) and in a
real browser (Chromium via Playwright, the way tests/test_browser.py runs it)."""

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from helpers import figure_specs, verdict_board
from streamlit.testing.v1 import AppTest

from warehouse.analysis import gap_report, labels
from warehouse.storage import db
from warehouse.analysis.benchmark_dimensions import DIMENSIONS, MAPPING_VERSION

REPO = Path(__file__).resolve().parent.parent
ANSWERS = {"widening", "narrowing", "no clear change", "stable"}


def verdicts(path, where: str) -> list[tuple]:
    with db.reading(path) as con:
        return con.execute(f"SELECT series_id, gap_kind, period, verdict, n_points FROM gap_verdicts "
                           f"WHERE source LIKE 'public:%' AND {where}").fetchall()


def test_fresh_install_has_public_verdicts_for_dimensions_arena_and_price(built_db):
    answered = {m.split(":")[1].split("@")[0]
                for m, _, _, v, _ in verdicts(built_db, "series_id LIKE 'dimension:%' AND "
                                                        "gap_kind = 'frontier_a_minus_b'")
                if v in ANSWERS}
    assert len(answered & set(DIMENSIONS)) >= 3, answered
    assert all(m.endswith(f"@{MAPPING_VERSION}")
               for m, *_ in verdicts(built_db, "series_id LIKE 'dimension:%'"))
    arena = verdicts(built_db, "series_id LIKE 'arena:%' AND gap_kind = 'top1_minus_top10'")
    assert {v for *_, v, _ in arena} & ANSWERS
    for kind in ("top1_minus_top2", "max_a_minus_b"):  # leader − 2nd, best closed − best open
        assert verdicts(built_db, f"series_id LIKE 'arena:%' AND gap_kind = '{kind}'")
    for kind in ("log10_cheapest_ratio", "log10_geomean_ratio", "log10_median_ratio"):
        assert {v for *_, v, _ in verdicts(built_db, f"gap_kind = '{kind}'")} & ANSWERS, kind


def test_every_dimension_says_what_its_verdict_rests_on(built_db):
    """Each per-benchmark series of a dimension is stored too, with its point count."""
    rows = verdicts(built_db, "series_id LIKE 'epoch:%' AND series_id <> 'epoch:eci'")
    assert len({m for m, *_ in rows}) >= 20
    assert all(n is not None and n >= 1 for *_, n in rows)
    with db.reading(built_db) as con:
        dims = dict(con.execute("SELECT pack, any_value(dimension) FROM capability_scores "
                                "WHERE pack IN ('epoch:wino_grande', 'epoch:trivia_qa') "
                                "GROUP BY pack").fetchall())
    assert dims == {"epoch:wino_grande": "reasoning", "epoch:trivia_qa": "memory"}


def test_gaps_command_prints_the_dimension_verdicts(built_db, monkeypatch, capsys):
    from warehouse.__main__ import main
    from warehouse.contract import board_queries

    monkeypatch.setenv("GAPWATCH_DB", str(built_db))
    assert main(["gaps"]) == 0
    out = capsys.readouterr().out
    # the board's rows first, one line each, then every series in words (issue 24): no id
    # such as `dimension:memory@2026-12-02` that reads like a date
    assert out.startswith("Verdict board")
    board = out.split("\n\n")[1].splitlines()
    for dim in DIMENSIONS:
        assert any(line.strip().startswith(dim) for line in board), dim
        assert f"{dim}: Epoch AI benchmarks combined: closed weights vs open weights" in out
    assert f"@{MAPPING_VERSION}" not in out and "frontier_a_minus_b" not in out
    assert "logits/year" in out  # composites are on the logit scale (issue 25)
    assert "cheapest blended price of ECI 125 capability" in out
    # each board row's line: its verdict, the gap at the period's start and now, the whole history
    rows = board_queries.verdict_board(board_queries.gap_overview("both")).to_dict("records")
    assert len(board) == len(rows) and any(isinstance(r["whole_verdict"], str) for r in rows)
    for line, r in zip(board, rows):
        assert line.strip().startswith(r["dimension"]) and f" {r['verdict']}" in line, line
        if isinstance(r["series_id"], str):
            assert (f": {labels.significant(r['gap_then'])} → {labels.significant(r['gap_now'])} "
                    f"{labels.unit(r['unit'])}; ") in line, line
            assert line.endswith(f"; whole history {r['whole_verdict']}"), line
        else:
            assert line.endswith(f"{r['verdict']}: {r['note']}"), line
    assert main(["gaps", "--dimension", "reasoning"]) == 0
    only = capsys.readouterr().out
    assert "reasoning: Epoch AI benchmarks combined" in only
    assert "understanding: Epoch AI benchmarks combined" not in only



def test_a_board_line_says_the_gap_then_and_now_the_whole_history_and_why_a_row_is_empty():
    """`python -m warehouse gaps`' board, one line per row: a series row's verdict with the gap
    at the period's start and now and the whole history's verdict; a row with no series says
    why when a note does, and nothing (never `nan`) when none does."""
    board = pd.DataFrame([
        {"dimension": "overall capability", "series_id": "epoch:eci", "gap_kind": "frontier_a_minus_b",
         "group_a": "closed", "group_b": "open", "unit": "ECI points", "verdict": "narrowing",
         "slope_per_year": -4.2, "ci_low": -6.3, "ci_high": -2.1,
         "period_start": pd.Timestamp("2025-03-01"), "period_end": pd.Timestamp("2026-03-01"),
         "gap_then": 9.87, "gap_now": 5.43, "whole_verdict": "no clear change", "note": "x"},
        {"dimension": "speed", "series_id": None, "verdict": "not enough data",
         "note": "no public speed history yet"},
        {"dimension": "price", "series_id": None, "verdict": "not enough data", "note": None}])
    assert gap_report.board_lines(board)[2:] == [
        "  overall capability         Epoch Capabilities Index: closed weights vs open weights: "
        "narrowing (2025-03 → 2026-03: 9.87 → 5.43 ECI points; −4.2 ECI points/yr [−6.3, −2.1]); "
        "whole history no clear change",
        "  speed                      not enough data: no public speed history yet",
        "  price                      not enough data", ""]
    # A longer dimension name widens the column for every row, so the series still line up.
    longer = board.assign(dimension=["months behind (open vs closed)", "speed", "price"])
    lines = gap_report.board_lines(longer)[2:5]
    assert lines[0].startswith("  months behind (open vs closed)  Epoch Capabilities Index")
    assert lines[1] == "  speed" + " " * 27 + "not enough data: no public speed history yet"
    assert {line.index("Epoch") if "Epoch" in line else line.index("not") for line in lines} == {34}

def test_gaps_series_filter_matches_an_id_or_the_words_a_reader_sees():
    """`python -m warehouse gaps --series X` keeps the series whose id or words contain X, in
    any case: `capabilities` and `EPOCH:ECI` pick the ECI series, `price` the price one."""
    verdicts = pd.DataFrame([
        {"series_id": "epoch:eci", "gap_kind": "frontier_a_minus_b", "group_a": "closed",
         "group_b": "open"},
        {"series_id": "price:usd_per_mtok_out", "gap_kind": "frontier_a_minus_b",
         "group_a": "closed", "group_b": "open"}])
    assert gap_report.matches(verdicts, "capabilities", None).tolist() == [True, False]
    assert gap_report.matches(verdicts, "EPOCH:ECI", None).tolist() == [True, False]
    assert gap_report.matches(verdicts, "price", None).tolist() == [False, True]
    assert gap_report.matches(verdicts, None, None).tolist() == [True, True]


@pytest.fixture
def board_app(db_copy, monkeypatch):
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=120).run()
    assert not at.exception
    return at


def test_board_answers_all_but_at_most_two_rows_on_a_fresh_install(board_app):
    board = verdict_board(board_app)
    rows = board.set_index("Dimension")
    assert set(DIMENSIONS) <= set(rows.index)
    assert (board["Verdict"] == "not enough data").sum() <= 2, board[["Dimension", "Verdict"]]
    for dim in DIMENSIONS:
        assert rows.loc[dim, "Verdict"] != "not enough data", dim
        metric = f"dimension:{dim}@{MAPPING_VERSION}"
        # the series in words, without the dimension the row's first column already names
        assert rows.loc[dim, "Series"] == labels.gap_series(
            metric, "frontier_a_minus_b", "closed", "open").removeprefix(f"{dim}: ")
        assert not rows.loc[dim, "Series"].startswith(dim)
    assert rows.loc["speed", "Series"].startswith("no public speed history")
    shown = [c.value for c in board_app.caption]  # the command to measure speed, under the board
    assert any("python -m collectors run latency --models 'local/*'" in v for v in shown), shown
    assert "human preference (Arena)" in rows.index


@pytest.mark.slow
def test_board_in_chromium(db_copy, tmp_path):
    from test_browser import CHROMIUM, FLAGS, free_port, wait_healthy

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed")
    import subprocess
    import sys

    port = free_port()
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py",
                             "--server.port", str(port), "--server.headless", "true"], cwd=REPO,
                            env={**os.environ, "GAPWATCH_DB": str(db_copy)}, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        (REPO / "artifacts").mkdir(exist_ok=True)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            page.goto(url)
            page.get_by_text("Verdict board").first.wait_for(timeout=90_000)
            grid = page.locator("[data-testid='stTable']").first
            grid.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            grid.screenshot(path=str(REPO / "artifacts" / "verdict_board.png"))
            page.screenshot(path=str(REPO / "artifacts" / "overview_board.png"), full_page=True)
            text = page.inner_text("body")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "Traceback" not in text
    assert re.search(r"Verdict board", text)
    assert (REPO / "artifacts" / "verdict_board.png").stat().st_size > 10_000


def page(at: AppTest, path: str) -> AppTest:
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[dict]:
    return figure_specs(at)


def test_price_page_draws_the_price_of_a_fixed_capability_on_a_log_scale(board_app, db_copy):
    at = page(board_app, "pages/prices.py")
    spec = next(f for f in figures(at) if "Cheapest model at or above ECI" in
                f["layout"]["title"]["text"])
    assert spec["layout"]["yaxis"]["type"] == "log"
    assert [t["name"] for t in spec["data"]] == ["cheapest open", "cheapest closed"]
    with db.reading(db_copy) as con:
        n = con.execute("SELECT count(*) FROM gap_series WHERE gap_kind = 'log10_cheapest_ratio'"
                        ).fetchone()[0]
    assert n >= 20 and len(spec["data"][0]["x"]) == n
    assert any(m.value.startswith("**whole history**") for m in at.markdown)


def test_fresh_page_answers_the_overfitting_question_from_public_scores(board_app, db_copy):
    at = page(board_app, "pages/fresh.py")
    both = next(m for m in at.metric if m.label == "Models scored on both")
    with db.reading(db_copy) as con:
        n = con.execute("""SELECT count(*) FROM (SELECT model_id FROM capability_scores
                           WHERE pack IN ('epoch:math_level_5', 'epoch:frontiermath')
                           GROUP BY model_id HAVING count(DISTINCT pack) = 2)""").fetchone()[0]
    assert both.value == f"{n:,}" and n > 20
    spec = figures(at)[0]
    assert spec["layout"]["yaxis"]["title"]["text"] == "Public minus held-out score (logits)"
    assert "monthly median" in [t["name"] for t in spec["data"]]


def test_speed_page_prints_the_one_command_that_measures_the_local_models(board_app):
    at = page(board_app, "pages/speed.py")
    assert any("python -m collectors run latency --models 'local/*'" in c.value for c in at.code)
    assert any("Public speed history is thin" in m.value for m in at.markdown)
