"""Latency samples as the collectors read them back: the summary `run latency` prints."""

import pandas as pd

from warehouse.storage import db


def latency_medians(run_id: str, db_path=None) -> pd.DataFrame:
    """A latency run's medians per model, workload and concurrency (what `run latency` prints)."""
    with db.reading(db_path) as con:
        return con.execute("""
            SELECT model_id AS model, workload, concurrency AS "at once", count(*) AS requests,
                   count(error_class) AS failed,
                   round(median(ttft_s), 3) AS "first token (s, median)",
                   round(median(output_tokens_per_s), 1) AS "tokens/s (median)",
                   round(median(e2e_s), 2) AS "whole answer (s, median)"
            FROM latency_samples WHERE run_id = ? GROUP BY ALL ORDER BY ALL""", [run_id]).df()
