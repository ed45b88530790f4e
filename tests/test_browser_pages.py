"""Every page in Chromium at 1280 px, read as a person reads it: words, not identifiers.

Real parts only: `streamlit run dashboard.py` on a copy of the built warehouse, Debian's
Chromium driven by Playwright (never `playwright install`). For each page the test collects the
text a person sees (the page, its tables' cells and headers, its charts' titles, axes and
legends) and fails on a raw identifier (snake_case ids, `public:...` source ids, `arena:...`,
`epoch:...`, `price:...`, `latency:...` series ids) or on a Streamlit exception box. Text set
as code is allowed when it names a public view, a command (`python -m ...`), a file path or a
line of gapwatch.toml (`key = value`): that is what a reader types. The SQL page's query
results are the user's own SQL and are not checked.

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
  const points = [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
    title: (el.layout && el.layout.title && (el.layout.title.text || el.layout.title)) || '',
    points: (el.data || []).reduce((n, t) => n + Math.max((t.x || []).length, (t.y || []).length), 0)
  }));
  return {text: strip(main) + '\\n' + (sidebar ? strip(sidebar) : ''),
          grids: grids.join('\\n'), charts: charts.join('\\n'), code, cut, points,
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
    found += [c for c in shown["code"] if IDENTIFIER.search(c) and c not in views
              and not c.startswith("python -m") and "/" not in c and " = " not in c]
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
    empty = {n: [c["title"] for c in s["points"] if not c["points"]] for n, s in seen.items()}
    assert {n: titles for n, titles in empty.items() if titles} == {}  # never an empty chart


MARGIN = re.compile(r"Newest run: (\S+) (−?[\d.]+) − (\S+) (−?[\d.]+) = ([+−][\d.]+)")


def short_runs(env: dict) -> None:
    """The first runs of a new user, kept short for CI: a smoke latency run and two capability
    packs with one fixed and one fresh item each; no prices run."""
    for args in (["latency", "--requests", "2", "--concurrency", "1", "--workloads", "smoke-32-16"],
                 ["capability", "--packs", "reasoning", "understanding", "--fixed", "1",
                  "--fresh", "1", "--seed", "5"]):
        done = subprocess.run([sys.executable, "-m", "collectors", "run", args[0], "--models",
                               "local/*", "--quiet", *args[1:]], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=1500)
        assert done.returncode == 0, done.stderr[-2000:]


def measured_pack_margin(url: str, folder: Path) -> dict:
    """Capability page, reasoning-core (the user's own pack): the text under the margin."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{url}/capability")
        settle(page)
        for label, option in (("Dimension", "reasoning"), ("Benchmark or leaderboard",
                                                           "reasoning-core")):
            page.get_by_label(label).click()
            page.keyboard.type(option)
            page.keyboard.press("Enter")
            settle(page)
        seen = page.evaluate(COLLECT)
        seen["width"] = page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, folder / "capability-reasoning-core.png")
        browser.close()
    return seen


def test_every_page_after_a_first_short_run_of_the_three_local_models(db_copy, local_servers,
                                                                      tmp_path):
    """Issue 28's "must show": a short latency run and a short capability run of the three real
    local models (llama.cpp), no prices run; then every page in Chromium at 1280 px: no chart
    without points, no raw identifier, no text cut at the right, the leader's margin equal to
    the leader's score minus the runner-up's in the same metric, and a cost per solved item for
    each local model (priced from machine time by the capability run itself) or one line
    saying why not. Screenshots go to the printed folder."""
    config = tmp_path / "gapwatch.toml"
    config.write_text((REPO / "gapwatch.toml").read_text() + "\n[machine]\nrequests = 1\n")
    env = {**os.environ, "GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(config)}
    short_runs(env)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py",
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    folder = shots_dir()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        seen = visit_all(url, folder, {k: v for k, v in PAGES.items() if k != "sql"})
        seen["capability-reasoning-core"] = measured_pack_margin(url, folder)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    views = public_views(db_copy)
    assert {n: raw_ids(s, views) for n, s in seen.items() if raw_ids(s, views)} == {}
    assert {n: s["exceptions"] for n, s in seen.items() if s["exceptions"]} == {}
    assert {n: s["cut"] for n, s in seen.items() if s["cut"]} == {}
    assert {n: s["width"] for n, s in seen.items() if s["width"] > VIEWPORT["width"]} == {}
    empty = {n: [c["title"] for c in s["points"] if not c["points"]] for n, s in seen.items()}
    assert {n: titles for n, titles in empty.items() if titles} == {}

    import duckdb

    with duckdb.connect(str(db_copy), read_only=True) as con:
        newest = con.execute("""SELECT model_id, value FROM capability_scores
                                WHERE pack = 'reasoning-core' AND metric = 'reasoning'
                                  AND run_id = (SELECT max(run_id) FROM capability_scores
                                                WHERE pack = 'reasoning-core')
                                ORDER BY value DESC""").fetchall()
        costs = dict(con.execute("""SELECT model_id, max(usd_per_solved_item) FROM cost_per_solved
                                    GROUP BY model_id""").fetchall())
    shown = MARGIN.search(seen["capability-reasoning-core"]["text"])
    assert shown, seen["capability-reasoning-core"]["text"][:2000]
    leader_value, runner_up_value, margin = (float(shown[i].replace("−", "-")) for i in (2, 4, 5))
    assert (leader_value, runner_up_value) == pytest.approx((newest[0][1], newest[1][1]), abs=5e-4)
    assert margin == pytest.approx(newest[0][1] - newest[1][1], abs=1e-3)
    assert shown[1] == newest[0][0] or newest[0][1] == newest[1][1]  # the leader (unless tied)

    prices_text, prices_charts = seen["prices"]["text"], seen["prices"]["charts"]
    for model in local_servers:
        priced = costs.get(model) is not None and model in prices_charts
        reason = any(model in line and ("price" in line or "solved no item" in line)
                     for line in prices_text.splitlines())
        assert priced or reason, (model, costs)
    assert any(v is not None for v in costs.values())  # the capability run priced them itself
    assert "per hour of this machine" in prices_text
    assert "side by side" in seen["speed"]["charts"]  # one day of runs: not "over time"
    assert "My measurements" in seen["overview"]["text"]
    assert "All 3 models you measured have open weights" in seen["overview"]["text"]
