"""Time every gap verdict on a synthetic three-year history of 50 models.

The synthetic warehouse (in memory, migrated, views created) holds bench/synthetic.py's
history: about 10 million `capability_item_result` rows of 50 models over three years, with
the per-run scores, latency requests and prices. `gap_tables.compute_all` then does what `init`
does: SQL reads the scores, and the pure functions bucket,
build gap series, test every trend and compute the lags. Why measure it: verdicts are
recomputed after every import or refresh, so their cost must stay small next to a collection.

Run from the repository root:

    python -m bench.gaps                      # 10M item rows, 3 repeats
    python -m bench.gaps --runs 10 --repeats 1   # 1M rows, a quick check
"""

import argparse
import resource
import statistics
import time

import duckdb

from bench import synthetic
from warehouse.analysis import verdicts
from warehouse.storage import gap_tables
from warehouse.storage.migrations import migrate
from warehouse.contract.views import create_views

def build(runs: int) -> tuple[duckdb.DuckDBPyConnection, float]:
    """An in-memory warehouse with `runs` runs of synthetic items; (connection, seconds)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    create_views(con)
    start = time.perf_counter()
    synthetic.fill(con, runs)
    return con, time.perf_counter() - start


def time_once(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Seconds for the SQL part, the pure part and the store, and what came out."""
    t0 = time.perf_counter()
    data = {name: con.execute(sql).df() for name, sql in verdicts.SQL.items()}
    t1 = time.perf_counter()
    series, table, lag_rows, breaks = verdicts.compute(data)
    t2 = time.perf_counter()
    gap_tables.store(con, series, table, lag_rows, breaks)
    t3 = time.perf_counter()
    return {"sql": t1 - t0, "pure": t2 - t1, "store": t3 - t2, "total": t3 - t0,
            "series": table["n_points"].size, "points": len(series),
            "verdicts": table["verdict"].value_counts().to_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs (100 = 10M item rows)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    con, built = build(args.runs)
    n_items = con.execute("SELECT count(*) FROM capability_item_result").fetchone()[0]
    print(f"built {n_items:,} item rows in {built:.1f} s")
    results = [time_once(con) for _ in range(args.repeats)]
    median = {k: statistics.median(r[k] for r in results) for k in ("sql", "pure", "store", "total")}
    last = results[-1]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {n_items:,} | {last['series']} | {last['points']:,} | {median['sql']:.2f} | "
          f"{median['pure']:.2f} | {median['store']:.2f} | {median['total']:.2f} | "
          f"{rss_mb:.0f} |")
    print(f"(item rows | verdicts | gap points | SQL s | pure s | store s | total s | peak RSS MB; "
          f"medians of {args.repeats})\nverdicts: {last['verdicts']}")


if __name__ == "__main__":
    main()
