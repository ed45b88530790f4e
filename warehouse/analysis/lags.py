"""Record-match lag (the second measure; the headline is Epoch's level-averaged lag in
`frontier_lag`): for each record the leader group set, the months until the follower group
matched it (release-dated scores). A record is the longest wait in its step, so this reads
about twice the level-averaged lag on the same data.

The levels are the leader's records: each release date on which the leader's best score rose,
at its new best, from the higher of the two groups' first values on (below it the data do not
say when the follower got there). A record counts once however far it jumps, so the number of
levels is the number of leader events, not a grid density we chose.

Two rules say when the follower has matched a record (both are stored and printed):

* threshold (`tolerance_points` = 0): a follower model scores at least the record;
* near tie within a tolerance (default 1 point): a follower model scores within
  `tolerance` of the record. Not Epoch's rule, which is "not significantly better" and needs
  score uncertainties the bundled ECI export does not carry.

Records the follower has not matched by the last release date in the data are *censored*, not
dropped: their lag is at least (last date - the record's date). Dropping them would keep only
the records the follower was quick to match and bias the median down. The summary row's median
is the Kaplan-Meier median over the records (`scipy.stats.ecdf` on `scipy.stats.CensoredData`),
with the 95% interval read off the curve's log-log pointwise band (the way R's `survfit` reads
a median's interval). When fewer than half of the records are matched with certainty the median
is censored too: the row says so and its lag is a lower bound ("at least N months").

The summary row also carries a *sensitivity* interval: the same censored median recomputed over
bootstrap resamples of models within each group (`scipy.stats.bootstrap`, percentile). It says
how much the median moves when the set of models that happen to exist changes; it is not a
sampling confidence interval.
"""

import warnings

import numpy as np
import pandas as pd
from scipy import stats

LAG_COLUMNS = ["metric", "leader_group", "follower_group", "tolerance_points", "level",
               "lag_months", "censored", "ci_low", "ci_high", "sensitivity_low_months",
               "sensitivity_high_months", "leader_date", "follower_date", "is_summary", "source",
               "measure", "top_months_at_least", "n_events"]
RECORD_MATCH, LEVEL_AVERAGED = "record match", "level-averaged"
DAYS_PER_MONTH = 365.25 / 12
CATCH_UP_TOLERANCE = 1.0
N_RESAMPLES = 999
ORG_RESAMPLES = 199
MIN_RECORDS_FOR_INTERVAL = 5  # below it Greenwood's band is a formality ([5.6, 5.6] from 1)


def first_crossing(dates, values, levels) -> np.ndarray:
    """First date the running best reached each level (NaT where it never did)."""
    order = np.argsort(np.asarray(dates, dtype="datetime64[ns]"), kind="stable")
    days = np.asarray(dates, dtype="datetime64[ns]")[order]
    best = np.maximum.accumulate(np.asarray(values, dtype=float)[order])
    idx = np.searchsorted(best, np.asarray(levels, dtype=float), side="left")
    out = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[idx < len(days)] = days[idx[idx < len(days)]]
    return out


def record_levels(leader: pd.DataFrame, follower: pd.DataFrame) -> np.ndarray:
    """The leader's new bests, one per release date it set a record, from where both groups'
    observed frontiers have started (may be empty)."""
    if leader.empty or follower.empty:
        return np.array([])
    daily = leader.groupby("measured_at_utc")["value"].max().sort_index()
    best = daily.cummax()
    records = best[best > best.astype(float).shift(fill_value=-np.inf)].to_numpy(dtype=float)
    return records[records >= max(_first_best(leader), _first_best(follower))]


def _first_best(rows: pd.DataFrame) -> float:
    """The best value on the first release date: where the group's observed frontier starts."""
    first = rows["measured_at_utc"].min()
    return float(rows.loc[rows["measured_at_utc"] == first, "value"].max())


def months_between(later, earlier) -> np.ndarray:
    """Calendar gap in average months (365.25 / 12 days)."""
    delta = np.asarray(later, dtype="datetime64[ns]") - np.asarray(earlier, dtype="datetime64[ns]")
    return delta / np.timedelta64(1, "D") / DAYS_PER_MONTH


def level_lags(leader: tuple, follower: tuple, levels, end, tolerance: float = 0.0) -> pd.DataFrame:
    """Per level: both crossing dates, the lag, and whether it is censored at `end`.

    `leader` and `follower` are (dates, values) arrays. A level the leader never reached (in a
    bootstrap resample) has no lag and is left out; one the follower has not reached within
    `tolerance` is censored: lag_months is then the lower bound end - leader_date.
    """
    lead, follow, lag, censored = _crossings(leader, follower, levels, end, tolerance)
    return pd.DataFrame({"level": np.asarray(levels, dtype=float)[~np.isnat(lead)],
                         "leader_date": lead[~np.isnat(lead)],
                         "follower_date": follow[~np.isnat(lead)], "lag_months": lag,
                         "censored": censored})


