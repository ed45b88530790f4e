"""Arena's leader − 10th as one series: what "10th" means, which packs join, where it breaks.

Pure functions over Arena score rows (`pack`, `measured_at_utc`, `model_id`, `value`,
`source`); no database. Why this shape:

* **The 10th, defined once.** Rank among the distinct models the source lists on that snapshot
  (a model listed under two names counts once, at its best rating), the same rule for every
  pack. No source here says which models were deprecated at the time, so they count while
  the source lists them; when a source stops (or starts) listing them, that is a listing change.
* **Packs that carry the same ratings are one series.** nakasyou's Bradley–Terry ratings and
  fboulnois's displayed ratings agree within a point (median over common models) on their
  common dates: the packs differ by *which models they list*, not by rating method. Two packs
  are joined when, on the majority of their common dates (or across the seam where one ends
  and the next begins), the median rating difference is within `SAME_RATING_POINTS` and the
  listings overlap by at least `SAME_LISTING` (Jaccard); on a date where a joined pack lists
  differently from the series, its snapshot is left out.
* **One pack family at a time.** The series follows the family it is in for as long as that
  family has snapshots, then moves to the family with the next snapshot. A family that
  overlaps a longer one in time with other ratings (LMSYS's 2023 displayed table beside the
  online Elo) is left out, so every date has one answer.
* **Breaks.** A new segment begins where the series changes rating method, and where its
  listing changes: ≥ `LISTING_CHANGE` (10%) of the listed models disappear from one snapshot
  to the next, or the count jumps ≥ 10% through models that were listed before. Newly
  released models joining the board are what the gap measures, not a break.
"""

import numpy as np
import pandas as pd

SERIES = "arena:text"
K = 10
LISTING_CHANGE = 0.10
SAME_RATING_POINTS = 5.0
SAME_LISTING = 0.90
SEAM_DAYS = 14
BREAK_COLUMNS = ["changed_at_utc", "scope", "kind", "label"]


