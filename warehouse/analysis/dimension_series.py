"""Per-dimension gap series from the Epoch Benchmarking Hub scores (pure; no database).

For every benchmark mapped in `benchmark_dimensions`, three gaps by release month, the same
shapes as for the Epoch Capabilities Index:

* closed minus open frontier (`frontier_a_minus_b`): best closed-weights model released by the
  month's end minus best open-weights one;
* leader minus rest (`org1_minus_org5`, `org1_minus_org10`): the best organisation's best model
  minus the 5th / 10th organisation's best, among organisations with a model released by then;
* lag (months) of open behind closed at each score level (`lags.group_lags`).

A score counts from the release of the *version* that earned it (one row per model version and
release date; `aliases` keeps versions apart), so a later snapshot's score never sets an
earlier month's frontier.

Each benchmark has its own units, so the dimension's headline is a composite, on a scale that
does not depend on which weak models a benchmark happened to score: the **logit** of each
frontier score (`logit(best closed) − logit(best open)`, scores clipped to 1–99%; WebDev Arena's
Elo gap × ln 10 / 400, the logit of a win probability), so one point near the ceiling or the
floor weighs what it is worth. Only months where a benchmark can speak enter the composite
(`benchmark_coverage`: the scale has room both ways, and for closed − open both sides' strongest
known models were scored). A two-way fixed-effects regression (least squares, gap ~ month +
benchmark) then separates *when* from *which benchmark*: the composite for a month is the fitted
gap averaged over the benchmarks, so a hard new benchmark replacing a saturated old one is not a
trend. Benchmarks are compared only through shared months: benchmarks linked by at least
`MIN_OVERLAP` common months form a set, fitted together (a set shorter than `MIN_SET_MONTHS`
stays out); each month comes from the set resting on the most benchmarks then, and each run of
months from one set is a *segment*, so no verdict spans a change of set with no shared anchor
(memory: TriviaQA's usable months end in 2024-03, Fiction.LiveBench's two usable months are
too few for a set, so memory's composite ends there and its own series answers later months). `dimension_checks` re-runs every composite verdict
without each benchmark and on a second yardstick. Lags are already in months, so the
dimension's lag series pools every benchmark's level crossings.
"""

import inspect

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from warehouse.analysis import benchmark_coverage as coverage_rules
from warehouse.analysis import gaps, lags
from warehouse.analysis.benchmark_dimensions import DIMENSIONS, MAPPING_VERSION, dimension_of
from warehouse.analysis.contamination import logit

SQL = {"epoch_benchmarks": """
    SELECT s.pack, s.measured_at_utc, s.model_id, max(s.value) AS value,
           any_value(s.source) AS source, any_value(m.open_weights) AS open_weights,
           any_value(m.organization) AS organization, any_value(m.family) AS family
    FROM capability_scores s JOIN models m USING (model_id)
    WHERE s.pack LIKE 'epoch:%' AND s.pack <> 'epoch:eci'
    GROUP BY s.pack, s.model_id, s.measured_at_utc""",
       "eci_strength": """
    SELECT s.model_id, s.measured_at_utc, max(s.value) AS eci,
           any_value(m.open_weights) AS open_weights, any_value(m.family) AS family
    FROM capability_scores s JOIN models m USING (model_id)
    WHERE s.pack = 'epoch:eci' GROUP BY s.model_id, s.measured_at_utc"""}
MIN_OVERLAP = 3  # months two benchmarks must share to be compared in one fit
MIN_SET_MONTHS = 6  # a linked set of benchmarks shorter than this stays out of the composite
LOGITS_PER_ELO = np.log(10) / 400
ORG_RANKS = (5, 10)
KINDS = ["frontier_a_minus_b", *(f"org1_minus_org{k}" for k in ORG_RANKS)]


def metric_name(dimension: str) -> str:
    """The composite series' metric: the mapping version is part of the name."""
    return f"dimension:{dimension}@{MAPPING_VERSION}"


def mapped(rows: pd.DataFrame) -> pd.DataFrame:
    """Scores per (benchmark, model version, release), with dimension; unmapped left out."""
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


_INPUTS: dict[tuple, pd.DataFrame] = {}


