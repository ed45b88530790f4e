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

from bench import running_best
from warehouse.analysis import level_shifts, slope_test, trends, verdicts

PHIS = (0.0, 0.3, 0.6, 0.8, 0.9)
CELLS = [("monthly", n, phi) for n in (13, 24, 36, 88) for phi in PHIS]
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
    """The production verdict (guard 0) of one simulated series on its own: steps found
    (`verdicts.find_steps`) and fitted with the trend, a verdict per period
    (`verdicts.period_verdicts`, BH and the end-points rule included); the whole history."""
    frame_ = frame(days, values)
    steps, _ = verdicts.find_steps(frame_, {UNIT: 0.0})
    table = verdicts.period_verdicts(frame_, {(METRIC, "gap"): UNIT}, min_effects={UNIT: 0.0},
                                     steps=steps)
    return combined(table[table["period"] != verdicts.RECENT].to_dict("records"))


def verdict_row_alone(days: np.ndarray, values: np.ndarray, window=None) -> dict:
    """The same, faster: `level_shifts.steps` and one `trends.verdict`, without BH and the
    end-points rule. Both only ever turn a call into `no clear change`, so this path calls at
    least as often as production (tests/test_trends.py checks the two agree). `window`: judge
    the last months from this date on with the noise model of the whole series (the headline)."""
    series = frame(days, values)
    steps = [s["changed_at_utc"] for s in level_shifts.steps(series, 0.0)]
    return combined([trends.verdict(series, unit=UNIT, min_effect=0.0, steps=steps,
                                    window=window)])


def combined(rows: list[dict]) -> dict:
    """One row for a series judged in segments: a call if any segment was called (widening
    first), months summed, φ of the longest segment."""
    longest = max(rows, key=lambda r: r["n_months"])
    return longest | {"verdict": first_call([r["verdict"] for r in rows], longest["verdict"]),
                      "guarded": first_call([_guarded(r) for r in rows], _guarded(longest)),
                      "n_months": sum(r["n_months"] for r in rows), "segments": len(rows),
                      "stepped": any(not pd.isna(r.get("step_at")) for r in rows)}


def first_call(words: list[str], otherwise: str) -> str:
    called = [w for w in ("widening", "narrowing") if w in words]
    return called[0] if called else otherwise


def guarded(row: dict) -> str:
    """The same series judged with the unit's real minimum effect (ECI's 3 points)."""
    return row["guarded"]


def _guarded(row: dict) -> str:
    return trends.classify(row | {"min_effect": trends.MIN_EFFECTS[UNIT].value,
                                  "min_effect_declared": True})


def oracle_rejects(days: np.ndarray, values: np.ndarray, phi: float,
                   window: float | None = None) -> bool:
    """GLS with the true φ and σ on the raw points (ties collapse), z-test at 5% two-sided;
    with `window` (a day), on the points from that day on only (the headline's oracle)."""
    unique, first = np.unique(days, return_index=True)
    values = values[first]
    if window is not None:
        unique, values = unique[unique >= window], values[unique >= window]
    t = unique / DAYS_PER_MONTH
    corr = np.where(t[:, None] == t[None, :], 1.0, phi ** np.abs(t[:, None] - t[None, :]))
    design = np.c_[np.ones(len(t)), t]
    precision = np.linalg.inv(corr)
    inverse = np.linalg.inv(design.T @ precision @ design)
    slope = (inverse @ design.T @ precision @ values)[1]
    return bool(abs(slope) / (SIGMA * np.sqrt(inverse[1, 1])) > 1.959964)


