"""One collection run: its id, ledger entry, buffered rows and outcome.

Collectors yield rows; the run buffers them and hands them to the warehouse
in batches (each batch one transaction and one published snapshot). If the
warehouse is busy, rows stay buffered and land with the next batch, so a
slow reader never costs a measurement.
"""

import logging
import os
import re
import uuid
from collections import defaultdict
from datetime import datetime, timezone

import pandas as pd

from collectors import stopping
from collectors.context import host_name, run_context
from warehouse import db, writes
from warehouse.errors import DatabaseBusy

log = logging.getLogger("gapwatch.runner")
SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)$")


def redact(text: str | None) -> str | None:
    """Remove any secret-looking environment value from text bound for rows or logs."""
    if not text:
        return text
    for name, value in os.environ.items():
        if SECRET_ENV.search(name) and len(value) >= 8 and value in text:
            text = text.replace(value, f"<{name}>")
    return text


def new_run_id(collector: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{collector}-{stamp}-{uuid.uuid4().hex[:6]}"


class Run:
    """Context manager: `with Run("latency") as run: run.add("latency_sample", rows)`."""

    def __init__(self, collector: str, db_path=None, flush_every: int = 200, **context):
        self.collector, self.db_path, self.flush_every = collector, db_path, flush_every
        self.run_id = new_run_id(collector)
        self.context = run_context(**context)
        self.buffer: dict[str, list[dict]] = defaultdict(list)
        self.n_rows = self.n_failed = 0
        self.warnings: list[str] = []

    def __enter__(self) -> "Run":
        with db.writing(self.db_path) as con:
            writes.start_run(con, self.run_id, self.collector, host_name(), self.context)
        log.info("run %s started (%s)", self.run_id, self.collector)
        return self

    def add(self, table: str, rows: list[dict]) -> None:
        for row in rows:
            row.setdefault("run_id", self.run_id)
            row["error"] = redact(row.get("error"))
            self.n_failed += row.get("error_class") is not None
        self.buffer[table].extend(rows)
        if sum(map(len, self.buffer.values())) >= self.flush_every:
            self.flush()

    def warn(self, message: str) -> None:
        message = redact(message)
        log.warning(message)
        self.warnings.append(message)

    def flush(self, wait_s: float = 5.0) -> bool:
        """Write buffered rows; on a busy warehouse keep them for the next try."""
        if not any(self.buffer.values()):
            return True
        try:
            with db.writing(self.db_path, wait_s=wait_s) as con:
                for table, rows in self.buffer.items():
                    self.n_rows += writes.insert_rows(con, table, pd.DataFrame(rows))
        except DatabaseBusy as exc:
            log.warning("warehouse busy, %d rows wait for the next batch: %s",
                        sum(map(len, self.buffer.values())), exc)
            return False
        self.buffer.clear()
        return True

    def __exit__(self, exc_type, exc, _tb) -> bool:
        landed = self.flush(wait_s=db.WRITE_WAIT_S)
        error = redact(f"{type(exc).__name__}: {exc}") if exc else None
        if stopping.requested() and not error:
            error = "stopped by a signal before the run finished; completed rows kept"
        if not landed:
            error = error or "warehouse busy: buffered rows could not be written"
        status = "failed" if error and not self.n_rows else (
            "partial" if error or self.n_failed or self.warnings else "ok")
        with db.writing(self.db_path) as con:
            writes.finish_run(con, self.run_id, status, self.n_rows, len(self.warnings),
                              error or (self.warnings[-1] if self.warnings else None), self.context)
        self.status = status
        log.info("run %s ended: %s, %d rows, %d warnings%s", self.run_id, status, self.n_rows,
                 len(self.warnings), f", error: {error}" if error else "")
        return False
