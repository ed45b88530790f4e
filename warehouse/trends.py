"""Is a gap series widening? One verdict per series, with slope, interval and p-value.

The rule, applied to one series (points in time order, one per bucket):

* fewer than `MIN_POINTS` (8) points: `not enough data` (no test is run);
* slope: Theil–Sen (`scipy.stats.theilslopes`) against time in years, so irregular snapshots
  (Arena) are placed where they happened; its 95% interval is Sen's, which assumes independent
  points and is therefore too narrow on autocorrelated series;
* p-value: Mann–Kendall with trend-free pre-whitening (Yue et al. 2002,
  `pymannkendall.trend_free_pre_whitening_modification_test`), which removes lag-1
  autocorrelation after taking the Sen trend out; Benjamini–Hochberg
  (`scipy.stats.false_discovery_control`) across every verdict computed together;
* `widening` only when the adjusted p is below `ALPHA` (0.05) AND the slope interval lies above 0;
  `narrowing` when the adjusted p is below `ALPHA` AND the interval lies below 0; else
  `no clear change`. Requiring both guards against each one's blind spot: the corrected test's
  p-value alone, and an interval that ignores autocorrelation.

Sign convention: a gap is positive when group_a (the leader) is ahead, so `widening` means
group_a's advantage grows. When the sign flips within the series the groups crossed, and the
verdict row says so (`crossed`, `note`).

Validity (tests/test_trends.py: seeds 0-599, 36 monthly points, Gaussian AR(1) noise with
coefficient 0.3 and stationary sd σ): a series with no trend is called `widening` in 5.3% of
seeds and `narrowing` in 5.7%; a rise of 2σ over the 36 points is called `widening` in 83.2%;
one 5σ outlier at a random point leaves 93.5% of verdicts unchanged and never flips a clear one.
On 4,000 further series the rates were 5.3%, 5.7% and 82.0%, so the margins to the 6% and 80%
targets are real but thin (a block of 500 seeds lands between 3% and 7%).

Why this variant (simulated on the same set-up): at n = 36, Hamed–Rao under-corrects (15% false
alarms of either direction, 11% with the interval rule, for no more power), Yue–Wang over all
lags fails outright (48%), and Yue–Wang with lag 1 (75-78%) and plain pre-whitening (40%) lose
too much power. The targets hold only if a false alarm is
counted per direction (a false `widening`). No test can keep false verdicts of *either*
direction at or below 6% and still find 80%: even an oracle (GLS slope, known AR coefficient and
σ) finds a 2σ rise only 79.6% of the time at a 6% two-sided level, and the test computes that
bound.
"""

import warnings

import numpy as np
import pandas as pd
import pymannkendall as mk
from scipy import stats

ALPHA = 0.05
MIN_POINTS = 8
DAYS_PER_YEAR = 365.25
SERIES_KEY = ["metric", "gap_kind", "group_a", "group_b", "source"]
VERDICT_COLUMNS = ["metric", "gap_kind", "group_a", "group_b", "verdict", "slope_per_year",
                   "ci_low", "ci_high", "p_value", "p_adjusted", "n_points", "period_start",
                   "period_end", "source", "crossed", "note", "unit"]


def trend(dates, values, alpha: float = ALPHA) -> dict:
    """Theil–Sen slope per year with its interval, and the corrected Mann–Kendall p-value."""
    days = np.asarray(pd.to_datetime(np.asarray(dates)), dtype="datetime64[ns]")
    y = np.asarray(values, dtype=float)
    out = {"n_points": len(y), "slope_per_year": np.nan, "ci_low": np.nan, "ci_high": np.nan,
           "p_value": np.nan, "period_start": pd.Timestamp(days.min()) if len(y) else pd.NaT,
           "period_end": pd.Timestamp(days.max()) if len(y) else pd.NaT}
    if len(y) < MIN_POINTS:
        return out
    if len(np.unique(days)) < 2:  # no time span: no slope to estimate
        return out
    years = (days - days.min()) / np.timedelta64(1, "D") / DAYS_PER_YEAR
    sen = stats.theilslopes(y, years, alpha=1 - alpha)
    return out | {"slope_per_year": sen.slope, "ci_low": sen.low_slope,
                  "ci_high": sen.high_slope, "p_value": mann_kendall_p(y)}


