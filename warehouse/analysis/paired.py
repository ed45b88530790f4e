"""Paired comparisons of measured models over the items they both answered: who leads, by how
much, and which models the items cannot tell apart.

Why paired: two models asked the same items differ item by item far less than their scores
vary across items (an easy item is easy for both), so the difference per item, `a − b`, has a
much narrower interval than two separate intervals suggest. Every comparison here is over the
items both sides answered (same pack, version, item and prompt), never over two different
samples.

- The p-value is exact. Scores of 0 or 1 (every shipped scorer): McNemar's exact test, a
  binomial test on the items where exactly one model succeeded (`scipy.stats.binomtest`).
  Partial credit: a sign-flip (paired permutation) test of the mean difference
  (`scipy.stats.permutation_test`, every flip up to 2^13 items, else 9,999 seeded draws).
- The margin's 95% interval is a paired percentile bootstrap of the mean per-item difference
  (`scipy.stats.bootstrap`, resampling items, fixed seed). In small samples it is too narrow
  (on 40 items it gave [0.03, 0.43] beside an exact p of 0.051), so where the exact test
  cannot reject "no difference" the interval is stretched to include 0: a margin never reads
  "clear" beside a test that says it is not. When every item differs by the same amount (often,
  with few items) the bootstrap says "exactly"; `equal_differences` gives an exact bound. (Inverting the sign-flip test instead was tried:
  with 0/1 scores its symmetry assumption fails and the interval collapses onto 0.)
- Several pairs in one dimension are several tests: p-values are Holm-adjusted (the same
  numbers as `statsmodels.stats.multitest.multipletests`, see `holm`) before any pair is called
  different.
- Within a dimension the interval of a pair Holm calls tied is stretched to 0 as well, so the
  margin shown beside "≈" always includes 0.
- Ties: models are sorted by mean score; a tier starts at the best model not yet placed and takes
  every next model (in order) that it cannot be told apart from (Holm-adjusted p ≥ 0.05). Ranks
  count the models above a tier (competition ranking: 1, 1, 3).

Pure: frames in, frames out (no I/O), so the Overview, the CLI and tests share it.
"""

from itertools import combinations

import numpy as np
import pandas as pd

ALPHA = 0.05
LEVEL = 0.95
RESAMPLES = 9999
SEED = 20250101
PAIR_COLUMNS = ["model_a", "model_b", "n_items", "mean_a", "mean_b", "difference", "ci_low",
                "ci_high", "p_value", "p_adjusted", "different"]


def difference(a, b) -> dict:
    """Mean of a − b over paired items, its exact two-sided p and its 95% interval."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = a - b
    out = {"n_items": len(d), "mean_a": _mean(a), "mean_b": _mean(b), "difference": _mean(d),
           "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    if len(d) < 2:
        return out
    p = exact_p(a, b)
    low, high = bootstrap_interval(d)
    if p >= ALPHA:  # not rejected: 0 stays inside (see the module docstring)
        low, high = min(low, 0.0), max(high, 0.0)
    out.update(p_value=p, ci_low=low, ci_high=high)
    return out


def _test_only(a, b) -> dict:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return {"n_items": len(a), "mean_a": _mean(a), "mean_b": _mean(b),
            "difference": _mean(a - b), "ci_low": np.nan, "ci_high": np.nan,
            "p_value": exact_p(a, b) if len(a) >= 2 else np.nan}


def exact_p(a: np.ndarray, b: np.ndarray) -> float:
    """McNemar's exact test for 0/1 scores, else an exact sign-flip test; two-sided."""
    from scipy.stats import binomtest, permutation_test  # imported on use: ~0.8 s

    d = a - b
    if not np.any(d):
        return 1.0
    if np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all():
        wins = int(np.count_nonzero(d > 0))
        return float(binomtest(wins, int(np.count_nonzero(d)), 0.5).pvalue)
    test = permutation_test((d,), np.mean, permutation_type="samples", vectorized=True,
                            alternative="two-sided", n_resamples=RESAMPLES,
                            rng=np.random.default_rng(SEED))
    return float(min(1.0, test.pvalue))


