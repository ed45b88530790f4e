"""Create or upgrade the warehouse, import the public history, refresh public gaps.

`init` is idempotent: run twice, it leaves the same rows. `ensure_ready` is
what the dashboard calls on every open: a cheap read-only check, and `init`
only when the published file is missing or behind this code.
"""

import os
from dataclasses import dataclass, field

import duckdb

from warehouse import db
from warehouse.errors import GapWatchError
from warehouse.lake import is_lake, retry_conflicts
from warehouse.migrations import MIGRATIONS, migrate
from warehouse.paths import warehouse_paths
from warehouse.public_history import ImportReport, import_public_history, is_current
from warehouse.views import create_views, fingerprint, stored_fingerprint

@dataclass
class InitReport:
    migrations: list[str]
    public: ImportReport
    configured_models: int = 0
    warnings: list[str] = field(default_factory=list)


def init(db_path=None, models: list | None = None) -> InitReport:
    """Migrate, (re)create views, import public history if changed, register configured models."""
    if is_lake(db_path or os.environ.get("GAPWATCH_DB")):
        return _init_lake(db_path, models or [])
    paths = warehouse_paths(db_path)
    with db.writing(db_path, atomic=False) as con:
        applied = migrate(con, label=str(paths.master))
        create_views(con)
        public = import_public_history(con)
        if public.imported or not _has_public_gaps(con):
            refresh_public_gaps(con)
        n_models = register_models(con, models or [])
    return InitReport(applied, public, n_models)


def _init_lake(db_path, models: list) -> InitReport:
    """On a lake `init` brings the views up to this code and registers configured models; the
    lake itself is filled from a DuckDB file by `migrate-to`."""
    upgrade_lake_views(db_path)
    for attempt in retry_conflicts():
        with attempt, db.writing(db_path) as con:
            n_models = register_models(con, models)
    return InitReport([], ImportReport(False, {}, {}), n_models)


def _has_tables(db_path) -> bool:
    with db.reading(db_path) as con:
        return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                                "'gapwatch_migrations' AND database_name = current_database()").fetchone()[0])


def ensure_ready(db_path=None) -> bool:
    """True when the published file is current; otherwise build it and return False."""
    if is_ready(db_path):
        return True
    if is_lake(db_path or os.environ.get("GAPWATCH_DB")):
        upgrade_lake_views(db_path)
        return False
    init(db_path)
    return False


def upgrade_lake_views(db_path=None) -> None:
    """A lake follows this code's views in place (views are only SQL text in the catalog).

    A newer table migration or a newer shipped public history is not applied to a lake: they
    are said plainly rather than half-done. Several hosts may upgrade at once: a commit conflict
    is retried and the loser finds the views already current.
    """
    if not _has_tables(db_path):
        raise GapWatchError("this lake is empty: fill it from a DuckDB file with `python -m "
                            "warehouse migrate-to` (docs/lake.md)")
    with db.reading(db_path) as con:
        version = con.execute("SELECT max(id) FROM gapwatch_migrations").fetchone()[0]
        public_current = is_current(con)
    if version != MIGRATIONS[-1][0] or not public_current:
        what = "a table migration" if version != MIGRATIONS[-1][0] else "the shipped public history"
        raise GapWatchError(f"the lake is behind this code ({what} changed), which a lake cannot "
                            "take in place yet: run `python -m warehouse init` on a DuckDB file and "
                            "`migrate-to` a new lake (docs/lake.md)")
    for attempt in retry_conflicts():
        with attempt, db.writing(db_path) as con:
            if stored_fingerprint(con) != fingerprint():
                create_views(con)


def is_ready(db_path=None) -> bool:
    paths = warehouse_paths(db_path)
    if not is_lake(db_path or os.environ.get("GAPWATCH_DB")) and not paths.published.exists():
        return False
    with db.reading(db_path) as con:
        latest = MIGRATIONS[-1][0]
        has_ledger = con.execute("SELECT count(*) FROM duckdb_tables() "
                                 "WHERE table_name = 'gapwatch_migrations'").fetchone()[0]
        if not has_ledger:
            return False
        version = con.execute("SELECT max(id) FROM gapwatch_migrations").fetchone()[0]
        if version != latest:
            return False
        return stored_fingerprint(con) == fingerprint() and is_current(con)


def register_models(con: duckdb.DuckDBPyConnection, models: list) -> int:
    """Configured models join the registry under their own `provider/model` id.

    Spelt without ON CONFLICT, which needs keys a lake does not have; a row that is already
    right is not touched (on a lake every update is a new snapshot)."""
    for m in models:
        con.execute("UPDATE model_registry SET organization = ?, open_weights = ? WHERE model_id = ? "
                    "AND (organization IS DISTINCT FROM ? OR open_weights IS DISTINCT FROM ?)",
                    [m.organization, m.open_weights, m.id, m.organization, m.open_weights])
        con.execute("INSERT INTO model_registry SELECT ?, ?, ?, ?, NULL, 'config' WHERE NOT EXISTS "
                    "(SELECT 1 FROM model_registry WHERE model_id = ?)",
                    [m.id, m.api_model, m.organization, m.open_weights, m.id])
        con.execute("INSERT INTO model_alias SELECT ?, 'config', ? WHERE NOT EXISTS (SELECT 1 FROM "
                    "model_alias WHERE alias = ? AND source = 'config')", [m.id, m.id, m.id])
    return len(models)


def _has_public_gaps(con: duckdb.DuckDBPyConnection) -> bool:
    """Series and verdicts both: a warehouse upgraded from before verdicts has series only."""
    return bool(con.execute("SELECT (SELECT count(*) FROM gap_series_row WHERE source LIKE 'public:%')"
                            " * (SELECT count(*) FROM gap_verdict_row)").fetchone()[0])


def refresh_public_gaps(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute every gap series, verdict and lag (public history and measured rows alike).

    `verdicts.store` replaces the three result tables in one transaction; returns the number
    of gap series rows.
    """
    from warehouse import verdicts  # on use: only a refresh needs scipy.stats and pymannkendall

    series, table, lag_rows = verdicts.compute_all(con)
    verdicts.store(con, series, table, lag_rows)
    return len(series)
