"""How many months behind: the date a follower group first reached each score level minus the
date the leader group first did (threshold crossing on release-dated scores, the way Epoch AI
measures how far open-weight models trail closed ones).

Levels are a fixed grid between the higher of the two groups' first frontier values (below
it, the data do not say when the leader got there) and the lower of their best values (above
it, the follower has not arrived: there is no lag to count yet). The summary row is the median
lag over the grid with a 95% bootstrap interval that resamples *models* within each group
(`scipy.stats.bootstrap`, percentile method): the frontier rests on a few record models, so
the interval says how much the lag depends on which models happen to exist. A level a
resampled group never reaches counts as reached on the last day of data (a lower bound), so
dropping the record model lengthens the lag rather than silently shrinking the grid.
"""

import numpy as np
import pandas as pd
from scipy import stats

LAG_COLUMNS = ["metric", "leader_group", "follower_group", "level", "lag_months", "ci_low",
               "ci_high", "leader_date", "follower_date", "is_summary", "source"]
DAYS_PER_MONTH = 365.25 / 12
N_LEVELS = 30
N_RESAMPLES = 999


def first_crossing(dates, values, levels) -> np.ndarray:
    """First date the running best reached each level (NaT where it never did)."""
    order = np.argsort(np.asarray(dates, dtype="datetime64[ns]"), kind="stable")
    days = np.asarray(dates, dtype="datetime64[ns]")[order]
    best = np.maximum.accumulate(np.asarray(values, dtype=float)[order])
    idx = np.searchsorted(best, np.asarray(levels, dtype=float), side="left")
    out = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[idx < len(days)] = days[idx[idx < len(days)]]
    return out


def level_grid(leader: pd.DataFrame, follower: pd.DataFrame, n_levels: int = N_LEVELS) -> np.ndarray:
    """Evenly spaced levels both groups' crossings are observed for (may be empty)."""
    if leader.empty or follower.empty:
        return np.array([])
    low = max(_first_best(leader), _first_best(follower))
    high = min(leader["value"].max(), follower["value"].max())
    return np.linspace(low, high, n_levels) if high > low else np.array([])


def _first_best(rows: pd.DataFrame) -> float:
    """The best value on the first release date: where the group's observed frontier starts."""
    first = rows["measured_at_utc"].min()
    return float(rows.loc[rows["measured_at_utc"] == first, "value"].max())


def months_between(later, earlier) -> np.ndarray:
    """Calendar gap in average months (365.25 / 12 days)."""
    delta = np.asarray(later, dtype="datetime64[ns]") - np.asarray(earlier, dtype="datetime64[ns]")
    return delta / np.timedelta64(1, "D") / DAYS_PER_MONTH


def level_lags(leader: pd.DataFrame, follower: pd.DataFrame, levels) -> pd.DataFrame:
    """Per level: each group's first crossing and the lag in months."""
    lead = first_crossing(leader["measured_at_utc"], leader["value"], levels)
    follow = first_crossing(follower["measured_at_utc"], follower["value"], levels)
    return pd.DataFrame({"level": levels, "leader_date": lead, "follower_date": follow,
                         "lag_months": months_between(follow, lead)})


def median_lag(leader: tuple, follower: tuple, levels, end) -> float:
    """Median lag over the grid, unreached levels counted as reached at `end`.

    `leader` and `follower` are (dates, values) arrays: this runs once per bootstrap resample.
    """
    lead, follow = first_crossing(*leader, levels), first_crossing(*follower, levels)
    lead, follow = np.where(np.isnat(lead), end, lead), np.where(np.isnat(follow), end, follow)
    return float(np.median(months_between(follow, lead)))


def median_lag_ci(leader: pd.DataFrame, follower: pd.DataFrame, levels, seed: int = 0,
                  n_resamples: int = N_RESAMPLES) -> tuple[float, float, float]:
    """(median lag, ci_low, ci_high): models resampled within each group, 95% percentile CI."""
    lead, follow = _arrays(leader), _arrays(follower)
    end = max(lead[0].max(), follow[0].max())
    point = median_lag(lead, follow, levels, end)

    def statistic(i, j):
        return median_lag((lead[0][i], lead[1][i]), (follow[0][j], follow[1][j]), levels, end)

    data = (np.arange(len(leader)), np.arange(len(follower)))
    res = stats.bootstrap(data, statistic, n_resamples=n_resamples, vectorized=False,
                          method="percentile", rng=np.random.default_rng(seed))
    return point, float(res.confidence_interval.low), float(res.confidence_interval.high)


