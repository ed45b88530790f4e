"""Latency samples as the collectors read them back: the summary `run latency` prints."""

import pandas as pd

from warehouse.storage import db


def latency_medians(run_id: str, db_path=None) -> pd.DataFrame:
    """A latency run's medians per model, workload and concurrency (what `run latency` prints)."""
    with db.reading(db_path) as con:
        return con.execute("""
            SELECT model_id, workload, concurrency, count(*) AS n, count(error_class) AS errors,
                   round(median(ttft_s), 3) AS ttft_s_p50,
                   round(median(output_tokens_per_s), 1) AS output_tokens_per_s_p50,
                   round(median(e2e_s), 2) AS e2e_s_p50
            FROM latency_samples WHERE run_id = ? GROUP BY ALL ORDER BY ALL""", [run_id]).df()
