"""Every page in Chromium at 1280 px, read as a person reads it: words, not identifiers.

Real parts only: `streamlit run dashboard.py` on a copy of the built warehouse, Debian's
Chromium driven by Playwright (never `playwright install`). For each page the test collects the
text a person sees (the page, its tables' cells and headers, its charts' titles, axes and
legends) and fails on a raw identifier (snake_case ids, `public:...` source ids, `arena:...`,
`epoch:...`, `price:...`, `latency:...` series ids) or on a Streamlit exception box. Text set
as code is allowed when it names a public view, a command (`python -m ...`) or a file path:
that is what a reader types. The SQL page's query results are the user's own SQL and are not checked.

Screenshots of every page are written to the folder the test prints.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bench.pages import registered_pages
from tests.helpers import IDENTIFIER
from tests.test_browser import CHROMIUM, FLAGS, REPO, free_port, sync_api, wait_healthy

pytestmark = pytest.mark.slow

# Every page dashboard.py registers, by its address (the default page as "overview").
PAGES = {(page["url_path"] or "overview"): page["url_path"] for page in registered_pages()}
VIEWPORT = {"width": 1280, "height": 1000}
# Both chart elements: Streamlit's own and pages/ui/figure.py's lighter one.
CHARTS = '[data-testid="stPlotlyChart"], .gapwatch-chart'

# Visible text of a page: its body, each data grid's cells (drawn on a canvas, but mirrored in an
# accessible table), and each Plotly chart's SVG text. Code spans and the SQL page's own results
# are collected apart.
COLLECT = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const sqlResults = new Set([...document.querySelectorAll('[data-testid="stDataFrame"]')]
      .filter(el => location.pathname.endsWith('/sql')));
  const grids = [...document.querySelectorAll('[data-testid="stDataFrame"]')]
      .filter(el => !sqlResults.has(el))
      .map(el => [...el.querySelectorAll('table th, table td, [role="columnheader"], [role="gridcell"]')]
                 .map(c => c.textContent).join('\\n'));
  const charts = [...document.querySelectorAll('.js-plotly-plot svg text')]
      .map(t => t.textContent);
  const code = [...main.querySelectorAll('code')].map(c => c.textContent);
  const cut = [...main.querySelectorAll('*')].filter(el =>
      getComputedStyle(el).textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1)
      .map(el => el.textContent);
  const strip = root => {
    const clone = root.cloneNode(true);
    clone.querySelectorAll('code, [data-testid="stDataFrame"], .js-plotly-plot, textarea, '
                           + '[data-testid="stIconMaterial"]').forEach(el => el.remove());
    return clone.innerText;
  };
  return {text: strip(main) + '\\n' + (sidebar ? strip(sidebar) : ''),
          grids: grids.join('\\n'), charts: charts.join('\\n'), code, cut,
          exceptions: document.querySelectorAll('[data-testid="stException"]').length};
}"""


