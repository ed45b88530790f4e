"""A synthetic three-year history of 50 models, about 10 million item rows, for the benches.

50 models (25 open-weight), 4 packs, 500 items per model and pack every 11 days for three
years (100 runs), 0/1 scores whose probability rises over time and is lower for open models
by a gap that shrinks from 0.15 to 0.05; per run, model and pack the score the collector
would store; 20 latency requests per model and run; and one price period per model that
halves in mid-2024. Built with `range()` in SQL, so ten million rows take seconds.
"""

import duckdb

MODELS, PACKS, ITEMS, DAYS_BETWEEN_RUNS = 50, 4, 500, 11

SETUP = f"""
INSERT INTO model_registry (model_id, display_name, organization, open_weights, release_date, source)
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
INSERT INTO capability_item_result (run_id, model_id, pack, pack_version, dimension, item_id,
    variant, seed, score, input_tokens, output_tokens, latency_s, measured_at_utc)
SELECT 'run-' || r, 'bench/model-' || m, 'pack-' || k, 'v1', 'reasoning', 'item-' || j, 'fixed', 0,
       ((hash(i) % 1000000) / 1e6 < 0.35 + 0.3 * r / $runs + 0.004 * (m // 2)
           - (m % 2) * (0.15 - 0.1 * r / $runs))::INTEGER::DOUBLE,
       200, 50, 1.0, started_at_utc + to_seconds(j)
FROM (SELECT i, i // ({MODELS * PACKS * ITEMS}) AS r, (i // {PACKS * ITEMS}) % {MODELS} AS m,
             (i // {ITEMS}) % {PACKS} AS k, i % {ITEMS} AS j FROM range($n) t(i)) AS rows
JOIN run_ledger ON run_id = 'run-' || r
"""

# What capability_scores.store_run_scores keeps per run, model and pack (interval: a stand-in).
SCORES_SQL = """
INSERT INTO capability_score_row
SELECT run_id, model_id, pack, pack_version, dimension, dimension, avg(score), avg(score) - 0.04,
       avg(score) + 0.04, count(*), 0, max(measured_at_utc), max(measured_at_utc)
FROM capability_item_result WHERE run_id LIKE 'run-%' GROUP BY ALL
"""

LATENCY_SQL = """
INSERT INTO latency_sample (run_id, model_id, workload, concurrency, request_index,
                            measured_at_utc, ttft_s, e2e_s, output_tokens, output_tokens_per_s)
SELECT run_id, model_id, '100-300', 1, k, started_at_utc + to_seconds(k),
       0.4 + (hash(run_id || model_id || k) % 100) / 100.0 + (NOT open_weights)::INTEGER * 0.3,
       2.0 + (hash(k || run_id) % 100) / 100.0, 300, 150.0 - (hash(model_id) % 100)
FROM run_ledger, model_registry, range(20) t(k)
WHERE run_id LIKE 'run-%' AND model_id LIKE 'bench/%'
"""

PRICES_SQL = f"""
INSERT INTO price_period
SELECT 'run-0', 'config', 'bench/model-' || m, 'bench', 'bench/model-' || m, DATE '2023-01-02',
       DATE '2024-07-01', 1.0 + m, 4.0 + 2 * m, NULL, now(), now(), false FROM range({MODELS}) t(m)
UNION ALL
SELECT 'run-0', 'config', 'bench/model-' || m, 'bench', 'bench/model-' || m, DATE '2024-07-01',
       NULL, (1.0 + m) / 2, (4.0 + 2 * m) / 2, NULL, now(), now(), false FROM range({MODELS}) t(m)
"""


def fill(con: duckdb.DuckDBPyConnection, runs: int) -> int:
    """Add `runs` runs of the synthetic history to a migrated warehouse; the item rows added."""
    n = runs * MODELS * PACKS * ITEMS
    con.execute(SETUP.replace("$runs", str(runs)))
    con.execute(ITEMS_SQL.replace("$runs", str(runs)).replace("$n", str(n)))
    for sql in (SCORES_SQL, LATENCY_SQL, PRICES_SQL):
        con.execute(sql)
    return n
