"""Time every gap verdict on a synthetic three-year history of 50 models.

The synthetic warehouse (in memory, migrated, views created) holds about 10 million
`capability_item_result` rows built with `range()`: 50 models (25 open-weight), 4 packs,
500 items per model and pack every 11 days for three years (100 runs), 0/1 scores whose
probability rises over time and is lower for open models by a gap that shrinks; plus one
latency request per model and run. `verdicts.compute_all` then does what `init` does: the
`capability_scores` view aggregates items to scores in SQL, and the pure functions bucket,
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

from warehouse import verdicts
from warehouse.migrations import migrate
from warehouse.views import create_views

MODELS, PACKS, ITEMS, DAYS_BETWEEN_RUNS = 50, 4, 500, 11

SETUP = f"""
INSERT INTO model_registry
SELECT 'bench/model-' || m, 'model ' || m, 'org-' || (m % 8), m % 2 = 1, NULL, 'config'
FROM range({MODELS}) t(m);
INSERT INTO run_ledger (run_id, collector, host, started_at_utc, status)
SELECT 'run-' || r, 'capability', 'bench', TIMESTAMPTZ '2023-01-02 00:00:00+00'
       + to_days(r * {DAYS_BETWEEN_RUNS}), 'ok'
FROM range($runs) t(r);
"""

# Row i: run r, model m, pack k, item j. Uniform draw from hash(i); the skill of model m at
# run r rises with time, open models trail by a gap that shrinks from 0.15 to 0.05.
ITEMS_SQL = f"""
INSERT INTO capability_item_result
SELECT 'run-' || r, 'bench/model-' || m, 'pack-' || k, 'v1', 'reasoning', 'item-' || j, 'fixed', 0,
       ((hash(i) % 1000000) / 1e6 < 0.35 + 0.3 * r / $runs + 0.004 * (m // 2)
           - (m % 2) * (0.15 - 0.1 * r / $runs))::INTEGER::DOUBLE,
       200, 50, 1.0, started_at_utc + to_seconds(j), NULL, NULL, NULL
FROM (SELECT i, i // ({MODELS * PACKS * ITEMS}) AS r, (i // {PACKS * ITEMS}) % {MODELS} AS m,
             (i // {ITEMS}) % {PACKS} AS k, i % {ITEMS} AS j FROM range($n) t(i)) AS rows
JOIN run_ledger ON run_id = 'run-' || r
"""

LATENCY_SQL = """
INSERT INTO latency_sample (run_id, model_id, workload, concurrency, request_index,
                            measured_at_utc, ttft_s, e2e_s)
SELECT run_id, model_id, '100-300', 1, 0, started_at_utc,
       0.4 + (hash(run_id || model_id) % 100) / 100.0 + (NOT open_weights)::INTEGER * 0.3, 2.0
FROM run_ledger, model_registry
"""


def build(runs: int) -> tuple[duckdb.DuckDBPyConnection, float]:
    """An in-memory warehouse with `runs` runs of synthetic items; (connection, seconds)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    create_views(con)
    start = time.perf_counter()
    n = runs * MODELS * PACKS * ITEMS
    con.execute(SETUP.replace("$runs", str(runs)))
    con.execute(ITEMS_SQL.replace("$runs", str(runs)).replace("$n", str(n)))
    con.execute(LATENCY_SQL)
    return con, time.perf_counter() - start


def time_once(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Seconds for the SQL part, the pure part and the store, and what came out."""
    t0 = time.perf_counter()
    data = {name: con.execute(sql).df() for name, sql in verdicts.SQL.items()}
    t1 = time.perf_counter()
    series, table, lag_rows = verdicts.compute(data)
    t2 = time.perf_counter()
    verdicts.store(con, series, table, lag_rows)
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