def mann_kendall_p(y: np.ndarray) -> float:
    """Two-sided p of the TFPW Mann–Kendall test; a flat series is no evidence of a trend."""
    if np.ptp(y) == 0:
        return 1.0
    residual = y - mk.sens_slope(y).slope * np.arange(len(y))
    if np.ptp(residual) == 0:  # an exact straight line leaves nothing to whiten
        return float(mk.original_test(y).p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(mk.trend_free_pre_whitening_modification_test(y).p)


def classify(n_points: int, p_adjusted: float, ci_low: float, ci_high: float,
             alpha: float = ALPHA) -> str:
    """The verdict word; both the adjusted p and the slope interval must agree."""
    if n_points < MIN_POINTS:
        return "not enough data"
    if p_adjusted < alpha and ci_low > 0:
        return "widening"
    if p_adjusted < alpha and ci_high < 0:
        return "narrowing"
    return "no clear change"


def crossing(dates, values, group_a: str, group_b: str) -> tuple[bool, str | None]:
    """(crossed, note): whether the leader changed within the series, said in words."""
    days = pd.to_datetime(pd.Series(dates)).reset_index(drop=True)
    sign = np.sign(np.asarray(values, dtype=float))
    behind = np.flatnonzero(sign < 0)
    if not len(behind):
        return False, None
    if len(behind) == int((sign != 0).sum()):
        return False, (f"{group_b} ahead throughout: `widening` here means {group_a} "
                       f"gains on {group_b}")
    ahead_now = group_a if sign[np.flatnonzero(sign)[-1]] > 0 else group_b
    return True, (f"groups crossed: {group_b} ahead in {len(behind)} of {len(sign)} points "
                  f"({days[behind[0]]:%Y-%m-%d} to {days[behind[-1]]:%Y-%m-%d}); "
                  f"{ahead_now} ahead at the end")


def verdict(series: pd.DataFrame, alpha: float = ALPHA, unit: str = "") -> dict:
    """One series (rows of one SERIES_KEY, `bucket_start` and `value`) to one verdict row.

    `p_adjusted` equals `p_value` here; `adjust` corrects it across many verdicts.
    """
    series = series.dropna(subset=["value"]).sort_values("bucket_start", kind="stable")
    first = series.iloc[0] if len(series) else pd.Series(dtype=object)
    row = {k: first.get(k) for k in SERIES_KEY}
    row |= trend(series["bucket_start"], series["value"], alpha)
    row["crossed"], row["note"] = crossing(series["bucket_start"], series["value"],
                                           str(row["group_a"]), str(row["group_b"]))
    row |= {"p_adjusted": row["p_value"], "unit": unit}
    row["verdict"] = classify(row["n_points"], row["p_adjusted"], row["ci_low"], row["ci_high"],
                              alpha)
    return row


def verdicts(series: pd.DataFrame, units: dict | None = None,
             alpha: float = ALPHA) -> pd.DataFrame:
    """A verdict per series in a gap table (GAP_COLUMNS), adjusted together with BH."""
    units = units or {}
    rows = [verdict(group, alpha, units.get((key[0], key[1]), ""))
            for key, group in series.groupby(SERIES_KEY, sort=True, dropna=False)]
    return adjust(pd.DataFrame(rows, columns=VERDICT_COLUMNS), alpha)


def adjust(table: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Benjamini–Hochberg over every tested verdict, then re-apply the rule.

    Why here: a table of dozens of series would otherwise show a few `widening`s by chance.
    """
    table = table.copy()
    tested = table["p_value"].notna().to_numpy()
    p_adj = np.full(len(table), np.nan)
    if tested.any():
        p_adj[tested] = stats.false_discovery_control(table.loc[tested, "p_value"].to_numpy())
    table["p_adjusted"] = p_adj
    table["verdict"] = [classify(r.n_points, r.p_adjusted, r.ci_low, r.ci_high, alpha)
                        for r in table.itertuples()]
    return table[VERDICT_COLUMNS]
