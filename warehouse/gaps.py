"""Gap series: pure functions from score DataFrames to gap DataFrames.

No database and no Streamlit here, so the CLI, the pages and the tests all
call the same code. Arena ratings are only compared within one snapshot
(`pack`, `measured_at_utc`): scales differ between snapshots and methods.
"""

import numpy as np
import pandas as pd

GAP_COLUMNS = ["metric", "gap_kind", "group_a", "group_b", "bucket_start", "value",
               "leader_value", "follower_value", "n_models", "source"]


def top_k_gap(scores: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """Leader minus the k-th model, within each (pack, snapshot); snapshots with < k models drop.

    `scores` needs: pack, measured_at_utc, value, source.
    """
    ranked = scores.assign(pos=scores.groupby(["pack", "measured_at_utc"])["value"]
                           .rank(method="first", ascending=False))
    size = ranked.groupby(["pack", "measured_at_utc"])["value"].transform("size")
    ranked = ranked[size >= k]
    top = ranked[ranked["pos"] == 1].set_index(["pack", "measured_at_utc"])
    kth = ranked[ranked["pos"] == k].set_index(["pack", "measured_at_utc"])
    out = pd.DataFrame({"leader_value": top["value"], "follower_value": kth["value"],
                        "n_models": size.groupby([ranked["pack"], ranked["measured_at_utc"]]).first(),
                        "source": top["source"]}).dropna(subset=["leader_value"]).reset_index()
    return out.assign(metric=out["pack"], gap_kind=f"top1_minus_top{k}", group_a="rank 1",
                      group_b=f"rank {k}", bucket_start=_day(out["measured_at_utc"]),
                      value=out["leader_value"] - out["follower_value"])[GAP_COLUMNS]


def frontier_gap(scores: pd.DataFrame, group: pd.Series, group_a: str, group_b: str,
                 freq: str = "MS") -> pd.DataFrame:
    """Best of group A minus best of group B among models released by each bucket's end.

    A group's frontier is a running maximum: a model counts from its release on.
    `scores` needs: measured_at_utc (release), value, pack, source.
    """
    scores = scores.assign(group=group.values).dropna(subset=["group"]).sort_values("measured_at_utc")
    if scores.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    starts = pd.date_range(_day(scores["measured_at_utc"]).min().to_period("M").start_time,
                           _day(scores["measured_at_utc"]).max(), freq=freq)
    ends = np.append(starts[1:], starts[-1] + pd.tseries.frequencies.to_offset(freq))
    fronts = {g: _frontier_at(scores[scores["group"] == g], ends) for g in (group_a, group_b)}
    out = pd.DataFrame({"bucket_start": starts, "leader_value": fronts[group_a][0],
                        "follower_value": fronts[group_b][0],
                        "n_models": fronts[group_a][1] + fronts[group_b][1]})
    out = out.dropna(subset=["leader_value", "follower_value"])
    return out.assign(metric=scores["pack"].iloc[0], gap_kind="frontier_a_minus_b",
                      group_a=group_a, group_b=group_b, source=scores["source"].iloc[0],
                      value=out["leader_value"] - out["follower_value"])[GAP_COLUMNS]


def _frontier_at(rows: pd.DataFrame, ends) -> tuple[np.ndarray, np.ndarray]:
    """(best value released before each end, models released before it)."""
    released = _day(rows["measured_at_utc"]).to_numpy()
    best = np.maximum.accumulate(rows["value"].to_numpy()) if len(rows) else np.array([])
    count = np.searchsorted(released, pd.DatetimeIndex(ends).to_numpy(), side="left")
    values = np.where(count > 0, best[np.maximum(count - 1, 0)] if len(best) else np.nan, np.nan)
    return values.astype(float), count


def _day(stamps: pd.Series) -> pd.Series:
    """UTC timestamps to naive midnight dates, so buckets compare cleanly."""
    stamps = pd.to_datetime(stamps, utc=True)
    return stamps.dt.tz_localize(None).dt.normalize()
