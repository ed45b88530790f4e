"""One read of the published snapshot, and a block in which reads share one connection.

Why apart from `queries`: every query function goes through `read`, so how a read reaches the
file (a short-lived connection, or the block's shared one) is decided in one place.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pandas as pd

from warehouse.storage import db

_SHARED: ContextVar[tuple | None] = ContextVar("gapwatch_shared_reading", default=None)


def read(sql: str, params: list | None = None, db_path=None) -> pd.DataFrame:
    """Run one read on the published snapshot with a short-lived connection (or the one
    `shared_reading` opened for this file)."""
    shared = _SHARED.get()
    if shared is not None and shared[0] == db_path:
        return shared[1].execute(sql, params or []).df()
    with db.reading(db_path) as con:
        return con.execute(sql, params or []).df()


@contextmanager
def shared_reading(db_path=None) -> Iterator[None]:
    """Reads of `db_path` inside the block share one read-only connection, closed at its end.
    Why: opening the published file costs ~14 ms, and a page's first view makes about eight
    reads (issue 18's cold load). The connection lives for one block, never in a cache."""
    with db.reading(db_path) as con:
        token = _SHARED.set((db_path, con))
        try:
            yield
        finally:
            _SHARED.reset(token)
