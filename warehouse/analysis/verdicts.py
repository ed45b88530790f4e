"""Every gap series, verdict and lag the warehouse can support, public and measured alike.

`SQL` turns the views into score/price tables; `gap_tables.compute_all` runs it and hands the
frames to `compute`, which calls the pure functions in `gaps`, `trends` and `lags`; and
`gap_tables.store` replaces the result tables in one transaction. This module does no I/O. What is computed, and why:

* Arena: leader minus 10th model per snapshot, as one series (`arena:text`) chained from the
  packs that carry the same ratings, split into segments where the rating method or the
  listing changes (`warehouse.analysis.arena` says how). The lab-frontier packs hold one flagship per
  lab, not a leaderboard: left out.
* Epoch ECI: best closed minus best open model released by each month; the open-vs-closed lag
  in months (threshold crossings) with its trend; each organisation's lag behind the overall frontier (every model).
* OpenRouter: log10 of the closed / open median output price per month, from the price in force
  on the first of the month; paid offerings only (no `:free` ids, no zero prices), each model's
  offerings averaged first so a model listed under many ids counts once.
* Measured rows: per (pack, version, metric), bucketed by density, leader minus runner-up /
  median / interquartile spread / top-10 spread, and best closed vs best open; latency as
  log10 ratios of median TTFT between open and closed models, per workload and concurrency.

Periods (the `period` column): no verdict spans a break. A series without a break inside gets
a `whole history` verdict; a series with breaks gets one `segment <start> to <end>` verdict per
stretch between breaks instead (a single trend across a break would read the step as a trend).
Every series also gets a `last 12 months` verdict: the points from the last one at or before
12 months before the newest, clipped at the latest break. That recent verdict is the headline
(board, Gaps page, terminal); the whole history (or, with breaks, the latest segment) sits
beside it. A `widening` or `narrowing` whose period's first and last points moved the other
way becomes `no clear change` with a note, so no row contradicts the numbers shown beside it.
Breaks: Arena listing and rating-method changes (`warehouse.analysis.arena`); where a refreshed
public source passes from one vintage to a newer one (`warehouse.analysis.vintages`); for
measured series, a model of the series measured in a new run context (machine, server build,
model file) or found swapped behind its name by the drift sentinel (`model swap`), from
`method_changes`. New pack versions are separate series already. And, for every series, a
level shift that none of these explains (`warehouse.analysis.level_shifts`: a significant step at
least the unit's minimum effect), stored with kind `level shift`.

All verdicts are adjusted together (Benjamini–Hochberg), so adding series can move p_adjusted.
"""

import numpy as np
import pandas as pd

from warehouse.analysis import (arena, gaps, labels, lag_report, lags, level_shifts, public_series,
                                trends, vintages)

