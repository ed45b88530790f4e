"""Per-dimension gap series from the Epoch Benchmarking Hub scores (pure; no database).

For every benchmark mapped in `benchmark_dimensions`, three gaps by release month, the same
shapes as for the Epoch Capabilities Index:

* closed minus open frontier (`frontier_a_minus_b`): best closed-weights model released by the
  month's end minus best open-weights one;
* leader minus rest (`org1_minus_org5`, `org1_minus_org10`): the best organisation's best model
  minus the 5th / 10th organisation's best, among organisations with a model released by then;
* lag (months) of open behind closed at each score level (`lags.group_lags`).

Each benchmark has its own units (fractions, percent, Elo), so the dimension's headline is a
composite: every benchmark's gap is divided by the spread (standard deviation) of all models'
scores on that benchmark, then a two-way fixed-effects regression (`statsmodels` OLS,
gap ~ month + benchmark) separates *when* from *which benchmark*. The composite for a month is
the fitted gap averaged over the dimension's benchmarks: it moves only when gaps move on
benchmarks that were being measured, not when a hard new benchmark (large gap) replaces a
saturated old one (small gap). A plain monthly median across benchmarks would read that
change of composition as a trend. Benchmarks must overlap in time to be compared: only the
largest group of time-connected benchmarks enters the fit. Lags are already in months, so the
dimension's lag series pools every benchmark's level crossings.
"""

import inspect

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from warehouse.analysis import gaps, lags
from warehouse.analysis.benchmark_dimensions import DIMENSIONS, MAPPING_VERSION, dimension_of

SQL = {"epoch_benchmarks": """
    SELECT s.pack, min(s.measured_at_utc) AS measured_at_utc, s.model_id, max(s.value) AS value,
           any_value(s.source) AS source, any_value(m.open_weights) AS open_weights,
           any_value(m.organization) AS organization
    FROM capability_scores s JOIN models m USING (model_id)
    WHERE s.pack LIKE 'epoch:%' AND s.pack <> 'epoch:eci' GROUP BY s.pack, s.model_id"""}
ORG_RANKS = (5, 10)
KINDS = ["frontier_a_minus_b", *(f"org1_minus_org{k}" for k in ORG_RANKS)]


def metric_name(dimension: str) -> str:
    """The composite series' metric: the mapping version is part of the name."""
    return f"dimension:{dimension}@{MAPPING_VERSION}"


def mapped(rows: pd.DataFrame) -> pd.DataFrame:
    """Best score per (benchmark, model), with its dimension; unmapped benchmarks left out."""
    dims = rows["pack"].map(dimension_of)
    return rows.assign(dimension=dims).dropna(subset=["dimension", "value"])


def benchmark_gaps(rows: pd.DataFrame) -> pd.DataFrame:
    """Closed − open frontier and leader − k-th organisation per benchmark and month."""
    parts = []
    for _, bench in mapped(rows).groupby("pack"):
        open_flag = bench["open_weights"].map({True: "open", False: "closed"})
        parts.append(gaps.frontier_gap(bench, open_flag, "closed", "open"))
        parts += organisation_gaps(bench)
    return _concat(parts)


def organisation_gaps(bench: pd.DataFrame) -> list[pd.DataFrame]:
    """Best organisation's best model minus the k-th organisation's, by each month's end."""
    bench = bench.dropna(subset=["organization"])
    if bench["organization"].nunique() < min(ORG_RANKS):
        return []
    day = gaps._day(bench["measured_at_utc"])
    starts = pd.date_range(day.min().to_period("M").start_time, day.max(), freq="MS")
    ends = (starts + pd.offsets.MonthBegin(1)).to_numpy()
    best = np.vstack([_running_best(day[rows.index], rows["value"], ends)
                      for _, rows in bench.groupby("organization")])
    ranked = -np.sort(-np.nan_to_num(best, nan=-np.inf), axis=0)  # per month, best org first
    n_orgs = np.isfinite(ranked).sum(axis=0)
    return [_rank_gap(bench, starts, ranked, n_orgs, k) for k in ORG_RANKS
            if len(ranked) >= k]


def _running_best(days: pd.Series, values: pd.Series, ends: np.ndarray) -> np.ndarray:
    """An organisation's best score among its models released before each month's end."""
    order = np.argsort(days.to_numpy(), kind="stable")
    best = np.maximum.accumulate(values.to_numpy(dtype=float)[order])
    count = np.searchsorted(days.to_numpy()[order], ends, side="left")
    return np.where(count > 0, best[np.maximum(count - 1, 0)], np.nan)


def _rank_gap(bench, starts, ranked, n_orgs, k: int) -> pd.DataFrame:
    out = pd.DataFrame({"bucket_start": starts, "leader_value": ranked[0],
                        "follower_value": ranked[k - 1], "n_models": n_orgs})
    out = out[np.isfinite(out["follower_value"])]
    return out.assign(metric=bench["pack"].iloc[0], gap_kind=f"org1_minus_org{k}",
                      group_a="top organisation", group_b=f"organisation {k}",
                      source=bench["source"].iloc[0],
                      value=out["leader_value"] - out["follower_value"])[gaps.GAP_COLUMNS]


