"""The slope test behind every verdict: GLS with AR(1) errors, a fitted step where the data
show one, and a parametric bootstrap that calibrates the t statistic. Pure; see `trends` for
the verdict built on it and the validity table that chose it.

One GLS per stretch between recorded breaks (`ar1_gls`), on monthly points t (months):

    y = a + b·years + Σ c_j·[t ≥ step_j] (+ d + e·(years - years_w))·[t ≥ window]  + AR(1) errors

* **Steps** the data show with no recorded cause (`level_shifts.find`) are columns of the same
  GLS, so the trend is the slope within the levels and the verdict covers the whole span.
* **The headline** (last 12 months) is the slope b + e of its own line in the same fit: the
  noise model (φ, σ) comes from every month of the stretch, not from 13 points.
* **The p-value**: t = estimate / se at the REML φ̂; its null distribution is simulated
  (`ar1_gls.null_quantiles`: `N_DRAWS` AR(1) series with φ re-estimated in each, as on the
  data) at φ_U, the one-sided `upper_level(n)` profile-likelihood upper limit of φ. The 95% and
  90% quantiles of |t*| make the intervals (estimate ± q·se); the p-value is the t tail scaled
  so that it is exactly 0.05 at the bootstrap's 95% quantile (a smooth p, so BH across a
  hundred series can resolve p below 1/N_DRAWS).
"""

import numpy as np
from scipy import stats

from warehouse.analysis import ar1_gls

LEVEL_SHORT, LEVEL_LONG = 0.95, 0.80  # φ_U's one-sided level at 8 months and from 28 months
SHORT_MONTHS, LONG_MONTHS = 8, 28


def upper_level(n_months: int) -> float:
    """The confidence level of φ_U: 0.95 at 8 months falling linearly to 0.80 at 28 and beyond.

    Why it depends on length: below two years φ̂ says little about φ (true 0.9 reads ≈ 0.6 at
    13 months), so a bootstrap at a modest upper limit still calibrates at too small a φ and
    calls 9-15% of trend-free series; at 22 months (two years with gaps) it still called 8% at
    φ = 0.8 (bench, 500 seeds); from 28 months on the 80% limit holds false calls near 5% at
    φ = 0.8-0.9 (table in `trends`)."""
    frac = np.clip((n_months - SHORT_MONTHS) / (LONG_MONTHS - SHORT_MONTHS), 0, 1)
    return float(LEVEL_SHORT + frac * (LEVEL_LONG - LEVEL_SHORT))


def design(t: np.ndarray, steps=(), window: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, contrast): intercept, years (centred), one column per step month, and for a window
    its own intercept and slope; the contrast picks the slope tested (the window's if any)."""
    years = (t - t.mean()) / 12
    separate = _separate(t, window)
    steps = fitted_steps(t, steps, window)
    columns = [np.ones(len(t)), years] + [(t >= s).astype(float) for s in steps]
    contrast = [0.0, 1.0] + [0.0] * len(steps)
    if separate:
        inside = (t >= window).astype(float)
        columns += [inside, inside * (years - years[t >= window][0])]
        contrast += [0.0, 1.0]
    return np.column_stack(columns), np.asarray(contrast)


def _separate(t: np.ndarray, window: float | None) -> bool:
    """Whether the window gets its own line (at least two months before it)."""
    return window is not None and (t < window).sum() >= 2


def fitted_steps(t: np.ndarray, steps, window: float | None = None) -> list:
    """The steps that get a column: a step at the window's first month is its intercept."""
    if not _separate(t, window):
        return list(steps)
    return [s for s in steps if s != t[t >= window][0]]


def test(t: np.ndarray, y: np.ndarray, steps=(), window: float | None = None,
         alpha: float = 0.05, level: float | None = None) -> dict:
    """The slope (per year) of the series, or of its window, with its bootstrap-calibrated
    p-value and 95% interval, the 90% interval (for `stable`), φ̂ and the φ tested."""
    x, contrast = design(t, steps, window)
    fits = ar1_gls.profile(t, y, x, contrast)
    best = int(np.argmax(fits["loglik"]))
    tested = ar1_gls.upper_limit(fits["loglik"], best, level or upper_level(len(t)))
    phi_tested = float(ar1_gls.PHI_GRID[tested])
    q95, q90 = ar1_gls.null_quantiles(t, x, contrast, phi_tested, (1 - alpha, 1 - 2 * alpha))
    estimate, se, df = float(fits["estimate"][best]), float(fits["se"][best]), fits["df"]
    scale = q95 / stats.t.isf(alpha / 2, df)
    p = 2 * stats.t.sf(abs(estimate / se) / scale, df) if se > 0 else float(estimate == 0)
    used = fitted_steps(t, steps, window)
    sizes = dict(zip(used, fits["beta"][best][2:2 + len(used)]))
    step_sizes = [sizes.get(s, np.nan) for s in steps]
    return {"slope_per_year": estimate, "ci_low": estimate - q95 * se,
            "ci_high": estimate + q95 * se, "eq_low": estimate - q90 * se,
            "eq_high": estimate + q90 * se, "p_value": float(p),
            "phi": float(ar1_gls.PHI_GRID[best]), "phi_upper": phi_tested,
            "sigma": float(fits["sigma"][best]), "step_sizes": [float(s) for s in step_sizes]}


def plug_in(t: np.ndarray, y: np.ndarray, steps=(), window: float | None = None) -> float:
    """The plug-in p-value (GLS t test at the REML φ̂, nothing for φ's uncertainty): the
    candidate the slow tests show to fail on size."""
    x, contrast = design(t, steps, window)
    fits = ar1_gls.profile(t, y, x, contrast)
    best = int(np.argmax(fits["loglik"]))
    return float(2 * stats.t.sf(abs(fits["estimate"][best] / fits["se"][best]), fits["df"]))


def worst_case(t: np.ndarray, y: np.ndarray, level: float = 0.95) -> float:
    """The previous rule's p-value (issue 15): the largest t-test p over φ from φ̂ to its
    one-sided `level` upper limit; the candidate the slow tests show to fail on power."""
    x, contrast = design(t)
    fits = ar1_gls.profile(t, y, x, contrast)
    best = int(np.argmax(fits["loglik"]))
    upper = ar1_gls.upper_limit(fits["loglik"], best, level)
    p = 2 * stats.t.sf(np.abs(fits["estimate"] / fits["se"]), fits["df"])
    return float(p[best:upper + 1].max())
