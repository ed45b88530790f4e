"""The Capability page answers a dimension and shows every benchmark behind it (issue 25): the
composite's headline, its checks, one row per benchmark with its own verdict, coverage and
saturation, and the scored models no source labels. Headless (AppTest) on the built warehouse,
then in Chromium (Playwright, the way tests/test_browser_pages.py runs it)."""

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from warehouse.analysis import dimension_checks

from tests.test_browser_pages import (COLLECT, VIEWPORT, public_views, raw_ids, screenshot,
                                      settle, shots_dir)
from warehouse.storage import db

REPO_PAGE = "pages/capability.py"


def db_rows(path, sql, params=None) -> pd.DataFrame:
    with db.reading(path) as con:
        return con.execute(sql, params or []).df()


@pytest.fixture
def capability(db_copy, monkeypatch):
    from tests.test_dimension_board import REPO

    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=180).run()
    at.switch_page(REPO_PAGE).run()
    assert not at.exception
    return at


def story_table(at: AppTest) -> pd.DataFrame:
    return next(t.value for t in at.table if "Its own verdict" in t.value.columns)


def test_reasoning_headline_sits_above_one_row_per_benchmark(capability, db_copy):
    at = capability
    at.selectbox[0].set_value("reasoning").run()
    assert not at.exception
    table = story_table(at)
    stored = db_rows(db_copy, "SELECT series_id, saturated_from, in_composite FROM "
                              "benchmark_stories WHERE dimension = 'reasoning'")
    assert len(table) == len(stored) >= 10
    math = table[table["Benchmark"] == "MATH Level 5 (score 0–1)"].iloc[0]
    assert math["Saturated"] == "from 2024-12"
    assert math["In the composite"].startswith("used 2023-07 → 2024-11")
    frontier = table[table["Benchmark"] == "FrontierMath (score 0–1)"].iloc[0]
    assert "upper bound" in frontier["Coverage"]
    headline = db_rows(db_copy, """SELECT verdict, note FROM gap_verdicts WHERE series_id LIKE
        'dimension:reasoning@%' AND gap_kind = 'frontier_a_minus_b' AND period = 'last 12 months'""")
    text = "\n".join(m.value for m in at.markdown)
    assert "Closed − open, last 12 months" in text
    assert f": {headline['verdict'].iloc[0]}**" in text
    assert "depends on MATH Level 5" in text  # the whole history's check, said in words
    # why an interval that excludes 0 is still `no clear change`, said on the page when it applies
    full = db_rows(db_copy, """SELECT * FROM gap_verdicts WHERE series_id LIKE 'dimension:reasoning@%'
        AND gap_kind = 'frontier_a_minus_b' AND period = 'last 12 months'""").iloc[0].to_dict()
    reason = dimension_checks.why_not_called(full)
    assert reason is None or reason in text
    assert any(e.label.startswith("Checks of the headline") for e in at.expander)
    assert all("_" not in c for c in table.columns)


def test_memory_shows_its_newest_months_from_fiction_livebench(capability):
    at = capability
    at.selectbox[0].set_value("memory").run()
    table = story_table(at)
    flb = table[table["Benchmark"] == "Fiction.LiveBench (score 0–1)"].iloc[0]
    assert "→ 2025-09)" in flb["Closed − open, first → last"]
    assert flb["Saturated"] == "from 2025-03"
    assert flb["Its own verdict"] != "no verdict"
    text = "\n".join(m.value for m in at.markdown)
    assert "Later months come only from" in text and "Fiction.LiveBench (to 2025-09)" in text
    assert any("no open/closed label" in e.label for e in at.expander)


@pytest.mark.slow
def test_the_story_table_in_chromium(dashboard_server, db_copy):
    """Select reasoning on the Capability page in a real browser: the table shows one row per
    benchmark in words (no raw ids), nothing cut, within 1280 px; screenshot saved."""
    from tests.test_browser import CHROMIUM, FLAGS, sync_api

    url = dashboard_server[0]
    folder = shots_dir()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{url}/capability")
        settle(page)
        page.locator("[data-testid='stSelectbox']").first.click()
        page.get_by_role("option", name="reasoning", exact=True).click()
        page.get_by_text("Every benchmark's own story").wait_for(timeout=120_000)
        settle(page)
        table = page.locator("[data-testid='stTable']").filter(has_text="Its own verdict")
        table.wait_for(timeout=60_000)
        screenshot(page, folder / "capability-reasoning-benchmarks.png")
        cells = table.locator("tbody tr").all_inner_texts()
        shown = page.evaluate(COLLECT)
        width = page.evaluate("document.documentElement.scrollWidth")
        cut = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stTable"] *')]
            .filter(el => getComputedStyle(el).textOverflow === 'ellipsis'
                    && el.scrollWidth > el.clientWidth + 1).map(el => el.textContent)""")
        browser.close()
    stored = db_rows(db_copy, "SELECT count(*) AS n FROM benchmark_stories WHERE dimension = 'reasoning'")
    assert len(cells) == stored["n"].iloc[0]
    assert any(c.startswith("MATH Level 5") and "from 2024-12" in c for c in cells), cells
    assert any(c.startswith("FrontierMath") and "upper bound" in c for c in cells)
    assert "Closed − open, last 12 months" in shown["text"]
    assert raw_ids(shown, public_views(db_copy)) == [] and shown["exceptions"] == 0
    assert cut == [] and width <= VIEWPORT["width"]
    assert (folder / "capability-reasoning-benchmarks.png").stat().st_size > 10_000
