"""Read-only queries the dashboard and the CLI share; each returns a DataFrame."""

from datetime import date

import duckdb
import pandas as pd

from core.errors import GapWatchError
from core.paths import warehouse_paths
from warehouse.analysis import frontier
from warehouse.contract import sql_guard, sql_worker
from warehouse.contract.reads import read
from warehouse.storage import db

# The pages' cache key (the published file's modification time, or a lake's snapshot id): the
# pages take it from here, since only the warehouse imports warehouse.storage.db.
version_key = db.version_key


def coverage(db_path=None) -> pd.DataFrame:
    return read("""
        SELECT count(DISTINCT model_id) AS n_models,
               count(DISTINCT model_id) FILTER (WHERE source = 'measured') AS n_measured_models,
               min(measured_at_utc) AS first_utc, max(measured_at_utc) AS last_utc,
               count(DISTINCT (pack, measured_at_utc)) FILTER (WHERE pack LIKE 'arena:%' AND pack NOT LIKE 'arena:lab_frontier:%') AS n_arena_snapshots,
               count(*) AS n_scores
        FROM capability_scores""", db_path=db_path)


def gap_series(gap_kind: str, db_path=None) -> pd.DataFrame:
    return read("SELECT * FROM gap_series WHERE gap_kind = ? ORDER BY series_id, bucket_start",
                [gap_kind], db_path=db_path)


def freshness(db_path=None) -> pd.DataFrame:
    """The newest run per collector, with its outcome."""
    return read("""
        SELECT collector, arg_max(status, started_at_utc) AS status,
               max(finished_at_utc) AS finished_at_utc, arg_max_null(error, started_at_utc) AS error
        FROM runs WHERE valid GROUP BY collector ORDER BY finished_at_utc DESC""", db_path=db_path)


def source_freshness(db_path=None) -> pd.DataFrame:
    """How recent each refreshable public source is, and whether it is stale."""
    return read("SELECT * FROM source_freshness ORDER BY family", db_path=db_path)


# --- Overview: the verdict board -------------------------------------------------------------

def last_run(db_path=None) -> pd.DataFrame:
    """The newest run of any collector or import, valid or not."""
    return read("""SELECT collector, status, started_at_utc, finished_at_utc, n_rows, error
                   FROM runs ORDER BY started_at_utc DESC, finished_at_utc DESC NULLS FIRST
                   LIMIT 1""", db_path=db_path)


# --- Gaps page ----------------------------------------------------------------------------

def gap_verdicts(db_path=None) -> pd.DataFrame:
    return read("SELECT * FROM gap_verdicts ORDER BY series_id, gap_kind, group_a, group_b",
                db_path=db_path)


def one_gap_series(series_id: str, gap_kind: str, group_a: str, group_b: str,
                   db_path=None) -> pd.DataFrame:
    return read("""SELECT * FROM gap_series WHERE series_id = ? AND gap_kind = ? AND group_a = ?
                   AND group_b = ? ORDER BY bucket_start""",
                [series_id, gap_kind, group_a, group_b], db_path=db_path)


def lags(series_id: str, db_path=None) -> pd.DataFrame:
    return read("""SELECT * FROM lags WHERE series_id = ?
                   ORDER BY is_summary DESC, leader_group, follower_group, level""",
                [series_id], db_path=db_path)


# --- SQL explorer ------------------------------------------------------------------------------

EXPLORER_CONFIG = {**db.OFFLINE_CONFIG, "enable_external_access": False}


# The explorer's limits and their one-line errors live in the worker that enforces them.
QueryTimeout = sql_worker.QueryTimeout
QueryLimit = sql_worker.QueryLimit


def public_views(db_path=None) -> pd.DataFrame:
    return read("""SELECT view_name, comment FROM duckdb_views()
                   WHERE NOT internal AND schema_name = 'main' ORDER BY view_name""",
                db_path=db_path)


def explore(sql: str, db_path=None, row_cap: int = sql_worker.ROW_CAP,
            timeout_s: float = sql_worker.TIMEOUT_S,
            memory_bytes: int = sql_worker.MEMORY_BYTES) -> tuple[pd.DataFrame, bool]:
    """Run one checked reading statement on the published file; (rows, truncated).

    The statement passes `sql_guard.check` here; it then runs in a separate worker process
    (`warehouse.contract.sql_worker`) that opens the file read-only with external access off and the
    configuration locked, under an OS memory ceiling, and is killed after `timeout_s` seconds.
    At most `row_cap` rows come back. Limits raise a `QueryLimit` with one line naming them.
    """
    statement = sql_guard.check(sql)
    path = warehouse_paths(db_path).published
    if not path.exists():
        raise GapWatchError(f"{path} does not exist yet: run `python -m warehouse init`.")
    return sql_worker.run(statement, str(path), dict(EXPLORER_CONFIG), row_cap=row_cap,
                          timeout_s=timeout_s, memory_bytes=memory_bytes)


# --- Capability, leaderboard vs fresh ------------------------------------------------------------

