"""Reads of the user's own measurements for comparisons: the items each model answered in its
newest run, the items of two runs side by side, and each latency run's medians.

Why a module apart from `queries`: these reads feed the paired comparisons
(`warehouse.analysis.paired`) on Overview ("My measurements"), the Runs page and
`python -m collectors runs compare`, and they follow a run's chain (a run that resumed earlier
ones owns their answers too), which needs the ledger's context.
"""

import pandas as pd

from warehouse.analysis import paired
from warehouse.contract.reads import read, shared_reading

# A run and every run it resumed (`context.resumes`), as (head, run_id) pairs.
CHAINS = """
WITH RECURSIVE chain(head, run_id) AS (
    SELECT run_id, run_id FROM run_ledger WHERE collector = 'capability'
    UNION ALL
    SELECT c.head, json_extract_string(l.context, '$.resumes') FROM chain c
    JOIN run_ledger l ON l.run_id = c.run_id
    WHERE json_extract_string(l.context, '$.resumes') IS NOT NULL)
"""
# One answer per item and head run: the same question (pack, version, item, variant and the
# prompt's hash, so a fresh item pairs only with the same fresh item) answered in the chain.
ITEMS = CHAINS + """,
items AS (
    SELECT c.head, i.model_id, i.dimension, i.pack, i.pack_version, i.item_id, i.variant,
           i.score, i.measured_at_utc,
           concat_ws('|', i.pack, i.pack_version, i.item_id, i.variant,
                     coalesce(i.prompt_sha256, CASE WHEN i.variant = 'fresh'
                                                   THEN CAST(i.seed AS VARCHAR) END)) AS item_key
    FROM capability_items i JOIN chain c USING (run_id)
    QUALIFY row_number() OVER (PARTITION BY c.head, i.model_id, item_key
                               ORDER BY i.error_class IS NULL DESC, i.measured_at_utc DESC) = 1)
"""


def newest_items(db_path=None) -> pd.DataFrame:
    """Per model and dimension, the items of its newest scored capability run (with the runs
    it resumed): what "My measurements" ranks on day one."""
    return read(ITEMS + """,
        newest AS (SELECT model_id, dimension, arg_max(run_id, measured_at_utc) AS head
                   FROM capability_scores WHERE source = 'measured' GROUP BY ALL)
        SELECT items.* FROM items JOIN newest USING (head, model_id, dimension)
        ORDER BY dimension, model_id, item_key""", db_path=db_path)


def run_items(run_ids: list[str], db_path=None) -> pd.DataFrame:
    """The items of each named run (with what it resumed), `head` naming the run."""
    return read(ITEMS + "SELECT * FROM items WHERE list_contains(?, head) ORDER BY ALL",
                [run_ids], db_path=db_path)


def capability_runs(db_path=None) -> pd.DataFrame:
    """Valid capability runs that answered items, newest first: what can be compared."""
    return read(CHAINS + """
        SELECT r.run_id, r.started_at_utc, r.status, count(DISTINCT i.model_id) AS n_models,
               count(i.item_id) AS n_items, list(DISTINCT i.model_id ORDER BY i.model_id) AS models
        FROM runs r JOIN chain c ON c.head = r.run_id JOIN capability_items i ON i.run_id = c.run_id
        WHERE r.valid GROUP BY ALL ORDER BY r.started_at_utc DESC""", db_path=db_path)


def measured_models(db_path=None) -> pd.DataFrame:
    """Every model with a measurement of its own (capability or latency), with its openness."""
    return read("""SELECT DISTINCT x.model_id, m.open_weights FROM (
                       SELECT model_id FROM capability_items UNION SELECT model_id FROM latency_samples
                       WHERE error_class IS NULL) x LEFT JOIN models m USING (model_id)
                   ORDER BY 1""", db_path=db_path)


def pack_metrics(pack: str, db_path=None) -> list[str]:
    """The pack's metrics other than fixed minus fresh: one for public packs; all, fixed and
    fresh items for a measured one (the dimension's own name first)."""
    rows = read("""SELECT DISTINCT metric, metric = dimension AS main FROM capability_scores
                   WHERE pack = ? AND NOT ends_with(metric, '_fixed_minus_fresh')
                   ORDER BY main DESC, metric""", [pack], db_path=db_path)
    return list(rows["metric"])


def latency_runs(db_path=None) -> pd.DataFrame:
    """Per latency run, model and workload: medians and whether the run was under contention."""
    return read("""SELECT s.run_id, min(s.measured_at_utc) AS started_at_utc, s.model_id,
                          s.workload, count(*) AS n, median(s.ttft_s) AS ttft_s_p50,
                          median(s.output_tokens_per_s) AS output_tokens_per_s_p50,
                          median(s.e2e_s) AS e2e_s_p50, any_value(s.contended) AS contended,
                          any_value(m.open_weights) AS open_weights
                   FROM latency_samples s LEFT JOIN models m USING (model_id)
                   WHERE s.error_class IS NULL GROUP BY s.run_id, s.model_id, s.workload
                   ORDER BY started_at_utc, s.model_id""", db_path=db_path)


def cost_gaps(db_path=None) -> pd.DataFrame:
    """Per measured model and reason without a cost per solved item in its newest capability
    run: why (`costs.cost_note`), in which packs, and the provider kind its runs recorded
    (`local` or an API)."""
    return read("""WITH kinds AS (
                       SELECT m.key AS model_id, any_value(json_extract_string(m.value, '$.provider'))
                              AS provider
                       FROM run_ledger r, json_each(r.context, '$.models') m
                       WHERE r.collector = 'capability' GROUP BY ALL),
                   newest AS (SELECT * FROM costs QUALIFY measured_at_utc = max(measured_at_utc)
                              OVER (PARTITION BY model_id))
                   SELECT model_id, cost_note, list(DISTINCT pack ORDER BY pack) AS packs,
                          coalesce(any_value(provider), 'unknown') AS provider
                   FROM newest LEFT JOIN kinds USING (model_id)
                   WHERE usd_per_solved_item IS NULL GROUP BY model_id, cost_note
                   ORDER BY model_id, cost_note""",
                db_path=db_path)


def machine_price(db_path=None) -> dict:
    """How the newest machine-time prices were set: the rate in USD per hour and whether it came
    from `[machine]` in the config or is the default (a run's `machine_price` context)."""
    frame = read("""SELECT json_extract(context, '$.machine_price') AS price FROM run_ledger
                    WHERE json_extract(context, '$.machine_price') IS NOT NULL
                    ORDER BY started_at_utc DESC LIMIT 1""", db_path=db_path)
    if frame.empty:
        return {}
    import json

    return json.loads(frame["price"].iloc[0])


def my_rankings(db_path=None) -> dict:
    """Per dimension: `paired.ranking` over the newest items, plus the measured models."""
    with shared_reading(db_path):
        items, models = newest_items(db_path), measured_models(db_path)
    rankings = {dim: paired.ranking(rows) for dim, rows in items.groupby("dimension", sort=True)}
    return {"rankings": rankings, "models": models,
            "measured_at_utc": items["measured_at_utc"].max() if len(items) else None}


def compare_runs(run_a: str, run_b: str, db_path=None) -> pd.DataFrame:
    """Run B against run A per model and dimension over their shared items (`paired`)."""
    items = run_items([run_a, run_b], db_path)
    return paired.compare_runs(items[items["head"] == run_a], items[items["head"] == run_b])
