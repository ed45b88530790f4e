"""The public-history series beyond ECI and Arena's leader − 10th: one registration point.

`verdicts.compute` adds `series(data)` to the gap table and `lag_rows(data)` to the lags, so
every series here gets its verdicts (whole history / segments / last 12 months) from the same
code as the rest. Pure functions over the frames named in `SQL`; no database.

* Per-dimension capability gaps from the Epoch benchmarks (`dimension_series`).
* Arena leader − 2nd and best closed − best open, on the same chained snapshots (and segments)
  as the leader − 10th series (`warehouse.analysis.arena`), so a listing or rating-method change is a
  break for all three.
* Price that means something (`price_index`): the cheapest price of an ECI level, and a fixed
  panel of offerings, closed vs open.
* A public contamination signal (`contamination`): public minus held-out scores for one skill.
"""

import pandas as pd

from warehouse.analysis import arena, contamination, dimension_series, gaps, lags, price_index

SQL = {
    **dimension_series.SQL,
    "arena_open": """SELECT s.pack, s.measured_at_utc, s.model_id, s.value, s.source,
                            m.open_weights
                     FROM capability_scores s JOIN models m USING (model_id)
                     WHERE s.pack LIKE 'arena:%' AND s.pack NOT LIKE 'arena:lab_frontier:%'""",
    **price_index.SQL,
    **contamination.SQL,
}
SERIES_EXTRA = ["pack", "segment_start"]


def series(data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every gap series this module adds (GAP_COLUMNS plus pack and segment_start)."""
    if not set(SQL) <= set(data):  # a caller that did not read our queries: nothing to add
        return pd.DataFrame(columns=gaps.GAP_COLUMNS + SERIES_EXTRA)
    parts = [dimension_series.dimension_series(data["epoch_benchmarks"], data["eci_strength"]),
             arena_extras(data["arena_open"]),
             price_index.series(data["price_offers"], data["eci_levels"]),
             contamination.series(data["heldout_pairs"])]
    return _concat(parts, gaps.GAP_COLUMNS + SERIES_EXTRA)


def lag_rows(data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    if "epoch_benchmarks" not in data:
        return pd.DataFrame(columns=lags.LAG_COLUMNS)
    return dimension_series.dimension_lags(data["epoch_benchmarks"])


def arena_extras(scores: pd.DataFrame) -> pd.DataFrame:
    """Leader − 2nd and best closed − best open per chained Arena snapshot."""
    if scores.empty:
        return pd.DataFrame(columns=gaps.GAP_COLUMNS + SERIES_EXTRA)
    points, _ = arena.chain(scores.drop(columns="open_weights"))
    keep = points[["pack", "measured_at_utc", "segment_start"]]
    rows = arena.listed(scores).merge(keep, on=["pack", "measured_at_utc"])
    rows = rows.merge(scores.groupby("model_id")["open_weights"].first().reset_index(),
                      on="model_id", how="left")
    top2 = gaps.rank_gaps(rows)
    top2 = top2[top2["gap_kind"] == "top1_minus_top2"]
    group = rows["open_weights"].map({True: "open", False: "closed"})
    open_gap = gaps.group_gap(rows, group, "closed", "open", freq="D", stat="max",
                              metric=arena.SERIES)
    starts = keep.assign(bucket_start=gaps._day(keep["measured_at_utc"]))
    starts = starts[["pack", "bucket_start", "segment_start"]]
    out = _concat([top2.assign(metric=arena.SERIES, bucket_start=gaps._day(top2["bucket_start"])),
                   open_gap.assign(bucket_start=gaps._day(open_gap["bucket_start"]))],
                  gaps.GAP_COLUMNS)
    out = out.merge(starts, on="bucket_start", how="left")
    return out.assign(segment_start=gaps._day(out["segment_start"]))


def unit(metric: str, gap_kind: str) -> str | None:
    """The unit of a series defined here (None: not one of ours)."""
    if metric == arena.SERIES:
        return "Arena rating points"
    if gap_kind == contamination.KIND:
        return "logits"
    return dimension_series.unit(metric) or price_index.unit(metric)


def _concat(parts: list, columns: list[str]) -> pd.DataFrame:
    parts = [p.reindex(columns=columns) for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
