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

The same is measured on bench/floor_app.py, a page with no data (text only, then two
three-point Plotly charts): the floor under which no dashboard page can go here.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"viewport": {"width": 1400, "height": 1600}}


@dataclass(frozen=True)
class Target:
    """A page to time: its app, address, sidebar title, charts that must be drawn and the text
    of its last section; the page visited first so that the server has imported its modules."""
    app: str
    path: str
    sidebar_title: str
    charts: int
    last_text: str
    warm_up: tuple[str, str] = ("sql", "Run")


PAGES = {"Overview": Target("dashboard.py", "", "Overview", 2, "Closed vs open weights"),
         "Gaps": Target("dashboard.py", "gaps", "Gaps", 2, "Lag in months")}
FLOOR = {"Floor: text only": Target("bench/floor_app.py", "", "Text", 0, "End of the page.",
                                    ("charts", "End of the page.")),
         "Floor: two small Plotly charts": Target("bench/floor_app.py", "charts", "Charts", 2,
                                                  "End of the page.", ("", "End of the page.")),
         "Floor: the same, GapWatch's chart element": Target(
             "bench/floor_app.py", "light-charts", "Light charts", 2, "End of the page.",
             ("", "End of the page."))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(db_path: str, port: int | None = None,
                    app: str = "dashboard.py") -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", app, "--server.port",
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


def drawn(page, target: Target) -> None:
    page.get_by_text(target.last_text).first.wait_for(timeout=120_000)
    page.wait_for_function("n => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace')"
                           ".length >= n", arg=target.charts, timeout=120_000)


def cold_visit(opener, url: str, target: Target) -> float:
    """`opener`: the browser (a fresh context for this page) or a context that has visited before."""
    page = opener.new_page(**VIEWPORT) if hasattr(opener, "contexts") else opener.new_page()
    start = time.perf_counter()
    page.goto(f"{url}/{target.path}")
    drawn(page, target)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def sidebar_visit(page, target: Target) -> float:
    start = time.perf_counter()
    page.get_by_test_id("stSidebarNav").get_by_text(target.sidebar_title, exact=True).click()
    drawn(page, target)
    return time.perf_counter() - start


def bench(db_path: str, repeats: int, pages: dict[str, Target] | None = None
          ) -> list[tuple[str, float, float, float, float]]:
    """(page, first, cold, cold for a returning browser, warm) seconds per page."""
    from playwright.sync_api import sync_playwright

    pages = pages or PAGES
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for title, target in pages.items():
            first = one_server(browser, db_path, target, lambda url: cold_visit(browser, url, target))
            cold, returning = cold_visits(browser, db_path, target, repeats)
            other = next(t for name, t in pages.items() if name != title and t.app == target.app)
            warm = one_server(browser, db_path, target,
                              lambda url: warm_visits(browser, url, target, other, repeats))
            rows.append((title, first, cold, returning, warm))
        browser.close()
    return rows


SERVER_PIDS: dict[str, int] = {}  # address -> process of the server running there


def one_server(browser, db_path: str, target: Target, measure, port: int | None = None):
    proc, url = start_dashboard(db_path, port, target.app)
    SERVER_PIDS[url] = proc.pid
    try:
        return measure(url)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def cold_visits(browser, db_path: str, target: Target, repeats: int) -> tuple[float, float]:
    """Medians: a fresh browser, and one that opened the page before on the same address."""
    port = free_port()
    returning = browser.new_context(**VIEWPORT)
    one_server(browser, db_path, target, lambda url: cold_visit(returning, url, target), port)
    fresh, again = [], []
    for _ in range(repeats):
        fresh.append(one_server(browser, db_path, target, lambda url: after_warm_up(
            browser, url, target, lambda: cold_visit(browser, url, target))))
        again.append(one_server(browser, db_path, target, lambda url: after_warm_up(
            browser, url, target, lambda: cold_visit(returning, url, target)), port))
    returning.close()
    return statistics.median(fresh), statistics.median(again)


def after_warm_up(browser, url: str, target: Target, measure) -> float:
    """The server has started a session and imported its modules, but not cached this page's data."""
    path, text = target.warm_up
    warm_up = browser.new_page()
    warm_up.goto(f"{url}/{path}")
    warm_up.get_by_text(text).first.wait_for(timeout=120_000)
    warm_up.close()
    until_idle(SERVER_PIDS[url])
    return measure()


def until_idle(pid: int, quiet_s: float = 0.5, timeout_s: float = 30.0) -> None:
    """Wait until the server process has used under 5% of a core for `quiet_s`: its first run
    may still be loading modules in the background (pages/ui/preload.py), and "cold" means the
    page's data caches are empty, not that the server is still starting."""
    def cpu_s() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + timeout_s
    before = cpu_s()
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = cpu_s()
        if now - before < 0.05 * quiet_s:
            return
        before = now


def warm_visits(browser, url: str, target: Target, other: Target, repeats: int) -> float:
    page = browser.new_page(**VIEWPORT)
    page.goto(f"{url}/{target.path}")
    drawn(page, target)
    warm = []
    for _ in range(repeats):
        sidebar_visit(page, other)
        warm.append(sidebar_visit(page, target))
    return statistics.median(warm)
