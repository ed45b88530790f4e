"""Time every dashboard page with AppTest on a built warehouse: cold and warm.

Cold: the first run of a page after `st.cache_data.clear()` (every query runs); warm: the
median of the next runs of the same page (cached DataFrames, the script and the figures
still run). The Overview run also pays for importing the dashboard's modules once, so the
whole bench starts with one untimed run. Run from the repository root:

    python -m bench.pages                                   # the public history, built in a temp dir
    GAPWATCH_DB=data/gapwatch.duckdb python -m bench.pages  # an existing warehouse
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")
PAGES = ["pages/home.py", "pages/gaps.py", "pages/capability.py", "pages/speed.py",
         "pages/prices.py", "pages/fresh.py", "pages/runs.py", "pages/sql.py"]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="warm runs per page (median)")
    args = parser.parse_args()
    if not os.environ.get("GAPWATCH_DB"):
        from warehouse.bootstrap import init

        os.environ["GAPWATCH_DB"] = str(Path(tempfile.mkdtemp()) / "gapwatch.duckdb")
        init(os.environ["GAPWATCH_DB"])
    print(f"warehouse: {os.environ['GAPWATCH_DB']}")
    print("| page | cold s | warm s (median) |\n|---|---:|---:|")
    for page, cold, warm in bench(args.repeats):
        print(f"| {page} | {cold:.2f} | {warm:.2f} |")


if __name__ == "__main__":
    main()
