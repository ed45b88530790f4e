"""End to end in a real browser: `streamlit run dashboard.py`, Debian's Chromium, Playwright.

Never `playwright install`: the browser is /usr/bin/chromium from `apt-get install chromium`.
Screenshots are kept under artifacts/ for people to look at.
"""

import os
from pathlib import Path

import pytest

from bench.pages import registered_pages

# free_port and wait_healthy are imported from here by other browser tests; the dashboard_url
# fixture (a real `streamlit run dashboard.py`) lives in conftest.py.
from tests.helpers import free_port, wait_healthy  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} missing in CI: .ci/run must apt-get install chromium")
    pytest.skip("Debian chromium not installed (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def test_overview_draws_its_charts_in_chromium(dashboard_url):
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(dashboard_url)
        page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=60_000)
        page.wait_for_timeout(500)
        drawn = page.locator(".js-plotly-plot .scatterlayer .trace path.js-line").count()
        text = page.inner_text("body")
        page.screenshot(path=str(artifacts / "overview.png"), full_page=True)
        browser.close()
    assert drawn >= 5  # Arena methods plus the two ECI frontiers
    assert "Models with scores" in text and "Closed vs open weights" in text
    assert "Traceback" not in text


def test_overview_board_and_gaps_page_in_chromium(dashboard_url):
    """The verdict board renders, and the Gaps page draws its series and trend line."""
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(dashboard_url)
        page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=60_000)
        page.get_by_text("Verdict board: is each gap widening?").wait_for(timeout=30_000)
        page.wait_for_selector("[data-testid='stTable']", timeout=30_000)
        overview_text = page.inner_text("body")
        page.goto(f"{dashboard_url}/gaps")
        page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=60_000)
        page.get_by_text("Lag in months").wait_for(timeout=30_000)
        page.wait_for_timeout(800)
        legend = page.locator(".js-plotly-plot").first.locator(".legendtext").evaluate_all(
            "els => els.map(e => e.textContent)")
        drawn = page.locator(".js-plotly-plot").first.locator(
            ".scatterlayer .trace path.js-line").count()
        gaps_text = page.inner_text("body")
        page.screenshot(path=str(artifacts / "gaps.png"), full_page=True)
        browser.close()
    assert "Traceback" not in overview_text + gaps_text
    assert "Last collection" in overview_text
    assert sorted(legend) == sorted(["gap", "slope 95% low", "slope 95% high", "trend (the verdict's slope)"])
    assert drawn == 4
    assert "Verdict" in gaps_text and "open behind closed" in gaps_text


def test_a_deep_link_as_the_first_visit_shows_the_registered_menu(dashboard_url):
    """A fresh server's first visit straight to /gaps: Streamlit's older pages-folder mode would
    run pages/gaps.py alone (no database check, a sidebar of every module) or, with no script
    atop pages/, show a "Page not found" dialog over the page. pages/__init__.py leaves that
    mode before either: the menu is dashboard.py's and no dialog appears."""
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{dashboard_url}/gaps")
        page.get_by_text("Lag in months").wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # a dialog would arrive with the first run's messages
        menu = page.get_by_test_id("stSidebarNav").inner_text()
        body, address = page.inner_text("body"), page.url
        page.screenshot(path=str(artifacts / "deep-link-gaps.png"), full_page=True)
        browser.close()
    entries = [line.strip() for line in menu.splitlines() if line.strip()]
    titles = [registered["title"] for registered in registered_pages()]
    assert [e for e in entries if e in titles] == titles
    assert not {"charts", "data", "tables", "actions", "dashboard", "ui"} & set(entries)
    assert address.endswith("/gaps") and "Traceback" not in body
    assert "Page not found" not in body
