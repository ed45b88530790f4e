"""Every gap series, verdict and lag the warehouse can support, public and measured alike.

`SQL` turns the views into score/price tables; `gap_tables.compute_all` runs it and hands the
frames to `compute`, which calls the pure functions in `gaps`, `trends` and `lags`; and
`gap_tables.store` replaces the result tables in one transaction. This module does no I/O. What is computed, and why:

* Arena: leader minus 10th model per snapshot, as one series (`arena:text`) chained from the
  packs that carry the same ratings, split into segments where the rating method or the
  listing changes (`warehouse.analysis.arena` says how). The lab-frontier packs hold one flagship per
  lab, not a leaderboard: left out.
* Epoch ECI: best closed minus best open model released by each month; the open-vs-closed lag
  in months (threshold crossings) with its trend; each organisation's lag behind the overall
  frontier (every model); China's behind the US (`countries`).
* OpenRouter: log10 of the closed / open median output price per month, from the price in force
  on the first of the month; paid offerings only (no `:free` ids, no zero prices), each model's
  offerings averaged first so a model listed under many ids counts once.
* Measured rows: per (pack, version, metric), bucketed by density, leader minus runner-up /
  median / interquartile spread / top-10 spread, and best closed vs best open; latency as
  log10 ratios of median TTFT between open and closed models, per workload and concurrency.

Periods (the `period` column): no verdict spans a *recorded* break (Arena listing and
rating-method changes, `warehouse.analysis.arena`; where a refreshed public source passes from
one vintage to a newer one, `warehouse.analysis.vintages`; a model of a measured series in a new
run context or swapped behind its name (the drift sentinel's `model swap`),
`MODEL_BREAK_KINDS` from `method_changes`; a new pack version is a new series). A series
without one gets a `whole history` verdict; with breaks, one `segment <start> to <end>` verdict
per stretch. A step the data show with no recorded cause (`level_shifts`) is fitted with the
trend in the same GLS (stored as `step_at`/`step_size` and as a `level shift` row of
`method_changes`), not cut out. Every series also gets a `last 12 months` verdict (the
headline: board, Gaps page, terminal): the slope of its last 12 months (from the last point at
or before 12 months before the newest, never across the latest break), fitted together with
the whole stretch since that break, which supplies the noise model. A `widening` or
`narrowing` whose period's first and last points moved the other way becomes `no clear
change` with a note, so no row contradicts the numbers shown beside it.

Benjamini–Hochberg runs in two families (`family`): the headlines of all series, and the
whole-history and segment verdicts; a family never holds two overlapping periods of a series.
"""

import numpy as np
import pandas as pd

from warehouse.analysis import (arena, countries, frontier_lag, gaps, labels, lags, level_shifts,
                                public_series, trends, vintages)