def bootstrap_interval(d: np.ndarray) -> tuple[float, float]:
    """Percentile bootstrap over items of the mean difference; when every item differs by the
    same amount the resamples are all equal, so see `equal_differences`."""
    from scipy.stats import bootstrap

    if np.ptp(d) == 0:
        return equal_differences(d)
    ci = bootstrap((d,), np.mean, confidence_level=LEVEL, n_resamples=RESAMPLES,
                   method="percentile", rng=np.random.default_rng(SEED)).confidence_interval
    return float(ci.low), float(ci.high)


def equal_differences(d: np.ndarray) -> tuple[float, float]:
    """The interval when all n differences are equal. For 0/1 scores, a bootstrap would say
    [v, v] (8 wins of 8 items: "exactly +1"); instead the Clopper–Pearson bound on the share of
    items a model could still lose (`scipy.stats.binomtest(...).proportion_ci`): all n won
    gives [2L − 1, 1] with L the lower bound of n/n; all n equal (no item differs) gives ±U,
    U the upper bound of 0/n. Partial-credit differences keep [v, v]."""
    from scipy.stats import binomtest

    n, v = len(d), float(d[0])
    if v == 0:
        upper = binomtest(0, n).proportion_ci(confidence_level=LEVEL, method="exact").high
        return -float(upper), float(upper)
    if abs(v) == 1:
        low = float(binomtest(n, n).proportion_ci(confidence_level=LEVEL, method="exact").low)
        return (2 * low - 1, 1.0) if v > 0 else (-1.0, 1 - 2 * low)
    return v, v


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else np.nan


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment (family-wise error ≤ ALPHA); NaN stays NaN.

    Why not `statsmodels.stats.multitest.multipletests(method="holm")`, which this equals (the
    tests check it on random p-values): it runs a full `gc.collect()` on every call, 0.2 s in a
    dashboard process, and the board calls it once per dimension."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = p[order] * (len(order) - np.arange(len(order)))
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out


def wide(items: pd.DataFrame) -> pd.DataFrame:
    """Item scores as a table, one column per model, only items every model answered.

    `items` has `model_id`, `item_key` and `score` (NULL scores, unanswered items, are dropped).
    """
    answered = items.dropna(subset=["score"])
    table = answered.pivot_table(index="item_key", columns="model_id", values="score",
                                 aggfunc="mean")
    return table.dropna(axis=0, how="any")


def pairs(table: pd.DataFrame, intervals: bool = True) -> pd.DataFrame:
    """Every pair of models (better mean first) over the table's items, Holm-adjusted;
    `intervals=False` skips the bootstraps when only the tie decisions are wanted."""
    order = list(table.mean().sort_values(ascending=False, kind="stable").index)
    rows = [{"model_a": a, "model_b": b, **(difference(table[a], table[b]) if intervals else
                                            _test_only(table[a], table[b]))}
            for a, b in combinations(order, 2)]
    frame = pd.DataFrame(rows, columns=PAIR_COLUMNS[:-2])
    adjusted = holm(frame["p_value"]) if len(frame) else np.array([])
    different = pd.Series(adjusted < ALPHA, index=frame.index, dtype=bool)
    # A pair the adjusted test calls tied keeps 0 in its interval, so the board's margin and
    # its "≈" never disagree (the interval is then at least as wide as Holm's decision).
    return frame.assign(p_adjusted=adjusted, different=different,
                        ci_low=frame["ci_low"].where(different, np.fmin(frame["ci_low"], 0.0)),
                        ci_high=frame["ci_high"].where(different, np.fmax(frame["ci_high"], 0.0)))


def tiers(means: pd.Series, pair_rows: pd.DataFrame) -> pd.DataFrame:
    """(model_id, mean, rank, tier) with ties: see the module docstring for the rule."""
    order = list(means.sort_values(ascending=False, kind="stable").index)
    apart = {frozenset((r.model_a, r.model_b)) for r in pair_rows.itertuples() if r.different}
    rows, tier, placed = [], 0, 0
    while placed < len(order):
        head, tier = order[placed], tier + 1
        members = [head]
        for model in order[placed + 1:]:
            if frozenset((head, model)) in apart:
                break
            members.append(model)
        rows += [{"model_id": m, "mean": float(means[m]), "rank": placed + 1, "tier": tier}
                 for m in members]
        placed += len(members)
    return pd.DataFrame(rows, columns=["model_id", "mean", "rank", "tier"])


