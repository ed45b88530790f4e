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


# --- More gap shapes -------------------------------------------------------------------------
# Each returns GAP_COLUMNS. "Ahead" is higher for scores; for prices and latency (lower is
# better) gaps are log10 ratios signed so that a positive value still means group_a is ahead.

FREQS = ("D", "W-MON", "MS")
SNAPSHOT = ["pack", "measured_at_utc"]


def choose_freq(stamps: pd.Series, min_occupancy: float = 0.5) -> str:
    """Finest of day / week / month at which at least half the buckets spanned hold data.

    Why: dense measurements keep their resolution, while sparse ones do not turn into a
    series of mostly empty or one-model buckets that the trend test would over-read.
    """
    days = _day(pd.Series(stamps)).drop_duplicates()
    for freq in FREQS[:-1]:
        starts = bucket_start(days, freq).drop_duplicates()
        if len(starts) < 2:
            return freq
        span = len(pd.date_range(starts.min(), starts.max(), freq=freq))
        if len(starts) >= min_occupancy * span:
            return freq
    return FREQS[-1]


def bucket_start(stamps: pd.Series, freq: str) -> pd.Series:
    """Start of the day, ISO week (Monday) or month holding each timestamp."""
    days = _day(pd.Series(stamps))
    if freq == "D":
        return days
    if freq.startswith("W"):
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return days.dt.to_period("M").dt.start_time


def rank_gaps(scores: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """Leader minus runner-up, leader minus median, interquartile spread and top-k spread.

    Computed within each (pack, snapshot) only, like `top_k_gap`: ratings from different
    snapshots or methods are on different scales. The top-k spread is the standard deviation
    of the k best (a bunched top has a small one); snapshots with too few models drop.
    """
    ranked = scores.sort_values("value", ascending=False)
    ranked = ranked.assign(pos=ranked.groupby(SNAPSHOT).cumcount() + 1)
    g = ranked.groupby(SNAPSHOT)["value"]
    top = pd.DataFrame({"top1": g.max(), "n_models": g.size(),
                        "source": ranked.groupby(SNAPSHOT)["source"].first()})
    nth = ranked.set_index(SNAPSHOT + ["pos"])["value"].unstack("pos")
    shapes = [("top1_minus_top2", "rank 1", "rank 2", top["top1"], nth.get(2), 2),
              ("top1_minus_median", "rank 1", "median", top["top1"], g.median(), 3),
              ("q75_minus_q25", "75th percentile", "25th percentile", g.quantile(0.75),
               g.quantile(0.25), 4)]
    parts = [_shape(top, *shape) for shape in shapes]
    spread = ranked[ranked["pos"] <= k].groupby(SNAPSHOT)["value"].std()
    parts.append(_shape(top, f"top{k}_sd", f"top {k}", f"top {k}", top["top1"], nth.get(k), k,
                        value=spread))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True)[GAP_COLUMNS] if parts else _empty()


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=GAP_COLUMNS)


def _shape(top: pd.DataFrame, kind: str, a: str, b: str, leader, follower, min_models: int,
           value=None) -> pd.DataFrame:
    """One gap kind from per-snapshot leader/follower values (indexed by SNAPSHOT)."""
    if follower is None:
        return _empty()
    out = top.assign(leader_value=leader, follower_value=follower)
    out = out.assign(value=out["leader_value"] - out["follower_value"] if value is None else value)
    out = out[out["n_models"] >= min_models].dropna(subset=["value"]).reset_index()
    return out.assign(metric=out["pack"], gap_kind=kind, group_a=a, group_b=b,
                      bucket_start=_day(out["measured_at_utc"]))[GAP_COLUMNS]