ARENA_TOP_K = 10
PRICE_SOURCE = "public:openrouter_price_changes"
LIVE_PRICE_SOURCE = "openrouter"  # the same list as observed by `collectors run prices|public`
PRICE_METRIC = "price:usd_per_mtok_out"
WHOLE, RECENT = "whole history", "last 12 months"
FAMILIES = ("whole history and segments", "last 12 months")  # BH families, by period == RECENT
RECENT_MONTHS = 12
SERIES_COLUMNS = gaps.GAP_COLUMNS + ["pack", "segment_start"]
# Recorded breaks of a model (`method_changes.scope` = a model id) that split every series the
# model is in; add a new kind here (e.g. a detected model swap, a new vintage of an index) and
# its words in `labels.METHOD_CHANGE_KINDS`. Arena's listing and rating-method changes split in
# `arena`; a new pack version is a new series. `level shift` rows are fitted steps, not splits.
MODEL_BREAK_KINDS = ("run context", "model swap")
BREAK_COLUMNS = arena.BREAK_COLUMNS
SQL = {
    "arena": """SELECT pack, measured_at_utc, model_id, value, source FROM capability_scores
                WHERE pack LIKE 'arena:%' AND pack NOT LIKE 'arena:lab_frontier:%'""",
    "eci": """SELECT s.pack, s.measured_at_utc, s.model_id, s.value, s.source, m.open_weights,
                     m.organization, m.country
              FROM capability_scores s JOIN models m USING (model_id) WHERE s.pack = 'epoch:eci'""",
    "prices": f"""SELECT p.model_id, p.source_name, p.effective_from, p.effective_to,
                         CAST(p.last_seen_utc AS DATE) AS last_seen, p.usd_per_mtok_out AS value,
                         p.source, m.open_weights
                  FROM prices p JOIN models m USING (model_id)
                  WHERE p.source IN ('{PRICE_SOURCE}', '{LIVE_PRICE_SOURCE}')
                    AND p.source_name NOT LIKE '%:free'
                    AND p.usd_per_mtok_out > 0""",
    "measured": """SELECT s.pack || '@' || s.pack_version || ':' || s.metric AS pack,
                          max(s.measured_at_utc) AS measured_at_utc, s.model_id,
                          sum(s.value * s.n_items) / sum(s.n_items) AS value,
                          'measured' AS source, any_value(m.open_weights) AS open_weights
                   FROM capability_scores s LEFT JOIN models m USING (model_id)
                   WHERE s.source = 'measured' AND s.n_items > 0
                     AND NOT ends_with(s.metric, '_fixed_minus_fresh')
                   GROUP BY s.pack, s.pack_version, s.metric, s.run_id, s.model_id""",
    # Measured medians per day from uncontended runs only (collectors/host_load.py);
    # `gap_tables.compute_all(include_contended=True)` takes them all.
    "latency": """SELECT 'latency:ttft_s_p50:' || l.workload || '@c' || l.concurrency AS pack,
                         l.day AS measured_at_utc, l.model_id, l.ttft_s_p50 AS value, l.source,
                         m.open_weights
                  FROM latency_stats l LEFT JOIN models m USING (model_id)
                  WHERE l.ttft_s_p50 > 0 AND l.source <> 'measured'
                  UNION ALL
                  SELECT 'latency:ttft_s_p50:' || s.workload || '@c' || s.concurrency,
                         CAST(s.measured_at_utc AS DATE), s.model_id, median(s.ttft_s), 'measured',
                         any_value(m.open_weights)
                  FROM latency_samples s LEFT JOIN models m USING (model_id)
                  WHERE s.error_class IS NULL AND s.ttft_s > 0 AND NOT s.contended
                  GROUP BY s.workload, s.concurrency, CAST(s.measured_at_utc AS DATE), s.model_id""",
    "changes": f"""SELECT changed_at_utc, scope, kind, label FROM method_changes
                   WHERE kind IN ({", ".join(f"'{k}'" for k in MODEL_BREAK_KINDS)})""",
}
SQL |= public_series.SQL  # per-dimension Epoch gaps, Arena extras, price index, contamination
SQL |= vintages.SQL  # where a refreshed source's series passes to a newer vintage (a break)


def compute(data: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, ...]:
    """The frames named as in `SQL` to (gap series, verdicts, lags, breaks); no I/O."""
    changes = data.get("changes", pd.DataFrame(columns=BREAK_COLUMNS))
    arena_gap, arena_breaks = arena.top_gap(data["arena"], ARENA_TOP_K)
    series = _concat([arena_gap, eci_series(data["eci"]), price_series(data["prices"]),
                      measured_series(data["measured"], changes),
                      ratio_series(data["latency"], changes), public_series.series(data)],
                     SERIES_COLUMNS)
    series = series.assign(pack=series["pack"].astype(object).fillna(series["metric"]))
    lag_rows = _concat([eci_lags(data["eci"]), countries.record_match(data["eci"], ORG_MIN_MODELS),
                        eci_organisation_lags(data["eci"]), public_series.lag_rows(data)],
                       lags.LAG_COLUMNS)
    lag_rows = _concat([lag_rows, eci_level_averaged(data["eci"])], lags.LAG_COLUMNS)
    pooled = lag_rows[(lag_rows["leader_group"] == "closed") & (lag_rows["metric"] != "epoch:eci")]
    tested = _concat([series, lag_over_time(data["eci"]), lags.lag_series(pooled)],
                     SERIES_COLUMNS)
    seams = vintages.breaks(tested, data.get("vintages"))
    tested = vintages.split(tested, seams)
    steps, shifts = find_steps(tested)
    breaks = _concat([arena.listing_changes(data["arena"]), arena_breaks, seams, shifts],
                     BREAK_COLUMNS)
    return tested, period_verdicts(tested, units(tested), steps=steps), lag_rows, breaks