def composite_inputs(rows: pd.DataFrame, eci: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every per-benchmark gap (GAP_COLUMNS) with its month's coverage (`benchmark_coverage`),
    its gap on the logit scale, and whether it may enter a composite. Kept for the last inputs
    seen (by content): a refresh asks twice, for the series and for their checks."""
    key = (_fingerprint(rows), _fingerprint(eci))
    if key not in _INPUTS:
        _INPUTS.clear()
        _INPUTS[key] = _composite_inputs(rows, eci)
    return _INPUTS[key].copy()


def _fingerprint(frame: pd.DataFrame | None) -> tuple:
    if frame is None or frame.empty:
        return (0,)
    return (len(frame), tuple(frame.columns),
            int(pd.util.hash_pandas_object(frame.astype(str), index=False).sum()))


def _composite_inputs(rows: pd.DataFrame, eci: pd.DataFrame | None) -> pd.DataFrame:
    per_benchmark = benchmark_gaps(rows)
    if per_benchmark.empty:
        return per_benchmark.assign(logit=np.nan, eligible=False)
    rows = with_family(rows)
    eci = eci if eci is not None else pd.DataFrame(columns=["measured_at_utc", "eci",
                                                             "open_weights", "family"])
    months = coverage_rules.months(mapped(rows), eci)
    out = per_benchmark.merge(months, on=["metric", "bucket_start"], how="left")
    return out.assign(logit=logit_gap(out), eligible=coverage_rules.eligible(out))


def with_family(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a `family` (a version with none is a family of its own)."""
    family = rows["family"] if "family" in rows else pd.Series(None, index=rows.index)
    return rows.assign(family=family.astype(object).fillna(rows["model_id"].astype(object)))


def logit_gap(per_benchmark: pd.DataFrame) -> np.ndarray:
    """Leader minus follower on the logit scale, per row (Elo: the logit of a win chance)."""
    out = np.full(len(per_benchmark), np.nan)
    for pack, idx in per_benchmark.groupby("metric").groups.items():
        rows = per_benchmark.loc[idx]
        if coverage_rules.benchmark(pack) in coverage_rules.ELO:
            gap = (rows["leader_value"] - rows["follower_value"]) * LOGITS_PER_ELO
        else:
            gap = (logit(coverage_rules.fraction(pack, rows["leader_value"]))
                   - logit(coverage_rules.fraction(pack, rows["follower_value"])))
        out[per_benchmark.index.get_indexer(idx)] = np.asarray(gap, dtype=float)
    return out


def yardstick(inputs: pd.DataFrame, scale: str) -> pd.Series:
    """Each row's gap on a scale: `logit`, or `frontier_sd` (the raw gap over the standard
    deviation of the frontier values the benchmark's composite months are made of: the best
    models only, so how many weak models a benchmark scored does not matter)."""
    if scale == "logit":
        return inputs["logit"]
    used = inputs[inputs["eligible"]]
    values = pd.concat([used[["metric", "gap_kind", "leader_value"]].rename(
        columns={"leader_value": "v"}), used[["metric", "gap_kind", "follower_value"]].rename(
        columns={"follower_value": "v"})])
    sd = values.groupby(["metric", "gap_kind"])["v"].std()
    keys = pd.MultiIndex.from_frame(inputs[["metric", "gap_kind"]])
    return inputs["value"] / sd.reindex(keys).to_numpy()


def composite(inputs: pd.DataFrame, metric: str, scale: str = "logit",
              leave_out: str | None = None) -> pd.DataFrame:
    """One gap kind's composite per month (GAP_COLUMNS + segment_start): the eligible rows of
    its benchmarks on `scale`, fitted per linked set (see the module doc), without
    `leave_out`."""
    fitted = [_fitted_month_rows(part) for part in linked_sets(_on_scale(inputs, scale, leave_out))]
    if not fitted:
        return pd.DataFrame(columns=gaps.GAP_COLUMNS + ["segment_start"])
    out = _chain(fitted)
    first = inputs.iloc[0]
    return out.assign(metric=metric, gap_kind=first["gap_kind"], group_a=first["group_a"],
                      group_b=first["group_b"], bucket_start=pd.to_datetime(out["month"]),
                      leader_value=np.nan, follower_value=np.nan
                      )[gaps.GAP_COLUMNS + ["segment_start"]]


def members(inputs: pd.DataFrame, scale: str = "logit") -> list[str]:
    """The benchmarks a composite rests on: those of the linked sets that hold a month of it."""
    sets = linked_sets(_on_scale(inputs, scale, None))
    if not sets:
        return []
    owners = set(_chain([_fitted_month_rows(part) for part in sets])["set_no"])
    return sorted({b for i, part in enumerate(sets) if i in owners for b in part["metric"]})


def _on_scale(inputs: pd.DataFrame, scale: str, leave_out: str | None) -> pd.DataFrame:
    """The eligible rows on `scale` (column `z`), with their month as text."""
    used = inputs[inputs["eligible"] & (inputs["metric"] != leave_out)]
    z = used.assign(z=yardstick(inputs, scale).reindex(used.index),
                    month=used["bucket_start"].astype(str))
    return z.replace([np.inf, -np.inf], np.nan).dropna(subset=["z"])


def _fitted_month_rows(z: pd.DataFrame) -> pd.DataFrame:
    """One linked set's composite per month, with how many benchmarks that month rests on."""
    counts = z.groupby("month").agg(n_models=("n_models", "sum"), source=("source", "first"),
                                    n_benchmarks=("metric", "nunique"))
    return counts.join(_fitted_levels(z)).reset_index()


def _chain(fitted: list[pd.DataFrame]) -> pd.DataFrame:
    """Each month from the linked set resting on the most benchmarks then (ties: the newer
    set); every run of months from one set is a segment of its own, so no verdict compares
    values from two sets that share no anchor."""
    tagged = pd.concat([f.assign(set_no=i, set_start=f["month"].min())
                        for i, f in enumerate(fitted)], ignore_index=True)
    tagged = tagged.sort_values(["month", "n_benchmarks", "set_start"], ascending=[True, False, False])
    out = tagged.drop_duplicates("month", keep="first").sort_values("month").reset_index(drop=True)
    run = (out["set_no"] != out["set_no"].shift()).cumsum()
    return out.assign(segment_start=pd.to_datetime(out.groupby(run)["month"].transform("min")))


def _fitted_levels(z: pd.DataFrame) -> pd.Series:
    """Fitted gap per month averaged over the benchmarks (two-way fixed effects, OLS)."""
    month, months = pd.factorize(z["month"], sort=True)
    bench, benches = pd.factorize(z["metric"], sort=True)
    design = np.zeros((len(z), len(months) + len(benches) - 1))
    design[np.arange(len(z)), month] = 1.0
    other = bench > 0  # the first benchmark is the reference
    design[np.flatnonzero(other), len(months) + bench[other] - 1] = 1.0
    # Least squares (numpy's LAPACK solver: statsmodels' OLS wrapper costs ~3x more here, and
    # the checks fit ~100 of these per refresh); a linked set's design has full rank.
    params = np.linalg.lstsq(design, z["z"].to_numpy(dtype=float), rcond=None)[0]
    mean_benchmark = params[len(months):].sum() / len(benches)
    return pd.Series(params[:len(months)] + mean_benchmark, index=months, name="value")


def linked_sets(z: pd.DataFrame) -> list[pd.DataFrame]:
    """The rows of each set of benchmarks linked by >= MIN_OVERLAP shared months; a set with
    fewer than MIN_SET_MONTHS months is left out (too short to say anything on its own)."""
    if z.empty:
        return []
    names = sorted(z["metric"].unique())
    months = {b: set(z.loc[z["metric"] == b, "month"]) for b in names}
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))
             if len(months[names[i]] & months[names[j]]) >= MIN_OVERLAP]
    rows, cols = zip(*pairs) if pairs else ((), ())
    graph = coo_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(names),) * 2)
    _, label = connected_components(graph, directed=False)
    sets = [z[z["metric"].isin([b for b, lab in zip(names, label) if lab == k])]
            for k in range(label.max() + 1)]
    return [s for s in sets if s["month"].nunique() >= MIN_SET_MONTHS]


def dimension_series(rows: pd.DataFrame, eci: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every per-benchmark gap and each dimension's composite (GAP_COLUMNS + segment_start)."""
    inputs = composite_inputs(rows, eci)
    if inputs.empty:
        return pd.DataFrame(columns=gaps.GAP_COLUMNS + ["segment_start"])
    dims = inputs["metric"].map(dimension_of)
    parts = [inputs[gaps.GAP_COLUMNS]]
    for (dim, _), group in inputs.groupby([dims, "gap_kind"]):
        parts.append(composite(group, metric_name(dim)))
    return _concat(parts, gaps.GAP_COLUMNS + ["segment_start"])


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
        return "logits"
    if metric.startswith("epoch:") and dimension_of(metric):
        return "benchmark score units"
    return None


def _concat(parts: list, columns: list[str] = gaps.GAP_COLUMNS) -> pd.DataFrame:
    parts = [p.reindex(columns=columns) for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
