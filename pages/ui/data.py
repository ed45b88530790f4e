"""Cached loaders for the pages. No connection is ever cached, only DataFrames.

Each loader takes `snapshot()` as its key: the published file's path and
modification time. A new snapshot from a collector therefore shows up on the
next rerun, and two databases in one process never share a cache entry.
"""

from pathlib import Path

import streamlit as st

from core.address import resolve

from warehouse import bootstrap
from warehouse.contract import board_queries, dimension_queries, drift_reads, measured, queries, reads
from warehouse.contract.queries import version_key as db_version_key


# A new snapshot is a new key, so entries need no short life to stay right; they live for hours
# so that a visitor after a quiet spell does not pay the cold cost, and `max_entries` bounds the
# memory. Six hours keeps day-relative answers (the frontier's end date) current.
SNAPSHOT_CACHE = {"ttl": 6 * 3600, "max_entries": 32, "show_spinner": False}


def database_ready() -> bool:
    """Build or upgrade the database if needed; False when it had to. A snapshot found current
    stays current, so the check runs once per snapshot, not on every rerun (on a lake it
    attaches the catalog: ~0.4 s). A fresh install has no snapshot to key on yet."""
    try:
        return _checked(*db_version_key())
    except FileNotFoundError:
        return bootstrap.ensure_ready()


@st.cache_data(show_spinner=False, max_entries=8)
def _checked(db: str, version: int) -> bool:
    return bootstrap.ensure_ready()


def snapshot() -> tuple[str, int]:
    """Cache key of the data: the file and its modification time (a lake: its newest snapshot)."""
    return db_version_key()


def source_name(db: str) -> str:
    """The data's source as a page may name it: the file's name, never its folder, nor a lake's
    connection string (it may hold a password)."""
    address = resolve(db)
    return "the lake" if address.is_lake else f"`{Path(address.text).name}`"


@st.cache_data(**SNAPSHOT_CACHE)
def overview(db: str, version: int) -> dict:
    """The Overview's frames that do not depend on a widget, read over one connection (one
    open instead of six on a cold view): coverage, the ECI and Arena gap series, the verdicts,
    the last run and the method changes."""
    with reads.shared_reading(db):
        eci = queries.gap_series("frontier_a_minus_b", db)
        arena = queries.gap_series("top1_minus_top10", db)
        return {"coverage": queries.coverage(db), "gap_verdicts": queries.gap_verdicts(db),
                "eci": eci[eci["series_id"] == "epoch:eci"],
                "arena": arena[arena["series_id"].str.startswith("arena:")],
                "last_run": queries.last_run(db), "method_changes": queries.method_changes(db),
                "sources": queries.source_freshness(db)}


@st.cache_data(**SNAPSHOT_CACHE)
def coverage(db: str, version: int):
    return queries.coverage(db)


@st.cache_data(**SNAPSHOT_CACHE)
def gap_series(gap_kind: str, db: str, version: int):
    return queries.gap_series(gap_kind, db)


@st.cache_data(**SNAPSHOT_CACHE)
def freshness(db: str, version: int):
    return queries.freshness(db)


@st.cache_data(**SNAPSHOT_CACHE)
def gap_overview(source: str, db: str, version: int):
    return board_queries.gap_overview(source, db)


@st.cache_data(**SNAPSHOT_CACHE)
def verdict_board(source: str, db: str, version: int):
    return board_queries.verdict_board(gap_overview(source, db, version))  # the expander's frame, cached


@st.cache_data(**SNAPSHOT_CACHE)
def last_run(db: str, version: int):
    return queries.last_run(db)


@st.cache_data(**SNAPSHOT_CACHE)
def gap_verdicts(db: str, version: int):
    return queries.gap_verdicts(db)


@st.cache_data(**SNAPSHOT_CACHE)
def one_gap_series(series_id: str, gap_kind: str, group_a: str, group_b: str, db: str, version: int):
    return queries.one_gap_series(series_id, gap_kind, group_a, group_b, db)


@st.cache_data(**SNAPSHOT_CACHE)
def lags(series_id: str, db: str, version: int):
    return queries.lags(series_id, db)


@st.cache_data(**SNAPSHOT_CACHE)
def public_views(db: str, version: int):
    return queries.public_views(db)


@st.cache_data(ttl=60, show_spinner=False, max_entries=32)
def explore(sql: str, row_cap: int, db: str, version: int):
    """Cached by the query text and the snapshot; raises RefusedQuery or QueryLimit (sql_worker)."""
    return queries.explore(sql, db, row_cap=row_cap)


@st.cache_data(**SNAPSHOT_CACHE)
def capability_packs(db: str, version: int):
    return queries.capability_packs(db)