def listed(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per (pack, snapshot, model): a model listed twice counts once, at its best."""
    return (scores.groupby(["pack", "measured_at_utc", "model_id"], as_index=False)
            .agg(value=("value", "max"), source=("source", "first")))


def snapshots(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (pack, snapshot): the set of listed models and their count, in time order."""
    snaps = (rows.groupby(["pack", "measured_at_utc"])["model_id"]
             .agg(lambda m: frozenset(m)).rename("models").reset_index())
    return snaps.assign(n_models=snaps["models"].map(len)).sort_values(
        ["measured_at_utc", "pack"], ignore_index=True)


def listing_change(before: frozenset, after: frozenset, seen_before: set) -> str | None:
    """Words for a listing change between two consecutive snapshots, or None."""
    gone = before - after
    back = (after - before) & seen_before
    if len(gone) >= LISTING_CHANGE * len(before):
        return f"lists {len(after)} models, was {len(before)} ({len(gone)} no longer listed)"
    if len(after) >= (1 + LISTING_CHANGE) * len(before) and len(back) >= LISTING_CHANGE * len(before):
        return (f"lists {len(after)} models, was {len(before)} ({len(back)} listed again "
                f"that were listed before)")
    return None


def listing_changes(scores: pd.DataFrame) -> pd.DataFrame:
    """Every listing change inside each Arena pack, as `method_changes` rows."""
    snaps = snapshots(listed(scores))
    first_seen = listed(scores).groupby("model_id")["measured_at_utc"].min()
    rows = []
    for pack, group in snaps.groupby("pack"):
        for prev, cur in zip(group.itertuples(), group.iloc[1:].itertuples()):
            seen = set(first_seen.index[first_seen < cur.measured_at_utc])
            words = listing_change(prev.models, cur.models, seen)
            if words:
                rows.append((cur.measured_at_utc, pack, "listing change",
                             f"{pack_label(pack)} {words}"))
    return pd.DataFrame(rows, columns=BREAK_COLUMNS)


def pack_label(pack: str) -> str:
    """`arena:fboulnois_lmsys_csv:displayed_rating` -> `Arena fboulnois lmsys csv (displayed rating)`."""
    parts = pack.split(":")
    if len(parts) < 3:
        return pack
    return f"Arena {parts[1].replace('_', ' ')} ({parts[2].replace('_', ' ')})"


def ratings(rows: pd.DataFrame) -> dict:
    """(pack, snapshot) -> the listed models' ratings (a Series indexed by model_id)."""
    return {key: group.set_index("model_id")["value"]
            for key, group in rows.groupby(["pack", "measured_at_utc"])}


def agree(left: pd.Series, right: pd.Series) -> bool:
    """Two snapshots carry the same ratings and list the same models."""
    common = left.index.intersection(right.index)
    if not len(common):
        return False
    same_listing = len(common) / len(left.index.union(right.index)) >= SAME_LISTING
    return same_listing and (left[common] - right[common]).abs().median() <= SAME_RATING_POINTS


def packs_agree(snaps: dict, p: str, q: str) -> bool:
    """On most common dates, or across the seam when one pack ends before the other starts."""
    a = sorted(d for pack, d in snaps if pack == p)
    b = sorted(d for pack, d in snaps if pack == q)
    common = sorted(set(a) & set(b))
    if common:
        votes = [agree(snaps[(p, d)], snaps[(q, d)]) for d in common]
        return sum(votes) > len(votes) / 2
    (first, end), (last, start) = ((p, a[-1]), (q, b[0])) if a[-1] < b[0] else ((q, b[-1]), (p, a[0]))
    return start - end <= pd.Timedelta(days=SEAM_DAYS) and agree(snaps[(first, end)],
                                                                  snaps[(last, start)])


def families(rows: pd.DataFrame) -> dict[str, str]:
    """Each pack -> the pack that represents its family (the one running longest)."""
    snaps = ratings(rows)
    packs = list(rows.groupby("pack")["measured_at_utc"].max().sort_values(ascending=False).index)
    head = {p: p for p in packs}
    for i, p in enumerate(packs):
        for q in packs[:i]:
            if head[q] == q and packs_agree(snaps, p, q):
                head[p] = q
                break
    return head


def method(pack: str) -> str:
    return pack.split(":")[-1]


def chain(scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the snapshots the one Arena series is made of, with `segment_start`; its breaks)."""
    rows = listed(scores)
    snaps = snapshots(rows)
    if snaps.empty:
        return snaps.assign(segment_start=pd.NaT), pd.DataFrame(columns=BREAK_COLUMNS)
    snaps["family"] = snaps["pack"].map(families(rows))
    picked, after, family = [], pd.Timestamp.min.tz_localize("UTC"), _next_family(snaps, None)
    while family is not None:
        picked += _walk(snaps[(snaps["family"] == family) & (snaps["measured_at_utc"] > after)],
                        family)
        after = snaps.loc[snaps["family"] == family, "measured_at_utc"].max()
        family = _next_family(snaps, after)
    points = pd.DataFrame(picked).reset_index(drop=True)
    breaks = _breaks(points, rows)
    starts = pd.Series(pd.concat([points["measured_at_utc"].iloc[:1], breaks["changed_at_utc"]]))
    idx = np.searchsorted(starts.to_numpy(), points["measured_at_utc"].to_numpy(), side="right") - 1
    return points.assign(segment_start=starts.to_numpy()[idx]), breaks


def _next_family(snaps: pd.DataFrame, after) -> str | None:
    """The family with the next snapshot after `after` (ties: the one running longest)."""
    later = snaps if after is None else snaps[snaps["measured_at_utc"] > after]
    if later.empty:
        return None
    spans = later.groupby("family")["measured_at_utc"].agg(["min", "max"])
    return spans.sort_values(["min", "max"], ascending=[True, False]).index[0]


def _walk(snaps: pd.DataFrame, head: str) -> list:
    """One snapshot per date: the family's head pack, else a member listing like the series."""
    out, by_day = [], {}
    for snap in snaps.to_dict("records"):
        by_day.setdefault(snap["measured_at_utc"], []).append(snap)
    for day in sorted(by_day):
        own = [s for s in by_day[day] if s["pack"] == head]
        for snap in own or by_day[day]:
            if not own and out and _jaccard(out[-1]["models"], snap["models"]) < SAME_LISTING:
                continue
            out.append(snap)
            break
    return out


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _breaks(points: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Where the chained series changes rating method or listing, as `method_changes` rows."""
    first_seen = rows.groupby("model_id")["measured_at_utc"].min()
    out = []
    records = points.to_dict("records")
    for prev, cur in zip(records, records[1:]):
        prev, cur = pd.Series(prev), pd.Series(cur)
        seen = set(first_seen.index[first_seen < cur.measured_at_utc])
        listing = listing_change(prev.models, cur.models, seen)
        if method(prev.pack) != method(cur.pack) and prev.family != cur.family:
            kind, words = "rating method", (f"{method(prev.pack).replace('_', ' ')} to "
                                            f"{method(cur.pack).replace('_', ' ')}")
        elif listing or prev.family != cur.family and _jaccard(prev.models, cur.models) < SAME_LISTING:
            kind, words = "listing change", listing or (
                f"lists {len(cur.models)} models, was {len(prev.models)} (other models listed)")
        else:
            continue
        out.append((cur.measured_at_utc, SERIES, kind,
                    f"Arena leader − 10th: {words}; now {pack_label(cur.pack)}"))
    return pd.DataFrame(out, columns=BREAK_COLUMNS)


def top_gap(scores: pd.DataFrame, k: int = K) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(leader minus k-th per chained snapshot, with `pack` and `segment_start`; the breaks)."""
    from warehouse import gaps

    points, breaks = chain(scores)
    if points.empty:
        return pd.DataFrame(columns=gaps.GAP_COLUMNS + ["pack", "segment_start"]), breaks
    keep = points[["pack", "measured_at_utc", "segment_start"]]
    rows = listed(scores).merge(keep, on=["pack", "measured_at_utc"])
    out = gaps.top_k_gap(rows, k).rename(columns={"metric": "pack"})
    starts = keep.assign(bucket_start=gaps._day(keep["measured_at_utc"]))
    out = out.merge(starts[["pack", "bucket_start", "segment_start"]], on=["pack", "bucket_start"])
    return out.assign(metric=SERIES, segment_start=gaps._day(out["segment_start"])), breaks