def step(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A level shift of `STEP_SDS` σ (up or down) at a random point of the middle half."""
    at = np.quantile(days, rng.uniform(0.25, 0.75))
    return np.where(days >= at, STEP_SDS * SIGMA * rng.choice([-1, 1]), 0.0)


CANDIDATES = {  # name: p-value of one series' monthly points (no steps, no BH)
    "plug-in GLS t at the REML φ": lambda t, y: slope_test.plug_in(t, y),
    "previous rule: worst case up to φ's 95% limit": lambda t, y: slope_test.worst_case(t, y),
    "bootstrap at φ̂": lambda t, y: slope_test.test(t, y, level=0.5)["p_value"],
    "bootstrap at φ's 80% limit (any length)": lambda t, y: slope_test.test(t, y, level=0.8)["p_value"],
}


def candidate_calls(days: np.ndarray, values: np.ndarray) -> dict:
    t, y, _ = trends.monthly(START + days, values)
    return {name: test(t, y) < 0.05 for name, test in CANDIDATES.items()}


def run_cell(layout: str, n: int, phi: float, seeds: int, power_seeds: int = 0,
             judge=verdict_row_alone, step_seeds: int = 0, candidates: int = 0) -> dict:
    """Rates over `seeds` series (seed s draws the same noise with and without the rise);
    power over the first `power_seeds` of them; a level shift without a trend on the first
    `step_seeds`; every candidate test's calls on the first `candidates` series."""
    null, rising, oracle, months, phis, stepped_null, stepped = [], [], [], [], [], [], []
    cand_null, cand_up = [], []
    for seed in range(seeds):
        rng = np.random.default_rng([seed, n, int(phi * 100), layout == "snapshots"])
        days = observation_days(rng, layout, n)
        noise = ar1_noise(rng, days, phi)
        row = judge(days, noise)
        null.append((row["verdict"], guarded(row)))
        stepped_null.append(row["stepped"])
        if seed < step_seeds:
            stepped.append(judge(days, noise + step(rng, days))["verdict"])
        months.append(row["n_months"])
        phis.append(row["phi"])
        if candidates and seed < candidates:
            cand_null.append(candidate_calls(days, noise))
        if seed < power_seeds:
            up = judge(days, noise + rise(days))
            rising.append((up["verdict"], guarded(up)))
            oracle.append(oracle_rejects(days, noise + rise(days), phi))
            if candidates and seed < candidates:
                cand_up.append(candidate_calls(days, noise + rise(days)))
    out = summary(layout, n, phi, np.array(null), np.array(rising), oracle, months, phis)
    out["stepped"] = np.mean(stepped_null)
    if stepped:
        out["step_calls"] = np.isin(stepped, ["widening", "narrowing"]).mean()
    if candidates:
        out["candidates"] = {name: (np.mean([c[name] for c in cand_null]),
                                    np.mean([c[name] for c in cand_up]) if cand_up else np.nan)
                             for name in CANDIDATES}
    return out


def headline_cell(n: int, phi: float, seeds: int) -> dict:
    """The last 12 months judged with the whole series' noise model: false calls when nothing
    moves, power when the gap rises 2σ in its last 12 months only (flat before), beside an
    oracle GLS that knows φ and σ, on the window's points."""
    calls, found, oracle = [], [], []
    for seed in range(seeds):
        rng = np.random.default_rng([seed, n, int(phi * 100), 12])
        days = observation_days(rng, "monthly", n)
        noise = ar1_noise(rng, days, phi)
        cutoff = days[-1] - 12 * DAYS_PER_MONTH
        start = days[days <= cutoff].max()
        window = START + np.timedelta64(int(start), "D")
        ramp = np.clip((days - start) / (days[-1] - start), 0, None) * 2 * SIGMA
        calls.append(verdict_row_alone(days, noise, window)["verdict"])
        found.append(verdict_row_alone(days, noise + ramp, window)["verdict"])
        oracle.append(oracle_rejects(days, noise + ramp, phi, window=start))
    return {"n": n, "phi": phi, "seeds": seeds,
            "false_calls": np.isin(calls, ["widening", "narrowing"]).mean(),
            "power": np.mean(np.array(found) == "widening"), "oracle_power": np.mean(oracle)}


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


def bar(r: dict) -> str:
    """Whether a cell meets issue 24's bars: false calls ≤ 6.5% (≤ 8% at φ = 0.9); power ≥ 75%
    of the oracle's where φ ≤ 0.6 and n ≥ 36, ≥ 60% at n = 24."""
    size_ok = r["false_calls"] <= (0.08 if r["phi"] >= 0.9 else 0.065)
    need = 0.75 if r["n"] >= 36 else 0.60 if r["n"] >= 24 else None
    ratio = r.get("power", np.nan) / r.get("oracle_power", np.nan)
    power_ok = need is None or r["phi"] > 0.6 or ratio >= need
    return ("ok" if size_ok and power_ok else
            ", ".join(w for w, bad in (("size", not size_ok), ("power", not power_ok)) if bad))


def markdown(rows: list[dict]) -> str:
    head = ("| n | φ | months | mean φ̂ | false calls | false calls, guard | stable, guard | "
            "power | oracle power | power / oracle | steps fitted, no step | "
            f"called, {STEP_SDS:g}σ step | bars |")
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        ratio = r.get("power", np.nan) / r.get("oracle_power", np.nan)
        lines.append(f"| {r['n']} | {r['phi']:.1f} | {r['months']:.1f} | {r['phi_hat']:.2f} | "
                     f"{r['false_calls']:.1%} | {r['false_calls_guarded']:.1%} | "
                     f"{r['stable_guarded']:.1%} | {r.get('power', np.nan):.1%} | "
                     f"{r.get('oracle_power', np.nan):.1%} | {ratio:.0%} | {r['stepped']:.1%} | "
                     f"{r.get('step_calls', np.nan):.1%} | {bar(r)} |")
    return "\n".join(lines)


def candidates_table(rows: list[dict]) -> str:
    """Size and power of every candidate on the same series, per cell: the trade-off."""
    names = list(CANDIDATES)
    lines = ["| n | φ | " + " | ".join(["chosen (production)", *names]) + " |",
             "|" + "---|" * (len(names) + 3)]
    for r in rows:
        cells = [f"{r['false_calls']:.1%} / {r.get('power', np.nan):.0%}"]
        cells += [f"{r['candidates'][m][0]:.1%} / {r['candidates'][m][1]:.0%}" for m in names]
        lines.append(f"| {r['n']} | {r['phi']:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def headline_table(rows: list[dict]) -> str:
    lines = ["| n | φ | false calls | power, 2σ rise in the last 12 months | oracle power |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['n']} | {r['phi']:.1f} | {r['false_calls']:.1%} | {r['power']:.1%} | "
              f"{r['oracle_power']:.1%} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--power-seeds", type=int, default=500)
    parser.add_argument("--step-seeds", type=int, default=200)
    parser.add_argument("--candidate-seeds", type=int, default=200)
    parser.add_argument("--cells", default="all", help="comma-separated n values, or all")
    parser.add_argument("--part", choices=["all", "ar1", "headline", "running-best"],
                        default="all", help="which tables to print (run parts side by side)")
    args = parser.parse_args(argv)
    started, rows = time.time(), []
    wanted = None if args.cells == "all" else {int(v) for v in args.cells.split(",")}
    for cell in CELLS if args.part in ("all", "ar1") else []:
        if wanted and cell[1] not in wanted:
            continue
        rows.append(run_cell(*cell, seeds=args.seeds, power_seeds=args.power_seeds,
                             step_seeds=args.step_seeds, candidates=args.candidate_seeds))
        print(markdown(rows[-1:]).splitlines()[-1], flush=True)  # progress
    if rows:
        print("\nAR(1) noise, monthly points (ties, gaps), through the production path:\n")
        print(markdown(rows))
        print(f"\nCandidates on the first {args.candidate_seeds} series of each cell (false "
              "calls / power for a 2σ rise):\n")
        print(candidates_table(rows))
    if args.part in ("all", "headline"):
        heads = [headline_cell(n, phi, args.seeds) for n in (36, 88) for phi in (0.0, 0.3, 0.6, 0.9)]
        print("\nThe 12-month headline (noise model from the whole series):\n")
        print(headline_table(heads))
    if args.part in ("all", "running-best"):
        print("\nRunning bests of two groups' releases (the real generating process):\n")
        print(running_best.table(args.seeds))
    print(f"\n{args.seeds} seeds per cell ({args.power_seeds} for power, {args.step_seeds} "
          f"with a step); {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
