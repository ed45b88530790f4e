"""A spike is left out, a move is not: one reading far off the line does not flip a verdict, and
the newest month far off is named as a spike unless the month before starts the move."""

import numpy as np
import pytest
from scipy import stats
from test_trends import DATES, call

from bench import validity


def ar1(seed: int, n: int = 36, phi: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return validity.ar1_noise(rng, np.arange(n) * validity.DAYS_PER_MONTH, phi) / validity.SIGMA


def clear_series(expected: str, rise: np.ndarray) -> np.ndarray:
    """The first seed whose verdict is far from the threshold (p < 0.001, or p > 0.5).

    Only a series near the threshold can flip whatever the test; the claim is about the rest.
    """
    for seed in range(1000, 1100):
        x = 3 * (ar1(seed) + rise)  # sd 3 ECI points, so the guard (3) is one sd
        row = call(x)
        if row["verdict"] == expected and (row["p_value"] < 0.001 or row["p_value"] > 0.5):
            return x
    raise AssertionError("no clear series found")


@pytest.mark.parametrize("expected, rise", [("widening", 4 * np.linspace(0, 1, 36)),
                                            ("no clear change", np.zeros(36))])
def test_one_5_sigma_outlier_anywhere_does_not_flip_a_clear_verdict(expected, rise):
    """An outlier is a point pushed 5σ further from the series' trend line (away from it;
    pushing a high point down lands it inside the data, which is a different series, not an
    outlier). The month is left out and said so in the note."""
    base = clear_series(expected, rise)
    sen = stats.theilslopes(base, np.arange(36.0))
    away = np.sign(base - (sen.intercept + sen.slope * np.arange(36.0)))
    for at in range(36):
        spiked = base.copy()
        spiked[at] += away[at] * 5 * 3
        row = call(spiked)
        assert row["verdict"] == expected, f"outlier at point {at} flipped {expected}"
        assert f"{DATES[at]:%Y-%m}" in row["note"]


@pytest.mark.parametrize("before, dropped", [(0.5, "2024-12"), (-2.5, "2024-12"), (2.5, None)])
def test_a_last_month_far_off_is_left_out_unless_the_month_before_starts_the_move(before, dropped):
    """The newest month 8 points (about 8 sds) above the line of a 24-month series: a spike,
    left out and named, when the month before sits near the line or off it the other way; kept
    when the month before is already well above it the same way (a move starting, which is
    what a verdict is about)."""
    t = np.arange(24.0)
    base = 0.2 * t + np.random.default_rng(12).normal(0, 1, 24)
    line = stats.theilslopes(base, t)
    y = base.copy()
    y[-2:] = line.intercept + line.slope * t[-2:] + np.array([before, 8.0])
    assert call(y, DATES[:24])["dropped_months"] == dropped


@pytest.mark.slow  # 400 verdicts
def test_a_5_sigma_spike_at_a_random_point_rarely_changes_a_verdict():
    rng = np.random.default_rng(7)
    changed, false_widening = [], []
    for seed in range(100):
        at, sign = rng.integers(36), rng.choice([-1, 1])
        for rise in (np.zeros(36), 2 * np.linspace(0, 1, 36)):
            x = 3 * (ar1(seed) + rise)
            spiked = x.copy()
            spiked[at] += sign * 15
            after = call(spiked)["verdict"]
            changed.append(call(x)["verdict"] != after)
            false_widening.append(not rise.any() and after == "widening")
    print(f"\n5σ spike at a random point: verdict changed in {np.mean(changed):.1%} of 200 series, "
          f"false widening {np.sum(false_widening)} of 100")
    assert np.mean(changed) <= 0.10 and np.sum(false_widening) <= 6
