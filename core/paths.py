"""Where the warehouse lives, from the environment.

`GAPWATCH_DB` names the file people open (read-only). Collectors write a
private master beside it and publish the named file as a snapshot, so that
no reader can ever lock out a writer (see docs/concurrency.md).
"""

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "data/gapwatch.duckdb"
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


def warehouse_paths(db: str | os.PathLike | None = None) -> WarehousePaths:
    return WarehousePaths(Path(db or os.environ.get("GAPWATCH_DB") or DEFAULT_DB))


def local_folder(db: str | os.PathLike | None = None) -> Path:
    """This host's own files (spool, scheduler job store and lock, logs).

    Beside a warehouse file; for a lake, whose address is no folder, `GAPWATCH_STATE_DIR` or
    `data/` on this host: every host that writes a lake keeps its own.
    """
    address = str(db or os.environ.get("GAPWATCH_DB") or DEFAULT_DB)
    if address.startswith("ducklake:"):
        return Path(os.environ.get("GAPWATCH_STATE_DIR") or Path(DEFAULT_DB).parent)
    return warehouse_paths(db).folder


def config_path() -> Path:
    return Path(os.environ.get("GAPWATCH_CONFIG") or DEFAULT_CONFIG)
