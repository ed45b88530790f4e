"""DuckDB extensions load from their pinned PyPI packages by path, never from the network."""

import duckdb
import pytest

from warehouse.storage.db import OFFLINE_CONFIG
from core.errors import GapWatchError
from warehouse.storage.extensions import extension_path, load_extension


@pytest.mark.parametrize("name", ["ducklake", "postgres_scanner"])
def test_extension_loads_offline_from_its_package(name):
    con = duckdb.connect(config=dict(OFFLINE_CONFIG))
    load_extension(con, name)
    loaded, mode = con.execute("SELECT loaded, install_mode FROM duckdb_extensions() "
                               "WHERE extension_name = ?", [name]).fetchone()
    assert loaded and mode == "NOT_INSTALLED"  # loaded from the wheel's file, nothing installed
    assert "v1.5.5" in str(extension_path(name))


def test_unknown_extension_is_a_clear_error():
    with pytest.raises(GapWatchError, match="'httpfs' is not installed"):
        extension_path("httpfs")


def test_autoinstall_is_off_on_every_connection():
    con = duckdb.connect(config=dict(OFFLINE_CONFIG))
    settings = dict(con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                "('autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
