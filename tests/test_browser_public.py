"""After `python -m collectors run public`, Overview in Chromium says how recent each source is.

Real parts: the refresh fetches from a real HTTP server (tests/public_server.py), `streamlit run
dashboard.py` serves the refreshed copy, Debian's Chromium reads the page. Arena is refreshed
and Epoch is not, so one board row reads fresh and another stale.
"""

from datetime import datetime, timezone

import pytest

from public_server import PublicServer
from tests.test_browser import CHROMIUM, FLAGS, REPO, sync_api

pytestmark = pytest.mark.slow
TODAY = f"{datetime.now(timezone.utc):%Y-%m-%d}"
ROWS = """() => [...document.querySelectorAll('[data-testid="stTable"] tr')]
                  .map(tr => [...tr.querySelectorAll('th, td')].map(c => c.innerText))"""


def test_the_board_shows_each_sources_dates_and_stale_marks_after_a_refresh(dashboard_server, db_copy,
                                                                           tmp_path, monkeypatch, capsys):
    from collectors.__main__ import main

    url, _ = dashboard_server
    srv = PublicServer()
    srv.serve_vintage()
    (tmp_path / "config").mkdir()
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    monkeypatch.setenv("GAPWATCH_CONFIG", str(srv.config(tmp_path / "config")))
    try:
        assert main(["run", "public", "--sources", "arena"]) == 0, capsys.readouterr()
    finally:
        srv.close()
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1800})
        page.goto(url)
        page.get_by_text("Verdict board: is each gap widening?").wait_for(timeout=60_000)
        page.wait_for_selector("[data-testid='stTable']", timeout=60_000)
        page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=60_000)
        table = page.evaluate(ROWS)
        text = page.inner_text("body")
        page.screenshot(path=str(artifacts / "overview_after_public_refresh.png"), full_page=True)
        browser.close()
    header = next(r for r in table if "Dimension" in r)
    column = header.index("Data (how recent)")
    cells = {r[0]: r[column] for r in table if r and r[0] != "Dimension" and len(r) > column}
    assert cells["human preference (Arena)"] == f"Arena ratings to 2026-11-30, fetched {TODAY}"
    assert cells["overall capability"] == ("Epoch Capabilities Index to 2026-03-05, shipped with "
                                           "GapWatch; stale")
    assert "Stale, older than their sources publish: Epoch benchmark scores (to 2025-10-15)" in text
    assert f"Arena ratings to 2026-11-30, fetched {TODAY}." in text  # the Arena chart's caption
    assert "Traceback" not in text