def capability_packs(db_path=None) -> pd.DataFrame:
    return read("""SELECT dimension, pack, any_value(source) AS source, any_value(metric) AS metric,
                          count(*) AS n_scores, count(DISTINCT model_id) AS n_models
                   FROM capability_scores WHERE metric NOT LIKE '%fixed_minus_fresh'
                   GROUP BY dimension, pack ORDER BY dimension, n_scores DESC""", db_path=db_path)


def capability_top_models(pack: str, n_models: int = 8, db_path=None,
                          metric: str | None = None) -> pd.DataFrame:
    """Scores over time of the pack's best `n_models` (by their best score) in one metric (a
    measured pack has several: all, fixed and fresh items), with intervals and openness."""
    return read("""WITH s AS (SELECT * FROM capability_scores WHERE pack = $pack
                                AND ($metric IS NULL OR metric = $metric)),
                   best AS (SELECT model_id FROM s GROUP BY model_id ORDER BY max(value) DESC
                            LIMIT $n)
                   SELECT s.measured_at_utc, s.model_id, s.value, s.ci_low, s.ci_high,
                          s.pack_version, s.source, m.open_weights, s.metric, s.run_id
                   FROM s JOIN best USING (model_id) LEFT JOIN models m USING (model_id)
                   ORDER BY s.model_id, s.measured_at_utc""",
                {"pack": pack, "n": n_models, "metric": metric}, db_path=db_path)


def leader_margin(pack: str, db_path=None, metric: str | None = None) -> pd.DataFrame:
    """Per snapshot and metric: the leader, the runner-up and the margin between them in that
    same metric (snapshots with 2+ models). A snapshot is a date for public packs and a run
    for measured ones, whose models finish at different times."""
    return read("""WITH s AS (
                       SELECT *, CASE WHEN source = 'measured' THEN run_id
                                      ELSE CAST(measured_at_utc AS VARCHAR) END AS snapshot
                       FROM capability_scores WHERE pack = $pack
                        AND NOT ends_with(metric, '_fixed_minus_fresh')
                        AND ($metric IS NULL OR metric = $metric))
                   SELECT max(measured_at_utc) AS measured_at_utc, metric,
                          arg_max(model_id, value) AS leader, max(value) AS leader_value,
                          list(model_id ORDER BY value DESC)[2] AS runner_up,
                          list(value ORDER BY value DESC)[2] AS runner_up_value,
                          max(value) - list(value ORDER BY value DESC)[2] AS margin,
                          count(*) AS n_models, any_value(snapshot) AS snapshot
                   FROM s GROUP BY snapshot, metric HAVING count(*) >= 2
                   ORDER BY metric, measured_at_utc""", {"pack": pack, "metric": metric},
                db_path=db_path)


def fixed_minus_fresh(db_path=None) -> pd.DataFrame:
    return read("""SELECT s.measured_at_utc, s.model_id, s.pack, s.pack_version, s.dimension,
                          s.metric, s.value, s.ci_low, s.ci_high, s.n_items, s.source,
                          m.open_weights
                   FROM capability_scores s LEFT JOIN models m USING (model_id)
                   WHERE s.metric LIKE '%fixed_minus_fresh'
                   ORDER BY s.model_id, s.measured_at_utc""", db_path=db_path)


def public_vs_heldout(db_path=None) -> pd.DataFrame:
    """Per model scored on a public and a held-out test of one skill (`contamination.PAIRS`)."""
    from warehouse.analysis import contamination

    return contamination.per_model(read(contamination.SQL["heldout_pairs"], db_path=db_path))


def method_changes(db_path=None) -> pd.DataFrame:
    return read("SELECT * FROM method_changes ORDER BY ALL", db_path=db_path)  # ties: same order


def frontier_choices(db_path=None) -> pd.DataFrame:
    """Scores that can be set against prices: one value per model (ECI, measured dimensions)."""
    return read("""SELECT pack, metric, count(DISTINCT model_id) AS n_models FROM capability_scores
                   WHERE model_id IN (SELECT model_id FROM prices) AND (pack = 'epoch:eci' OR
                         (source = 'measured' AND metric = dimension))
                   GROUP BY pack, metric ORDER BY pack != 'epoch:eci', pack, metric""", db_path=db_path)


