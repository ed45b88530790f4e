"""DuckLake (PostgreSQL catalog) against the DuckDB file: write throughput and page renders.

Writers: 1, 2 and 4 processes at once, each appending `--batches` batches of `--rows` rows of
the `latency_sample` shape, one transaction per batch (what a collector's flush does). Into the
lake each process writes through its own DuckLake connection; into the file, through
`warehouse.storage.db.writing` (the write lock, the transaction, the published copy), where writers
queue by design. Pages: every page with AppTest, cold and warm, on the same warehouse as a file
and as a lake (after `migrate-to`). PostgreSQL is started in a temporary folder
(tests/postgres_server.py; Debian's `postgresql` package).

    python -m bench.lake [--rows 200] [--batches 20] [--writers 1 2 4]
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from postgres_server import PostgresServer  # noqa: E402

from warehouse.storage import db, lake, writes  # noqa: E402
from warehouse.bootstrap import init  # noqa: E402
from warehouse.lake_copy import copy_to_lake  # noqa: E402


def batch(writer: int, number: int, rows: int) -> pd.DataFrame:
    now = datetime.now(timezone.utc)
    return pd.DataFrame({"run_id": f"bench-{writer}", "model_id": f"bench/model-{writer}",
                         "workload": "100-300", "concurrency": 1,
                         "request_index": range(number * rows, (number + 1) * rows),
                         "measured_at_utc": now, "ttft_s": 0.5, "e2e_s": 2.0})


def lake_writer(address: str, writer: int, batches: int, rows: int) -> None:
    con = lake.connect(lake.parse_target(address))
    for number in range(batches):
        con.register("frame", batch(writer, number, rows))
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO latency_sample BY NAME SELECT * FROM frame")
        con.execute("COMMIT")
        con.unregister("frame")
    con.close()


def file_writer(path: str, writer: int, batches: int, rows: int) -> None:
    for number in range(batches):
        with db.writing(path) as con:
            writes.insert_rows(con, "latency_sample", batch(writer, number, rows))


def rows_per_second(target, address: str, writers: int, batches: int, rows: int) -> float:
    procs = [multiprocessing.Process(target=target, args=(address, w, batches, rows)) for w in range(writers)]
    start = time.perf_counter()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise RuntimeError(f"a writer failed (exit {proc.exitcode})")
    return writers * batches * rows / (time.perf_counter() - start)


def page_times(address: str) -> list[tuple[str, float, float]]:
    from bench.pages import bench

    os.environ["GAPWATCH_DB"] = address
    return bench(repeats=3)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=200, help="rows per batch (one transaction)")
    p.add_argument("--batches", type=int, default=20, help="batches per writer")
    p.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4])
    args = p.parse_args()
    server = PostgresServer().start()
    try:
        folder = Path(tempfile.mkdtemp(prefix="gapwatch-lake-bench-"))
        file_db = str(folder / "gapwatch.duckdb")
        init(file_db)
        address = f"ducklake:postgres:{server.create_database('bench')} data_path={folder / 'lake'}/"
        copy_to_lake(file_db, address)
        print(f"{args.batches} batches of {args.rows} rows per writer, one transaction each")
        print("| writers | lake rows/s | file rows/s |\n|---:|---:|---:|")
        for writers in args.writers:
            into_lake = rows_per_second(lake_writer, address, writers, args.batches, args.rows)
            into_file = rows_per_second(file_writer, file_db, writers, args.batches, args.rows)
            print(f"| {writers} | {into_lake:,.0f} | {into_file:,.0f} |")
        file_pages, lake_pages = page_times(file_db), page_times(address)
        print("\n| page | file cold s | file warm s | lake cold s | lake warm s |\n|---|---:|---:|---:|---:|")
        for (page, fc, fw), (_, lc, lw) in zip(file_pages, lake_pages):
            print(f"| {page} | {fc:.2f} | {fw:.2f} | {lc:.2f} | {lw:.2f} |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
