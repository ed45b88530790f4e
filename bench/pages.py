"""Time every dashboard page with AppTest on a built warehouse: cold and warm.

Cold: the first run of a page after `st.cache_data.clear()` (every query runs); warm: the
median of the next runs of the same page (cached DataFrames, the script and the figures
still run). The Overview run also pays for importing the dashboard's modules once, so the
whole bench starts with one untimed run. Run from the repository root:

    python -m bench.pages                                   # the public history, built in a temp dir
    python -m bench.pages --synthetic-runs 100 --browser    # plus ~10M synthetic item rows; Chromium
    GAPWATCH_DB=data/gapwatch.duckdb python -m bench.pages  # an existing warehouse

`--browser` also times Overview and Gaps in Debian's Chromium against `streamlit run`: from
navigation until the page's charts are drawn (cold: the first visit after the server started;
warm: the median of later visits), and bench/floor_app.py the same way: a page with no data,
the least any page costs in this browser.
"""

import argparse
import ast
import os
import statistics
import tempfile
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from core.address import resolve

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")


def registered_pages(dashboard: str = DASHBOARD) -> list[dict]:
    """dashboard.py's PAGES table, in menu order: script, title, url_path ("" for the default
    page). Read from the source, so adding a page there is the only list to change: the bench
    and the tests that visit every page follow it."""
    table = next(node.value for node in ast.parse(Path(dashboard).read_text()).body
                 if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES")
    return [{"script": f"pages/{file}", "title": title, "url_path": url}
            for file, title, _icon, url in ast.literal_eval(table)]


PAGES = [page["script"] for page in registered_pages()]


def timed_run(at: AppTest, page: str) -> float:
    start = time.perf_counter()
    at.switch_page(page).run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    return elapsed


def bench(repeats: int) -> list[tuple[str, float, float]]:
    at = AppTest.from_file(DASHBOARD, default_timeout=300).run()  # imports, untimed
    rows = []
    for page in PAGES:
        st.cache_data.clear()
        cold = timed_run(at, page)
        warm = statistics.median(timed_run(at, page) for _ in range(repeats))
        rows.append((page, cold, warm))
    return rows


def build_warehouse(synthetic_runs: int) -> str:
    """The public history in a temp dir, plus `synthetic_runs` runs of bench/synthetic.py."""
    from bench import synthetic
    from warehouse.storage import db
    from warehouse.bootstrap import init, refresh_public_gaps

    path = str(Path(tempfile.mkdtemp()) / "gapwatch.duckdb")
    init(path)
    if synthetic_runs:
        with db.writing(path, atomic=False) as con:  # the refresh runs its own transaction
            synthetic.fill(con, synthetic_runs)
            refresh_public_gaps(con)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="warm runs per page (median)")
    parser.add_argument("--synthetic-runs", type=int, default=0, help="100 = about 10M item rows")
    parser.add_argument("--browser", action="store_true", help="also time Overview and Gaps in Chromium")
    args = parser.parse_args()
    if not os.environ.get("GAPWATCH_DB"):  # the pages under test read it: set, not an address read
        os.environ["GAPWATCH_DB"] = build_warehouse(args.synthetic_runs)
    address = resolve()
    print(f"warehouse: {address} ({item_rows():,} item rows)")
    print("| page | cold s | warm s (median) |\n|---|---:|---:|")
    for page, cold, warm in bench(args.repeats):
        print(f"| {page} | {cold:.2f} | {warm:.2f} |")
    if args.browser:
        from bench import browser_pages

        print("\nin Chromium, to the drawn charts:\n| page | first visit of a new server s | cold s | "
              "cold, returning browser s | warm s |\n|---|---:|---:|---:|---:|")
        targets = {**browser_pages.PAGES, **browser_pages.FLOOR}
        for page, first, cold, returning, warm in browser_pages.bench(address.text,
                                                                     args.repeats, targets):
            print(f"| {page} | {first:.2f} | {cold:.2f} | {returning:.2f} | {warm:.2f} |")


def item_rows() -> int:
    from warehouse.storage import db

    with db.reading() as con:
        return con.execute("SELECT count(*) FROM capability_item_result").fetchone()[0]


if __name__ == "__main__":
    main()