ARENA_TOP_K = 10
PRICE_SOURCE = "public:openrouter_price_changes"
LIVE_PRICE_SOURCE = "openrouter"  # the same list as observed by `collectors run prices|public`
PRICE_METRIC = "price:usd_per_mtok_out"
WHOLE, RECENT = "whole history", "last 12 months"
RECENT_MONTHS = 12
SERIES_COLUMNS = gaps.GAP_COLUMNS + ["pack", "segment_start"]
BREAK_COLUMNS = arena.BREAK_COLUMNS
# A model's own breaks (`method_changes` kinds whose scope is a model id): every measured series
# the model is part of starts a new segment there, like at a new machine.
MODEL_BREAKS = ("run context", "model swap")
SQL = {
    "arena": """SELECT pack, measured_at_utc, model_id, value, source FROM capability_scores
                WHERE pack LIKE 'arena:%' AND pack NOT LIKE 'arena:lab_frontier:%'""",
    "eci": """SELECT s.pack, s.measured_at_utc, s.model_id, s.value, s.source, m.open_weights,
                     m.organization
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
    "latency": """SELECT 'latency:ttft_s_p50:' || l.workload || '@c' || l.concurrency AS pack,
                         l.day AS measured_at_utc, l.model_id, l.ttft_s_p50 AS value, l.source,
                         m.open_weights
                  FROM latency_stats l LEFT JOIN models m USING (model_id)
                  WHERE l.ttft_s_p50 > 0""",
    "changes": f"""SELECT changed_at_utc, scope, kind, label FROM method_changes
                   WHERE kind IN {MODEL_BREAKS}""",
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
    lag_rows = _concat([eci_lags(data["eci"]), eci_organisation_lags(data["eci"]),
                        public_series.lag_rows(data)], lags.LAG_COLUMNS)
    open_closed = lag_rows[lag_rows["leader_group"] == "closed"]
    lag_series = lags.lag_series(open_closed)
    seams = vintages.breaks(_concat([series, lag_series], SERIES_COLUMNS), data.get("vintages"))
    series, shifts = split_at_shifts(vintages.split(series, seams))
    lag_series, lag_shifts = split_at_shifts(vintages.split(lag_series, seams))
    tested = _concat([series, lag_series], SERIES_COLUMNS)
    breaks = _concat([arena.listing_changes(data["arena"]), arena_breaks, seams, shifts,
                      lag_shifts], BREAK_COLUMNS)
    return series, period_verdicts(tested, units(tested)), lag_rows, breaks


def split_at_shifts(series: pd.DataFrame,
                    min_effects: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each series split at a level shift no recorded change explains (`level_shifts`);
    (the series, the shifts as break rows worded for a person). `min_effects` as in
    `period_verdicts`."""
    if series.empty:
        return series.reindex(columns=SERIES_COLUMNS), pd.DataFrame(columns=BREAK_COLUMNS)
    series = series.reindex(columns=SERIES_COLUMNS)
    known = units(series)

    def words(key, shift) -> str:
        way = "up" if shift["size"] > 0 else "down"
        return (f"{labels.gap_series(key[0], key[1], key[2], key[3])}: the gap stepped {way} by "
                f"{labels.significant(abs(shift['size']))} {labels.unit(known[(key[0], key[1])])} "
                f"with no recorded cause; verdicts are split there")
    return level_shifts.split_all(series, known, words, min_effects)


def period_verdicts(series: pd.DataFrame, units: dict | None = None,
                    alpha: float = trends.ALPHA, min_effects: dict | None = None) -> pd.DataFrame:
    """A verdict per series and period (see the module docstring), adjusted together (BH).
    `min_effects` maps a unit to a minimum effect overriding `trends.MIN_EFFECTS` (the
    validity simulation sets it to 0)."""
    units, rows, min_effects = units or {}, [], min_effects or {}
    for key, group in series.groupby(trends.SERIES_KEY, sort=True, dropna=False):
        unit = units.get((key[0], key[1]), "")
        for period, part, note in periods(group):
            row = trends.verdict(part, alpha, unit, min_effects.get(unit))
            rows.append(row | {"period": period, "note": _join(row.get("note"), note)})
    table = pd.DataFrame(rows, columns=[*trends.VERDICT_COLUMNS, "period"])
    adjusted = trends.adjust(table[trends.VERDICT_COLUMNS].reset_index(drop=True), alpha)
    adjusted["period"] = table["period"].to_numpy()
    return ends_agree(adjusted, series)


def periods(group: pd.DataFrame) -> list[tuple[str, pd.DataFrame, str | None]]:
    """(period name, its points, a note) for one series: whole history or segments, and recent."""
    group = group.dropna(subset=["value"]).sort_values("bucket_start", kind="stable")
    days = pd.to_datetime(group["bucket_start"])
    starts = pd.to_datetime(group["segment_start"]).fillna(days.min()) if len(group) else days
    out = []
    if starts.nunique() <= 1:
        out.append((WHOLE, group, None))
    else:
        for start in sorted(starts.unique()):
            part = group[(starts == start).to_numpy()]
            note = None if start == starts.min() else f"begins at a break on {start:%Y-%m-%d}"
            out.append((f"segment {start:%Y-%m-%d} to {days[starts == start].max():%Y-%m-%d}",
                        part, note))
    return out + [(RECENT, *recent(group, days, starts))]


def recent(group: pd.DataFrame, days: pd.Series, starts: pd.Series) -> tuple[pd.DataFrame, str | None]:
    """The last 12 months: from the last point at or before 12 months before the newest (so
    its first point is the gap "12 months ago"), never reaching back across the latest break."""
    if not len(group):
        return group, None
    cutoff = days.max() - pd.DateOffset(months=RECENT_MONTHS)
    before = days[days <= cutoff]
    start = max(before.max() if len(before) else days.min(), starts.max())
    note = (f"only since the break on {start:%Y-%m-%d}: earlier points are not comparable"
            if starts.max() > cutoff and starts.nunique() > 1 else None)
    return group[(days >= start).to_numpy()], note


def ends_agree(table: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """`widening`/`narrowing` stand only if the period's first and last points moved that way."""
    table = table.copy()
    values = series.dropna(subset=["value"]).assign(bucket_start=lambda f: pd.to_datetime(
        f["bucket_start"])).set_index([*trends.SERIES_KEY, "bucket_start"])["value"]
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


def report(verdicts: pd.DataFrame, lag_rows: pd.DataFrame) -> str:
    """The verdict table and lag summaries as terminal text, each figure with its unit."""
    lines = ["Gap verdicts: widening = group_a's lead grows; slope per year with its 95% "
             "interval; p adjusted (Benjamini-Hochberg) across all rows. Each series: the last "
             "12 months first (the headline), then the whole history, or each segment between "
             "breaks when the series has breaks (no verdict spans a break).", ""]
    verdicts = verdicts.assign(period=verdicts.get("period", WHOLE)).fillna({"period": WHOLE})
    for key, rows in verdicts.groupby(["metric", "gap_kind", "group_a", "group_b", "source"],
                                      sort=True):
        lines.append(f"{key[0]}  {key[1]}  ({key[2]} vs {key[3]})")
        for r in rows.sort_values(["period", "period_start"], key=_headline_first).itertuples():
            lines += [f"    {r.period:<36} {r.verdict:<16} {_slope(r)}".rstrip(),
                      f"        {r.n_points} points, {_day(r.period_start)} to "
                      f"{_day(r.period_end)}{_phi(r)}"]
            lines += [f"        note: {r.note}"] if isinstance(r.note, str) and r.note else []
    lines += lag_report.report_lines(lag_rows)
    return "\n".join(lines)


def _headline_first(column: pd.Series) -> pd.Series:
    return column.ne(RECENT) if column.name == "period" else column


def _phi(r) -> str:
    """Months tested, the AR(1) φ per month (estimated, and the largest the test allowed for),
    and the change over the period against the unit's minimum effect."""
    phi = getattr(r, "phi", np.nan)
    if pd.isna(phi):
        return ""
    return (f" ({r.n_months:.0f} months); AR(1) φ = {phi:.2f} per month, tested up to "
            f"{r.phi_upper:.2f}; change {r.change:+.3g} [{r.change_low:+.3g}, "
            f"{r.change_high:+.3g}] (90%), minimum effect {r.min_effect:.3g} {r.unit}")


def _slope(r) -> str:
    if pd.isna(r.slope_per_year):
        return ""
    text = (f"{r.slope_per_year:+.3g} {r.unit}/year [{r.ci_low:+.3g}, {r.ci_high:+.3g}]  "
            f"p={_p(r.p_value)} (adjusted {_p(r.p_adjusted)})")
    if str(r.unit).startswith("log10"):
        factor = [10 ** v for v in (r.slope_per_year, r.ci_low, r.ci_high)]
        text += f"  ratio x{factor[0]:.2f}/year [x{factor[1]:.2f}, x{factor[2]:.2f}]"
    return text


def _p(p: float) -> str:
    return "<1e-15" if p < 1e-15 else f"{p:.2g}"


def _day(stamp) -> str:
    return "?" if pd.isna(stamp) else f"{pd.Timestamp(stamp):%Y-%m-%d}"


TABLES = {"gap_series_row": SERIES_COLUMNS, "gap_verdict_row": [*trends.VERDICT_COLUMNS, "period"],
          "lag_row": lags.LAG_COLUMNS, "series_break_row": BREAK_COLUMNS}
