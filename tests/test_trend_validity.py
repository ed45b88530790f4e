"""The trend verdict is valid on synthetic gaps like the real ones, two-sided, finds real
changes, and fits a step the data show with the trend instead of cutting the series.

The simulation is `bench/validity.py` (its docstring describes the series): every series goes
through `trends.verdict` with the steps `level_shifts.steps` finds, as production does.
`pytest -s` prints the rates. False calls ≤ 6.5% (≤ 8% at φ = 0.9) in every cell; power for a
2σ rise ≥ 75% of an oracle GLS that knows φ where asserted below (n = 88, φ = 0.3 and n = 36,
φ = 0). `python -m bench.validity` prints the whole table, power in every cell included.
"""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from bench import validity
from warehouse.analysis import level_shifts, slope_test, trends

SEEDS = 500


def limit(phi: float) -> float:
    """5% nominal plus Monte Carlo error at 500 seeds; 8% at φ = 0.9 (issue 24)."""
    return 0.08 if phi >= 0.9 else 0.065


def false_calls(layout: str, n: int, phi: float, seeds: int = SEEDS) -> float:
    rate = validity.run_cell(layout, n, phi, seeds)["false_calls"]
    print(f"\n{layout} n={n} φ={phi}: {rate:.1%} widening or narrowing without a trend "
          f"({seeds} seeds)")
    return rate


def test_two_sided_false_calls_stay_within_the_bar_at_three_years_phi_0_8():
    """The plug-in GLS (φ̂ trusted) calls about 11% here; the old Mann–Kendall rule 45%."""
    assert false_calls("monthly", 36, 0.8, seeds=300) <= limit(0.8)


@pytest.fixture(scope="module")
def every_cell() -> dict:
    """Every cell's false-call rate, the cells spread over the machine's cores (they share
    nothing): CI has two cores and runs tests one at a time, so this halves 3 minutes."""
    cores = len(os.sched_getaffinity(0))
    with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {cell: pool.submit(validity.run_cell, *cell, SEEDS) for cell in validity.CELLS}
        return {cell: future.result()["false_calls"] for cell, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("layout, n, phi", validity.CELLS)
def test_two_sided_false_calls_in_every_cell(layout, n, phi, every_cell):
    rate = every_cell[(layout, n, phi)]
    print(f"\n{layout} n={n} φ={phi}: {rate:.1%} widening or narrowing without a trend ({SEEDS} seeds)")
    assert rate <= limit(phi)


def rates(test, n: int, phi: float, seeds: int) -> tuple[float, float, float]:
    """(false calls, power for a 2σ rise, oracle power) of a p-value function of monthly
    points, on the bench's series (no steps: the candidates are compared on the test alone)."""
    null, found, oracle = [], [], []
    for seed in range(seeds):
        rng = np.random.default_rng([seed, n, int(phi * 100), 0])
        days = validity.observation_days(rng, "monthly", n)
        noise = validity.ar1_noise(rng, days, phi)
        for values, out in ((noise, null), (noise + validity.rise(days), found)):
            t, y, _ = trends.monthly(validity.START + days, values)
            out.append(test(t, y))
        oracle.append(validity.oracle_rejects(days, noise + validity.rise(days), phi))
    return (np.mean(np.array(null) < 0.05), np.mean(np.array(found) < 0.05), np.mean(oracle))


CHOSEN = lambda t, y: slope_test.test(t, y)["p_value"]  # noqa: E731


@pytest.mark.slow  # 1,200 series and their bootstraps
def test_power_on_short_memory_data_reaches_three_quarters_of_the_oracle():
    """n = 88, φ = 0.3 and n = 36, φ = 0: the chosen test finds a 2σ rise at least 75% as often
    as a GLS that knows φ and σ, and keeps its size."""
    for n, phi in ((88, 0.3), (36, 0.0)):
        size, power, oracle = rates(CHOSEN, n, phi, 300)
        print(f"\nchosen n={n} φ={phi}: false calls {size:.1%}, power {power:.1%}, oracle {oracle:.1%}")
        assert size <= limit(phi) and power >= 0.75 * oracle


@pytest.mark.slow  # the check above can fail: the previous rule (issue 15) does
def test_the_previous_rule_fails_the_power_bar():
    """The worst case up to φ's one-sided 95% limit found 61% against the oracle's 94%
    (n = 36, φ = 0); at n = 88, φ = 0.6 its power is about half the oracle's."""
    size, power, oracle = rates(lambda t, y: slope_test.worst_case(t, y, 0.95), 88, 0.6, 200)
    print(f"\nprevious rule n=88 φ=0.6: false calls {size:.1%}, power {power:.1%}, oracle {oracle:.1%}")
    assert power < 0.75 * oracle


@pytest.mark.slow  # the size check can fail: a plug-in φ test does
def test_a_plug_in_phi_test_fails_the_size_bar():
    """GLS at the REML φ̂ alone (nothing for φ's uncertainty) calls about 18% of trend-free
    series at n = 36, φ = 0.9, where the chosen test stays within 8%."""
    size, _, _ = rates(lambda t, y: slope_test.plug_in(t, y), 36, 0.9, 300)
    print(f"\nplug-in n=36 φ=0.9: false calls {size:.1%}")
    assert size > limit(0.9)


def step_calls(layout: str, n: int, phi: float, seeds: int = 200) -> float:
    rate = validity.run_cell(layout, n, phi, seeds, step_seeds=seeds)["step_calls"]
    print(f"\n{layout} n={n} φ={phi}: {rate:.1%} widening or narrowing with a "
          f"{validity.STEP_SDS:g}σ level shift and no trend ({seeds} seeds)")
    return rate


@pytest.mark.slow  # 400 series per cell
@pytest.mark.parametrize("layout, n, phi", [("monthly", 88, 0.0), ("monthly", 36, 0.8)])
def test_a_level_shift_without_a_trend_is_not_called_a_trend(layout, n, phi):
    """A 6σ step in the middle half, no trend: fitted with the trend, it is not read as one
    (a trend test without the step called 30% at n = 88, φ = 0)."""
    assert step_calls(layout, n, phi) <= limit(phi)


@pytest.mark.slow  # checks the slow check above can fail
def test_the_step_check_fails_when_steps_are_not_fitted(monkeypatch):
    monkeypatch.setattr(level_shifts, "SHIFT_T", np.inf)
    assert step_calls("monthly", 88, 0.0, seeds=100) > 2 * limit(0.0)


@pytest.mark.slow  # 300 running-best series, their alternatives and the release-level oracle
def test_running_best_gaps_without_a_trend_are_rarely_called():
    """The real generating process (bench/running_best.py): two groups' running bests with
    equal slopes. A frontier gap jumps at each record and erodes after it; with the largest
    jump fitted as a step and nothing more, 8.4% of these trend-free gaps were called at 36
    months (issue 24's first pass); a call now also needs the trend through the step."""
    from bench import running_best
    row = running_best.cell(36, 300, breaks=False)
    print(f"\nrunning best, 36 months: false calls {row['false_calls']:.1%}, power "
          f"{row['power']:.1%}, oracle {row['oracle_power']:.1%}")
    assert row["false_calls"] <= limit(0.0)
