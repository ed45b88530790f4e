"""Is the trend verdict valid? Two-sided false calls and power on simulated gaps like the real ones.

    python -m bench.validity                               # 500 seeds (200 for power) per cell
    python -m bench.validity --seeds 100 --power-seeds 50  # a quick look

Every series goes through `trends.verdicts` (monthly points, worst-case GLS AR(1), BH), one
series per call, as production would see it alone. Noise: Gaussian AR(1) in continuous time,
correlation φ^Δ between points Δ months apart (φ per month), stationary sd `SIGMA`; points on
the same day share one value (a tie). Layouts:

* `monthly`: ECI, prices and lags: one point a month on a random day of the month; 10% of
  steps are a tie (same date again), 10% skip a month;
* `snapshots`: Arena: a snapshot every 1-5 days (65%), 6-14 days (20%), 15-45 days (5%) or
  the same day again (10%): 88 points span ~16 months, several per month.

Columns: false calls (widening + narrowing) with the minimum effect set to 0, so validity
comes from the test alone; the same with the ECI guard (3 points, noise sd `SIGMA` ECI points,
re-classified by `trends.classify`); power for a rise of 2σ from the first to the last point,
with the guard at 0 and with it; an oracle GLS that knows φ and σ (z-test on the raw points,
5% two-sided) on the same rises; mean months with data and mean estimated φ.
"""

import argparse
import time

import numpy as np
import pandas as pd

from warehouse.analysis import level_shifts, trends, verdicts

PHIS = (0.0, 0.3, 0.6, 0.8, 0.9)
CELLS = ([("monthly", n, phi) for n in (12, 36, 88) for phi in PHIS]
         + [("snapshots", 88, phi) for phi in PHIS])
SIGMA = 2.0  # ECI points: the noise sd the guarded columns assume
STEP_SDS = 6.0  # the level shift without a trend, in σ
UNIT = "ECI points"
METRIC = "epoch:eci"  # so the warehouse names its unit ECI points, as it would
DAYS_PER_MONTH = 365.25 / 12
START = np.datetime64("2020-01-01")


def observation_days(rng: np.random.Generator, layout: str, n: int) -> np.ndarray:
    """Day offsets (from START) of n observations, ties and gaps included, in time order."""
    u = rng.random(n - 1)
    if layout == "monthly":
        months = np.r_[0, np.cumsum(np.select([u < 0.1, u < 0.9], [0, 1], 2))]
        first = (START.astype("datetime64[M]") + months).astype("datetime64[D]")
        days = (first - START).astype(int) + rng.integers(0, 28, n)
        for i in np.flatnonzero(np.r_[False, u < 0.1]):  # a tie repeats the date before
            days[i] = days[i - 1]
        return days
    steps = np.select([u < 0.1, u < 0.75, u < 0.95],
                      [0, rng.integers(1, 6, n - 1), rng.integers(6, 15, n - 1)],
                      rng.integers(15, 46, n - 1))
    return np.r_[0, np.cumsum(steps)]


def ar1_noise(rng: np.random.Generator, days: np.ndarray, phi: float) -> np.ndarray:
    """A stationary continuous-time AR(1) path with sd SIGMA, read at `days` (ties share it)."""
    unique, inverse = np.unique(days, return_inverse=True)
    r = phi ** (np.diff(unique) / DAYS_PER_MONTH)
    shocks = rng.normal(0, SIGMA, len(unique))
    path = np.empty(len(unique))
    path[0] = shocks[0]
    for i in range(1, len(unique)):
        path[i] = r[i - 1] * path[i - 1] + np.sqrt(1 - r[i - 1] ** 2) * shocks[i]
    return path[inverse]


def rise(days: np.ndarray) -> np.ndarray:
    """2σ from the first point to the last, linear in time."""
    return 2 * SIGMA * (days - days[0]) / (days[-1] - days[0])


