"""Reads of the drift sentinel's checks for the pages (the `drift_checks` view).

Why apart from `queries`: the Overview's per-model row and the Runs page's section are the only
readers, and `queries` is the shared module every page loads.
"""

import pandas as pd

from warehouse.contract.reads import read

COLUMNS = ("model_id, checked_at_utc, verdict, n_items, n_changed_answers, share_changed, "
           "p_value, evidence, baseline_run_id, run_id")


def latest_checks(db_path=None) -> pd.DataFrame:
    """Each model's newest check, with when it was last found `changed` (NULL if never)."""
    return read(f"""
        SELECT {COLUMNS}, max(checked_at_utc) FILTER (WHERE verdict = 'changed')
                              OVER (PARTITION BY model_id) AS last_changed_at_utc
        FROM drift_checks
        QUALIFY row_number() OVER (PARTITION BY model_id ORDER BY checked_at_utc DESC) = 1
        ORDER BY verdict <> 'changed', model_id""", db_path=db_path)


def recent_checks(limit: int = 200, db_path=None) -> pd.DataFrame:
    """The newest checks of every model, newest first."""
    return read(f"SELECT {COLUMNS} FROM drift_checks ORDER BY checked_at_utc DESC, model_id "
                "LIMIT ?", [limit], db_path=db_path)
