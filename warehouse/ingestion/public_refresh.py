"""Store a checked public file as a new vintage, or note that the source is unchanged.

The collector (`collectors/public.py`) fetches and checks outside any lock
(`public_formats`); here, inside one write transaction, the staged rows are mapped to model
ids (new names through the crosswalk's rules, `vintage_names`), inserted under the vintage's
own import run (`public:<dataset>:<sha12>-<fetched>`), and the vintage is recorded in
`public_vintage` with its licence and citation. Which vintage's rows a series uses is the
views' business (`public_vintages`, `capability_scores`); the gap tables are recomputed after
the write, from the published snapshot, so the write lock is held for the inserts only.
"""

import json
import socket
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from warehouse.analysis.vintages import FAMILIES
from warehouse.ingestion import vintage_names
from warehouse.ingestion.public_formats import Prepared
from warehouse.ingestion.public_history import candidate_names, insert_rows, map_views
from warehouse.ingestion.public_loaders import DATASETS, Dataset, candidates

ARENA_METRIC = ("CASE WHEN subset = 'text_style_control' THEN 'bt_rating_style_control' "
                "WHEN date < DATE '2024-01-09' THEN 'elo_rating' ELSE 'bt_rating' END")
ARENA = Dataset(
    "lmarena_leaderboard", {}, FAMILIES["arena"].licence, FAMILIES["arena"].citation,
    names=[candidates(4, "arena", "model_name", org="organization", display="model_name",
                      open_="CASE WHEN license = 'Proprietary' THEN false "
                            "WHEN nullif(license, '') IS NOT NULL THEN true END")],
    # Elo until 2024-01-09, Bradley–Terry after (the dataset card); the packs say which.
    inserts=[f"""INSERT INTO public_capability_score
        SELECT :run, :source, 'arena:lmarena_' || s.subset || ':' || s.metric, s.metric,
               'arena_rating', 'overall', s.model_name, m.model_id, s.date::TIMESTAMPTZ, s.rating,
               s.rating_lower, s.rating_upper, s.vote_count, s.rank
        FROM (SELECT *, {ARENA_METRIC} AS metric FROM stage) s
        JOIN alias_map m ON m.source = 'arena' AND m.alias = s.model_name"""])
SHIPPED_SHAPE = {"epoch_eci": "epoch_capabilities_index", "epoch_benchmarks": "epoch_benchmark_scores"}


@dataclass
class Stored:
    run_id: str
    n_rows: int
    n_aliases: int
    n_models: int


def dataset_for(family: str) -> Dataset:
    if family == "arena":
        return ARENA
    return next(d for d in DATASETS if d.name == SHIPPED_SHAPE[family])


def newest(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Each family's newest fetched vintage (not the shipped one): run id, hash, size, rows."""
    frame = con.execute("""SELECT family, run_id, content_sha256, n_bytes, n_rows, fetched_at_utc,
                                  data_through
                           FROM public_vintages WHERE NOT bundled
                           QUALIFY row_number() OVER (PARTITION BY family
                                                      ORDER BY fetched_at_utc DESC) = 1""").df()
    return {row["family"]: row for row in frame.to_dict("records")}


def vintage_run_id(dataset: str, sha: str, fetched: datetime) -> str:
    return f"public:{dataset}:{sha[:12]}-{fetched:%Y%m%dT%H%M%S}"


def store(con: duckdb.DuckDBPyConnection, prepared: Prepared, fetched: datetime) -> Stored:
    """Insert the staged rows as a new vintage (inside the caller's write transaction)."""
    dataset = dataset_for(prepared.family)
    run_id = vintage_run_id(prepared.dataset, prepared.content_sha256, fetched)
    source = f"public:{prepared.dataset}"
    path = str(prepared.staged).replace("'", "''")
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage_{dataset.name} AS "
                f"SELECT * FROM read_parquet('{path}')")
    n_aliases, n_models = vintage_names.extend(con, candidate_names(con, dataset), run_id,
                                               prepared.dataset)
    map_views(con)  # alias_map, and the crosswalk file's pins
    con.execute(f"CREATE OR REPLACE TEMP VIEW stage AS SELECT * FROM stage_{dataset.name}")
    n_rows = insert_rows(con, dataset, run_id, source, version=f"{fetched:%Y-%m-%d}")
    family = FAMILIES[prepared.family]
    _ledger(con, run_id, f"public:{prepared.dataset}", fetched, n_rows,
            {"url": prepared.url, "sha256": prepared.content_sha256, "licence": family.licence})
    con.execute("""INSERT INTO public_vintage VALUES ($run, $family, $dataset, $url, $fetched,
                       $fetched, $sha, $bytes, $rows, $skipped, $first, $last, $licence, $citation)""",
                {"run": run_id, "family": prepared.family, "dataset": prepared.dataset,
                 "url": prepared.url, "fetched": fetched, "sha": prepared.content_sha256,
                 "bytes": prepared.n_bytes, "rows": n_rows,
                 "skipped": prepared.n_skipped + prepared.n_rows - n_rows,
                 "first": prepared.data_from, "last": prepared.data_through,
                 "licence": family.licence, "citation": family.citation})
    return Stored(run_id, n_rows, n_aliases, n_models)


