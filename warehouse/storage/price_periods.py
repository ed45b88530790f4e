"""Dated price periods: how an observed price becomes history.

Price lists keep no dates, so GapWatch dates them: each (source, source name,
seller) has at most one open period. Seeing the same price again only moves
its `last_seen_utc`; a different price closes it (`effective_to` = the day it
was seen, exclusive) and opens a new one from that day. A price that jumps
1000x or more is held back as a likely unit error, its period left as it was.
The price book states its own dates, so its stored periods simply mirror it.

Both functions run inside the caller's transaction (one per source), so a
failure leaves every period as it was. Rows of invalidated runs are ignored.
Storage, not analysis: every function here reads or writes `price_period`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import pandas as pd

from warehouse.storage.writes import VALID_RUN

COLUMNS = ["source_name", "host_provider", "model_id", "effective_from", "effective_to",
           "usd_per_mtok_in", "usd_per_mtok_out", "usd_per_mtok_cached_in", "estimated"]
TYPES = ["VARCHAR", "VARCHAR", "VARCHAR", "DATE", "DATE", "DOUBLE", "DOUBLE", "DOUBLE", "BOOLEAN"]
MAX_JUMP = 1000
VALUES = ("model_id", "usd_per_mtok_in", "usd_per_mtok_out", "usd_per_mtok_cached_in", "estimated")
SAME = " AND ".join(f"p.{c} IS NOT DISTINCT FROM o.{c}" for c in VALUES)
JUMP = " OR ".join(f"(p.{c} > 0 AND o.{c} > 0 AND greatest(o.{c} / p.{c}, p.{c} / o.{c}) >= {MAX_JUMP})"
                   for c in ("usd_per_mtok_in", "usd_per_mtok_out"))


@dataclass
class Changes:
    unchanged: int = 0
    opened: int = 0
    closed: int = 0
    removed: int = 0
    jumps: list[str] = field(default_factory=list)  # "name: in 3.0 -> 3000.0, out ..."


def observe(con: duckdb.DuckDBPyConnection, run_id: str, source: str, prices: pd.DataFrame,
            day: date, now: datetime) -> Changes:
    """Compare one source's prices, seen on `day`, with its open periods; update or close+open."""
    _stage(con, prices)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE price_match AS
        WITH open AS (
            SELECT rowid AS open_rowid, * FROM price_period
            WHERE source = $source AND effective_to IS NULL AND {VALID_RUN}
            QUALIFY row_number() OVER (PARTITION BY source_name, host_provider
                                       ORDER BY effective_from DESC, last_seen_utc DESC) = 1)
        SELECT o.*, p.open_rowid, coalesce({SAME}, false) AS same,
               coalesce({JUMP}, false) AS jump,
               p.usd_per_mtok_in AS old_in, p.usd_per_mtok_out AS old_out
        FROM observed_prices o LEFT JOIN open p ON p.source_name = o.source_name
         AND p.host_provider IS NOT DISTINCT FROM o.host_provider""", {"source": source})
    changes = Changes(jumps=_jumps(con))
    changes.unchanged = _touch(con, "SELECT open_rowid FROM price_match WHERE same", now)
    changed = "SELECT open_rowid FROM price_match WHERE NOT same AND NOT jump"
    changes.closed = con.execute(f"UPDATE price_period SET effective_to = $day WHERE rowid IN "
                                 f"({changed})", {"day": day}).fetchone()[0]
    changes.opened = _insert(con, run_id, source, now, "NOT same AND NOT jump", day)
    return changes


def sync_book(con: duckdb.DuckDBPyConnection, run_id: str, prices: pd.DataFrame,
              now: datetime) -> Changes:
    """Make the stored `config` periods equal the price book: the user's dates are the truth."""
    _stage(con, prices)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE price_match AS
        SELECT o.*, p.rowid AS open_rowid FROM observed_prices o
        LEFT JOIN (SELECT rowid, * FROM price_period WHERE source = 'config' AND {VALID_RUN}) p
          ON p.source_name = o.source_name AND p.effective_from = o.effective_from
         AND p.effective_to IS NOT DISTINCT FROM o.effective_to
         AND p.host_provider IS NOT DISTINCT FROM o.host_provider AND {SAME}""")
    changes = Changes()  # delete first: the row ids matched above stay valid until rows move
    changes.removed = con.execute(
        f"DELETE FROM price_period WHERE source = 'config' AND {VALID_RUN} AND rowid NOT IN "
        "(SELECT open_rowid FROM price_match WHERE open_rowid IS NOT NULL)").fetchone()[0]
    changes.unchanged = _touch(con, "SELECT open_rowid FROM price_match", now)
    changes.opened = _insert(con, run_id, "config", now, "open_rowid IS NULL")
    return changes


def _stage(con: duckdb.DuckDBPyConnection, prices: pd.DataFrame) -> None:
    """Typed staging: an all-empty pandas column must still compare as DATE or DOUBLE."""
    con.register("incoming_prices", prices.reindex(columns=COLUMNS))
    try:
        typed = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in zip(COLUMNS, TYPES))
        con.execute(f"CREATE OR REPLACE TEMP TABLE observed_prices AS SELECT {typed} "
                    "FROM incoming_prices")
    finally:
        con.unregister("incoming_prices")


def _jumps(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT source_name, old_in, usd_per_mtok_in, old_out, usd_per_mtok_out "
                       "FROM price_match WHERE jump ORDER BY source_name").fetchall()
    return [f"{name}: in {a} -> {b}, out {c} -> {d}" for name, a, b, c, d in rows]


def _touch(con: duckdb.DuckDBPyConnection, rowids: str, now: datetime) -> int:
    return con.execute(f"UPDATE price_period SET last_seen_utc = $now WHERE rowid IN ({rowids})",
                       {"now": now}).fetchone()[0]


def _insert(con: duckdb.DuckDBPyConnection, run_id: str, source: str, now: datetime, where: str,
            day: date | None = None) -> int:
    """New periods from `price_match`; undated observations start on `day`."""
    return con.execute(f"""INSERT INTO price_period (run_id, source, source_name, host_provider,
            model_id, effective_from, effective_to, usd_per_mtok_in, usd_per_mtok_out,
            usd_per_mtok_cached_in, first_seen_utc, last_seen_utc, estimated)
        SELECT $run, $source, source_name, host_provider, model_id,
               coalesce(effective_from, $day), effective_to, usd_per_mtok_in, usd_per_mtok_out,
               usd_per_mtok_cached_in, $now, $now, coalesce(estimated, false)
        FROM price_match WHERE {where}""",
        {"run": run_id, "source": source, "now": now, "day": day}).fetchone()[0]