def ranking(items: pd.DataFrame) -> dict:
    """One dimension's day-one answer: ranks with ties, every pair, and the leader's margin.

    Returns `{"n_items", "models", "tiers", "pairs", "leader"}`; `leader` is the pair (leader,
    runner-up) with its margin and interval, or None under two models or two shared items.
    """
    table = wide(items)
    models = sorted(items["model_id"].unique())
    if table.shape[1] < 2 or len(table) < 2:
        return {"n_items": len(table), "models": models, "tiers": pd.DataFrame(),
                "pairs": pd.DataFrame(columns=PAIR_COLUMNS), "leader": None}
    pair_rows = pairs(table)
    ranked = tiers(table.mean(), pair_rows)
    first, second = ranked["model_id"].iloc[0], ranked["model_id"].iloc[1]
    lead = pair_rows[(pair_rows["model_a"] == first) & (pair_rows["model_b"] == second)]
    return {"n_items": len(table), "models": models, "tiers": ranked, "pairs": pair_rows,
            "leader": lead.iloc[0].to_dict() if len(lead) else None}


def compare_runs(items_a: pd.DataFrame, items_b: pd.DataFrame,
                 keys=("model_id", "dimension")) -> pd.DataFrame:
    """Run B against run A per model and dimension, over the items both runs answered.

    Each frame has `keys`, `item_key`, `item_id` and `score`. Returns one row per cell with the
    paired difference (B − A), its interval, p (Holm-adjusted over all cells) and the items whose
    score changed: `gained` (B scored higher) and `lost`.
    """
    keys = list(keys)
    both = items_a.dropna(subset=["score"]).merge(
        items_b.dropna(subset=["score"]), on=[*keys, "item_key"], suffixes=("_a", "_b"))
    rows = []
    for cell, shared in both.groupby(keys, sort=True):
        stats = difference(shared["score_b"], shared["score_a"])
        moved = shared["score_b"] - shared["score_a"]
        rows.append({**dict(zip(keys, cell if isinstance(cell, tuple) else (cell,))),
                     "n_shared": stats["n_items"], "mean_a": stats["mean_b"],
                     "mean_b": stats["mean_a"], "difference": stats["difference"],
                     "ci_low": stats["ci_low"], "ci_high": stats["ci_high"],
                     "p_value": stats["p_value"],
                     "gained": sorted(shared.loc[moved > 0, "item_id_b"].astype(str)),
                     "lost": sorted(shared.loc[moved < 0, "item_id_b"].astype(str))})
    frame = pd.DataFrame(rows, columns=[*keys, "n_shared", "mean_a", "mean_b", "difference",
                                        "ci_low", "ci_high", "p_value", "gained", "lost"])
    return frame.assign(p_adjusted=holm(frame["p_value"]) if len(frame) else [])


def unpaired_ranking(values: dict) -> dict:
    """Ranks with ties for measures that cannot be paired (speed: each request is its own
    prompt): the median per model, a Mann–Whitney U test per pair (`scipy.stats.mannwhitneyu`),
    Holm-adjusted, and the same tiers. Higher is better; pass negated values otherwise."""
    from scipy.stats import mannwhitneyu

    samples = {m: np.asarray(v, dtype=float)[~np.isnan(np.asarray(v, dtype=float))]
               for m, v in values.items()}
    samples = {m: v for m, v in samples.items() if len(v)}
    medians = pd.Series({m: float(np.median(v)) for m, v in samples.items()}, dtype=float)
    order = list(medians.sort_values(ascending=False, kind="stable").index)
    rows = []
    for a, b in combinations(order, 2):
        small = min(len(samples[a]), len(samples[b])) < 2
        p = np.nan if small else float(mannwhitneyu(samples[a], samples[b]).pvalue)
        rows.append({"model_a": a, "model_b": b, "median_a": medians[a], "median_b": medians[b],
                     "p_value": p})
    frame = pd.DataFrame(rows, columns=["model_a", "model_b", "median_a", "median_b", "p_value"])
    adjusted = holm(frame["p_value"]) if len(frame) else np.array([])
    frame = frame.assign(p_adjusted=adjusted,
                         different=pd.Series(np.nan_to_num(adjusted, nan=1.0) < ALPHA,
                                             index=frame.index, dtype=bool))
    return {"medians": medians, "pairs": frame,
            "tiers": tiers(medians, frame) if len(medians) else pd.DataFrame()}
