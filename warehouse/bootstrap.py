"""Create or upgrade the warehouse, import the public history, refresh public gaps.

`init` is idempotent: run twice, it leaves the same rows. `ensure_ready` is
what the dashboard calls on every open: a cheap read-only check, and `init`
only when the published file is missing or behind this code.
"""

from dataclasses import dataclass, field

import duckdb

from warehouse.storage import db
from core.errors import GapWatchError
from warehouse.storage.lake import EMPTY, LakeDialect, WriteConflict, on_lake, retry_conflicts
from warehouse.storage.migrations import MIGRATIONS, migrate
from core.address import resolve
from core.paths import warehouse_paths
from warehouse.ingestion.public_history import ImportReport, import_public_history, is_current, pending_import
from warehouse.contract.views import create_views, fingerprint, stored_fingerprint

@dataclass
class InitReport:
    migrations: list[str]
    public: ImportReport
    configured_models: int = 0
    warnings: list[str] = field(default_factory=list)


def init(db_path=None, models: list | None = None) -> InitReport:
    """Migrate, (re)create views, import public history if changed, register configured models.

    The same on a lake, once `migrate-to` has filled it: migrations go through LakeDialect, and
    a commit that loses to another host upgrading at the same moment is tried again."""
    address = resolve(db_path)
    if not address.is_lake:
        return _init(address, models or [], str(warehouse_paths(address).master))
    if not _has_tables(address):
        raise GapWatchError(EMPTY)
    for attempt in retry_conflicts():
        with attempt:
            return _init(address, models or [], "the lake")


def _init(db_path, models: list, label: str) -> InitReport:
    with db.writing(db_path, atomic=False) as con:
        staged = pending_import(con)  # validate the public files before the first write
        applied = _migrate_lake(con, label) if on_lake(con) else migrate(con, label=label)
        create_views(con)
        public = (import_public_history(con, staged=staged) if staged is not None
                  else ImportReport(False, {}, {}))
        if public.imported or not _has_public_gaps(con):
            refresh_public_gaps(con)
        n_models = register_models(con, models)
    return InitReport(applied, public, n_models)


def _migrate_lake(con: duckdb.DuckDBPyConnection, label: str) -> list[str]:
    """Another host may apply the same migration first: its table then "already exists" here,
    which is a lost race like any commit conflict (tried again, it finds the migration done)."""
    try:
        return migrate(LakeDialect(con), label=label)
    except duckdb.CatalogException as exc:
        if "already exists" not in str(exc):
            raise
        raise WriteConflict(f"{label}: {str(exc).splitlines()[0]}") from None


def _has_tables(db_path) -> bool:
    with db.reading(db_path) as con:
        return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                                "'gapwatch_migrations' AND database_name = current_database()").fetchone()[0])


def ensure_ready(db_path=None) -> bool:
    """True when the published file is current; otherwise build it and return False."""
    address = resolve(db_path)
    if is_ready(address):
        return True
    init(address)
    return False


def is_ready(db_path=None) -> bool:
    address = resolve(db_path)
    if not address.is_lake and not warehouse_paths(address).published.exists():
        return False
    with db.reading(address) as con:
        latest = MIGRATIONS[-1][0]
        has_ledger = con.execute("SELECT count(*) FROM duckdb_tables() "
                                 "WHERE table_name = 'gapwatch_migrations'").fetchone()[0]
        if not has_ledger:
            return False
        version = con.execute("SELECT max(id) FROM gapwatch_migrations").fetchone()[0]
        if version != latest:
            return False
        return stored_fingerprint(con) == fingerprint() and is_current(con)


def ensure_registered(models: list, db_path=None) -> int:
    """Register the models a collection is about to measure unless the registry already holds
    them as configured: a user who adds a model and runs a collector without `warehouse init`
    still sees its openness on every page. Reads first; writes (a publish) only when needed."""
    with db.reading(db_path) as con:
        known = set(con.execute("SELECT model_id, organization, open_weights FROM "
                                "model_registry").fetchall())
    missing = [m for m in models if (m.id, m.organization, m.open_weights) not in known]
    if not missing:
        return 0
    with db.writing(db_path) as con:
        return register_models(con, missing)


def register_models(con: duckdb.DuckDBPyConnection, models: list) -> int:
    """Configured models join the registry under their own `provider/model` id.

    Spelt without ON CONFLICT, which needs keys a lake does not have; a row that is already
    right is not touched (on a lake every update is a new snapshot)."""
    for m in models:
        con.execute("UPDATE model_registry SET organization = ?, open_weights = ? WHERE model_id = ? "
                    "AND (organization IS DISTINCT FROM ? OR open_weights IS DISTINCT FROM ?)",
                    [m.organization, m.open_weights, m.id, m.organization, m.open_weights])
        con.execute("INSERT INTO model_registry (model_id, display_name, organization, open_weights, "
                    "release_date, source) SELECT ?, ?, ?, ?, NULL, 'config' WHERE NOT EXISTS "
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

    `gap_tables.store` replaces the result tables (series, verdicts, lags, breaks) in one
    transaction; returns the number of gap series rows.
    """
    from warehouse.storage import gap_tables  # on use: only a refresh needs scipy.stats and statsmodels

    return gap_tables.refresh(con)