def find_steps(series: pd.DataFrame,
               min_effects: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """Steps no recorded change explains (`level_shifts`), one per stretch between recorded
    breaks: ({series key: [dates]}, break rows worded for a person, kind `level shift`).
    `min_effects` as in `period_verdicts`."""
    if series.empty:
        return {}, pd.DataFrame(columns=BREAK_COLUMNS)
    series = series.reindex(columns=SERIES_COLUMNS)
    known = units(series)

    def words(key, shift) -> str:
        way = "up" if shift["size"] > 0 else "down"
        return (f"{labels.gap_series(key[0], key[1], key[2], key[3])}: fitted step, the gap "
                f"stepped {way} by {labels.significant(abs(shift['size']))} "
                f"{labels.unit(known[(key[0], key[1])])} with no recorded cause; fitted with the "
                f"trend, not a split")
    return level_shifts.find_all(series, known, words, min_effects)


def period_verdicts(series: pd.DataFrame, units: dict | None = None,
                    alpha: float = trends.ALPHA, min_effects: dict | None = None,
                    steps: dict | None = None) -> pd.DataFrame:
    """A verdict per series and period (see the module docstring), adjusted (BH) within two
    families: the headlines (last 12 months) of all series together, and the whole-history
    and segment verdicts together; never two overlapping periods of one series in a family.
    `min_effects` maps a unit to a minimum effect overriding `trends.MIN_EFFECTS` (the
    validity simulation sets it to 0); `steps` maps a series key to the dates of its fitted
    steps (`find_steps`)."""
    units, rows, min_effects, steps = units or {}, [], min_effects or {}, steps or {}
    for key, group in series.groupby(trends.SERIES_KEY, sort=True, dropna=False):
        unit = units.get((key[0], key[1]), "")
        for period, part, note, window in periods(group):
            days = pd.to_datetime(part["bucket_start"])
            inside = [d for d in steps.get(key, []) if days.min() < d <= days.max()]
            row = trends.verdict(part, alpha, unit, min_effects.get(unit), inside, window)
            rows.append(row | {"period": period, "note": _join(row.get("note"), note),
                               "family": FAMILIES[period == RECENT]})
    table = pd.DataFrame(rows, columns=[*trends.VERDICT_COLUMNS, "period"])
    parts = [trends.adjust(table[table["family"] == f].reset_index(drop=True), alpha)
             .assign(period=table.loc[table["family"] == f, "period"].to_numpy())
             for f in FAMILIES if (table["family"] == f).any()]
    adjusted = pd.concat(parts, ignore_index=True) if parts else table
    return ends_agree(adjusted, series)


def periods(group: pd.DataFrame) -> list[tuple[str, pd.DataFrame, str | None, object]]:
    """(period name, its points, a note, the judged window's first date or None) for one
    series: whole history or segments between recorded breaks, and the last 12 months, whose
    points are the whole latest stretch (for the noise model) with the window marked."""
    group = group.dropna(subset=["value"]).sort_values("bucket_start", kind="stable")
    days = pd.to_datetime(group["bucket_start"])
    starts = pd.to_datetime(group["segment_start"]).fillna(days.min()) if len(group) else days
    out = []
    if starts.nunique() <= 1:
        out.append((WHOLE, group, None, None))
    else:
        for start in sorted(starts.unique()):
            part = group[(starts == start).to_numpy()]
            note = None if start == starts.min() else f"begins at a break on {start:%Y-%m-%d}"
            out.append((f"segment {start:%Y-%m-%d} to {days[starts == start].max():%Y-%m-%d}",
                        part, note, None))
    return out + [(RECENT, *recent(group, days, starts))]


def recent(group: pd.DataFrame, days: pd.Series,
           starts: pd.Series) -> tuple[pd.DataFrame, str | None, object]:
    """The last 12 months: from the last point at or before 12 months before the newest (so
    its first point is the gap "12 months ago"), never reaching back across the latest break.
    Returned with every point since that break: the noise model is fitted on all of them."""
    if not len(group):
        return group, None, None
    cutoff = days.max() - pd.DateOffset(months=RECENT_MONTHS)
    before = days[days <= cutoff]
    start = max(before.max() if len(before) else days.min(), starts.max())
    note = (f"only since the break on {start:%Y-%m-%d}: earlier points are not comparable"
            if starts.max() > cutoff and starts.nunique() > 1 else None)
    stretch = group[(starts == starts.max()).to_numpy()]
    if start > days.min():
        note = _join(note, f"noise model (autocorrelation, spread) from every month since "
                           f"{pd.to_datetime(stretch['bucket_start']).min():%Y-%m}")
    return stretch, note, start


def ends_agree(table: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """`widening`/`narrowing` stand only if the period's first and last points moved that way."""
    table = table.copy()
    values = series.dropna(subset=["value"]).assign(bucket_start=lambda f: pd.to_datetime(
        f["bucket_start"])).set_index([*trends.SERIES_KEY, "bucket_start"])["value"]
    values = values[~values.index.duplicated()]
    for i, r in table[table["verdict"].isin(["widening", "narrowing"])].iterrows():
        key = tuple(r[k] for k in trends.SERIES_KEY)
        first, last = (values.get(key + (pd.Timestamp(r[d]),)) for d in ("period_start", "period_end"))
        if first is None or last is None or np.ndim(first) or np.ndim(last):
            continue
        if (last - first) * (1 if r["verdict"] == "widening" else -1) < 0:
            table.loc[i, "note"] = _join(r["note"], (
                f"called {r['verdict']} by the trend test, but the gap went from {first:.3g} to "
                f"{last:.3g} over the period: no clear change"))
            table.loc[i, "verdict"] = "no clear change"
    return table


def _join(*notes) -> str | None:
    text = "; ".join(n for n in notes if isinstance(n, str) and n)
    return text or None


def openness(rows: pd.DataFrame) -> pd.Series:
    """`open` / `closed` from models.open_weights; unknown stays missing and is left out."""
    return rows["open_weights"].map({True: "open", False: "closed"})


def eci_series(eci: pd.DataFrame) -> pd.DataFrame:
    """Closed frontier minus open frontier per month (the home page's ECI gap)."""
    return gaps.frontier_gap(eci, openness(eci), "closed", "open")


def eci_lags(eci: pd.DataFrame) -> pd.DataFrame:
    if eci.empty:
        return pd.DataFrame(columns=lags.LAG_COLUMNS)
    return lags.group_lags(eci, openness(eci), "closed", "open")


ORG_MIN_MODELS = 5  # an organisation's lag over time needs this many models with an ECI


def pairs(eci: pd.DataFrame) -> list[tuple[pd.DataFrame, pd.Series, str, str]]:
    """(scores, group labels, leader, follower) of every pair with a lag: open behind closed,
    each organisation with `ORG_MIN_MODELS` models behind the overall frontier (every model,
    whoever released it), and China behind the US (`countries`, with as many models a side)."""
    if eci.empty:
        return []
    out = [(eci, openness(eci), "closed", "open")]
    counts = eci["organization"].value_counts()
    for org in sorted(counts[counts >= ORG_MIN_MODELS].index):
        both = pd.concat([eci, eci[eci["organization"] == org]], ignore_index=True)
        out.append((both, pd.Series(["frontier"] * len(eci) + [org] * int(counts[org])),
                    "frontier", org))
    return out + countries.pair(eci, ORG_MIN_MODELS)


def lag_over_time(eci: pd.DataFrame) -> pd.DataFrame:
    """Months each follower's frontier is behind its leader's, month by month (`frontier_lag`)."""
    return _concat([frontier_lag.over_time(*pair) for pair in pairs(eci)], SERIES_COLUMNS)


def eci_level_averaged(eci: pd.DataFrame) -> pd.DataFrame:
    """The headline lags (Epoch's level-averaged horizontal distance) as summary lag rows."""
    return _concat([_level_row(scores, *rest) for scores, *rest in pairs(eci)], lags.LAG_COLUMNS)


def _level_row(eci: pd.DataFrame, group: pd.Series, leader: str, follower: str) -> pd.DataFrame:
    found = frontier_lag.level_averaged(eci, group, leader, follower)
    if found is None:
        return pd.DataFrame(columns=lags.LAG_COLUMNS)
    return pd.DataFrame([{
        "metric": eci["pack"].iloc[0], "source": eci["source"].iloc[0], "leader_group": leader,
        "follower_group": follower, "tolerance_points": 0.0, "is_summary": True, "censored": False,
        "measure": lags.LEVEL_AVERAGED, "lag_months": found["lag_months"],
        "ci_low": found["ci_low"], "ci_high": found["ci_high"], "n_events": found["n_events"],
        "top_months_at_least": found["top_months_at_least"], "level": found["level_high"],
        "leader_date": found["top_since"], "follower_date": found["last_release"]}],
        columns=lags.LAG_COLUMNS)


def eci_organisation_lags(eci: pd.DataFrame) -> pd.DataFrame:
    if eci.empty:
        return pd.DataFrame(columns=lags.LAG_COLUMNS)
    return lags.organisation_lags(eci, eci["organization"])


def price_series(periods: pd.DataFrame) -> pd.DataFrame:
    """log10(closed median / open median) of the output price in force on each month's first."""
    if periods.empty:
        return pd.DataFrame(columns=gaps.GAP_COLUMNS)
    periods = periods.assign(**{c: pd.to_datetime(periods[c])
                                for c in ("effective_from", "effective_to", "last_seen")})
    monthly = gaps.in_force_at(periods, "MS")
    a, b = leader_first(monthly, openness(monthly), lower_is_better=True)
    return gaps.group_gap(monthly, openness(monthly), a, b, "MS", "median",
                          lower_is_better=True, metric=PRICE_METRIC)


def measured_series(scores: pd.DataFrame, changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank gaps and the best-closed-vs-best-open gap for each measured pack."""
    parts = []
    for _, rows in scores.groupby("pack"):
        freq = gaps.choose_freq(rows["measured_at_utc"])
        bucketed = (rows.assign(measured_at_utc=gaps.bucket_start(rows["measured_at_utc"], freq))
                    .groupby(["pack", "measured_at_utc", "model_id", "source"], as_index=False)
                    .agg(value=("value", "mean"), open_weights=("open_weights", "first")))
        a, b = leader_first(bucketed, openness(bucketed), lower_is_better=False)
        found = [gaps.rank_gaps(bucketed, ARENA_TOP_K),
                 gaps.group_gap(bucketed, openness(bucketed), a, b, freq, "max")]
        parts += [with_segments(p, rows["model_id"], changes, freq) for p in found]
    return _concat(parts, SERIES_COLUMNS)


def ratio_series(values: pd.DataFrame, changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Open vs closed median latency as log10 ratios, per (source, workload, concurrency)."""
    parts = []
    for _, rows in values.groupby(["source", "pack"]):
        a, b = leader_first(rows, openness(rows), lower_is_better=True)
        gap = gaps.group_gap(rows, openness(rows), a, b, stat="median", lower_is_better=True)
        parts.append(with_segments(gap, rows["model_id"], changes, "D"))
    return _concat(parts, SERIES_COLUMNS)


def with_segments(out: pd.DataFrame, models: pd.Series, changes: pd.DataFrame | None,
                  freq: str) -> pd.DataFrame:
    """`segment_start` of each point: the latest run-context change of one of the series'
    models in or before its bucket (NaT when none); the bucket holding a change starts anew."""
    out = out.assign(segment_start=pd.NaT)
    if changes is None or out.empty:
        return out
    moved = pd.to_datetime(changes.loc[changes["scope"].isin(set(models)), "changed_at_utc"], utc=True)
    if moved.empty:
        return out
    starts = np.sort(gaps.bucket_start(moved.dt.tz_localize(None), freq).unique())
    buckets = pd.to_datetime(out["bucket_start"]).to_numpy()
    idx = np.searchsorted(starts, buckets, side="right") - 1
    return out.assign(segment_start=np.where(idx >= 0, starts[np.maximum(idx, 0)],
                                             np.datetime64("NaT")))


def leader_first(rows: pd.DataFrame, group: pd.Series, lower_is_better: bool) -> tuple[str, str]:
    """('open', 'closed') ordered so group_a is ahead over the whole history (pooled median).

    Why: the sign convention needs the leader as group_a; for a price or a latency which
    group leads is an empirical question, not a naming choice.
    """
    med = rows["value"].groupby(np.asarray(group)).median()
    if not {"open", "closed"} <= set(med.index):
        return "closed", "open"
    open_ahead = med["open"] < med["closed"] if lower_is_better else med["open"] > med["closed"]
    return ("open", "closed") if open_ahead else ("closed", "open")


def units(series: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Unit of each (metric, gap_kind), for the verdict table and the terminal."""
    keys = series[["metric", "gap_kind", "group_a", "group_b"]].drop_duplicates()
    return {(m, k): unit_for(m, k, a, b) for m, k, a, b in keys.itertuples(index=False)}


def unit_for(metric: str, gap_kind: str, group_a: str, group_b: str) -> str:
    if gap_kind == "lag_months":
        return "months"
    if mine := public_series.unit(metric, gap_kind):
        return mine
    if gap_kind.startswith("log10_"):
        return f"log10({group_b}/{group_a})"
    if metric.startswith("arena:"):
        return "Arena rating points"
    if metric == "epoch:eci":
        return "ECI points"
    return "score points (0-1)" if "@" in metric else "metric units"  # measured: pack@version:metric


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    parts = [p.reindex(columns=columns) for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


TABLES = {"gap_series_row": SERIES_COLUMNS, "gap_verdict_row": [*trends.VERDICT_COLUMNS, "period"],
          "lag_row": lags.LAG_COLUMNS, "series_break_row": BREAK_COLUMNS}
