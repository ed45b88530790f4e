"""docs/schema.md is generated from a live database and must not go stale."""

import subprocess
import sys
from pathlib import Path

from warehouse.storage import db
from warehouse.contract.views import VIEWS

REPO = Path(__file__).resolve().parent.parent


def test_schema_doc_is_current():
    result = subprocess.run([sys.executable, "-m", "warehouse", "schema", "--check"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_schema_doc_lists_every_view_and_column_of_the_built_file(built_db):
    doc = (REPO / "docs" / "schema.md").read_text()
    with db.reading(built_db) as con:
        for v in VIEWS:
            assert f"## `{v.name}`" in doc
            for (column,) in con.execute("SELECT column_name FROM duckdb_columns() "
                                         "WHERE table_name = ?", [v.name]).fetchall():
                assert f"| `{column}` |" in doc, f"{v.name}.{column} undocumented"
