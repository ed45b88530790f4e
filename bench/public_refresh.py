"""How long a public refresh takes, and how long of it holds the warehouse's write lock.

    python -m bench.public_refresh [--rows 1168522]

A copy of a freshly built warehouse is refreshed from tests/fixtures/public/ served by a local
HTTP server, the way `collectors run public` does it, step by step with a timer each: fetch and
check (no lock), store the vintages (lock held), recompute the gaps from the published snapshot
(no lock), store them (lock held). `--rows N` also times the check of a synthetic Arena file of
N rows in the real schema (the real `text/full` file had 1,168,522 rows, 58 MB, in 2026-10):
what the refresh reads before it takes any lock. Prints a table; numbers go to
docs/performance.md with the machine's load.
"""

import argparse
import functools
import os
import shutil
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "public"
HF = "datasets/lmarena-ai/leaderboard-dataset/resolve/main"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_):
        pass


def serve(folder: Path) -> ThreadingHTTPServer:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def layout(folder: Path) -> None:
    for sub, name in (("text", "text_full_v1.parquet"), ("text_style_control",
                                                          "text_style_control_full_v1.parquet")):
        (folder / HF / sub).mkdir(parents=True)
        shutil.copy(FIXTURES / "arena" / name, folder / HF / sub / "full-00000-of-00001.parquet")
    (folder / "data").mkdir()
    shutil.copy(FIXTURES / "epoch" / "benchmark_data_v1.zip", folder / "data" / "benchmark_data.zip")


def timed(rows: list, step: str, lock: str, fn):
    start = time.perf_counter()
    out = fn()
    rows.append((step, lock, time.perf_counter() - start))
    return out


def refresh(work: Path) -> list:
    from collectors import public
    from core.config import GapWatchConfig
    from warehouse.bootstrap import init
    from warehouse.ingestion import public_refresh
    from warehouse.storage import db, gap_tables, run_ledger

    rows, site = [], work / "site"
    layout(site)
    httpd = serve(site)
    base = f"http://127.0.0.1:{httpd.server_port}"
    config = GapWatchConfig.model_validate({"importers": {
        "arena": {"url": f"{base}/{HF}/text/full-00000-of-00001.parquet",
                  "style_control_url": f"{base}/{HF}/text_style_control/full-00000-of-00001.parquet"},
        "epoch": {"eci_url": f"{base}/data/benchmark_data.zip",
                  "benchmarks_url": f"{base}/data/benchmark_data.zip"}}})
    path = work / "db" / "gapwatch.duckdb"
    timed(rows, "build the warehouse (init, for the bench only)", "yes", lambda: init(path))
    folder = work / "downloads"
    folder.mkdir()
    checked = timed(rows, "fetch and check Arena and Epoch", "no",
                    lambda: public.check(config, ["arena", "epoch"], folder, path))
    now = datetime.now(timezone.utc)

    def store():
        with run_ledger.writing(path) as con:
            for prepared in checked.prepared:
                public_refresh.store(con, prepared, now)
    timed(rows, "store 3 vintages (one write, then publish)", "yes", store)

    def compute():
        with db.reading(path) as con:
            return gap_tables.compute_all(con)
    results = timed(rows, "recompute the gaps from the published snapshot", "no", compute)

    def store_gaps():
        with db.writing(path, atomic=False) as con:
            gap_tables.store(con, *results)
    timed(rows, "store the gap tables (one write, then publish)", "yes", store_gaps)
    httpd.shutdown()
    return rows


def full_size_check(work: Path, n_rows: int) -> list:
    """The check of an Arena file of the real size (synthetic values, real schema)."""
    import duckdb

    from warehouse.ingestion.public_formats import prepare_arena

    path = work / "full.parquet"
    duckdb.connect().execute(f"""COPY (
        SELECT 'model-' || (i % 160) AS model_name, 'lab-' || (i % 30) AS organization,
               'Proprietary' AS license, 1000 + (i % 500)::DOUBLE AS rating,
               990 + (i % 500)::DOUBLE AS rating_lower, 1010 + (i % 500)::DOUBLE AS rating_upper,
               12.5::DOUBLE AS variance, (i % 9000)::DOUBLE AS vote_count, (i % 160 + 1)::DOUBLE AS rank,
               CASE WHEN i % 29 = 0 THEN 'overall' ELSE 'category-' || (i % 29) END AS category,
               strftime(DATE '2023-05-08' + ((i // 4731) * 5)::INTEGER, '%Y-%m-%d')
                   AS leaderboard_publish_date
        FROM range({n_rows}) t(i)) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000)""")
    out = work / "staged"
    out.mkdir()
    rows = []
    prepared = timed(rows, f"check a {path.stat().st_size / 1e6:.0f} MB Arena file "
                           f"({n_rows:,} rows)", "no",
                     lambda: prepare_arena({"text": ("synthetic", path)}, out))
    rows.append((f"  rows kept (category overall): {prepared.n_rows:,}", "", 0.0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=0, help="also check a synthetic Arena file this big")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gapwatch-bench-") as folder:
        rows = refresh(Path(folder))
        if args.rows:
            rows += full_size_check(Path(folder), args.rows)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load}; {os.cpu_count()} cores\n")
    print(f"{'step':<58} {'write lock':<11} {'seconds':>8}")
    for step, lock, seconds in rows:
        print(f"{step:<58} {lock:<11} {seconds:>8.2f}" if lock else step)


if __name__ == "__main__":
    main()