def _ledger(con, run_id: str, collector: str, when: datetime, n_rows: int, context: dict) -> None:
    con.execute("""INSERT INTO run_ledger (run_id, collector, host, started_at_utc, finished_at_utc,
                       status, n_rows, n_warnings, context)
                   VALUES (?, ?, ?, ?, now(), 'ok', ?, 0, ?)""",
                [run_id, collector, socket.gethostname(), when, n_rows, json.dumps(context)])


def unchanged(con: duckdb.DuckDBPyConnection, run_id: str, checked: datetime,
              data_through=None) -> None:
    """A refresh found the newest vintage again: when it last checked (and, for prices, that
    the prices are current as of that day)."""
    con.execute("UPDATE public_vintage SET last_checked_utc = $checked, "
                "data_through = coalesce($through, data_through) WHERE run_id = $run",
                {"checked": checked, "through": data_through, "run": run_id})


def record_prices(con: duckdb.DuckDBPyConnection, family: str, run_id: str, url: str, sha: str,
                  n_prices: int, checked: datetime) -> None:
    """A price source's fetch, seen in `public_vintages` and `source_freshness` like the rest
    (its periods are the prices collector's: `price_period`, under the refresh's run)."""
    f = FAMILIES[family]
    con.execute("""INSERT INTO public_vintage VALUES ($run, $family, $family, $url, $checked,
                       $checked, $sha, 0, $rows, 0, $day, $day, $licence, $citation)""",
                {"run": run_id, "family": family, "url": url, "checked": checked, "sha": sha,
                 "rows": n_prices, "day": checked.date(), "licence": f.licence,
                 "citation": f.citation})


def gaps_behind(con: duckdb.DuckDBPyConnection) -> bool:
    """True when a vintage was stored after the gap tables were last computed."""
    stored, computed = con.execute("""SELECT (SELECT max(fetched_at_utc) FROM public_vintage
                                              WHERE family IN ('arena', 'epoch_eci', 'epoch_benchmarks')),
                                             (SELECT max(computed_at_utc) FROM gap_series_row)""").fetchone()
    return stored is not None and (computed is None or pd.Timestamp(stored) > pd.Timestamp(computed))


def newest_vintages(db_path=None) -> dict[str, dict]:
    """`newest` read from the published snapshot (no lock: the checks run before any write)."""
    from warehouse.storage import db

    with db.reading(db_path) as con:
        return newest(con)


def refresh_gaps(db_path=None) -> int:
    """Recompute the gap tables from the published snapshot, then store them in a short write:
    the minutes of statistics never hold the write lock (other collectors keep writing)."""
    from warehouse.storage import db, gap_tables

    with db.reading(db_path) as con:
        series, table, lag_rows, breaks, checks, stories = gap_tables.compute_results(con)
    with db.writing(db_path, atomic=False) as con:
        gap_tables.store(con, series, table, lag_rows, breaks, (checks, stories))
    return len(series)


def gaps_are_behind(db_path=None) -> bool:
    from warehouse.storage import db

    with db.reading(db_path) as con:
        return gaps_behind(con)
