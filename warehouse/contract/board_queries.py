"""The Overview's verdict board: every gap series with its headline and whole-history verdicts
(`gap_overview`, one read) and one row per dimension from them (`verdict_board`, pure)."""

import pandas as pd

from warehouse.analysis.benchmark_dimensions import DIMENSIONS
from warehouse.contract.reads import read

# The board's rows: the four capability dimensions (defined once, in benchmark_dimensions),
# then the other things a gap can be measured on.
BOARD_ROWS = [*DIMENSIONS, "overall capability", "months behind (open vs closed)",
              "human preference (Arena)", "price", "speed"]
SOURCE_FILTERS = {"both": "TRUE", "public": "source LIKE 'public:%'",
                  "measured": "source NOT LIKE 'public:%'"}
_DIMENSION_OF_SERIES = """
    CASE WHEN gap_kind = 'lag_months' AND group_a = 'closed' AND group_b = 'open'
              AND series_id = 'epoch:eci' THEN 'months behind (open vs closed)'
         WHEN series_id LIKE 'arena:%' THEN 'human preference (Arena)'
         WHEN series_id LIKE 'epoch:eci%' THEN 'overall capability'
         WHEN series_id LIKE 'dimension:%' THEN split_part(split_part(series_id, ':', 2), '@', 1)
         WHEN series_id LIKE 'price:%' OR series_id LIKE 'cost:%' THEN 'price'
         WHEN series_id LIKE 'latency:%' OR series_id LIKE 'speed:%' OR series_id LIKE '%ttft%'
              OR series_id LIKE '%tokens_per_s%' OR series_id LIKE '%e2e_s%' THEN 'speed'
         WHEN dims.dimension = 'overall' THEN 'overall capability'
         ELSE coalesce(dims.dimension, 'other') END"""


def gap_overview(source: str = "both", db_path=None) -> pd.DataFrame:
    """Every gap series with its dimension, headline and whole-history verdicts, and values.

    The headline is the `last 12 months` verdict, and the gap columns are that period's own
    points: `gap_then` at its first point (`period_start`, the gap 12 months before the newest
    unless a break is more recent), `gap_now` at its last. `whole_*` is the `whole history`
    verdict, or for a series with breaks its latest segment (no verdict spans a break).
    `gap_6m_ago` / `gap_12m_ago` never reach back across a break (NULL then).
    """
    where = SOURCE_FILTERS[source]
    return read(f"""
        WITH dims AS (SELECT pack, any_value(dimension) AS dimension
                      FROM capability_scores GROUP BY pack),
        v AS (SELECT gap_verdicts.* EXCLUDE (metric), {_DIMENSION_OF_SERIES} AS dimension
              FROM gap_verdicts LEFT JOIN dims ON dims.pack = gap_verdicts.series_id
              WHERE {where}),
        recent AS (SELECT * FROM v WHERE period = 'last 12 months'),
        whole AS (SELECT * FROM v WHERE period <> 'last 12 months'
                  QUALIFY row_number() OVER (PARTITION BY series_id, gap_kind, group_a, group_b, source
                                             ORDER BY period = 'whole history' DESC,
                                                      period_end DESC) = 1),
        s AS (SELECT *, max(bucket_start) OVER key AS last_bucket,
                     max(segment_start) OVER key AS last_segment
              FROM gap_series WHERE {where}
              WINDOW key AS (PARTITION BY series_id, gap_kind, group_a, group_b, source)),
        agg AS (SELECT series_id, gap_kind, group_a, group_b, source,
                  arg_max(value, bucket_start) AS gap_now,
                  arg_max(value, bucket_start) FILTER (
                      WHERE bucket_start <= last_bucket - INTERVAL 6 MONTH
                        AND bucket_start >= coalesce(last_segment, bucket_start)) AS gap_6m_ago,
                  arg_max(value, bucket_start) FILTER (
                      WHERE bucket_start <= last_bucket - INTERVAL 12 MONTH
                        AND bucket_start >= coalesce(last_segment, bucket_start)) AS gap_12m_ago,
                  list(value ORDER BY bucket_start) AS trend
                FROM s GROUP BY ALL)
        SELECT r.dimension, r.series_id, r.gap_kind, r.group_a, r.group_b, r.unit,
               agg.gap_now, agg.gap_6m_ago, agg.gap_12m_ago, r.verdict, r.slope_per_year,
               r.ci_low, r.ci_high, r.p_adjusted, r.n_points, r.period_start, r.period_end,
               r.source, r.note, r.period,
               (SELECT value FROM s WHERE s.series_id = r.series_id AND s.gap_kind = r.gap_kind
                  AND s.group_a = r.group_a AND s.group_b = r.group_b AND s.source = r.source
                  AND s.bucket_start = r.period_start LIMIT 1) AS gap_then,
               w.verdict AS whole_verdict, w.period AS whole_period,
               w.slope_per_year AS whole_slope_per_year, w.ci_low AS whole_ci_low,
               w.ci_high AS whole_ci_high, w.period_start AS whole_period_start,
               w.period_end AS whole_period_end, w.n_points AS whole_n_points, agg.trend
        FROM recent r LEFT JOIN agg USING (series_id, gap_kind, group_a, group_b, source)
        LEFT JOIN whole w USING (series_id, gap_kind, group_a, group_b, source)
        ORDER BY r.dimension, r.period_end DESC, r.n_points DESC""", db_path=db_path)


