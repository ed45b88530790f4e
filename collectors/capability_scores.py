"""Per run, model and pack: mean item scores with bootstrap 95% intervals, stored once.

Four metrics per (model, pack), named after the pack's dimension: `reasoning` (every answered
item), `reasoning_fixed`, `reasoning_fresh`, and `reasoning_fixed_minus_fresh`, the overfitting
signal: a model trained on the public fixed items scores higher on them than on fresh twins of
the same difficulty. Items a provider fault left unanswered (score NULL) are not zeros, since
the model never saw them: they are left out of every metric and counted in `n_unanswered`.

Intervals are percentile bootstraps (`scipy.stats.bootstrap`, fixed seed, so the same items
always give the same interval). Not BCa: it is undefined (NaN) when every score is equal,
which is common here (a small model failing a whole pack); the percentile interval is then
the honest but optimistic [v, v]. The difference resamples fixed and fresh items
independently. Under two items there is no interval (NULL).
"""

from datetime import datetime, timezone

import numpy as np
import pandas as pd
from warehouse.storage import capability_store

BOOTSTRAP_SEED = 20250101
RESAMPLES = 9999
LEVEL = 0.95
GROUP = ["model_id", "pack", "pack_version", "dimension"]
SUMMARY_COLUMNS = {"_all": "all items", "_fixed": "fixed items", "_fresh": "fresh items",
                   "_fixed_minus_fresh": "fixed − fresh"}  # the printed table's headers


def mean_ci(values: np.ndarray) -> tuple[float | None, float | None]:
    """95% percentile-bootstrap interval of the mean; (None, None) under two values."""
    if len(values) < 2:
        return None, None
    from scipy.stats import bootstrap  # ~0.8 s to import: only when a run is scored

    result = bootstrap((values,), np.mean, confidence_level=LEVEL, n_resamples=RESAMPLES,
                       method="percentile", rng=np.random.default_rng(BOOTSTRAP_SEED))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def difference_ci(a: np.ndarray, b: np.ndarray) -> tuple[float | None, float | None]:
    """95% interval of mean(a) - mean(b), resampling a and b independently."""
    if len(a) < 2 or len(b) < 2:
        return None, None
    from scipy.stats import bootstrap

    result = bootstrap((a, b), _mean_difference, confidence_level=LEVEL, n_resamples=RESAMPLES,
                       method="percentile", paired=False,
                       rng=np.random.default_rng(BOOTSTRAP_SEED))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _mean_difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def metric_values(dimension: str, items: pd.DataFrame) -> list[tuple]:
    """(metric, value, ci_low, ci_high, n_items) for one model and pack's answered items."""
    fixed = items.loc[items["variant"] == "fixed", "score"].to_numpy(float)
    fresh = items.loc[items["variant"] == "fresh", "score"].to_numpy(float)
    every = items["score"].to_numpy(float)
    rows = [(name, sample.mean(), *mean_ci(sample), len(sample))
            for name, sample in ((dimension, every), (f"{dimension}_fixed", fixed),
                                 (f"{dimension}_fresh", fresh)) if len(sample)]
    if len(fixed) and len(fresh):
        rows.append((f"{dimension}_fixed_minus_fresh", fixed.mean() - fresh.mean(),
                     *difference_ci(fixed, fresh), len(fixed) + len(fresh)))
    return rows


def score_rows(run_id: str, items: pd.DataFrame) -> pd.DataFrame:
    """Score rows for `capability_score_row` from item rows (see capability_store.CHAIN_ITEMS_SQL)."""
    rows, now = [], datetime.now(timezone.utc)
    for (model_id, pack, version, dimension), group in items.groupby(GROUP, sort=True):
        answered = group[group["error_class"].isna()]
        for metric, value, low, high, n in metric_values(dimension, answered):
            rows.append({"run_id": run_id, "model_id": model_id, "pack": pack,
                         "pack_version": version, "dimension": dimension, "metric": metric,
                         "value": float(value), "ci_low": low, "ci_high": high, "n_items": n,
                         "n_unanswered": len(group) - len(answered),
                         "measured_at_utc": group["measured_at_utc"].max(),
                         "computed_at_utc": now})
    return pd.DataFrame(rows)


def store_run_scores(run_id: str, chain: tuple[str, ...], db_path=None) -> pd.DataFrame:
    """`store_scores` in a write of its own."""
    return capability_store.store_run_scores(run_id, chain, score_rows, db_path)


def store_scores(con, run_id: str, chain: tuple[str, ...]) -> pd.DataFrame:
    """Score the stored items of `chain` (a run and the runs it resumed) and store the rows
    under `run_id`, inside the caller's write; returns them. Also for tests and imports that
    write items directly."""
    return capability_store.store_scores(con, run_id, chain, score_rows)


def summary(run_id: str, db_path=None) -> str:
    """The run's measured scores, one line per model and pack, columns in words: mean score
    over all, fixed and fresh items, and fixed minus fresh, each with its interval and count."""
    frame = capability_store.measured_scores(run_id, db_path)
    if frame.empty:
        return "(no scores stored: the run ended early or nothing was answered)"
    frame["metric"] = frame.apply(lambda r: r["metric"][len(r["dimension"]):] or "_all", axis=1)
    frame["cell"] = frame.apply(_cell, axis=1)
    table = frame.pivot(index=["model_id", "pack"], columns="metric", values="cell")
    table = table.reindex(columns=[c for c in SUMMARY_COLUMNS if c in table])
    table = table.rename(columns=SUMMARY_COLUMNS).rename_axis(index=["model", "pack"], columns=None)
    return (table.to_string() + "\nmean item score (0 to 1) [95% interval] n = items; "
            "fixed − fresh above 0: better on the public items than on fresh ones")


def _cell(row) -> str:
    interval = "" if pd.isna(row["ci_low"]) else f" [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
    return f"{row['value']:.2f}{interval} n={row['n_items']}"