def _crossings(leader, follower, levels, end, tolerance):
    """(leader dates, follower dates, lag, censored) as arrays; lag and censored only where
    the leader reached the level (runs once per bootstrap resample, so no DataFrame)."""
    lead = first_crossing(*leader, levels)
    follow = first_crossing(*follower, np.asarray(levels, dtype=float) - tolerance)
    reached = ~np.isnat(lead)
    censored = np.isnat(follow[reached])
    lag = months_between(np.where(censored, end, follow[reached]), lead[reached])
    return lead, follow, lag, censored


def censored_median(lag_months, censored) -> tuple[float, bool, float, float]:
    """(median, median_is_censored, ci_low, ci_high): Kaplan–Meier over levels (scipy).

    When the curve never falls to one half, the median is censored: the value returned is
    `lower_bound` and both interval ends are NaN. ci_high is NaN when the upper band never
    falls to one half: the data put no ceiling on the median.
    """
    curve = _survival(lag_months, censored)
    point = np.nan if curve is None else _first_at_or_below_half(curve.quantiles,
                                                                 curve.probabilities)
    if np.isnan(point):
        return lower_bound(lag_months), True, np.nan, np.nan
    if len(lag_months) < MIN_RECORDS_FOR_INTERVAL:
        return point, False, np.nan, np.nan
    with warnings.catch_warnings():  # the band is undefined where S = 0 or 1: NaN, handled
        warnings.simplefilter("ignore", RuntimeWarning)
        band = curve.confidence_interval(0.95, method="log-log")
    ends = [np.where(np.isnan(b.probabilities), curve.probabilities, b.probabilities)
            for b in (band.low, band.high)]  # undefined where S is 1 or 0: the band is S there
    return (point, False, _first_at_or_below_half(curve.quantiles, ends[0]),
            _first_at_or_below_half(curve.quantiles, ends[1]))


def _median_only(lag_months, censored) -> float:
    """The censored median (or its lower bound) without the band: the bootstrap's statistic."""
    curve = _survival(lag_months, censored)
    point = np.nan if curve is None else _first_at_or_below_half(curve.quantiles,
                                                                 curve.probabilities)
    return lower_bound(lag_months) if np.isnan(point) and len(lag_months) else point


def lower_bound(lag_months) -> float:
    """The median with each censored level counted at its bound: every true lag is at least
    its bound, so the true median is at least this, whatever the censored levels turn out to be
    (no Kaplan–Meier assumption needed)."""
    return float(np.median(np.asarray(lag_months, dtype=float)))


def _survival(lag_months, censored):
    lag_months, censored = np.asarray(lag_months, dtype=float), np.asarray(censored, dtype=bool)
    if not (~censored).any():
        return None
    return stats.ecdf(stats.CensoredData(uncensored=lag_months[~censored],
                                         right=lag_months[censored])).sf


def _first_at_or_below_half(times, survival) -> float:
    below = np.flatnonzero(np.nan_to_num(survival, nan=1.0) <= 0.5)
    return float(times[below[0]]) if len(below) else np.nan