def model_gap(scores: pd.DataFrame, model_a: str, model_b: str) -> pd.DataFrame:
    """Model A minus model B in every (pack, snapshot) where both were scored.

    `scores` needs: model_id, pack, measured_at_utc, value, source.
    """
    both = scores[scores["model_id"].isin([model_a, model_b])]
    wide = both.pivot_table(index=SNAPSHOT, columns="model_id", values="value", aggfunc="mean")
    if not {model_a, model_b} <= set(wide.columns):
        return pd.DataFrame(columns=GAP_COLUMNS)
    wide = wide.dropna(subset=[model_a, model_b])
    source = both.groupby(SNAPSHOT)["source"].first()
    out = pd.DataFrame({"leader_value": wide[model_a], "follower_value": wide[model_b],
                        "source": source.reindex(wide.index)}).reset_index()
    return out.assign(metric=out["pack"], gap_kind="model_a_minus_b", group_a=model_a,
                      group_b=model_b, bucket_start=_day(out["measured_at_utc"]), n_models=2,
                      value=out["leader_value"] - out["follower_value"])[GAP_COLUMNS]


def group_gap(values: pd.DataFrame, group: pd.Series, group_a: str, group_b: str,
              freq: str | None = None, stat: str = "max", lower_is_better: bool = False,
              metric: str | None = None) -> pd.DataFrame:
    """Group A's `stat` minus group B's per bucket, over each model's mean in that bucket.

    Unlike `frontier_gap` (release-dated running best), this compares what was measured in
    the bucket. With `lower_is_better` (price, latency) the value is log10(B / A): the ratio
    on a log scale, positive when A is cheaper or faster. `freq` None picks it by density.
    `values` needs: measured_at_utc, model_id, value, source (and pack when metric is None).
    """
    rows = values.assign(group=np.asarray(group)).dropna(subset=["group", "value"])
    rows = rows[rows["group"].isin([group_a, group_b])]
    if rows.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    freq = freq or choose_freq(rows["measured_at_utc"])
    rows = rows.assign(bucket_start=bucket_start(rows["measured_at_utc"], freq))
    per_model = rows.groupby(["bucket_start", "group", "model_id"])["value"].mean().reset_index()
    wide = per_model.groupby(["bucket_start", "group"])["value"].agg([stat, "size"]).unstack("group")
    out = _group_frame(wide, stat, group_a, group_b, lower_is_better)
    kind = f"log10_{stat}_ratio" if lower_is_better else f"{stat}_a_minus_b"
    return out.assign(metric=metric or rows["pack"].iloc[0], gap_kind=kind, group_a=group_a,
                      group_b=group_b, source=rows["source"].iloc[0])[GAP_COLUMNS]


def _group_frame(wide: pd.DataFrame, stat: str, a: str, b: str,
                 lower_is_better: bool) -> pd.DataFrame:
    """Buckets where both groups have data: leader/follower values, model count and the gap."""
    if a not in wide[stat] or b not in wide[stat]:
        return pd.DataFrame(columns=["bucket_start", "leader_value", "follower_value",
                                     "n_models", "value"])
    out = pd.DataFrame({"leader_value": wide[stat][a], "follower_value": wide[stat][b],
                        "n_models": wide["size"][a] + wide["size"][b]}).dropna().reset_index()
    if lower_is_better:
        ratio = out["follower_value"] / out["leader_value"]
        return out[ratio > 0].assign(value=np.log10(ratio[ratio > 0]))
    return out.assign(value=out["leader_value"] - out["follower_value"])


def in_force_at(periods: pd.DataFrame, freq: str = "MS") -> pd.DataFrame:
    """The price in force at each bucket start, one row per (start, offering) in force.

    `periods` needs: effective_from, effective_to (exclusive; NaT while current), last_seen
    (a current price is known to hold only up to the last snapshot), plus any other columns,
    which are kept. Sampling at a fixed day, not averaging, keeps a price that changed
    mid-month from counting twice.
    """
    if periods.empty:
        return periods.assign(measured_at_utc=pd.Series(dtype="datetime64[ns]"))
    start = pd.Timestamp(periods["effective_from"].min())
    starts = pd.date_range(start, pd.Timestamp(periods["last_seen"].max()), freq=freq)
    grid = periods.merge(pd.DataFrame({"measured_at_utc": starts}), how="cross")
    until = grid["effective_to"].fillna(grid["last_seen"] + pd.Timedelta(days=1))
    held = (grid["effective_from"] <= grid["measured_at_utc"]) & (grid["measured_at_utc"] < until)
    return grid[held].reset_index(drop=True)
