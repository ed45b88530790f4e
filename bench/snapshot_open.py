"""What a read's open costs: DuckDB's own cached open against GapWatch's fresh ATTACH.

Why: since issue #26 every read of the published file ATTACHes it in an in-memory database of
its own (`warehouse.storage.snapshot`), so that a read after a publish never gets DuckDB's
cached instance of the old snapshot. A page's first view makes several reads, so the open must
cost no more than the plain `duckdb.connect(path, read_only=True)` it replaced. Alternating
rounds, one open + one small query + close each, on the built warehouse.

    python -m bench.snapshot_open [--db data/gapwatch.duckdb] [--rounds 200]
"""

import argparse
import statistics
import time
from pathlib import Path

import duckdb

from core.paths import warehouse_paths
from warehouse.storage import snapshot
from warehouse.storage.extensions import OFFLINE_CONFIG

QUERY = "SELECT count(*) FROM runs"


def plain(path: Path) -> None:
    with duckdb.connect(str(path), read_only=True, config=dict(OFFLINE_CONFIG)) as con:
        con.execute(QUERY).fetchall()


def attached(path: Path) -> None:
    con = snapshot.open_read_only(path, dict(OFFLINE_CONFIG))
    try:
        con.execute(QUERY).fetchall()
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="the published file (default: GAPWATCH_DB)")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    path = warehouse_paths(args.db).published
    times = {"duckdb.connect (cached instance)": [], "ATTACH in its own database": []}
    for _ in range(args.rounds):
        for (name, samples), open_once in zip(times.items(), (plain, attached)):
            start = time.perf_counter()
            open_once(path)
            samples.append(time.perf_counter() - start)
    print(f"{path.name}, {path.stat().st_size / 1e6:.1f} MB, {args.rounds} rounds each, alternating\n")
    print("| open, query, close | median ms | p90 ms |\n|---|---:|---:|")
    for name, samples in times.items():
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(f"| {name} | {statistics.median(samples) * 1e3:.1f} | {p90 * 1e3:.1f} |")


if __name__ == "__main__":
    main()
