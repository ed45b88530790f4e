"""Where the warehouse lives: a DuckDB file or a DuckLake catalog, read from the environment once.

`GAPWATCH_DB` (or a command's argument) names either the published DuckDB file or a lake,
`ducklake:postgres:<libpq conninfo> data_path=<folder or URL>` (docs/lake.md). Before this
module, nine files read the variable themselves and each decided "file or lake?" on its own;
now `resolve()` reads it and `WarehouseAddress.is_lake` decides, and callers pass the address on.
"""

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "data/gapwatch.duckdb"
LAKE_PREFIX = "ducklake:postgres:"


@dataclass(frozen=True)
class WarehouseAddress:
    """The address as given, and this host's own state folder (`GAPWATCH_STATE_DIR`) for a lake."""

    text: str
    state_dir: str | None = None

    def __str__(self) -> str:
        return self.text

    def __fspath__(self) -> str:
        return self.text

    @property
    def is_lake(self) -> bool:
        return self.text.startswith(LAKE_PREFIX)

    @property
    def local_folder(self) -> Path:
        """This host's own files (spool, scheduler job store and lock, logs).

        Beside a warehouse file; for a lake, whose address is no folder, `GAPWATCH_STATE_DIR` or
        `data/` on this host: every host that writes a lake keeps its own. (Any `ducklake:`
        address counts here, as it always has: such an address is never a folder.)
        """
        if self.text.startswith("ducklake:"):
            return Path(self.state_dir or Path(DEFAULT_DB).parent)
        return Path(self.text).parent


def resolve(db: "str | os.PathLike | WarehouseAddress | None" = None) -> WarehouseAddress:
    """The address given (a command's argument), else `GAPWATCH_DB`, else data/gapwatch.duckdb.

    An address already resolved is returned as it is, so functions can take either."""
    if isinstance(db, WarehouseAddress):
        return db
    text = str(db or os.environ.get("GAPWATCH_DB") or DEFAULT_DB)
    return WarehouseAddress(text, os.environ.get("GAPWATCH_STATE_DIR") or None)
