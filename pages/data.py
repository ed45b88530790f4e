"""Cached loaders for the pages. No connection is ever cached, only DataFrames.

Each loader takes `snapshot()` as its key: the published file's path and
modification time. A new snapshot from a collector therefore shows up on the
next rerun, and two databases in one process never share a cache entry.
"""

import streamlit as st

from warehouse import queries
from warehouse.paths import warehouse_paths


def snapshot() -> tuple[str, int]:
    published = warehouse_paths().published
    return str(published), published.stat().st_mtime_ns


@st.cache_data(ttl=600, show_spinner=False)
def coverage(db: str, version: int):
    return queries.coverage(db)


@st.cache_data(ttl=600, show_spinner=False)
def gap_series(gap_kind: str, db: str, version: int):
    return queries.gap_series(gap_kind, db)


@st.cache_data(ttl=600, show_spinner=False)
def freshness(db: str, version: int):
    return queries.freshness(db)
