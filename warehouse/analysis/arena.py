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
METHODS = {"elo_online": "online Elo", "elo_rating": "Elo rating", "bt_rating": "Bradley–Terry rating",
           "displayed_rating": "displayed rating",
           "bt_rating_style_control": "Bradley–Terry rating with style control"}


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


def listing_change(before: frozenset, after: frozenset, first_seen: dict, at) -> str | None:
    """Words for a listing change between two consecutive snapshots (the second taken at
    `at`), or None. `first_seen`: each model's first snapshot in any Arena pack."""
    gone = before - after
    back = {m for m in after - before if first_seen[m] < at}
    if len(gone) >= LISTING_CHANGE * len(before):
        return f"lists {len(after)} models, was {len(before)} ({len(gone)} no longer listed)"
    if len(after) >= (1 + LISTING_CHANGE) * len(before) and len(back) >= LISTING_CHANGE * len(before):
        return (f"lists {len(after)} models, was {len(before)} ({len(back)} listed again "
                f"that were listed before)")
    return None


def listing_changes(scores: pd.DataFrame) -> pd.DataFrame:
    """Every listing change inside each Arena pack, as `method_changes` rows."""
    rows = listed(scores)
    first_seen = rows.groupby("model_id")["measured_at_utc"].min().to_dict()
    snaps, out = snapshots(rows), []
    for pack, group in snaps.groupby("pack"):
        records = group.to_dict("records")
        for prev, cur in zip(records, records[1:]):
            words = listing_change(prev["models"], cur["models"], first_seen, cur["measured_at_utc"])
            if words:
                out.append((cur["measured_at_utc"], pack, "listing change",
                            f"{pack_label(pack)} {words}"))
    rows = out
    return pd.DataFrame(rows, columns=BREAK_COLUMNS)


def pack_label(pack: str) -> str:
    """`arena:fboulnois_lmsys_csv:displayed_rating` -> `Arena fboulnois lmsys csv (displayed rating)`."""
    parts = pack.split(":")
    if len(parts) < 3:
        return pack
    return f"Arena {parts[1].replace('_', ' ')} ({method_words(pack)})"


def ratings(rows: pd.DataFrame) -> dict:
    """(pack, snapshot) -> {model_id: rating} of the listed models."""
    out: dict = {}
    days = pd.to_datetime(rows["measured_at_utc"], utc=True).dt.tz_localize(None).to_numpy()
    for pack, day, model, value in zip(rows["pack"].tolist(), days, rows["model_id"].tolist(),
                                       rows["value"].tolist()):
        out.setdefault((pack, day), {})[model] = value
    return out


def agree(left: dict, right: dict) -> bool:
    """Two snapshots ({model_id: rating}) carry the same ratings and list the same models."""
    common = left.keys() & right.keys()
    if not common:
        return False
    same_listing = len(common) / len(left.keys() | right.keys()) >= SAME_LISTING
    diff = np.median([abs(left[m] - right[m]) for m in common])
    return same_listing and diff <= SAME_RATING_POINTS


def packs_agree(snaps: dict, p: str, q: str) -> bool:
    """On most common dates, or across the seam when one pack ends before the other starts."""
    a = sorted(d for pack, d in snaps if pack == p)
    b = sorted(d for pack, d in snaps if pack == q)
    common = sorted(set(a) & set(b))
    if common:
        votes = [agree(snaps[(p, d)], snaps[(q, d)]) for d in common]
        return sum(votes) > len(votes) / 2
    (first, end), (last, start) = ((p, a[-1]), (q, b[0])) if a[-1] < b[0] else ((q, b[-1]), (p, a[0]))
    return start - end <= np.timedelta64(SEAM_DAYS, "D") and agree(snaps[(first, end)],
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


def method_words(pack: str) -> str:
    return METHODS.get(method(pack), method(pack).replace("_", " "))


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
    first_seen = rows.groupby("model_id")["measured_at_utc"].min().to_dict()
    out = []
    records = points.to_dict("records")
    for prev, cur in zip(records, records[1:]):
        at, was, now = cur["measured_at_utc"], prev["models"], cur["models"]
        listing = listing_change(was, now, first_seen, at)
        new_family = prev["family"] != cur["family"]
        if method(prev["pack"]) != method(cur["pack"]) and new_family:
            kind, words = "rating method", f"{method_words(prev['pack'])} to {method_words(cur['pack'])}"
        elif listing or new_family and _jaccard(was, now) < SAME_LISTING:
            kind, words = "listing change", listing or (
                f"lists {len(now)} models, was {len(was)} (other models listed)")
        else:
            continue
        out.append((at, SERIES, kind, f"Arena leader − 10th: {words}; now {pack_label(cur['pack'])}"))
    return pd.DataFrame(out, columns=BREAK_COLUMNS)


def top_gap(scores: pd.DataFrame, k: int = K) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(leader minus k-th per chained snapshot, with `pack` and `segment_start`; the breaks)."""
    from warehouse.analysis import gaps

    points, breaks = chain(scores)
    if points.empty:
        return pd.DataFrame(columns=gaps.GAP_COLUMNS + ["pack", "segment_start"]), breaks
    keep = points[["pack", "measured_at_utc", "segment_start"]]
    rows = listed(scores).merge(keep, on=["pack", "measured_at_utc"])
    out = gaps.top_k_gap(rows, k).rename(columns={"metric": "pack"})
    starts = keep.assign(bucket_start=gaps._day(keep["measured_at_utc"]))
    out = out.merge(starts[["pack", "bucket_start", "segment_start"]], on=["pack", "bucket_start"])
    return out.assign(metric=SERIES, segment_start=gaps._day(out["segment_start"])), breaks
