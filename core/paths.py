"""The files of a warehouse that is a DuckDB file, and where the config is.

`GAPWATCH_DB` names the file people open (read-only). Collectors write a
private master beside it and publish the named file as a snapshot, so that
no reader can ever lock out a writer (see docs/concurrency.md).
"""

import os
from dataclasses import dataclass
from pathlib import Path

from core.address import WarehouseAddress, resolve

DEFAULT_CONFIG = "gapwatch.toml"


@dataclass(frozen=True)
class WarehousePaths:
    published: Path

    @property
    def master(self) -> Path:
        return self.published.with_name(self.published.stem + ".master.duckdb")

    @property
    def write_lock(self) -> Path:
        return self.published.with_name(self.published.stem + ".write.lock")

    @property
    def folder(self) -> Path:
        return self.published.parent


def warehouse_paths(db: "str | os.PathLike | WarehouseAddress | None" = None) -> WarehousePaths:
    """The published file, its master and its lock, for a file address (core/address.py)."""
    return WarehousePaths(Path(resolve(db).text))


def local_folder(db: "str | os.PathLike | WarehouseAddress | None" = None) -> Path:
    """This host's own files: `WarehouseAddress.local_folder`."""
    return resolve(db).local_folder


def config_path() -> Path:
    return Path(os.environ.get("GAPWATCH_CONFIG") or DEFAULT_CONFIG)
