"""Every gap series, verdict and lag the warehouse can support, public and measured alike.

`compute_all` reads the views, turns them into score/price tables in SQL, and hands those to
the pure functions in `gaps`, `trends` and `lags`; `store` replaces the three result tables in
one transaction. What is computed, and why:

* Arena: leader minus 10th model per snapshot, one series and one verdict per pack. A pack is
  one source and one rating method (online Elo, Bradley–Terry, displayed rating); their scales
  differ and they cover different years, so pooling them would turn a method change into a
  trend. The lab-frontier packs hold one flagship per lab, not a leaderboard: left out.
* Epoch ECI: best closed minus best open model released by each month; the open-vs-closed lag
  in months (threshold crossings) with its trend; each organisation's lag behind the frontier.
* OpenRouter: log10 of the closed / open median output price per month, from the price in force
  on the first of the month; paid offerings only (no `:free` ids, no zero prices), each model's
  offerings averaged first so a model listed under many ids counts once.
* Measured rows: per (pack, version, metric), bucketed by density, leader minus runner-up /
  median / interquartile spread / top-10 spread, and best closed vs best open; latency as
  log10 ratios of median TTFT between open and closed models, per workload and concurrency.

All verdicts are adjusted together (Benjamini–Hochberg), so adding series can move p_adjusted.
"""

import duckdb
import numpy as np
import pandas as pd

from warehouse import gaps, lags, trends

ARENA_TOP_K = 10
PRICE_SOURCE = "public:openrouter_price_changes"
PRICE_METRIC = "price:usd_per_mtok_out"
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
                  WHERE p.source = '{PRICE_SOURCE}' AND p.source_name NOT LIKE '%:free'
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
}


def compute_all(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(gap series, verdicts, lags) from whatever the warehouse holds right now."""
    return compute({name: con.execute(sql).df() for name, sql in SQL.items()})


def compute(data: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The pure part of `compute_all`: the frames named as in `SQL` to the three results."""
    series = _concat([gaps.top_k_gap(data["arena"], ARENA_TOP_K), eci_series(data["eci"]),
                      price_series(data["prices"]), measured_series(data["measured"]),
                      ratio_series(data["latency"])], gaps.GAP_COLUMNS)
    lag_rows = _concat([eci_lags(data["eci"]), eci_organisation_lags(data["eci"])],
                       lags.LAG_COLUMNS)
    open_closed = lag_rows[lag_rows["leader_group"] == "closed"]
    tested = _concat([series, lags.lag_series(open_closed)], gaps.GAP_COLUMNS)
    return series, trends.verdicts(tested, units(tested)), lag_rows


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


def measured_series(scores: pd.DataFrame) -> pd.DataFrame:
    """Rank gaps and the best-closed-vs-best-open gap for each measured pack."""
    parts = []
    for _, rows in scores.groupby("pack"):
        freq = gaps.choose_freq(rows["measured_at_utc"])
        bucketed = (rows.assign(measured_at_utc=gaps.bucket_start(rows["measured_at_utc"], freq))
                    .groupby(["pack", "measured_at_utc", "model_id", "source"], as_index=False)
                    .agg(value=("value", "mean"), open_weights=("open_weights", "first")))
        parts.append(gaps.rank_gaps(bucketed, ARENA_TOP_K))
        a, b = leader_first(bucketed, openness(bucketed), lower_is_better=False)
        parts.append(gaps.group_gap(bucketed, openness(bucketed), a, b, freq, "max"))
    return _concat(parts, gaps.GAP_COLUMNS)


def ratio_series(values: pd.DataFrame) -> pd.DataFrame:
    """Open vs closed median latency as log10 ratios, per (source, workload, concurrency)."""
    parts = []
    for _, rows in values.groupby(["source", "pack"]):
        a, b = leader_first(rows, openness(rows), lower_is_better=True)
        parts.append(gaps.group_gap(rows, openness(rows), a, b, stat="median",
                                    lower_is_better=True))
    return _concat(parts, gaps.GAP_COLUMNS)


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
    if gap_kind.startswith("log10_"):
        return f"log10({group_b}/{group_a})"
    if metric.startswith("arena:"):
        return "Arena rating points"
    if metric == "epoch:eci":
        return "ECI points"
    return "score points (0-1)" if "@" in metric else "metric units"  # measured: pack@version:metric


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    parts = [p[columns] for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def report(verdicts: pd.DataFrame, lag_rows: pd.DataFrame) -> str:
    """The verdict table and lag summaries as terminal text, each figure with its unit."""
    lines = ["Gap verdicts: widening = group_a's lead grows; slope per year with its 95% "
             "interval; p adjusted (Benjamini-Hochberg) across all rows", ""]
    for r in verdicts.sort_values(["metric", "gap_kind"]).itertuples():
        lines += [f"{r.metric}  {r.gap_kind}  ({r.group_a} vs {r.group_b})",
                  f"    {r.verdict:<16} {_slope(r)}".rstrip(),
                  f"    {r.n_points} points, {_day(r.period_start)} to {_day(r.period_end)}"]
        lines += [f"    note: {r.note}"] if isinstance(r.note, str) and r.note else []
    summary = lag_rows[lag_rows["is_summary"].astype(bool)]
    if len(summary):
        lines += ["", "Lags: months the follower took to reach the leader's levels (median, "
                  "95% bootstrap interval over models)", ""]
        lines += [f"    {r.metric}  {r.follower_group} behind {r.leader_group}: "
                  f"{r.lag_months:.1f} months [{r.ci_low:.1f}, {r.ci_high:.1f}]"
                  for r in summary.itertuples()]
    return "\n".join(lines)


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


TABLES = {"gap_series_row": gaps.GAP_COLUMNS, "gap_verdict_row": trends.VERDICT_COLUMNS,
          "lag_row": lags.LAG_COLUMNS}


def store(con: duckdb.DuckDBPyConnection, series: pd.DataFrame, verdicts: pd.DataFrame,
          lag_rows: pd.DataFrame) -> None:
    """Replace all rows of the three result tables in one transaction (all or nothing)."""
    con.execute("BEGIN TRANSACTION")
    try:
        for (table, columns), frame in zip(TABLES.items(), (series, verdicts, lag_rows)):
            _replace(con, table, columns, frame)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _replace(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
             frame: pd.DataFrame) -> None:
    con.execute(f"DELETE FROM {table}")
    if frame.empty:
        return
    con.register("incoming_results", frame[columns])
    try:
        names = ", ".join(columns)
        con.execute(f"INSERT INTO {table} ({names}, computed_at_utc) "
                    f"SELECT {names}, now() FROM incoming_results")
    finally:
        con.unregister("incoming_results")
