"""Measure what copy-on-publish costs as the warehouse grows.

Every `warehouse.storage.db.writing()` block ends by copying the whole master file over
the published snapshot, so each collector run pays for the full file however
few rows it wrote. This bench builds synthetic warehouses of growing size and
times that cost, to tell when copy-on-publish stops being acceptable (and
checks that a reader holding the published file never stalls the writer).

Run from the repository root (so that `warehouse` imports):

    python -m bench.publish_snapshot --rows 100000 1000000 10000000 --dir /tmp/gw-bench
"""

import argparse
import multiprocessing
import resource
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

import duckdb

from warehouse.storage import db
from warehouse.storage.migrations import migrate
from core.paths import warehouse_paths

DEFAULT_ROWS = [100_000, 1_000_000, 10_000_000]
REPEATS = 3
SPAWN = multiprocessing.get_context("spawn")

# 500 items per run; a run is one model on one pack. Timestamps rise evenly over
# three years; 1% of items fail with a timeout and have no score.
SYNTHETIC_ITEMS = """
INSERT INTO capability_item_result
SELECT 'run-' || lpad((i // 500)::VARCHAR, 8, '0'),
       'org-' || ((i // 500) % 50 % 8) || '/model-' || lpad(((i // 500) % 50)::VARCHAR, 2, '0'),
       ['reasoning-lite', 'math-fresh', 'code-mini', 'long-context'][(i // 25000) % 4 + 1],
       'v' || (1 + (i // 500) % 3),
       ['knowledge', 'math', 'coding', 'long_context'][(i // 25000) % 4 + 1],
       'item-' || lpad((i % 500)::VARCHAR, 4, '0'),
       CASE WHEN (i // 500) % 5 = 0 THEN 'fresh' ELSE 'fixed' END,
       (i // 500) % 5,
       CASE WHEN hash(i) % 100 = 0 THEN NULL ELSE (random() < 0.6)::INTEGER::DOUBLE END,
       (150 + random() * 1500)::INTEGER,
       (20 + random() * 800)::INTEGER,
       0.3 + random() * 20,
       TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_seconds(i * 94608000.0 / $n),
       'The answer is ' || (hash(i) % 4),
       CASE WHEN hash(i) % 100 = 0 THEN 'timeout' END,
       CASE WHEN hash(i) % 100 = 0 THEN 'request timed out after 120 s' END
FROM range($n) t(i)
"""

SMALL_LATENCY_BATCH = """
INSERT INTO latency_sample
SELECT $run, 'org-1/model-01', 'short-chat', 1, i, now(), 0.4 + random(), 2 + random(),
       200, 150, 75.0, 0.013, 200, NULL, NULL
FROM range(100) t(i)
"""

READER_QUERY = """
SELECT model_id, pack, avg(score), sum(output_tokens), max(measured_at_utc)
FROM capability_item_result GROUP BY ALL
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=DEFAULT_ROWS,
                        help="warehouse sizes, in capability_item_result rows")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to build the warehouses (default: a temp dir, removed after)")
    return parser.parse_args()


def in_fresh_process(fn: Callable, *args):
    """Run fn in its own process, so its peak RSS is its own and not the bench's."""
    with ProcessPoolExecutor(1, mp_context=SPAWN) as pool:
        return pool.submit(fn, *args).result()


