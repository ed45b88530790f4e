"""Capability runs as the collector asks about them: resumable runs, answered items, stored
scores, the prices a run's budget uses.

Why here: the collector (collectors/capability*.py) decides what to resume and how to score;
the warehouse alone holds the SQL and opens the database. Scoring stays in the collector, so
`store_scores` takes the scoring function and runs it inside the write transaction: the items
read and the scores stored are one snapshot, as before.
"""

import json
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from warehouse.storage import db, writes

CANDIDATES_SQL = """
SELECT run_id, status, context FROM run_ledger
WHERE collector = 'capability' AND host = ? AND status <> 'ok' AND run_id <> ?
  AND invalidated_at_utc IS NULL AND started_at_utc >= now() - to_hours(?)
  AND run_id NOT IN (SELECT run_id FROM capability_score_row)
  AND run_id NOT IN (SELECT json_extract_string(context, '$.resumes') FROM run_ledger
                     WHERE json_extract_string(context, '$.resumes') IS NOT NULL)
ORDER BY started_at_utc DESC"""
# One row per item key across a run and the runs it resumed: an answer wins over a fault.
CHAIN_ITEMS_SQL = """
SELECT model_id, pack, pack_version, dimension, item_id, variant, score, error_class,
       measured_at_utc
FROM capability_item_result WHERE run_id IN (SELECT unnest($chain))
QUALIFY row_number() OVER (PARTITION BY model_id, pack, pack_version, item_id, variant, seed
                           ORDER BY error_class IS NULL DESC, measured_at_utc DESC) = 1
"""
# The latest price period per model; none means "unknown", never free.
PRICES_SQL = """
SELECT model_id, usd_per_mtok_in, usd_per_mtok_out FROM prices
WHERE usd_per_mtok_in IS NOT NULL AND usd_per_mtok_out IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY model_id
                           ORDER BY effective_from DESC, (source = 'config') DESC, estimated) = 1"""


@dataclass(frozen=True)
class Unfinished:
    """An unscored capability run: its status, context and chain (it, then what it resumed)."""

    run_id: str
    status: str
    context: dict
    chain: tuple[str, ...]


def unfinished_runs(host: str, exclude_run: str, within_h: int, db_path=None) -> list[Unfinished]:
    """This host's capability runs of the last `within_h` hours that have no scores and that
    no run resumed yet, newest first (all read from one snapshot)."""
    with db.reading(db_path) as con:
        rows = con.execute(CANDIDATES_SQL, [host, exclude_run, within_h]).fetchall()
        return [Unfinished(run_id, status, json.loads(text or "{}"), run_chain(con, run_id))
                for run_id, status, text in rows]


def run_chain(con, run_id: str) -> tuple[str, ...]:
    """The run and, through each context's `resumes`, every run it continued."""
    found = []
    while run_id and run_id not in found:
        found.append(run_id)
        row = con.execute("SELECT json_extract_string(context, '$.resumes') FROM run_ledger "
                          "WHERE run_id = ?", [run_id]).fetchone()
        run_id = row[0] if row else None
    return tuple(found)


def answered(chain_ids: tuple[str, ...], db_path=None) -> set[tuple]:
    """Keys (model, pack, version, item, variant, seed) of the items the chain has an answer for."""
    with db.reading(db_path) as con:
        return set(con.execute(
            "SELECT model_id, pack, pack_version, item_id, variant, seed FROM "
            "capability_item_result WHERE run_id IN (SELECT unnest(?)) AND error_class IS NULL",
            [list(chain_ids)]).fetchall())


def store_scores(con, run_id: str, chain: tuple[str, ...],
                 score: Callable[[str, pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """Inside the caller's write: `score(run_id, items)` over the chain's stored items (one row
    per item key, see CHAIN_ITEMS_SQL), stored under `run_id`; returns the score rows."""
    rows = score(run_id, con.execute(CHAIN_ITEMS_SQL, {"chain": list(chain)}).df())
    if len(rows):
        writes.insert_rows(con, "capability_score_row", rows)
    return rows


def store_run_scores(run_id: str, chain: tuple[str, ...], score, db_path=None) -> pd.DataFrame:
    """`store_scores` in a write of its own."""
    with db.writing(db_path) as con:
        return store_scores(con, run_id, chain, score)


def measured_scores(run_id: str, db_path=None) -> pd.DataFrame:
    """The run's measured score rows (model, pack, dimension, metric, value, interval, n)."""
    with db.reading(db_path) as con:
        return con.execute("SELECT model_id, pack, dimension, metric, value, ci_low, ci_high, "
                           "n_items FROM capability_scores WHERE run_id = ? AND "
                           "source = 'measured'", [run_id]).df()


def latest_prices(db_path=None) -> dict[str, tuple[float, float]]:
    """model id -> (USD per million tokens in, out), from the latest price period."""
    with db.reading(db_path) as con:
        return {model: (p_in, p_out) for model, p_in, p_out in con.execute(PRICES_SQL).fetchall()}


# What a model took per item lately, per pack and over all packs: the dry run's time estimate.
ITEM_SECONDS_SQL = """
SELECT model_id, pack, median(latency_s) AS seconds, count(*) AS n FROM capability_items
WHERE latency_s > 0 AND measured_at_utc >= now() - INTERVAL 30 DAY GROUP BY GROUPING SETS
((model_id, pack), (model_id))"""
# Else its recent speed: time to first token and output tokens per second (latency runs).
SPEED_SQL = """
SELECT model_id, median(ttft_s) AS ttft_s, median(output_tokens_per_s) AS tokens_per_s
FROM latency_samples WHERE error_class IS NULL AND measured_at_utc >= now() - INTERVAL 30 DAY
GROUP BY model_id"""


def recent_throughput(db_path=None) -> tuple[dict, dict]:
    """({(model, pack or None): median seconds per item}, {model: (ttft_s, tokens_per_s)}) over
    the last 30 days; empty before the first publish."""
    try:
        with db.reading(db_path) as con:
            items = {(m, p): s for m, p, s, _ in con.execute(ITEM_SECONDS_SQL).fetchall()}
            speed = {m: (t, v) for m, t, v in con.execute(SPEED_SQL).fetchall()}
    except FileNotFoundError:
        return {}, {}
    return items, speed
