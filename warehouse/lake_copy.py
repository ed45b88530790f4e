"""Moving up: copy a DuckDB-file warehouse into an empty DuckLake, then prove nothing changed.

`python -m warehouse migrate-to <lake address>` reads the file's published snapshot (never the
master, so a running collector is not disturbed and the file is left untouched), creates every
table in the lake in one transaction with the same rows, recreates the public views there, and
then compares: the row count of every table, and the gap verdicts read through the views on
both sides. Only when all agree does it report success.

The lake's tables have no PRIMARY KEY (DuckLake has no constraints); their columns and the
migrations ledger are the file's, so the same code reads both.
"""

from dataclasses import dataclass

import pandas as pd

from warehouse.storage import db, lake
from warehouse.bootstrap import is_ready
from core.errors import GapWatchError
from core.paths import warehouse_paths
from warehouse.contract.views import create_views

VERDICT_COLUMNS = "series_id, gap_kind, group_a, group_b, verdict, n_points, round(slope_per_year, 9) AS slope"


@dataclass(frozen=True)
class TableCount:
    table: str
    source_rows: int
    lake_rows: int


def copy_to_lake(source, address: str) -> list[TableCount]:
    """Copy, then verify; a GapWatchError says what differs (the lake is then best discarded)."""
    target = lake.parse_target(address)
    published = warehouse_paths(source).published
    if not is_ready(source):
        raise GapWatchError(f"{published} is missing or behind this code: run `python -m warehouse "
                            "init` on it first, so the lake starts from the current schema")
    with db.reading(source) as src:
        tables = [r[0] for r in src.execute("SELECT table_name FROM duckdb_tables() "
                                            "WHERE NOT internal ORDER BY table_name").fetchall()]
        source_counts = {t: src.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        source_verdicts = src.execute(f"SELECT {VERDICT_COLUMNS} FROM gap_verdicts ORDER BY ALL").df()
    con = lake.connect(target)
    try:
        _refuse_non_empty(con, target)
        con.execute(f"ATTACH '{published}' AS source_file (READ_ONLY)")
        con.execute("BEGIN TRANSACTION")
        for table in tables:
            con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM source_file.main."{table}"')
        create_views(con)
        con.execute("COMMIT")
        con.execute("DETACH source_file")
        counts = [TableCount(t, source_counts[t], con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
                  for t in tables]
        lake_verdicts = con.execute(f"SELECT {VERDICT_COLUMNS} FROM gap_verdicts ORDER BY ALL").df()
    finally:
        con.close()
    _verify(counts, source_verdicts, lake_verdicts)
    return counts


def _refuse_non_empty(con, target: lake.LakeTarget) -> None:
    present = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                                         "ORDER BY 1", [lake.ALIAS]).fetchall()]
    if present:
        raise GapWatchError(f"{target} already holds {len(present)} tables ({', '.join(present[:3])}, ...): "
                            "migrate-to only fills an empty lake")


def _verify(counts: list[TableCount], before: pd.DataFrame, after: pd.DataFrame) -> None:
    wrong = [c for c in counts if c.source_rows != c.lake_rows]
    if wrong:
        raise GapWatchError("row counts differ after the copy: " + ", ".join(
            f"{c.table} {c.source_rows} -> {c.lake_rows}" for c in wrong))
    if not before.equals(after):
        raise GapWatchError(f"gap verdicts differ after the copy ({len(before)} before, {len(after)} after)")
