"""How often do "My measurements" call two models different (issue 28)? Size and power of the
production test beside the paired bootstrap the issue named, on simulated item scores made the
way real ones are: each item has its own difficulty, shared by both models (so their answers
are correlated), scores are 0/1, and a better model gains `effect` in success probability on
every item.

    nice -n 10 python -m bench.paired_validity [--seeds 400]

Rows: items per comparison and the true difference. Columns: the share of simulations where
the pair is called different (two-sided, 5%) by
- exact: McNemar's exact test, as `warehouse.analysis.paired` decides a single pair;
- bootstrap: the percentile bootstrap interval of the mean difference excludes 0 (what a
  "paired bootstrap" alone would call); its size above 5% at few items is why it is not used
  for decisions;
- oracle: a test that knows each item's difficulty: the sum of per-item differences against
  its exact null (items independent, each difference ±1 with the known probability), drawn
  1,000 times: what a test could find with knowledge no real run has. With `effect = 0`
  every column is a false-call rate (size), else power.
"""

import argparse

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from warehouse.analysis import paired

EFFECTS = (0.0, 0.1, 0.2, 0.3)
ITEMS = (8, 25, 100)


def simulate(n: int, effect: float, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both models answer the same items; an item's difficulty is shared (easy for both)."""
    difficulty = rng.uniform(0.1, 0.8, n)
    a = (rng.random(n) < np.minimum(difficulty + effect, 1)).astype(float)
    b = (rng.random(n) < difficulty).astype(float)
    return a, b, difficulty


def oracle_p(d: np.ndarray, difficulty: np.ndarray, rng, draws: int = 1000) -> float:
    """Two-sided p of sum(d) under "no difference" with every item's difficulty known."""
    q = difficulty * (1 - difficulty)  # P(d = +1) = P(d = −1) under the null
    u = rng.random((draws, len(d)))
    null = ((u < q).astype(int) - ((u >= q) & (u < 2 * q)).astype(int)).sum(axis=1)
    return float((np.sum(np.abs(null) >= abs(d.sum())) + 1) / (draws + 1))


def calls(a, b, difficulty, rng) -> dict:
    exact = paired.exact_p(a, b) < paired.ALPHA
    d = a - b
    if np.ptp(d) == 0:
        boot = bool(d[0] != 0)
    else:
        ci = bootstrap((d,), np.mean, n_resamples=1999, method="percentile",
                       rng=np.random.default_rng(0)).confidence_interval
        boot = not ci.low <= 0 <= ci.high
    oracle = oracle_p(d, difficulty, rng) < paired.ALPHA
    return {"exact": exact, "bootstrap": boot, "oracle": oracle}


def table(seeds: int) -> pd.DataFrame:
    rows = []
    for n in ITEMS:
        for effect in EFFECTS:
            rng = np.random.default_rng(1000 * n + int(effect * 100))
            found = pd.DataFrame([calls(*simulate(n, effect, rng), rng) for _ in range(seeds)])
            rows.append({"items": n, "true difference": effect,
                         **{k: f"{v:.1%}" for k, v in found.mean().items()}})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=400)
    print(table(parser.parse_args().seeds).to_string(index=False))


if __name__ == "__main__":
    main()
