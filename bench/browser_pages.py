"""Overview and Gaps in a real browser: seconds from navigation until their charts are drawn.

Debian's Chromium (`apt-get install chromium`) driven by Playwright against `streamlit run
dashboard.py` on loopback, as tests/test_browser.py does. A page counts as drawn when its
Plotly charts have their traces and its last section's text is on screen.
- first: the first page a just-started server and a fresh browser open (Python imports
  included);
- cold: a fresh browser (the app's JavaScript not cached) opening the page on a server whose
  data caches are empty for it (the server has only served the SQL page);
- cold, returning: the same, but the browser has opened the dashboard before (its scripts are in
  the browser's cache), as for someone who checks the board every morning;
- warm: a person moving between pages with the sidebar.
Cold figures are medians over `repeats` new servers.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# sidebar title: path, charts that must be drawn, text of the page's last section
VIEWPORT = {"viewport": {"width": 1400, "height": 1600}}
PAGES = {"Overview": ("", 2, "Closed vs open weights"), "Gaps": ("gaps", 2, "Lag in months")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(db_path: str, port: int | None = None) -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port",
                             str(port), "--server.headless", "true"], cwd=REPO,
                            env={**os.environ, "GAPWATCH_DB": db_path},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.3)
    proc.terminate()
    raise TimeoutError("streamlit did not start")


def drawn(page, charts: int, last_text: str) -> None:
    page.get_by_text(last_text).first.wait_for(timeout=120_000)
    page.wait_for_function("n => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace')"
                           ".length >= n", arg=charts, timeout=120_000)


def cold_visit(opener, url: str, charts: int, last_text: str) -> float:
    """`opener`: the browser (a fresh context for this page) or a context that has visited before."""
    page = opener.new_page(**VIEWPORT) if hasattr(opener, "contexts") else opener.new_page()
    start = time.perf_counter()
    page.goto(url)
    drawn(page, charts, last_text)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def sidebar_visit(page, title: str, charts: int, last_text: str) -> float:
    start = time.perf_counter()
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    drawn(page, charts, last_text)
    return time.perf_counter() - start


def bench(db_path: str, repeats: int) -> list[tuple[str, float, float, float, float]]:
    """(page, first, cold, cold for a returning browser, warm) seconds per page."""
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for title, (path, charts, last_text) in PAGES.items():
            first = one_server(browser, db_path, lambda url: cold_visit(browser, f"{url}/{path}", charts,
                                                                        last_text))
            cold, returning = cold_visits(browser, db_path, title, repeats)
            warm = one_server(browser, db_path, lambda url: warm_visits(browser, url, title, repeats))
            rows.append((title, first, cold, returning, warm))
        browser.close()
    return rows


def one_server(browser, db_path: str, measure, port: int | None = None):
    proc, url = start_dashboard(db_path, port)
    try:
        return measure(url)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def cold_visits(browser, db_path: str, title: str, repeats: int) -> tuple[float, float]:
    """Medians: a fresh browser, and one that opened the page before on the same address."""
    path, charts, last_text = PAGES[title]
    port = free_port()
    returning = browser.new_context(**VIEWPORT)
    one_server(browser, db_path, lambda url: cold_visit(returning, f"{url}/{path}", charts, last_text), port)
    fresh, again = [], []
    for _ in range(repeats):
        fresh.append(one_server(browser, db_path, lambda url: after_sql_page(
            browser, url, lambda: cold_visit(browser, f"{url}/{path}", charts, last_text))))
        again.append(one_server(browser, db_path, lambda url: after_sql_page(
            browser, url, lambda: cold_visit(returning, f"{url}/{path}", charts, last_text)), port))
    returning.close()
    return statistics.median(fresh), statistics.median(again)


def after_sql_page(browser, url: str, measure) -> float:
    """The server has started a session and imported its modules, but not cached this page's data."""
    warm_up = browser.new_page()
    warm_up.goto(f"{url}/sql")
    warm_up.get_by_text("Run").first.wait_for(timeout=120_000)
    warm_up.close()
    return measure()


def warm_visits(browser, url: str, title: str, repeats: int) -> float:
    path, charts, last_text = PAGES[title]
    page = browser.new_page(**VIEWPORT)
    page.goto(f"{url}/{path}")
    drawn(page, charts, last_text)
    other = next(t for t in PAGES if t != title)
    warm = []
    for _ in range(repeats):
        sidebar_visit(page, other, *PAGES[other][1:])
        warm.append(sidebar_visit(page, title, charts, last_text))
    return statistics.median(warm)
