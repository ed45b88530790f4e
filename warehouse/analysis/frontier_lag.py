"""How many months behind, as Epoch AI measures it: the horizontal distance between two
frontiers, averaged over capability levels, and the same distance month by month. Pure.

A group's frontier is its running best by release date; d_g(ℓ) is the first date group g's
frontier reached level ℓ.

* **Level-averaged lag** (the headline; Epoch's October 2025 method): the mean of
  d_follower(ℓ) − d_leader(ℓ) over every level ℓ both frontiers reached, from where both were
  observed (the higher of the two groups' first values) to the follower's best. Levels above the
  follower's best are *censored*: the follower is "at least N months behind at the top", N being
  the months since the leader passed the follower's best; they are said apart, not averaged in.
  Interval: 95% percentile bootstrap over the follower's record releases. One release that
  matches many levels at once is one event (resampling levels would count it many times and
  make the interval too narrow). Catch-up is "scores at least the level": Epoch's own rule is
  "not significantly better", which needs score uncertainties the bundled ECI export lacks.
* **Lag over time** (Epoch's May 2026 daily series, here monthly): at each month's end, how many
  months ago the leader's frontier first passed the follower's best so far (0 when it has not:
  the follower is at the top). Its trend is a gap series like any other (`gap_kind`
  `lag_months`): "is the gap widening, in months?".
"""

import numpy as np
import pandas as pd

from warehouse.analysis.lags import DAYS_PER_MONTH

N_RESAMPLES = 2000
SEED = 20261203
MIN_EVENTS = 3  # fewer follower records than this: no interval


def frontier(dates, values) -> tuple[np.ndarray, np.ndarray]:
    """(record dates, record values): where the running best rose, one row per date."""
    frame = pd.DataFrame({"d": np.asarray(dates, dtype="datetime64[ns]"),
                          "v": np.asarray(values, dtype=float)}).groupby("d")["v"].max()
    best = frame.cummax()
    rose = best > best.shift(fill_value=-np.inf)
    return best.index[rose].to_numpy(), best[rose].to_numpy()


def first_reached(record_dates, record_values, levels) -> np.ndarray:
    """First date the frontier reached each level (NaT above its best)."""
    idx = np.searchsorted(record_values, np.asarray(levels, dtype=float), side="left")
    out = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = idx < len(record_values)
    out[ok] = record_dates[idx[ok]]
    return out


def months(later, earlier) -> np.ndarray:
    delta = np.asarray(later, dtype="datetime64[ns]") - np.asarray(earlier, dtype="datetime64[ns]")
    return delta / np.timedelta64(1, "D") / DAYS_PER_MONTH


def event_table(leader: tuple, follower: tuple) -> pd.DataFrame:
    """One row per follower record inside the comparable levels: the level range it newly
    reached (low, high], and the integral over that range of its distance (months) to the
    leader's frontier. Empty when the frontiers share no level."""
    lead, follow = frontier(*leader), frontier(*follower)
    low = max(lead[1][0], follow[1][0])
    high = min(lead[1][-1], follow[1][-1])
    rows = []
    below = np.r_[-np.inf, follow[1][:-1]]
    for day, top, bottom in zip(follow[0], follow[1], below):
        a, b = max(bottom, low), min(top, high)
        if b <= a:
            continue
        cuts = np.unique(np.r_[a, lead[1][(lead[1] > a) & (lead[1] < b)], b])
        widths = np.diff(cuts)
        reached = first_reached(*lead, cuts[1:])  # constant on each (cut_i, cut_i+1]
        rows.append({"low": a, "high": b, "integral": float((months(day, reached) * widths).sum())})
    return pd.DataFrame(rows, columns=["low", "high", "integral"])


def level_averaged(scores: pd.DataFrame, group: pd.Series, leader: str, follower: str,
                   n_resamples: int = N_RESAMPLES) -> dict | None:
    """The level-averaged lag of `follower` behind `leader` with its bootstrap interval and
    the censored top; None when the two frontiers share no level. `scores` needs
    measured_at_utc (release), value."""
    days = pd.to_datetime(scores["measured_at_utc"], utc=True).dt.tz_localize(None).dt.normalize()
    parts = {g: (days[np.asarray(group) == g].to_numpy(), scores["value"][np.asarray(group) == g]
                 .to_numpy(dtype=float)) for g in (leader, follower)}
    if any(len(p[0]) == 0 for p in parts.values()):
        return None
    events = event_table(parts[leader], parts[follower])
    if events.empty:
        return None
    width = (events["high"] - events["low"]).to_numpy()
    integral = events["integral"].to_numpy()
    mean = integral.sum() / width.sum()
    low = high = np.nan
    if len(events) >= MIN_EVENTS:
        pick = np.random.default_rng(SEED).integers(0, len(events), (n_resamples, len(events)))
        boot = integral[pick].sum(1) / width[pick].sum(1)
        low, high = np.quantile(boot, [0.025, 0.975])
    lead = frontier(*parts[leader])
    above = lead[1] > events["high"].max()
    end = days.max().to_datetime64()
    top = float(months(end, lead[0][above][0])) if above.any() else 0.0
    return {"lag_months": float(mean), "ci_low": float(low), "ci_high": float(high),
            "n_events": len(events), "level_low": float(events["low"].min()),
            "level_high": float(events["high"].max()), "top_months_at_least": top,
            "top_since": pd.Timestamp(lead[0][above][0]) if above.any() else pd.NaT,
            "last_release": pd.Timestamp(end)}


def over_time(scores: pd.DataFrame, group: pd.Series, leader: str, follower: str) -> pd.DataFrame:
    """Months behind at each month's end (GAP_COLUMNS, gap_kind `lag_months`), from the first
    month the follower's best reached the leader's first observed value (before it, the data do
    not say when the leader got there)."""
    columns = ["metric", "gap_kind", "group_a", "group_b", "bucket_start", "value",
               "leader_value", "follower_value", "n_models", "source"]
    g = np.asarray(group)
    days = pd.to_datetime(scores["measured_at_utc"], utc=True).dt.tz_localize(None).dt.normalize()
    if not ((g == leader).any() and (g == follower).any()):
        return pd.DataFrame(columns=columns)
    lead = frontier(days[g == leader].to_numpy(), scores["value"][g == leader])
    follow = frontier(days[g == follower].to_numpy(), scores["value"][g == follower])
    starts = pd.date_range(days.min().to_period("M").start_time, days.max(), freq="MS")
    ends = (starts + pd.offsets.MonthBegin(1)).to_numpy()
    best = lambda f: np.where((n := np.searchsorted(f[0], ends, side="left")) > 0,
                              f[1][np.maximum(n - 1, 0)], np.nan)
    lead_best, follow_best = best(lead), best(follow)
    passed = np.searchsorted(lead[1], follow_best, side="right")  # first leader record above
    passed_on = np.where(passed < len(lead[1]), lead[0][np.minimum(passed, len(lead[1]) - 1)],
                         np.datetime64("NaT"))
    behind = np.where(lead_best > follow_best, months(ends, passed_on), 0.0)
    keep = follow_best >= lead[1][0]
    out = pd.DataFrame({"bucket_start": starts[keep], "value": behind[keep],
                        "leader_value": lead_best[keep], "follower_value": follow_best[keep]})
    return out.assign(metric=scores["pack"].iloc[0], gap_kind="lag_months", group_a=leader,
                      group_b=follower, n_models=np.nan, source=scores["source"].iloc[0])[columns]
