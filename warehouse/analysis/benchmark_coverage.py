"""Which months of a benchmark may speak for its dimension (pure; no database).

A benchmark's closed − open gap says something about its dimension only while

* **the scale has room both ways.** A 0–1 benchmark enters its dimension's composite from the
  month its best score (any model released by then) reaches `FLOOR` (0.10) and leaves it from
  the month that score reaches `SATURATED` (0.90): below, both sides sit at the floor and the
  gap is ~0 because nobody solves anything (OTIS Mock AIME in 2023); above, the gap shrinks
  because the ceiling is near (MATH Level 5 from 2024-09, 0.26 → 0.015), not because the
  groups converge. Its own series and verdict stay in the per-benchmark table either way.
  Scores in other units (WebDev Arena's Elo) have no ceiling and always count.
* **both sides' strongest models were scored.** A side is *covered* in a month when at least
  one of its `STRONGEST` (3) strongest known model families by then (Epoch Capabilities Index,
  released by the month's end) has a score on the benchmark; a side with no ECI-scored model
  yet counts as covered (nothing stronger is known). When the open side is not covered, the
  measured closed lead is an *upper bound* (the strong open models were never run: FrontierMath
  has five non-reasoning open models, none of R1, Qwen3 or gpt-oss); when the closed side is
  not covered, a lower bound. A bound is shown as one and kept out of the composite.
"""

import numpy as np
import pandas as pd

from warehouse.analysis import gaps

SATURATED = 0.90
FLOOR = 0.10
STRONGEST = 3
SCALES = {"aider_polyglot": 100.0, "lech_mazur_writing": 10.0}  # to a 0–1 fraction
ELO = {"webdev_arena"}  # no ceiling; gaps become logits of a win probability
MONTH_COLUMNS = ["metric", "bucket_start", "best", "status", "closed_covered", "open_covered",
                 "strongest_closed", "strongest_open", "scored_closed", "scored_open"]


def benchmark(pack: str) -> str:
    return pack.removeprefix("epoch:")


def fraction(pack: str, values) -> np.ndarray:
    """Scores as a 0–1 fraction (NaN for Elo-scaled benchmarks, which have no ceiling)."""
    values = np.asarray(values, dtype=float)
    if benchmark(pack) in ELO:
        return np.full(values.shape, np.nan)
    return values / SCALES.get(benchmark(pack), 1.0)


def month_starts(days: pd.Series) -> pd.DatetimeIndex:
    return pd.date_range(days.min().to_period("M").start_time, days.max(), freq="MS")


def months(rows: pd.DataFrame, eci: pd.DataFrame) -> pd.DataFrame:
    """Per mapped benchmark and release month: the best score by then (as a fraction), the
    scale status (`floor`, `in range`, `saturated`) and whether each side was covered."""
    if rows.empty:
        return pd.DataFrame(columns=MONTH_COLUMNS)
    ends = month_starts(gaps._day(rows["measured_at_utc"])) + pd.offsets.MonthBegin(1)
    eci = eci.dropna(subset=["family"]).assign(day=gaps._day(eci["measured_at_utc"]))
    eci = eci.sort_values("eci", ascending=False, kind="stable")
    strongest = {flag: {end: strongest_families(eci[eci["open_weights"] == flag], end)  # noqa: E712
                        for end in ends} for flag in (False, True)}
    parts = [_benchmark_months(pack, bench, strongest) for pack, bench in rows.groupby("pack")]
    return pd.concat(parts, ignore_index=True)


def _benchmark_months(pack: str, bench: pd.DataFrame, strongest: dict) -> pd.DataFrame:
    day = gaps._day(bench["measured_at_utc"])
    starts = month_starts(day)
    ends = starts + pd.offsets.MonthBegin(1)
    order = np.argsort(day.to_numpy(), kind="stable")
    frac = fraction(pack, bench["value"].to_numpy())[order]
    count = np.searchsorted(day.to_numpy()[order], ends.to_numpy(), side="left")
    running = np.fmax.accumulate(frac) if len(frac) else frac
    best = np.where(count > 0, running[np.maximum(count - 1, 0)], np.nan)
    status = np.where(np.isnan(best), "in range",
                      np.where(best >= SATURATED, "saturated",
                               np.where(best < FLOOR, "floor", "in range")))
    out = pd.DataFrame({"metric": pack, "bucket_start": starts, "best": best, "status": status})
    for side, flag in (("closed", False), ("open", True)):
        scored = bench[(bench["open_weights"] == flag).fillna(False).astype(bool)]
        released = gaps._day(scored["measured_at_utc"])
        first = released.groupby(scored["family"]).min().to_dict()
        tops = [strongest[flag][end] for end in ends]
        out[f"{side}_covered"] = [not top or any(first.get(f, end) < end for f in top)
                                  for top, end in zip(tops, ends)]
        out[f"strongest_{side}"] = [", ".join(top) for top in tops]
        out[f"scored_{side}"] = np.searchsorted(np.sort(released.to_numpy()), ends.to_numpy())
    return out[MONTH_COLUMNS]


def strongest_families(eci: pd.DataFrame, end: pd.Timestamp, n: int = STRONGEST) -> list[str]:
    """The `n` strongest model families among versions released before `end` (`eci` sorted
    strongest first, with its release `day`)."""
    return list(dict.fromkeys(eci.loc[eci["day"] < end, "family"]))[:n]


def eligible(per_benchmark: pd.DataFrame) -> pd.Series:
    """Which gap rows may enter a composite (merged with `months`): scale in range, and for
    closed − open both sides covered."""
    in_range = per_benchmark["status"].fillna("in range") == "in range"
    frontier = per_benchmark["gap_kind"] == "frontier_a_minus_b"
    both = (per_benchmark["closed_covered"].fillna(True).astype(bool)
            & per_benchmark["open_covered"].fillna(True).astype(bool))
    return in_range & (~frontier | both)


def bound(closed_covered: bool, open_covered: bool) -> str | None:
    """What a closed − open gap is when a side was not covered (None: a measurement)."""
    if closed_covered and open_covered:
        return None
    if closed_covered:
        return "upper"
    return "lower" if open_covered else "unmeasured"


def coverage_words(row) -> str:
    """The coverage of the newest month, in words."""
    kind = bound(bool(row["closed_covered"]), bool(row["open_covered"]))
    said = {None: "both sides' strongest scored",
            "upper": f"upper bound: the open side's strongest ({row['strongest_open']}) not scored",
            "lower": f"lower bound: the closed side's strongest ({row['strongest_closed']}) not "
                     "scored",
            "unmeasured": "neither side's strongest scored"}
    return said[kind]
