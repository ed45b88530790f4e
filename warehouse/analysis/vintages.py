"""Vintages of the refreshed public sources: which rows a series uses, and where it breaks.

Epoch re-estimates its Capabilities Index as benchmarks are added, so a new export can move
old scores; Arena re-anchors its scale. Each import of a source is kept as a *vintage* (the
shipped history is the first), and the rule is, per source family:

* The newest vintage is used wherever it has data: from its first date on. An older vintage
  is used only before the first date of every newer one (history the newest no longer
  reaches back to). A full re-export therefore replaces the whole series: one scale, no seam.
* Where a series does pass from an older vintage to a newer one (the newer one starts later),
  that date is a recorded break of kind `new vintage` (like a new rating method): the series is
  split there and no verdict spans it.

Pure: frames in, frames out (the warehouse's `public_vintages` view feeds `SQL`).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from warehouse.analysis.arena import BREAK_COLUMNS

KIND = "new vintage"
SQL = {"vintages": """SELECT family, dataset, fetched_at_utc, data_from, data_through,
                             superseded_from, is_newest, bundled
                      FROM public_vintages WHERE family IN ('arena', 'epoch_eci', 'epoch_benchmarks')"""}


@dataclass(frozen=True)
class Family:
    """A refreshable source: what people call it, how often it publishes, its terms."""

    label: str  # "Arena ratings"
    stale_after_days: int  # newest data older than this: the source is marked stale
    licence: str
    citation: str
    storing: str = "allowed"  # "allowed", "unknown" or "not allowed" (then not fetched by default)
    bundled: tuple[str, str] | None = None  # (shipped dataset it refreshes, that file's vintage date)


ARENA_CITATION = ("LMArena, 'Arena leaderboard dataset', huggingface.co/datasets/lmarena-ai/"
                  "leaderboard-dataset (CC BY 4.0); Chiang et al., 'Chatbot Arena: An Open "
                  "Platform for Evaluating LLMs by Human Preference', arXiv:2403.04132 (2024)")
EPOCH_CITATION = ("Epoch AI, 'Capabilities & Benchmarking'. Published online at epoch.ai. "
                  "Retrieved from https://epoch.ai/benchmarks (CC BY 4.0)")
FAMILIES = {
    "arena": Family("Arena ratings", 14, "CC BY 4.0 (LMArena leaderboard dataset)", ARENA_CITATION,
                    bundled=("arena_elo_history", "2025-12-17")),
    "epoch_eci": Family("Epoch Capabilities Index", 60, "CC BY 4.0 (Epoch AI)", EPOCH_CITATION,
                        bundled=("epoch_capabilities_index", "2026-03-09")),
    "epoch_benchmarks": Family("Epoch benchmark scores", 60, "CC BY 4.0 (Epoch AI)", EPOCH_CITATION,
                               bundled=("epoch_benchmark_scores", "2025-11-01")),
    "openrouter": Family("OpenRouter prices", 14,
                         "OpenRouter's terms apply (public models API, no key)",
                         "OpenRouter, models API, https://openrouter.ai/api/v1/models",
                         storing="unknown", bundled=("openrouter_price_changes", "2026-08-22")),
    "litellm": Family("LiteLLM prices", 14, "MIT (BerriAI/litellm)",
                      "BerriAI/litellm, model_prices_and_context_window.json",
                      bundled=("litellm_price_changes", "2025-09-01")),
}
# Which gap series each family's scores feed (series ids, or a prefix ending in ':').
SERIES = {"arena": ("arena:",), "epoch_eci": ("epoch:eci",),
          "epoch_benchmarks": ("dimension:", "epoch:")}


def feeds(family: str, series_id: str) -> bool:
    if family == "epoch_benchmarks" and series_id.startswith("epoch:eci"):
        return False
    return any(series_id == s or (s.endswith(":") and series_id.startswith(s))
               for s in SERIES.get(family, ()))


def seams(vintages: pd.DataFrame) -> pd.DataFrame:
    """Per family, each date where the rows in use pass from an older vintage to a newer one:
    (family, changed_at, newer, older) rows. None when the newest reaches back as far."""
    out = []
    if vintages is None or vintages.empty:
        return pd.DataFrame(columns=["family", "changed_at", "newer", "older"])
    for family, rows in vintages.groupby("family"):
        rows = rows.dropna(subset=["data_from"]).sort_values(["bundled", "fetched_at_utc"],
                                                             ascending=[False, True])
        used = rows[rows["superseded_from"].isna()
                    | (pd.to_datetime(rows["data_from"]) < pd.to_datetime(rows["superseded_from"]))]
        records = used.to_dict("records")
        for i, newer in enumerate(records[1:], start=1):
            older = [r for r in records[:i] if pd.Timestamp(r["data_from"]) < pd.Timestamp(newer["data_from"])]
            if older:
                out.append((family, pd.Timestamp(newer["data_from"]), newer, older[-1]))
    return pd.DataFrame(out, columns=["family", "changed_at", "newer", "older"])


def _when(row: dict) -> str:
    if row.get("bundled"):
        return "the vintage shipped with GapWatch"
    return f"the vintage fetched {pd.Timestamp(row['fetched_at_utc']):%Y-%m-%d}"


def breaks(series: pd.DataFrame, vintages: pd.DataFrame | None) -> pd.DataFrame:
    """`new vintage` break rows, one per (seam, gap series the family feeds)."""
    found = seams(vintages)
    if found.empty or series is None or series.empty:
        return pd.DataFrame(columns=BREAK_COLUMNS)
    ids = sorted(set(series["metric"].astype(str)))
    rows = []
    for seam in found.itertuples():
        label = (f"{FAMILIES[seam.family].label}: {_when(seam.newer)} from "
                 f"{seam.changed_at:%Y-%m-%d} on; earlier points from {_when(seam.older)}")
        rows += [(seam.changed_at.tz_localize("UTC") if seam.changed_at.tzinfo is None
                  else seam.changed_at, series_id, KIND, label)
                 for series_id in ids if feeds(seam.family, series_id)]
    return pd.DataFrame(rows, columns=BREAK_COLUMNS)


def split(series: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """`segment_start` moved to the latest `new vintage` break at or before each point (the
    bucket holding the break starts anew, as for every recorded break)."""
    if series is None or series.empty or found is None or found.empty:
        return series
    series = series.copy()
    if "segment_start" not in series:
        series["segment_start"] = pd.NaT
    for series_id, rows in found.groupby("scope"):
        mine = (series["metric"] == series_id).to_numpy()
        if not mine.any():
            continue
        buckets = pd.to_datetime(series.loc[mine, "bucket_start"])
        monthly = bool((buckets.dt.day == 1).all())
        starts = pd.to_datetime(rows["changed_at_utc"], utc=True).dt.tz_localize(None)
        starts = np.sort((starts.dt.to_period("M").dt.start_time if monthly else starts.dt.normalize())
                         .unique())
        idx = np.searchsorted(starts, buckets.to_numpy(), side="right") - 1
        seam = np.where(idx >= 0, starts[np.maximum(idx, 0)], np.datetime64("NaT"))
        old = pd.to_datetime(series.loc[mine, "segment_start"]).to_numpy()
        series.loc[mine, "segment_start"] = pd.Series(np.where(
            pd.isna(old) | (~pd.isna(seam) & (seam > old)), seam, old)).to_numpy()
    return series


def freshness_text(label: str, data_through, fetched_at, bundled: bool, stale: bool,
                   stale_after_days: int | None = None) -> str:
    """`Arena ratings to 2026-11-30, fetched 2026-12-05` (and `; stale` past its cadence, with
    the cadence when given)."""
    if pd.isna(data_through):
        return f"{label}: no data"
    text = f"{label} to {pd.Timestamp(data_through):%Y-%m-%d}"
    if bundled or pd.isna(fetched_at):
        text += ", shipped with GapWatch"
    else:
        text += f", fetched {pd.Timestamp(fetched_at):%Y-%m-%d}"
    if stale and stale_after_days:
        return text + f"; stale (newest data older than {stale_after_days} days)"
    return text + ("; stale" if stale else "")


# Which family a row's `source` (`public:<dataset>`, or a live price source) belongs to.
DATASET_FAMILY = {"arena_elo_history": "arena", "arena_lab_frontier_history": "arena",
                  "lmarena_leaderboard": "arena", "epoch_capabilities_index": "epoch_eci",
                  "epoch_eci": "epoch_eci", "epoch_benchmark_scores": "epoch_benchmarks",
                  "epoch_benchmarks": "epoch_benchmarks", "openrouter_price_changes": "openrouter",
                  "openrouter": "openrouter", "litellm_price_changes": "litellm",
                  "litellm": "litellm"}


def family_of(source) -> str | None:
    """`public:lmarena_leaderboard` -> `arena`; None for measured rows and unknown sources."""
    if not isinstance(source, str):
        return None
    return DATASET_FAMILY.get(source.removeprefix("public:").split(":")[0])
