"""The rules under each verdict, one function at a time, against numbers worked out another way
(statsmodels GLS, hand-made series): the slope test's candidates, the AR(1) likelihood, steps,
spikes, the verdict row's words and edges.

The verdict through production is tests/test_trends.py and tests/test_verdict_wiring.py; how
often it is right on simulated series is tests/test_trend_validity.py.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from warehouse.analysis import ar1_gls, level_shifts, slope_test


def ar1_corr(t: np.ndarray, phi: float) -> np.ndarray:
    return phi ** np.abs(t[:, None] - t[None, :]) if phi else np.eye(len(t))


def test_the_previous_rules_p_is_the_largest_gls_p_up_to_and_at_phis_upper_limit():
    """bench/validity.py's "previous rule" row (issue 15): the largest GLS t-test p over every
    φ from the REML φ̂ up to φ's one-sided 95% limit, the limit included. Here p grows with φ,
    so it is the p at the limit itself (statsmodels GLS), far above the plug-in p at φ̂."""
    rng = np.random.default_rng(5)
    t = np.arange(24.0)
    y = 0.08 * t + rng.normal(size=24)
    x, contrast = slope_test.design(t)
    fits = ar1_gls.profile(t, y, x, contrast)
    best = int(np.argmax(fits["loglik"]))
    upper = ar1_gls.upper_limit(fits["loglik"], best, 0.95)
    assert upper > best + 2  # the limit is well above φ̂: it matters which φ are searched
    p = [sm.GLS(y, x, sigma=ar1_corr(t, phi)).fit().pvalues[1]
         for phi in ar1_gls.PHI_GRID[best:upper + 1]]
    assert int(np.argmax(p)) == len(p) - 1
    assert slope_test.worst_case(t, y) == pytest.approx(p[-1], rel=1e-6)
    assert slope_test.plug_in(t, y) == pytest.approx(p[0], rel=1e-6)
    assert p[0] < 0.1 < p[-1]


def test_the_headline_slope_is_the_windows_own_line_in_one_gls_over_the_stretch():
    """The last 12 months' slope (the headline) is the slope of their own line, the window's
    first month included, in one GLS with the months before it: statsmodels GLS at the φ the
    row reports, on a design written out by hand, gives the same slope."""
    rng = np.random.default_rng(9)
    t = np.r_[np.arange(20.0), np.arange(21.0, 36.0)]  # one month without data
    noise = ar1_gls.ar1_paths(rng.standard_normal((1, len(t))), t, 0.6)[0]
    y = 0.05 * t + 0.3 * (t >= 23) * (t - 23) + noise
    window = 23.0
    found = slope_test.test(t, y, window=window)
    years = (t - t.mean()) / 12
    inside = (t >= window).astype(float)
    x = np.c_[np.ones(len(t)), years, inside, inside * (years - years[t == window][0])]
    assert found["phi"] > 0.3
    fit = sm.GLS(y, x, sigma=ar1_corr(t, found["phi"])).fit()
    # the window's slope: the stretch's slope plus the window's own change of slope
    assert found["slope_per_year"] == pytest.approx(fit.params[1] + fit.params[3], rel=1e-6)


def test_a_candidate_steps_size_t_and_likelihood_are_those_of_the_full_gls():
    """`level_shifts.step_fits` takes shortcuts (Frisch–Waugh, a split log-determinant) to
    judge every month as a step at every φ; each number equals the plain GLS of the gap on
    (1, time, step) with AR(1) errors (`ar1_gls.profile`, itself checked against
    statsmodels): the step's size, its t, and the REML likelihood that picks φ."""
    rng = np.random.default_rng(3)
    t = np.r_[np.arange(10.0), np.arange(11.0, 24.0)]
    y = 0.8 * (t >= 12) + ar1_gls.ar1_paths(rng.standard_normal((1, len(t))), t, 0.5)[0]
    phis = np.array([0.0, 0.3, 0.6, 0.9])
    fits = level_shifts.step_fits(t, y, phis)
    cuts = range(level_shifts.MIN_SIDE, len(t) - level_shifts.MIN_SIDE + 1)
    assert fits["t"].shape == (len(phis), len(cuts))
    for j, cut in enumerate(cuts):
        x = np.c_[np.ones(len(t)), (t - t.mean()) / 12, np.arange(len(t)) >= cut]
        full = ar1_gls.profile(t, y, x, np.array([0.0, 0.0, 1.0]), phis)
        np.testing.assert_allclose(fits["size"][:, j], full["estimate"], rtol=1e-8)
        np.testing.assert_allclose(fits["t"][:, j], full["estimate"] / full["se"], rtol=1e-8)
        np.testing.assert_allclose(fits["loglik"][:, j], full["loglik"], rtol=1e-8)
