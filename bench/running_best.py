"""The real generating process behind a frontier gap, for `python -m bench.validity`.

Two groups release models at random (Poisson) times; each model scores its group's linear
trend plus noise; each group's frontier is the running best of its releases, and the gap is
leader minus follower at each month's end. In half the series the source stops listing the
leader's record holder from a month in the middle half on (a listing change, recorded as a
break as the warehouse records Arena's), so the leader's frontier steps down there.

Null: equal slopes (the gap wanders, in steps, but has no trend). Alternative: the leader's
slope is larger, by enough to move the gap 2 null sds over the span. Oracle: the slope
difference fitted on the release-level data (OLS, score ~ group × time), which knows the model.
Every gap series goes through the production rule: `level_shifts.steps` per stretch between
recorded breaks and `trends.verdict` per stretch, the steps fitted with the trend.
"""

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from warehouse.analysis import level_shifts, trends

RATES = {"leader": 1.5, "follower": 2.0}  # releases per month (ECI: ~1.6 closed, ~2 open)
OFFSET, SLOPE, NOISE = 8.0, 1.0, 4.0  # ECI-like points: the leader's head start, per month, sd
BURN_IN = 12  # months of releases before the series starts, so both frontiers exist
START = pd.Timestamp("2020-01-01")


def releases(rng: np.random.Generator, n: int, extra_slope: float) -> pd.DataFrame:
    rows = []
    for g, rate in RATES.items():
        count = rng.poisson(rate * (n + BURN_IN))
        t = np.sort(rng.uniform(-BURN_IN, n, count))
        line = (OFFSET if g == "leader" else 0.0) + (SLOPE + (extra_slope if g == "leader" else 0)) * t
        rows.append(pd.DataFrame({"group": g, "t": t, "score": line + rng.normal(0, NOISE, count)}))
    return pd.concat(rows, ignore_index=True)


def _best_before(own: pd.DataFrame, ends: np.ndarray) -> np.ndarray:
    """The running best of a group's releases before each month's end (NaN before any)."""
    own = own.sort_values("t")
    best = np.maximum.accumulate(own["score"].to_numpy())
    count = np.searchsorted(own["t"].to_numpy(), ends, side="left")
    return np.where(count > 0, best[np.maximum(count - 1, 0)], np.nan)


def gap_series(rel: pd.DataFrame, n: int, delisted_from: int | None) -> pd.DataFrame:
    """Leader best minus follower best at each month's end; from `delisted_from` on, the
    leader's record holder at that month is no longer listed."""
    ends = np.arange(1, n + 1, dtype=float)
    best = {g: _best_before(rel[rel["group"] == g], ends) for g in RATES}
    months = pd.date_range(START, periods=n, freq="MS")
    segment = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if delisted_from is not None:
        lead = rel[rel["group"] == "leader"]
        holder = lead.loc[lead["t"] < delisted_from, "score"].idxmax()
        later = _best_before(lead.drop(index=holder), ends)
        best["leader"] = np.where(ends > delisted_from, later, best["leader"])
        segment = segment.where(ends <= delisted_from, months[delisted_from])
    return pd.DataFrame({"metric": "epoch:eci", "gap_kind": "gap", "group_a": "leader",
                         "group_b": "follower", "source": "sim", "bucket_start": months,
                         "value": best["leader"] - best["follower"], "segment_start": segment})


def called(series: pd.DataFrame) -> str:
    """The production verdict per stretch (steps fitted); widening/narrowing if any stretch."""
    steps = [s["changed_at_utc"] for s in level_shifts.steps(series, 0.0)]
    starts = pd.to_datetime(series["segment_start"]).fillna(series["bucket_start"].min())
    words = []
    for _, part in series.groupby(starts):
        inside = [d for d in steps if part["bucket_start"].min() < d <= part["bucket_start"].max()]
        words.append(trends.verdict(part, unit="ECI points", min_effect=0.0, steps=inside)["verdict"])
    return next((w for w in ("widening", "narrowing") if w in words), words[0])


def oracle(rel: pd.DataFrame, n: int) -> bool:
    seen = rel[(rel["t"] >= 0) & (rel["t"] < n)]
    fit = smf.ols("score ~ C(group) * t", data=seen).fit()
    return bool(fit.pvalues["C(group)[T.leader]:t"] < 0.05)


def cell(n: int, seeds: int, breaks: bool) -> dict:
    null_sd = []
    for seed in range(50):  # the null gap's spread, to size the alternative (2 sds)
        rng = np.random.default_rng([seed, n, 99])
        null_sd.append(gap_series(releases(rng, n, 0.0), n, None)["value"].std())
    extra = 2 * float(np.mean(null_sd)) / n
    calls, found, oracle_found = [], [], []
    for seed in range(seeds):
        rng = np.random.default_rng([seed, n, int(breaks)])
        at = int(rng.integers(n // 4, 3 * n // 4)) if breaks and rng.random() < 0.5 else None
        calls.append(called(gap_series(releases(np.random.default_rng([seed, n, 1]), n, 0.0), n, at)))
        rel = releases(np.random.default_rng([seed, n, 2]), n, extra)
        found.append(called(gap_series(rel, n, at)))
        oracle_found.append(oracle(rel, n))
    return {"n": n, "breaks": breaks, "seeds": seeds, "extra_per_year": 12 * extra,
            "false_calls": np.isin(calls, ["widening", "narrowing"]).mean(),
            "power": np.mean(np.array(found) == "widening"), "oracle_power": np.mean(oracle_found)}


def table(seeds: int) -> str:
    rows = [cell(n, seeds, breaks) for n in (36, 88) for breaks in (False, True)]
    lines = ["| months | listing breaks | false calls | leader's extra slope (points/yr) | power | "
             "oracle power (release-level OLS) |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['n']} | {'half the series' if r['breaks'] else 'none'} | "
              f"{r['false_calls']:.1%} | {r['extra_per_year']:.2f} | {r['power']:.1%} | "
              f"{r['oracle_power']:.1%} |" for r in rows]
    return "\n".join(lines)