def shots_dir() -> Path:
    folder = Path(os.environ.get("GAPWATCH_SHOTS") or tempfile.mkdtemp(prefix="gapwatch-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture
def dashboard(dashboard_server, db_copy):
    """(url, db path) of `streamlit run dashboard.py` on a copy of the built warehouse."""
    return dashboard_server[0], db_copy


def settle(page) -> None:
    """Wait until the script run ended and every Plotly chart on the page is drawn: the page's
    elements must stop changing for two checks in a row, with no run in progress."""
    page.wait_for_selector("[data-testid='stMain'] h1, [data-testid='stException']",
                           timeout=120_000)
    count = "document.querySelectorAll('[data-testid=\"stMain\"] [data-testid]').length"
    previous = -1
    for _ in range(120):
        page.wait_for_timeout(1000)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"] "
                               "[data-testid=\"stStatusWidgetRunningIcon\"]')", timeout=120_000)
        now = page.evaluate(count)
        if now == previous:
            break
        previous = now
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('{CHARTS}')]
                 .every(c => c.querySelector('svg text'))""", timeout=120_000)
    page.wait_for_timeout(800)


def visit_all(url: str, folder: Path, pages: dict[str, str] = PAGES,
              external: list | None = None) -> dict[str, dict]:
    """Visit each page in one browser tab; screenshot it; return what each page showed."""
    seen = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport=VIEWPORT)
        if external is not None:
            page.on("request", lambda r: external.append(r.url)
                    if not re.match(r"https?://(127\.0\.0\.1|localhost)[:/]", r.url)
                    and not r.url.startswith(("data:", "blob:")) else None)
        for name, path in pages.items():
            page.goto(f"{url}/{path}")
            settle(page)
            seen[name] = page.evaluate(COLLECT)
            seen[name]["width"] = page.evaluate("document.documentElement.scrollWidth")
            screenshot(page, folder / f"{name}.png")
        browser.close()
    return seen


def screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made as tall
    as that block for the shot (and put back after)."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
    page.wait_for_timeout(400)
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)


def public_views(db_path) -> set[str]:
    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as con:
        return {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal")
                .fetchall()}


def raw_ids(shown: dict, views: set[str]) -> list[str]:
    found = [m for part in ("text", "grids", "charts") for m in IDENTIFIER.findall(shown[part])]
    found += [c for c in shown["code"] if IDENTIFIER.search(c)
              and c not in views and not c.startswith("python -m") and "/" not in c]
    return sorted(set(found))


def test_every_page_speaks_words_fits_1280px_and_asks_nothing_of_the_internet(dashboard):
    url, db_path = dashboard
    external = []
    seen = visit_all(url, shots_dir(), external=external)
    views = public_views(db_path)
    problems = {name: raw_ids(shown, views) for name, shown in seen.items()}
    assert {n: ids for n, ids in problems.items() if ids} == {}
    assert {n: s["exceptions"] for n, s in seen.items() if s["exceptions"]} == {}
    assert {n: s["cut"] for n, s in seen.items() if s["cut"]} == {}
    assert {n: s["width"] for n, s in seen.items() if s["width"] > VIEWPORT["width"]} == {}
    assert external == []
    assert all("Traceback" not in s["text"] for s in seen.values())


def test_speed_page_after_a_local_latency_run_has_readable_time_axes(db_copy, local_servers, tmp_path):
    """A short real latency run of the three local models (llama.cpp), then the Speed page: the
    over-time figure's x axes are dates ticking at whole minutes or more (never '23:59:59.999'),
    the request spread is one box per model; Chromium screenshots go to the printed folder."""
    env = {**os.environ, "GAPWATCH_DB": str(db_copy)}
    subprocess.run([sys.executable, "-m", "collectors", "run", "latency", "--models", "local/*",
                    "--requests", "2", "--concurrency", "1", "--workloads", "smoke-32-16",
                    "--quiet"], cwd=REPO, env=env, check=True, timeout=1500)
    from streamlit.testing.v1 import AppTest

    from tests.helpers import figure_specs

    os.environ["GAPWATCH_DB"] = str(db_copy)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=300).run()
    at.switch_page("pages/speed.py").run()
    assert not at.exception
    specs = figure_specs(at)
    over_time = next(s for s in specs if "over time" in s["layout"]["title"]["text"])
    axes = [v for k, v in over_time["layout"].items() if k.startswith("xaxis")]
    assert axes and all(a["type"] == "date" for a in axes)
    assert all("%S" not in a["tickformat"] and "%L" not in a["tickformat"] for a in axes)
    assert all(str(a["dtick"]).startswith("M") or float(a["dtick"]) >= 60_000
               for a in axes)  # a whole minute or more
    boxes = next(s for s in specs if s["data"] and s["data"][0]["type"] == "box")
    assert sorted(t["name"] for t in boxes["data"]) == sorted(local_servers)

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py",
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        seen = visit_all(f"http://127.0.0.1:{port}", shots_dir(), {"speed-after-local-run": "speed"})
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert seen["speed-after-local-run"]["exceptions"] == 0
    assert "local/gemma3-270m" in seen["speed-after-local-run"]["charts"]