def _arrays(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return (rows["measured_at_utc"].to_numpy(dtype="datetime64[ns]"),
            rows["value"].to_numpy(dtype=float))


def group_lags(scores: pd.DataFrame, group: pd.Series, leader: str, follower: str,
               n_levels: int = N_LEVELS, seed: int = 0) -> pd.DataFrame:
    """Level rows plus one summary row for `follower` behind `leader` (LAG_COLUMNS).

    `scores` needs: measured_at_utc (release date), value, pack, source; `group` aligns with it.
    """
    scores = _ordered(scores.assign(measured_at_utc=_naive(scores["measured_at_utc"]),
                                    group=np.asarray(group)))
    lead, follow = (scores[scores["group"] == g].reset_index(drop=True) for g in (leader, follower))
    return _lag_rows(lead, follow, scores, leader, follower, n_levels, seed)


def _lag_rows(lead, follow, scores, leader, follower, n_levels, seed) -> pd.DataFrame:
    levels = level_grid(lead, follow, n_levels)
    if len(levels) == 0 or len(lead) < 2 or len(follow) < 2:
        return pd.DataFrame(columns=LAG_COLUMNS)
    rows = level_lags(lead, follow, levels).assign(is_summary=False, ci_low=np.nan,
                                                   ci_high=np.nan)
    point, low, high = median_lag_ci(lead, follow, levels, seed)
    summary = pd.DataFrame([{"level": np.nan, "lag_months": point, "ci_low": low,
                             "ci_high": high, "is_summary": True}])
    out = pd.concat([rows, summary], ignore_index=True)
    return out.assign(metric=scores["pack"].iloc[0], source=scores["source"].iloc[0],
                      leader_group=leader, follower_group=follower)[LAG_COLUMNS]


def organisation_lags(scores: pd.DataFrame, organisation: pd.Series, min_models: int = 3,
                      n_levels: int = N_LEVELS, seed: int = 0) -> pd.DataFrame:
    """For each organisation with `min_models` models: how far behind the overall frontier.

    The leader is every model (the frontier), so an organisation that set the record at a
    level shows a lag of 0 there.
    """
    scores = _ordered(scores.assign(measured_at_utc=_naive(scores["measured_at_utc"]),
                                    org=np.asarray(organisation)).dropna(subset=["org"]))
    counts = scores["org"].value_counts()
    parts = [_lag_rows(scores.reset_index(drop=True),
                       scores[scores["org"] == org].reset_index(drop=True),
                       scores, "frontier", org, n_levels, seed)
             for org in sorted(counts[counts >= min_models].index)]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LAG_COLUMNS)


def lag_series(lags: pd.DataFrame) -> pd.DataFrame:
    """Level rows as a gap series (bucket = leader's crossing date) for the lag's trend test.

    One point per distinct pair of crossings: neighbouring levels crossed by the same two
    models are one event, and counting each grid level would let the grid's density, not the
    data, set the number of points. A shrinking lag (follower catches up sooner) is `narrowing`.
    """
    rows = lags[~lags["is_summary"].astype(bool)].dropna(subset=["lag_months"])
    rows = rows.sort_values("level").drop_duplicates(["metric", "leader_group", "follower_group",
                                                      "leader_date", "follower_date"])
    return pd.DataFrame({"metric": rows["metric"], "gap_kind": "lag_months",
                         "group_a": rows["leader_group"], "group_b": rows["follower_group"],
                         "bucket_start": rows["leader_date"], "value": rows["lag_months"],
                         "leader_value": rows["level"], "follower_value": rows["level"],
                         "n_models": np.nan, "source": rows["source"]})


def _ordered(scores: pd.DataFrame) -> pd.DataFrame:
    """A fixed row order, so the same data give the same bootstrap draws whatever SQL returned."""
    keys = [c for c in ("measured_at_utc", "value", "model_id") if c in scores]
    return scores.sort_values(keys, kind="stable").reset_index(drop=True)


def _naive(stamps: pd.Series) -> pd.Series:
    """Release timestamps as naive UTC days, so they compare with numpy datetimes."""
    stamps = pd.to_datetime(stamps, utc=True)
    return stamps.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