@st.cache_data(**SNAPSHOT_CACHE)
def capability_top_models(pack: str, n_models: int, metric: str | None, db: str, version: int):
    return queries.capability_top_models(pack, n_models, db, metric)


@st.cache_data(**SNAPSHOT_CACHE)
def pack_metrics(pack: str, db: str, version: int):
    return measured.pack_metrics(pack, db)


@st.cache_data(**SNAPSHOT_CACHE)
def leader_margin(pack: str, metric: str | None, db: str, version: int):
    return queries.leader_margin(pack, db, metric)


@st.cache_data(**SNAPSHOT_CACHE)
def fixed_minus_fresh(db: str, version: int):
    return queries.fixed_minus_fresh(db)


@st.cache_data(**SNAPSHOT_CACHE)
def latency_stats(db: str, version: int):
    return queries.latency_stats(db)


@st.cache_data(**SNAPSHOT_CACHE)
def latency_samples(db: str, version: int):
    return queries.latency_samples(db)


@st.cache_data(**SNAPSHOT_CACHE)
def price_models(db: str, version: int):
    return queries.price_models(db)


@st.cache_data(**SNAPSHOT_CACHE)
def cheapest_price_steps(model_ids: tuple[str, ...], db: str, version: int):
    return queries.cheapest_price_steps(list(model_ids), db)


@st.cache_data(**SNAPSHOT_CACHE)
def price_periods(model_ids: tuple[str, ...], db: str, version: int):
    return queries.price_periods(list(model_ids), db)


@st.cache_data(**SNAPSHOT_CACHE)
def cost_per_solved(db: str, version: int):
    return queries.cost_per_solved(db)


@st.cache_data(ttl=60, show_spinner=False)
def runs_ledger(db: str, version: int):
    return queries.runs_ledger(db)


@st.cache_data(ttl=60, show_spinner=False)
def failures(db: str, version: int):
    return queries.failures(db)


@st.cache_data(**SNAPSHOT_CACHE)
def public_vs_heldout(db: str, version: int):
    return queries.public_vs_heldout(db)


@st.cache_data(**SNAPSHOT_CACHE)
def method_changes(db: str, version: int):
    return queries.method_changes(db)


@st.cache_data(**SNAPSHOT_CACHE)
def frontier_choices(db: str, version: int):
    return queries.frontier_choices(db)


@st.cache_data(**SNAPSHOT_CACHE)
def price_capability_frontier(pack: str, metric: str, db: str, version: int):
    return queries.price_capability_frontier(pack, metric, db)


# --- Capability: one dimension's answer and the benchmarks behind it (issue 25) ----------------

@st.cache_data(**SNAPSHOT_CACHE)
def dimension_headline(dimension: str, db: str, version: int):
    return dimension_queries.headline(dimension, db)


@st.cache_data(**SNAPSHOT_CACHE)
def dimension_checks(dimension: str, db: str, version: int):
    return dimension_queries.checks(dimension, db)


@st.cache_data(**SNAPSHOT_CACHE)
def benchmark_stories(dimension: str, db: str, version: int):
    return dimension_queries.stories(dimension, db)


@st.cache_data(**SNAPSHOT_CACHE)
def unlabelled_models(db: str, version: int):
    return dimension_queries.unlabelled(db)
@st.cache_data(**SNAPSHOT_CACHE)
def cost_gaps(db: str, version: int):
    return measured.cost_gaps(db)


@st.cache_data(**SNAPSHOT_CACHE)
def machine_price(db: str, version: int):
    return measured.machine_price(db)


@st.cache_data(**SNAPSHOT_CACHE)
def my_rankings(db: str, version: int):
    return measured.my_rankings(db)


@st.cache_data(**SNAPSHOT_CACHE)
def capability_runs(db: str, version: int):
    return measured.capability_runs(db)


@st.cache_data(**SNAPSHOT_CACHE)
def compare_runs(run_a: str, run_b: str, db: str, version: int):
    return measured.compare_runs(run_a, run_b, db)


@st.cache_data(**SNAPSHOT_CACHE)
def latency_runs(db: str, version: int):
    return measured.latency_runs(db)


@st.cache_data(**SNAPSHOT_CACHE)
def measured_models(db: str, version: int):
    return measured.measured_models(db)


@st.cache_data(**SNAPSHOT_CACHE)
def drift_latest(db: str, version: int):
    return drift_reads.latest_checks(db)


@st.cache_data(**SNAPSHOT_CACHE)
def drift_recent(db: str, version: int):
    return drift_reads.recent_checks(db_path=db)
