"""DuckDB extensions, loaded by file path from their pinned PyPI packages.

`INSTALL x` would reach for the network (and hang offline); the wheels
`duckdb-extension-<name>==1.5.5` ship the binaries, so we load those files.
"""

import importlib.util
from pathlib import Path

import duckdb

from core.errors import GapWatchError

# No extension downloads; and no Python replacement scans: a name in SQL is a table or view, never
# a Python object that happens to share it (the SQL page runs users' SQL inside the dashboard).
# Here, not in db.py, so that lake.py can use it without importing db.py (which imports lake.py).
OFFLINE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                  "python_enable_replacements": False}
PACKAGES = {"ducklake": "duckdb_extension_ducklake", "postgres_scanner": "duckdb_extension_postgres_scanner"}


def extension_path(name: str) -> Path:
    package = PACKAGES.get(name)
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        raise GapWatchError(f"DuckDB extension {name!r} is not installed: "
                            f"pip install {(package or name).replace('_', '-')}=={duckdb.__version__}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{duckdb.__version__}"
    path = folder / f"{name}.duckdb_extension"
    if not path.exists():
        raise GapWatchError(f"{path} missing: the {package} package does not match duckdb "
                            f"{duckdb.__version__}")
    return path


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"LOAD '{extension_path(name)}'")