def price_capability_frontier(pack: str, metric: str, db_path=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every priced, scored model per half-year, and each half-year's frontier."""
    with db.reading(db_path) as con:
        first, last = con.execute("SELECT min(effective_from), CAST(now() AS DATE) FROM prices "
                                  "WHERE usd_per_mtok_in > 0").fetchone()
        if first is None:
            return pd.DataFrame(), pd.DataFrame()
        all_points = frontier_points(con, pack, metric, frontier.half_years(first, last))
    return all_points, frontier.frontiers(all_points)


# --- Speed, price and cost, runs -----------------------------------------------------------------

def latency_stats(db_path=None) -> pd.DataFrame:
    return read("SELECT * FROM latency_stats ORDER BY workload, model_id, day", db_path=db_path)


def latency_samples(db_path=None, limit: int = 50_000) -> pd.DataFrame:
    return read("""SELECT s.measured_at_utc, s.model_id, s.workload, s.ttft_s, s.e2e_s,
                          s.output_tokens_per_s, s.run_id, s.contended, m.open_weights
                   FROM latency_samples s LEFT JOIN models m USING (model_id)
                   WHERE s.error_class IS NULL
                   ORDER BY s.measured_at_utc DESC LIMIT ?""", [limit], db_path=db_path)


def price_models(db_path=None) -> pd.DataFrame:
    """Models with price history, the most price changes first, with their weights' openness."""
    return read("""SELECT p.model_id, count(*) AS n_periods, min(p.effective_from) AS first_day,
                          any_value(m.open_weights) AS open_weights
                   FROM prices p LEFT JOIN models m USING (model_id)
                   GROUP BY p.model_id ORDER BY n_periods DESC, p.model_id""", db_path=db_path)


def price_periods(model_ids: list[str], db_path=None) -> pd.DataFrame:
    return read("""SELECT model_id, effective_from, effective_to, usd_per_mtok_in,
                          usd_per_mtok_out, source, host_provider, estimated
                   FROM prices WHERE list_contains(?, model_id)
                   ORDER BY model_id, source, host_provider, effective_from""",
                [model_ids], db_path=db_path)


def cost_per_solved(db_path=None) -> pd.DataFrame:
    return read("SELECT * FROM cost_per_solved ORDER BY model_id, dimension, day", db_path=db_path)


def runs_ledger(db_path=None) -> pd.DataFrame:
    return read("SELECT * FROM runs ORDER BY started_at_utc DESC", db_path=db_path)


def failures(db_path=None) -> pd.DataFrame:
    """Failed requests and items by collector, model and error class."""
    return read("""SELECT 'latency' AS collector, model_id, error_class, count(*) AS n,
                          max(measured_at_utc) AS last_utc
                   FROM latency_samples WHERE error_class IS NOT NULL GROUP BY ALL
                   UNION ALL
                   SELECT 'capability', model_id, error_class, count(*), max(measured_at_utc)
                   FROM capability_items WHERE error_class IS NOT NULL GROUP BY ALL
                   ORDER BY n DESC""", db_path=db_path)


def cheapest_price_steps(model_ids: list[str], db_path=None) -> pd.DataFrame:
    """Per model and price-change day: the cheapest paid price in force that day, plus a last
    row on the day its last listing ends (or was last seen), so a line stops where it ends.
    Free offerings (`:free` ids, zero prices) are left out: a log scale cannot draw them."""
    return read("""WITH p AS (SELECT *, coalesce(effective_to, CAST(last_seen_utc AS DATE) + 1) AS until
                             FROM prices WHERE list_contains(?, model_id)
                               AND usd_per_mtok_in > 0 AND usd_per_mtok_out > 0
                               AND source_name NOT LIKE '%:free'),
                   days AS (SELECT DISTINCT model_id, effective_from AS day, false AS is_end FROM p
                            UNION SELECT model_id, max(until) - 1, true FROM p GROUP BY model_id)
                   SELECT d.model_id, CASE WHEN d.is_end THEN d.day + 1 ELSE d.day END AS day,
                          min(p.usd_per_mtok_in) AS usd_per_mtok_in,
                          min(p.usd_per_mtok_out) AS usd_per_mtok_out, count(*) AS n_sellers,
                          d.is_end
                   FROM days d JOIN p ON p.model_id = d.model_id AND p.effective_from <= d.day
                        AND d.day < p.until
                   GROUP BY ALL ORDER BY d.model_id, day, d.is_end""", [model_ids], db_path=db_path)


FRONTIER_POINTS_SQL = """
WITH days AS (SELECT unnest($days::DATE[]) AS day),
scores AS (
    SELECT model_id, arg_max(value, measured_at_utc) AS score,
           CAST(min(measured_at_utc) AS DATE) AS scored_since
    FROM capability_scores WHERE pack = $pack AND metric = $metric GROUP BY model_id),
priced AS (
    SELECT d.day, p.model_id, min((3 * p.usd_per_mtok_in + p.usd_per_mtok_out) / 4) AS usd_per_mtok_blended,
           bool_or(p.estimated) AS estimated
    FROM days d JOIN prices p ON p.effective_from <= d.day
     AND (p.effective_to IS NULL OR d.day < p.effective_to)
    WHERE p.usd_per_mtok_in > 0 AND p.usd_per_mtok_out > 0
    GROUP BY ALL)
SELECT day, model_id, usd_per_mtok_blended, score, estimated
FROM priced JOIN scores USING (model_id) WHERE scored_since <= day
ORDER BY day, usd_per_mtok_blended, score DESC
"""


def frontier_points(con: duckdb.DuckDBPyConnection, pack: str, metric: str,
                    days: list[date]) -> pd.DataFrame:
    """(day, model, blended price, score) for every priced, scored model on each day."""
    return con.execute(FRONTIER_POINTS_SQL, {"days": days, "pack": pack, "metric": metric}).df()
