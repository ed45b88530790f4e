"""Import the shipped public history, once and idempotently.

Every file is read with its declared column types; a broken row stops the
import with the file and line named, before anything is deleted. The whole
import runs in one transaction, so a failure leaves the warehouse as it was.
A fingerprint of the files (and of this code's IMPORT_VERSION) decides
whether anything needs doing: importing twice changes nothing.
"""

import csv
import functools
import hashlib
import json
import socket
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.analysis.aliases import CANDIDATE_COLUMNS, build_crosswalk, unmatched_report
from core.errors import GapWatchError
from warehouse.ingestion.public_loaders import CROSSWALK, DATASETS, Dataset
from warehouse.ingestion.vintage_names import remap_vintages, vintage_names
from warehouse.storage.writes import skip_existing

DATA_DIR = Path(__file__).parent / "public_data"
IMPORT_VERSION = "4"  # 2: Epoch benchmark dimensions; 3: ids are model versions (issue 25);
# 4: models keep Epoch's country (issue 24)
PUBLIC_TABLES = ["public_capability_score", "public_latency_summary", "price_period"]


@dataclass
class ImportReport:
    imported: bool
    rows: dict[str, int]
    skipped: dict[str, int]
    unmatched: pd.DataFrame | None = None


def fingerprint(path: Path) -> str:
    """Identifies a file's content together with the crosswalk and this importer's version."""
    crosswalk = DATA_DIR / CROSSWALK.file
    return _fingerprint(path, _stat(path), _stat(crosswalk))


def _stat(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError as exc:
        raise GapWatchError(f"{path}: public data file missing ({exc.strerror})") from None
    return info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=64)
def _fingerprint(path: Path, _stat_file: tuple, _stat_crosswalk: tuple) -> str:
    digest = hashlib.sha256(IMPORT_VERSION.encode())
    digest.update(path.read_bytes())
    digest.update((DATA_DIR / CROSSWALK.file).read_bytes())
    return digest.hexdigest()


def is_current(con: duckdb.DuckDBPyConnection, data_dir: Path | None = None) -> bool:
    data_dir = data_dir or DATA_DIR
    stored = dict(con.execute("SELECT dataset, file_sha256 FROM public_dataset").fetchall())
    return all(stored.get(d.name) == fingerprint(data_dir / d.file) for d in DATASETS)


def pending_import(con: duckdb.DuckDBPyConnection, data_dir: Path | None = None,
                   force: bool = False) -> dict[str, int] | None:
    """Stage, and so validate, every file when an import is due (rows staged per dataset); None
    when the warehouse holds these files already. It writes nothing (staging is temp tables), so
    `init` calls it before its first write: a broken row then changes no file."""
    data_dir = data_dir or DATA_DIR
    if not force and _has_ledger(con) and is_current(con, data_dir):
        return None
    return {d.name: stage(con, d, data_dir) for d in [CROSSWALK, *DATASETS]}


def _has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                            "'public_dataset' AND database_name = current_database()").fetchone()[0])


def import_public_history(con: duckdb.DuckDBPyConnection, data_dir: Path | None = None,
                          force: bool = False, staged: dict[str, int] | None = None) -> ImportReport:
    """Stage and validate every file (unless `staged` by `pending_import`), then replace all
    public rows in one transaction."""
    data_dir = data_dir or DATA_DIR
    staged = staged if staged is not None else pending_import(con, data_dir, force)
    if staged is None:
        return ImportReport(False, {}, {})
    names = pd.concat([candidate_names(con, d) for d in [CROSSWALK, *DATASETS]]
                      + [vintage_names(con)], ignore_index=True)
    aliases, registry = build_crosswalk(names)
    con.execute("BEGIN TRANSACTION")
    try:
        report = _replace_public_rows(con, aliases, registry, staged, data_dir)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    report.unmatched = unmatched_report(aliases)
    return report


def stage(con: duckdb.DuckDBPyConnection, dataset: Dataset, data_dir: Path) -> int:
    """Load one CSV into a temp table `stage_<name>`; refuse it whole if any row is broken."""
    path = data_dir / dataset.file
    _check_header(path, list(dataset.columns))
    columns = ", ".join(f"'{c}': '{t}'" for c, t in dataset.columns.items())
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE stage_{dataset.name} AS SELECT * FROM read_csv(
        '{_sql_string(path)}', columns = {{{columns}}}, header = true, delim = ',', quote = '"', escape = '"',
        dateformat = '%Y-%m-%d', store_rejects = true)""")
    reject = con.execute("SELECT line_byte_position, column_name, error_message FROM reject_errors "
                         "ORDER BY line, column_idx LIMIT 1").fetchone()
    if reject:
        n = con.execute("SELECT count(DISTINCT line) FROM reject_errors").fetchone()[0]
        where = f" (column {reject[1]})" if reject[1] else ""
        raise GapWatchError(f"{path}:{physical_line(path, reject[0])}: broken row{where}: {reject[2]}"
                            + (f"; {n - 1} more broken rows" if n > 1 else "")
                            + ". Nothing was imported.")
    return con.execute(f"SELECT count(*) FROM stage_{dataset.name}").fetchone()[0]


def physical_line(path: Path, byte_position: int) -> int:
    """The file's own line number at a byte: DuckDB's `line` counts records, and a quoted field
    spanning lines (Epoch's notes do) puts every later record on a higher line of the file."""
    with path.open("rb") as handle:
        return handle.read(byte_position).count(b"\n") + 1


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")


def _check_header(path: Path, expected: list[str]) -> None:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise GapWatchError(f"{path}: cannot read public data file ({exc})") from None
    if header != expected:
        raise GapWatchError(f"{path}:1: header is {header[:20]}, expected {expected}")


def candidate_names(con: duckdb.DuckDBPyConnection, dataset: Dataset) -> pd.DataFrame:
    """The crosswalk candidates (`CANDIDATE_COLUMNS`) its `names` SQL finds in `stage_<name>`."""
    frames = [con.execute(sql.replace("FROM stage", f"FROM stage_{dataset.name}")).df()
              for sql in dataset.names]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CANDIDATE_COLUMNS)


