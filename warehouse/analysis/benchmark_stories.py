"""Every benchmark's own story (pure; no database): its closed − open gap first → last, how
well both sides were covered, when it saturated, and whether its dimension's composite uses it.

The dimension's headline is a composite; this table is what it is made of, one row per mapped
benchmark, so a reader can see which benchmarks moved, which are bounds (a side's strongest
models never scored) and which left the composite (saturated, at the floor, or with no shared
months to compare through). The verdict of each benchmark's own series sits beside it on the
Capability page and in docs/findings.md (`gap_verdicts`, `series_id = 'epoch:<benchmark>'`).
"""

import pandas as pd

from warehouse.analysis import benchmark_coverage as rules
from warehouse.analysis import dimension_series as ds
from warehouse.analysis import gaps
from warehouse.analysis.benchmark_dimensions import dimension_of

STORY_COLUMNS = ["metric", "dimension", "unit", "first_month", "last_month", "gap_first",
                 "gap_last", "recent_start", "gap_recent_start", "n_closed", "n_open",
                 "n_closed_recent", "n_open_recent", "strongest_closed",
                 "strongest_closed_scored", "strongest_open", "strongest_open_scored", "bound",
                 "coverage_note", "saturated_from", "in_composite", "composite_note"]
RECENT_MONTHS = 12
UNITS = {"aider_polyglot": "percent solved", "lech_mazur_writing": "rubric points 0–10",
         "webdev_arena": "Elo points"}


def unit(pack: str) -> str:
    return UNITS.get(rules.benchmark(pack), "score 0–1")


def stories(inputs: pd.DataFrame, rows: pd.DataFrame, used: set[str]) -> pd.DataFrame:
    """One row per mapped benchmark with a closed − open gap (STORY_COLUMNS); `used`: the
    benchmarks the closed − open composites rest on (`dimension_series.members`)."""
    frontier = inputs[inputs["gap_kind"] == "frontier_a_minus_b"] if len(inputs) else inputs
    if frontier.empty:
        return pd.DataFrame(columns=STORY_COLUMNS)
    out = [_story(pack, g.sort_values("bucket_start"), rows[rows["pack"] == pack], pack in used)
           for pack, g in frontier.groupby("metric")]
    return pd.DataFrame(out, columns=STORY_COLUMNS)


def _story(pack: str, g: pd.DataFrame, scores: pd.DataFrame, in_composite: bool) -> dict:
    first, last = g.iloc[0], g.iloc[-1]
    cutoff = last["bucket_start"] - pd.DateOffset(months=RECENT_MONTHS)
    before = g[g["bucket_start"] <= cutoff]
    start = before.iloc[-1] if len(before) else first
    released = gaps._day(scores["measured_at_utc"])
    recent = scores[(released >= start["bucket_start"])
                    & (released < last["bucket_start"] + pd.offsets.MonthBegin(1))]
    out = {"metric": pack, "dimension": dimension_of(pack), "unit": unit(pack),
           "first_month": first["bucket_start"], "last_month": last["bucket_start"],
           "gap_first": first["value"], "gap_last": last["value"],
           "recent_start": start["bucket_start"], "gap_recent_start": start["value"],
           "bound": rules.bound(bool(last["closed_covered"]), bool(last["open_covered"])),
           "coverage_note": rules.coverage_words(last),
           "saturated_from": _first(g, g["status"] == "saturated"),
           "in_composite": in_composite, "composite_note": composite_words(g, in_composite)}
    for side, flag in (("closed", False), ("open", True)):
        mine = (scores["open_weights"] == flag).fillna(False).astype(bool)  # noqa: E712
        out[f"n_{side}"] = int(scores.loc[mine, "model_id"].nunique())
        out[f"n_{side}_recent"] = int(recent.loc[(recent["open_weights"] == flag).fillna(False)
                                                 .astype(bool), "model_id"].nunique())
        top = str(last[f"strongest_{side}"] or "").split(", ")[0] or None
        out[f"strongest_{side}"] = top
        out[f"strongest_{side}_scored"] = (None if top is None else
                                           top in set(scores.loc[mine, "family"].dropna()))
    return out


def _first(g: pd.DataFrame, mask: pd.Series):
    hit = g.loc[mask.to_numpy(), "bucket_start"]
    return hit.min() if len(hit) else pd.NaT


def composite_words(g: pd.DataFrame, in_composite: bool) -> str:
    """Which months of the benchmark its dimension's composite uses, and why not the rest."""
    month = "%Y-%m"
    used = g.loc[g["eligible"].to_numpy(), "bucket_start"]
    if in_composite and len(used):
        parts = [f"used {used.min():{month}} → {used.max():{month}}"]
    elif len(used):
        parts = [f"not used: its {len(used)} usable months are not linked to the dimension's "
                 f"other benchmarks by {ds.MIN_OVERLAP} shared months"]
    else:
        parts = ["not used"]
    floor = g.loc[(g["status"] == "floor").to_numpy(), "bucket_start"]
    if len(floor):
        parts.append(f"at the floor (best below {rules.FLOOR:.2f}) until {floor.max():{month}}")
    saturated = _first(g, g["status"] == "saturated")
    if not pd.isna(saturated):
        parts.append(f"saturated (best {rules.SATURATED:.2f} or more) from {saturated:{month}}")
    thin = g[(g["status"] == "in range").to_numpy()
             & ~(g["closed_covered"].astype(bool) & g["open_covered"].astype(bool)).to_numpy()]
    if len(thin):
        parts.append(f"a side's strongest not scored in {len(thin)} months between "
                     f"{thin['bucket_start'].min():{month}} and {thin['bucket_start'].max():{month}}")
    return "; ".join(parts)