def sensitivity_interval(leader: pd.DataFrame, follower: pd.DataFrame, levels, end,
                         tolerance: float = 0.0, seed: int = 0,
                         n_resamples: int = N_RESAMPLES) -> tuple[float, float]:
    """How much the censored median moves when models are resampled within each group
    (95% percentile bootstrap): a sensitivity interval, not a confidence interval."""
    lead, follow = _arrays(leader), _arrays(follower)

    def statistic(i, j):
        *_, lag, censored = _crossings((lead[0][i], lead[1][i]), (follow[0][j], follow[1][j]),
                                       levels, end, tolerance)
        return _median_only(lag, censored)

    data = (np.arange(len(leader)), np.arange(len(follower)))
    with warnings.catch_warnings():  # NaN when a resample has no record: stored as NULL
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(data, statistic, n_resamples=n_resamples, vectorized=False,
                              method="percentile", rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _arrays(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return (rows["measured_at_utc"].to_numpy(dtype="datetime64[ns]"),
            rows["value"].to_numpy(dtype=float))


def group_lags(scores: pd.DataFrame, group: pd.Series, leader: str, follower: str,
               tolerances=(0.0, CATCH_UP_TOLERANCE), seed: int = 0,
               n_resamples: int = N_RESAMPLES) -> pd.DataFrame:
    """Level rows plus one summary row per tolerance, `follower` behind `leader` (LAG_COLUMNS).

    `scores` needs: measured_at_utc (release date), value, pack, source; `group` aligns with it.
    """
    scores = _ordered(scores.assign(measured_at_utc=_naive(scores["measured_at_utc"]),
                                    group=np.asarray(group)))
    lead, follow = (scores[scores["group"] == g].reset_index(drop=True) for g in (leader, follower))
    parts = [_lag_rows(lead, follow, scores, leader, follower, t, seed, n_resamples)
             for t in tolerances]
    return _concat(parts)


def _lag_rows(lead, follow, scores, leader, follower, tolerance, seed, n_resamples):
    levels = record_levels(lead, follow)
    if len(levels) == 0 or len(lead) < 2 or len(follow) < 2:
        return pd.DataFrame(columns=LAG_COLUMNS)
    end = scores["measured_at_utc"].max().to_datetime64()
    rows = level_lags(_arrays(lead), _arrays(follow), levels, end, tolerance)
    point, point_censored, low, high = censored_median(rows["lag_months"], rows["censored"])
    sens_low, sens_high = sensitivity_interval(lead, follow, levels, end, tolerance, seed,
                                               n_resamples)
    summary = pd.DataFrame([{"lag_months": point, "censored": point_censored, "ci_low": low,
                             "ci_high": high, "sensitivity_low_months": sens_low,
                             "sensitivity_high_months": sens_high, "is_summary": True}])
    out = pd.concat([rows.assign(is_summary=False), summary], ignore_index=True)
    return out.assign(metric=scores["pack"].iloc[0], source=scores["source"].iloc[0],
                      leader_group=leader, follower_group=follower, measure=RECORD_MATCH,
                      tolerance_points=float(tolerance)).reindex(columns=LAG_COLUMNS)


def organisation_lags(scores: pd.DataFrame, organisation: pd.Series, min_models: int = 3,
                      seed: int = 0, n_resamples: int = ORG_RESAMPLES) -> pd.DataFrame:
    """For each organisation with `min_models` models: how far behind the overall frontier
    (threshold rule only, and fewer resamples: a dozen organisations at 999 each would add half
    a minute to every import for a secondary table).

    The leader is every model (the overall frontier, stored as leader group `frontier`), so an
    organisation that set a record shows a lag of 0 there; one that stopped releasing is
    censored at every record set since.
    """
    scores = _ordered(scores.assign(measured_at_utc=_naive(scores["measured_at_utc"]),
                                    org=np.asarray(organisation)).dropna(subset=["org"]))
    counts = scores["org"].value_counts()
    return _concat([_lag_rows(scores.reset_index(drop=True),
                              scores[scores["org"] == org].reset_index(drop=True),
                              scores, "frontier", org, 0.0, seed, n_resamples)
                    for org in sorted(counts[counts >= min_models].index)])


def lag_series(lags: pd.DataFrame) -> pd.DataFrame:
    """Threshold-rule lags as a gap series for the lag's trend test: one point per catch-up.

    A catch-up is one follower release matching one or more leader records; it is one point
    (at the follower's release date: how many months earlier the leader had reached the
    highest record that release matched), not one point per record, which would let one
    release count several times in a row and manufacture a trend. Censored records have no
    value yet and are left out. A shrinking lag (the follower catches up sooner) is `narrowing`.
    """
    rows = lags[~lags["is_summary"].astype(bool) & (lags["tolerance_points"] == 0)
                & (lags["measure"].fillna(RECORD_MATCH) == RECORD_MATCH)
                & ~lags["censored"].astype(bool)].dropna(subset=["lag_months"])
    keys = ["metric", "leader_group", "follower_group", "follower_date"]
    rows = rows.sort_values(keys + ["level"]).groupby(keys, as_index=False).last()
    return pd.DataFrame({"metric": rows["metric"], "gap_kind": "lag_months",
                         "group_a": rows["leader_group"], "group_b": rows["follower_group"],
                         "bucket_start": rows["follower_date"], "value": rows["lag_months"],
                         "leader_value": rows["level"], "follower_value": rows["level"],
                         "n_models": np.nan, "source": rows["source"]})


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LAG_COLUMNS)


def _ordered(scores: pd.DataFrame) -> pd.DataFrame:
    """A fixed row order, so the same data give the same bootstrap draws whatever SQL returned."""
    keys = [c for c in ("measured_at_utc", "value", "model_id") if c in scores]
    return scores.sort_values(keys, kind="stable").reset_index(drop=True)


def _naive(stamps: pd.Series) -> pd.Series:
    """Release timestamps as naive UTC days, so they compare with numpy datetimes."""
    stamps = pd.to_datetime(stamps, utc=True)
    return stamps.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