def frame(days: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """One simulated ECI-like gap series, as the warehouse's gap tables hold it."""
    return pd.DataFrame({"metric": METRIC, "gap_kind": "gap", "group_a": "a", "group_b": "b",
                         "source": "sim", "bucket_start": START + days, "value": values,
                         "pack": METRIC, "segment_start": pd.NaT})


def verdict_row(days: np.ndarray, values: np.ndarray) -> dict:
    """The production verdict (guard 0) of one simulated series on its own: split at a level
    shift (`verdicts.split_at_shifts`), a verdict per period (`verdicts.period_verdicts`, BH
    and the end-points rule included); the periods other than the last 12 months combined."""
    series, _ = verdicts.split_at_shifts(frame(days, values), {UNIT: 0.0})
    table = verdicts.period_verdicts(series, {(METRIC, "gap"): UNIT}, min_effects={UNIT: 0.0})
    return combined(table[table["period"] != verdicts.RECENT].to_dict("records"))


def verdict_row_alone(days: np.ndarray, values: np.ndarray) -> dict:
    """The same, faster: `level_shifts.split` and `trends.verdict` per segment, without BH
    and the end-points rule. Both only ever turn a call into `no clear change`, so this path
    calls at least as often as production (tests/test_trends.py checks the two agree); five
    times faster, which the 20-cell table needs."""
    series, _ = level_shifts.split(frame(days, values), 0.0)
    starts = series["segment_start"].fillna(series["bucket_start"].min())
    return combined([trends.verdict(part, unit=UNIT, min_effect=0.0)
                     for _, part in series.groupby(starts, sort=True)])


def combined(rows: list[dict]) -> dict:
    """One row for a series judged in segments: a call if any segment was called (widening
    first), months summed, φ of the longest segment."""
    longest = max(rows, key=lambda r: r["n_months"])
    return longest | {"verdict": first_call([r["verdict"] for r in rows], longest["verdict"]),
                      "guarded": first_call([_guarded(r) for r in rows], _guarded(longest)),
                      "n_months": sum(r["n_months"] for r in rows), "segments": len(rows)}


def first_call(words: list[str], otherwise: str) -> str:
    called = [w for w in ("widening", "narrowing") if w in words]
    return called[0] if called else otherwise


def guarded(row: dict) -> str:
    """The same series judged with the unit's real minimum effect (ECI's 3 points)."""
    return row["guarded"]


def _guarded(row: dict) -> str:
    return trends.classify(row | {"min_effect": trends.MIN_EFFECTS[UNIT].value,
                                  "min_effect_declared": True})


def oracle_rejects(days: np.ndarray, values: np.ndarray, phi: float) -> bool:
    """GLS with the true φ and σ on the raw points (ties collapse), z-test at 5% two-sided."""
    unique, first = np.unique(days, return_index=True)
    t = unique / DAYS_PER_MONTH
    corr = np.where(t[:, None] == t[None, :], 1.0, phi ** np.abs(t[:, None] - t[None, :]))
    design = np.c_[np.ones(len(t)), t]
    precision = np.linalg.inv(corr)
    inverse = np.linalg.inv(design.T @ precision @ design)
    slope = (inverse @ design.T @ precision @ values[first])[1]
    return bool(abs(slope) / (SIGMA * np.sqrt(inverse[1, 1])) > 1.959964)


def step(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A level shift of `STEP_SDS` σ (up or down) at a random point of the middle half."""
    at = np.quantile(days, rng.uniform(0.25, 0.75))
    return np.where(days >= at, STEP_SDS * SIGMA * rng.choice([-1, 1]), 0.0)


def run_cell(layout: str, n: int, phi: float, seeds: int, power_seeds: int = 0,
             judge=verdict_row, step_seeds: int = 0) -> dict:
    """Rates over `seeds` series (seed s draws the same noise with and without the rise);
    power over the first `power_seeds` of them; a level shift without a trend on the first
    `step_seeds`."""
    null, rising, oracle, months, phis, split, stepped = [], [], [], [], [], [], []
    for seed in range(seeds):
        rng = np.random.default_rng([seed, n, int(phi * 100), layout == "snapshots"])
        days = observation_days(rng, layout, n)
        noise = ar1_noise(rng, days, phi)
        row = judge(days, noise)
        null.append((row["verdict"], guarded(row)))
        split.append(row["segments"] > 1)
        if seed < step_seeds:
            stepped.append(judge(days, noise + step(rng, days))["verdict"])
        months.append(row["n_months"])
        phis.append(row["phi"])
        if seed < power_seeds:
            up = judge(days, noise + rise(days))
            rising.append((up["verdict"], guarded(up)))
            oracle.append(oracle_rejects(days, noise + rise(days), phi))
    out = summary(layout, n, phi, np.array(null), np.array(rising), oracle, months, phis)
    out["split"] = np.mean(split)
    if stepped:
        out["step_calls"] = np.isin(stepped, ["widening", "narrowing"]).mean()
    return out


def summary(layout, n, phi, null, rising, oracle, months, phis) -> dict:
    called = np.isin(null, ["widening", "narrowing"]).mean(axis=0)
    out = {"layout": layout, "n": n, "phi": phi, "seeds": len(null), "power_seeds": len(rising),
           "false_calls": called[0], "false_calls_guarded": called[1],
           "stable_guarded": (null[:, 1] == "stable").mean(),
           "months": float(np.mean(months)), "phi_hat": float(np.nanmean(phis))}
    if len(rising):
        found = (rising == "widening").mean(axis=0)
        out |= {"power": found[0], "power_guarded": found[1], "oracle_power": np.mean(oracle),
                "wrong_direction": (rising == "narrowing").mean()}
    return out


def markdown(rows: list[dict]) -> str:
    head = ("| layout | n | φ | months | mean φ̂ | false calls | false calls, guard | "
            "stable, guard | power | power, guard | oracle power | split, no step | "
            f"called, {STEP_SDS:g}σ step |")
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        lines.append(f"| {r['layout']} | {r['n']} | {r['phi']:.1f} | {r['months']:.1f} | "
                     f"{r['phi_hat']:.2f} | {r['false_calls']:.1%} | "
                     f"{r['false_calls_guarded']:.1%} | {r['stable_guarded']:.1%} | "
                     f"{r.get('power', np.nan):.1%} | {r.get('power_guarded', np.nan):.1%} | "
                     f"{r.get('oracle_power', np.nan):.1%} | {r['split']:.1%} | "
                     f"{r.get('step_calls', np.nan):.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--power-seeds", type=int, default=200)
    parser.add_argument("--step-seeds", type=int, default=200)
    args = parser.parse_args(argv)
    started, rows = time.time(), []
    for cell in CELLS:
        rows.append(run_cell(*cell, seeds=args.seeds, power_seeds=args.power_seeds,
                             judge=verdict_row_alone, step_seeds=args.step_seeds))
        print(markdown(rows[-1:]).splitlines()[-1], flush=True)  # progress
    print("\n" + markdown(rows))
    worst = max(rows, key=lambda r: r["false_calls"])
    print(f"\nworst cell: {worst['layout']} n={worst['n']} φ={worst['phi']}: "
          f"{worst['false_calls']:.1%} false calls; {args.seeds} seeds per cell for false "
          f"calls, {args.power_seeds} for power, {args.step_seeds} with a step; "
          f"{time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