def _replace_public_rows(con, aliases, registry, staged, data_dir) -> ImportReport:
    shipped = ", ".join(f"'public:{d.name}'" for d in DATASETS)  # refreshed vintages stay
    for table in PUBLIC_TABLES:
        con.execute(f"DELETE FROM {table} WHERE source IN ({shipped})")
    con.execute("DELETE FROM model_alias WHERE source <> 'config'; DELETE FROM public_dataset; "
                "DELETE FROM model_registry WHERE source <> 'config'; DELETE FROM model_lineage")
    con.register("resolved_aliases", aliases)
    con.register("resolved_models", registry)
    con.execute("INSERT INTO model_alias SELECT alias, source, model_id FROM resolved_aliases "
                + skip_existing(con, "model_alias", ("alias", "source"), "resolved_aliases"))
    con.execute("INSERT INTO model_registry (model_id, display_name, organization, open_weights, "
                "release_date, source, country) SELECT model_id, display_name, organization, "
                "open_weights, CAST(release_date AS DATE), source, country FROM resolved_models "
                + skip_existing(con, "model_registry", ("model_id",), "resolved_models"))
    con.execute("INSERT INTO model_lineage SELECT model_id, family, open_weights_from "
                "FROM resolved_models")
    map_views(con, f"stage_{CROSSWALK.name}")
    rows, skipped = {}, {}
    for dataset in DATASETS:
        rows[dataset.name], skipped[dataset.name] = _load(con, dataset, staged[dataset.name], data_dir)
    remap_vintages(con)
    return ImportReport(True, rows, skipped)


def map_views(con: duckdb.DuckDBPyConnection, pins: str | None = None) -> None:
    """The views the INSERTs join: `alias_map` (the resolved crosswalk) and `pinned` (the
    crosswalk file's rows, which date a pinned Epoch version and keep it from inheriting its
    model name's ECI); `pins` is a staged copy of that file, else the shipped file is read."""
    con.execute("CREATE OR REPLACE TEMP VIEW alias_map AS SELECT * FROM model_alias")
    if pins is None:
        columns = ", ".join(f"'{c}': '{t}'" for c, t in CROSSWALK.columns.items())
        pins = (f"read_csv('{_sql_string(DATA_DIR / CROSSWALK.file)}', columns = {{{columns}}}, "
                f"header = true, dateformat = '%Y-%m-%d')")
    con.execute(f"CREATE OR REPLACE TEMP VIEW pinned AS SELECT * FROM {pins}")


def _load(con: duckdb.DuckDBPyConnection, dataset: Dataset, n_staged: int,
          data_dir: Path) -> tuple[int, int]:
    sha = fingerprint(data_dir / dataset.file)
    run_id, source = f"public:{dataset.name}:{sha[:12]}", f"public:{dataset.name}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW stage AS SELECT * FROM stage_{dataset.name}")
    n_rows = insert_rows(con, dataset, run_id, source)
    kept = con.execute(f"SELECT count(*) FROM stage WHERE {dataset.kept}").fetchone()[0]
    _record_run(con, dataset, run_id, sha, n_rows, n_staged - kept)
    return n_rows, n_staged - kept


def insert_rows(con: duckdb.DuckDBPyConnection, dataset: Dataset, run_id: str, source: str,
                version: str | None = None) -> int:
    """Run the dataset's INSERTs over the view `stage` (and `alias_map`); rows inserted."""
    params = {"run": run_id, "source": source, "version": version or dataset.version}
    n_rows = 0
    for sql in dataset.inserts:
        sql = sql.replace(":run", "$run").replace(":source", "$source").replace(":version", "$version")
        n_rows += con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).fetchone()[0]
    return n_rows


def _record_run(con, dataset: Dataset, run_id: str, sha: str, n_rows: int, n_skipped: int) -> None:
    """One ledger entry per dataset version; an invalidation of an unchanged file survives."""
    context = json.dumps({"file": dataset.file, "sha256": sha, "licence": dataset.licence})
    con.execute("DELETE FROM run_ledger WHERE collector = ? AND run_id <> ?",
                [f"public:{dataset.name}", run_id])
    con.execute("""INSERT INTO run_ledger (run_id, collector, host, started_at_utc, finished_at_utc,
                       status, n_rows, n_warnings, context)
                   SELECT ?, ?, ?, now(), now(), 'ok', ?, 0, ?
                   WHERE NOT EXISTS (SELECT 1 FROM run_ledger WHERE run_id = ?)""",
                [run_id, f"public:{dataset.name}", socket.gethostname(), n_rows, context, run_id])
    con.execute("INSERT INTO public_dataset VALUES (?, ?, ?, now(), ?, ?, ?, ?)",
                [dataset.name, sha, run_id, n_rows, n_skipped, dataset.licence, dataset.credit])