def peak_rss_mb() -> float:
    """This process's high-water RSS (Linux reports KiB), DuckDB's buffers included."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(path: Path, rows: int) -> dict:
    """A fresh migrated warehouse holding `rows` synthetic item results, published.

    Not atomic: migrate() runs its own transactions, as in bootstrap.init.
    """
    start = time.perf_counter()
    with db.writing(path, atomic=False) as con:
        con.execute("SET enable_progress_bar = false")
        migrate(con, label=str(path))
        con.execute(SYNTHETIC_ITEMS, {"n": rows})
    return {"build_s": time.perf_counter() - start, "build_rss_mb": peak_rss_mb()}


def small_write(path: Path) -> float:
    """Seconds for one collector-sized write: lock, insert, checkpoint, publish."""
    start = time.perf_counter()
    with db.writing(path) as con:
        con.execute(SMALL_LATENCY_BATCH, {"run": f"bench-{uuid.uuid4()}"})
    return time.perf_counter() - start


def raw_publish(path: Path) -> float:
    """Seconds for publish() alone: copy, fsync, rename."""
    start = time.perf_counter()
    db.publish(warehouse_paths(path))
    return time.perf_counter() - start


def median_of(fn: Callable[[Path], float], path: Path) -> float:
    return statistics.median(fn(path) for _ in range(REPEATS))


def measure(path: Path) -> dict:
    """Per-run write overhead, raw publish time and file size of one warehouse."""
    return {"write_s": median_of(small_write, path),
            "publish_s": median_of(raw_publish, path),
            "file_mb": path.stat().st_size / 1e6,
            "write_rss_mb": peak_rss_mb()}


def reader_loop(path: str, ready, stop, queries) -> None:
    """A dashboard-like reader: hold the published file open and query it nonstop."""
    con = duckdb.connect(path, read_only=True)
    ready.set()
    while not stop.is_set():
        con.execute(READER_QUERY).fetchall()
        with queries.get_lock():
            queries.value += 1
    con.close()


def writer_with_reader(path: Path) -> dict:
    """Median small-write time without, then with, a reader holding the snapshot open."""
    without = median_of(small_write, path)
    ready, stop, queries = SPAWN.Event(), SPAWN.Event(), SPAWN.Value("l", 0)
    reader = SPAWN.Process(target=reader_loop, args=(str(path), ready, stop, queries))
    reader.start()
    ready.wait(timeout=60)
    before = queries.value
    with_reader = median_of(small_write, path)
    during = queries.value - before
    stop.set()
    reader.join()
    return {"without_s": without, "with_s": with_reader, "reader_queries": during,
            "reader_exit": reader.exitcode}


def bench_size(root: Path, rows: int) -> dict:
    """Build one size, then measure it in a second process (cold writer RSS)."""
    path = root / f"n{rows}" / "gapwatch.duckdb"
    print(f"building {rows:,} rows in {path} ...", flush=True)
    result = {"rows": rows, "path": path, **in_fresh_process(build, path, rows)}
    result.update(in_fresh_process(measure, path))
    print(f"  built in {result['build_s']:.1f} s, {result['file_mb']:.0f} MB", flush=True)
    return result


def size_table(results: list[dict]) -> str:
    lines = ["| rows | file MB | publish s (median) | small-write+publish s (median) | notes |",
             "|---:|---:|---:|---:|---|"]
    for r in results:
        notes = (f"built in {r['build_s']:.0f} s; peak RSS build {r['build_rss_mb']:.0f} MB, "
                 f"small write {r['write_rss_mb']:.0f} MB")
        lines.append(f"| {r['rows']:,} | {r['file_mb']:.0f} | {r['publish_s']:.2f} "
                     f"| {r['write_s']:.2f} | {notes} |")
    return "\n".join(lines)


def reader_table(rows: int, r: dict) -> str:
    status = "exited cleanly" if r["reader_exit"] == 0 else f"exit code {r['reader_exit']}"
    return "\n".join([
        "| rows | small-write+publish s, no reader | with reader | reader queries meanwhile "
        "| reader |",
        "|---:|---:|---:|---:|---|",
        f"| {rows:,} | {r['without_s']:.2f} | {r['with_s']:.2f} | {r['reader_queries']} "
        f"| {status} |"])


def main() -> None:
    args = parse_args()
    with ExitStack() as stack:
        root = args.dir or Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="gapwatch-bench-")))
        started = time.perf_counter()
        results = [bench_size(root, rows) for rows in sorted(args.rows)]
        largest = results[-1]
        print(f"writer vs reader at {largest['rows']:,} rows ...", flush=True)
        contention = writer_with_reader(largest["path"])
        print(f"\ntotal {time.perf_counter() - started:.0f} s\n")
        print(size_table(results) + "\n")
        print(reader_table(largest["rows"], contention))


if __name__ == "__main__":
    main()