def score_spread(rows: pd.DataFrame) -> pd.Series:
    """Standard deviation of every model's best score, per benchmark: its yardstick."""
    return mapped(rows).groupby("pack")["value"].std()


def composite(per_benchmark: pd.DataFrame, spread: pd.Series, metric: str) -> pd.DataFrame:
    """One gap kind's standardized, benchmark-adjusted gap per month (see the module doc)."""
    z = per_benchmark.assign(z=per_benchmark["value"] / per_benchmark["metric"].map(spread),
                             month=per_benchmark["bucket_start"].astype(str))
    z = _largest_connected(z.replace([np.inf, -np.inf], np.nan).dropna(subset=["z"]))
    if z.empty:
        return _concat([])
    level = _fitted_levels(z)
    counts = z.groupby("month").agg(n_models=("n_models", "sum"), source=("source", "first"))
    out = counts.join(level).reset_index()
    first = per_benchmark.iloc[0]
    return out.assign(metric=metric, gap_kind=first["gap_kind"], group_a=first["group_a"],
                      group_b=first["group_b"], bucket_start=pd.to_datetime(out["month"]),
                      leader_value=np.nan, follower_value=np.nan)[gaps.GAP_COLUMNS]


def _fitted_levels(z: pd.DataFrame) -> pd.Series:
    """Fitted gap per month averaged over the benchmarks (two-way fixed effects, OLS)."""
    months = pd.get_dummies(z["month"], dtype=float)
    benches = pd.get_dummies(z["metric"], dtype=float)
    design = pd.concat([months, benches.iloc[:, 1:]], axis=1)  # first benchmark = reference
    fit = sm.OLS(z["z"].to_numpy(), design.to_numpy()).fit()
    month_effect = pd.Series(fit.params[:months.shape[1]], index=months.columns)
    mean_benchmark = fit.params[months.shape[1]:].sum() / benches.shape[1]
    return (month_effect + mean_benchmark).rename("value")


def _largest_connected(z: pd.DataFrame) -> pd.DataFrame:
    """Rows of the largest set of benchmarks linked by shared months (else not comparable)."""
    if z.empty:
        return z
    months, benches = pd.factorize(z["month"])[0], pd.factorize(z["metric"])[0]
    n_months = months.max() + 1
    edges = coo_matrix((np.ones(len(z)), (months, benches + n_months)),
                       shape=(n_months + benches.max() + 1,) * 2)
    _, label = connected_components(edges, directed=False)
    row_label = label[months]
    return z[row_label == pd.Series(row_label).value_counts().idxmax()]


def dimension_series(rows: pd.DataFrame) -> pd.DataFrame:
    """Every per-benchmark gap and each dimension's composite (GAP_COLUMNS)."""
    per_benchmark = benchmark_gaps(rows)
    if per_benchmark.empty:
        return per_benchmark
    spread = score_spread(rows)
    dims = per_benchmark["metric"].map(dimension_of)
    parts = [per_benchmark]
    for (dim, _), group in per_benchmark.groupby([dims, "gap_kind"]):
        parts.append(composite(group, spread, metric_name(dim)))
    return _concat(parts)


def dimension_lags(rows: pd.DataFrame) -> pd.DataFrame:
    """Open behind closed per benchmark, and every level row again under its dimension."""
    parts = []
    for _, bench in mapped(rows).groupby("pack"):
        flag = bench["open_weights"].map({True: "open", False: "closed"})
        parts.append(lags.group_lags(bench, flag, "closed", "open", **_lag_options()))
    per_benchmark = _concat(parts, lags.LAG_COLUMNS)
    levels = per_benchmark[~per_benchmark["is_summary"].astype(bool)]
    pooled = levels.assign(metric=levels["metric"].map(lambda m: metric_name(dimension_of(m))))
    return _concat([per_benchmark, pooled], lags.LAG_COLUMNS)


def _lag_options() -> dict:
    """Threshold rule only and few resamples: 30 benchmarks at the ECI's settings would add
    a minute to every import, and the per-benchmark summaries are secondary to the pooled
    dimension series (its trend test needs no resampling)."""
    wanted = {"tolerances": (0.0,), "n_resamples": 99}
    accepted = inspect.signature(lags.group_lags).parameters
    return {k: v for k, v in wanted.items() if k in accepted}


def coverage(rows: pd.DataFrame) -> pd.DataFrame:
    """Per dimension: benchmarks, scores, and closed / open models (what the verdict rests on)."""
    m = mapped(rows)
    out = m.groupby("dimension").agg(n_benchmarks=("pack", "nunique"), n_scores=("value", "size"),
                                     n_closed=("open_weights", lambda s: int((s == False).sum())),  # noqa: E712
                                     n_open=("open_weights", lambda s: int((s == True).sum())))  # noqa: E712
    return out.reindex(list(DIMENSIONS), fill_value=0)


def unit(metric: str) -> str | None:
    if metric.startswith("dimension:"):
        return "benchmark SDs"
    if metric.startswith("epoch:") and dimension_of(metric):
        return "benchmark score units"
    return None


def _concat(parts: list, columns: list[str] = gaps.GAP_COLUMNS) -> pd.DataFrame:
    parts = [p[columns] for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