def verdict_board(overview: pd.DataFrame) -> pd.DataFrame:
    """One row per dimension: its headline series (a verdict first, then the most recent,
    then the longest), or `not enough data` when the dimension has no series.

    Pure, so the rule that a row never contradicts its own columns is tested without a page:
    the verdicts pipeline already turns a `widening`/`narrowing` whose period's first and last
    points moved the other way into `no clear change`; `agrees_with_columns` checks it again.
    """
    ranked = overview.assign(has_verdict=overview["verdict"] != NOT_ENOUGH,
                             headline=_headline(overview))
    ranked = ranked.sort_values(["has_verdict", "headline", "period_end", "n_points"],
                                ascending=False)
    best = ranked.drop_duplicates("dimension").set_index("dimension")
    rows = []
    for dim in BOARD_ROWS:
        if dim in best.index:
            rows.append({"dimension": dim,
                         **best.loc[dim].drop(["has_verdict", "headline"]).to_dict()})
        else:
            rows.append({"dimension": dim, "verdict": NOT_ENOUGH, "trend": [],
                         "note": EMPTY_ROW_NOTES.get(dim)})
    board = pd.DataFrame(rows, columns=["dimension", *overview.columns.drop("dimension")])
    wrong = ~board.apply(agrees_with_columns, axis=1).astype(bool)
    return board.assign(verdict=board["verdict"].where(~wrong, "no clear change"))


NOT_ENOUGH = "not enough data"
MEASURE_SPEED = "python -m collectors local up && python -m collectors run latency --models 'local/*'"
SPEED_GAP_NOTE = ("no public speed history: the only public series is one LLMPerf snapshot (Dec "
                  "2023, Llama 2 on 8 hosts). A dated latency history (e.g. Artificial Analysis "
                  "or OpenRouter throughput over time) or your own runs would fill it")
EMPTY_ROW_NOTES = {"speed": "no public speed history yet: measure your models (the command is "
                            "under the board)"}
# (series id prefix, gap kind, first group or None): a row's headline candidates. The ECI's
# organisation lags (frontier vs each lab) are one click away, never a row's headline.
HEADLINES = {("dimension:", "frontier_a_minus_b", None), ("epoch:eci", "frontier_a_minus_b", "closed"),
             ("epoch:eci", "lag_months", "closed"),
             ("arena:", "top1_minus_top10", None), ("price:cheapest_", "log10_cheapest_ratio", None)}


def _headline(overview: pd.DataFrame) -> pd.Series:
    """True for the series a dimension's row should show when it has a verdict: the closed −
    open composite of the dimension's benchmarks (not one benchmark of it), the ECI's closed −
    open gap, Arena's leader − 10th, the price of a fixed capability level. The rest stay one click away (every series behind it)."""
    if overview.empty:
        return pd.Series(dtype=bool, index=overview.index)
    group_a = overview.get("group_a", pd.Series(None, index=overview.index))
    return pd.Series([any(str(m).startswith(p) and k == kind and (g is None or a == g)
                          for p, kind, g in HEADLINES)
                      for m, k, a in zip(overview["series_id"],
                                         overview.get("gap_kind", overview["series_id"]), group_a)],
                     index=overview.index)


def agrees_with_columns(row) -> bool:
    """False when the row says widening (narrowing) while its gap fell (rose) from then to now."""
    then, now = row.get("gap_then"), row.get("gap_now")
    if row.get("verdict") not in ("widening", "narrowing") or pd.isna(then) or pd.isna(now):
        return True
    return (now - then) * (1 if row["verdict"] == "widening" else -1) >= 0
