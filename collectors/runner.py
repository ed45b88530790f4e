"""One collection run: its id, ledger entry, buffered rows and outcome.

Collectors yield rows; the run buffers them and hands them to the warehouse
in batches (each batch one transaction and one published snapshot). If the
warehouse is busy, a batch goes to the on-disk spool (collectors/spool.py)
and lands with the next write of any run, so neither a slow reader nor a
crash while it waits costs a measurement.

A batch to the warehouse costs a publish (a copy of the whole file), too dear for every
request; so a journal thread writes whatever rows wait in memory to the spool every
`durable_s` seconds (a small Parquet file, fsynced). A SIGKILL then loses only the requests
in flight and the last second: the next run on this host (or the next scheduler start)
marks the dead run `abandoned`, lands its spooled rows and says how many it kept.
"""

import logging
import threading
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from collectors import spool, stopping
from collectors.context import host_name, process_alive, run_context
from collectors.host_load import HostLoad, local_ports
from core.redaction import redact
from warehouse.storage import run_ledger, writes
from core.errors import DatabaseBusy
from warehouse.storage.lake import retry_conflicts

log = logging.getLogger("gapwatch.runner")
# Rows wait on disk, not in memory, when the warehouse is held: waiting longer for it at the
# end (it was 120 s, twice) only delays the report.
END_WAIT_S = 15.0


def new_run_id(collector: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{collector}-{stamp}-{uuid.uuid4().hex[:6]}"


class Run:
    """Context manager: `with Run("latency") as run: run.add("latency_sample", rows)`."""

    def __init__(self, collector: str, db_path=None, flush_every: int = 200, spool_dir=None,
                 busy_wait_s: float = 5.0, end_wait_s: float = END_WAIT_S, durable_s: float = 1.0,
                 **context):
        self.collector, self.db_path, self.flush_every = collector, db_path, flush_every
        self.spool_dir = Path(spool_dir) if spool_dir else spool.folder_for(db_path)
        self.busy_wait_s, self.end_wait_s, self.durable_s = busy_wait_s, end_wait_s, durable_s
        self.n_spooled = 0  # rows of this run waiting in the spool
        self.spool_failure: spool.SpoolFull | None = None
        self.run_id = new_run_id(collector)
        self.context = run_context(**context)
        self.buffer: dict[str, list[dict]] = defaultdict(list)
        self.n_rows = self.n_failed = self.n_unflushed = 0
        self.warnings: list[str] = []
        self.complete = False  # set by work that cannot be cut short: a signal then changes nothing
        self.lock = threading.RLock()  # the buffer is shared with the journal thread
        self.journal: Journal | None = None
        self.host_load: HostLoad | None = None
        self.others_in_flight: list[str] = []  # other GapWatch runs of this host, at start and end

    def __enter__(self) -> "Run":
        """Record the start (after tidying up after dead runs of this host); a warehouse still
        busy after `busy_wait_s` gets the start from the spool."""
        landed = spool.Landed()
        try:
            for attempt in retry_conflicts():
                with attempt, run_ledger.writing(self.db_path, wait_s=self.busy_wait_s) as con:
                    landed = recover_dead_runs(con, self.spool_dir)
                    self.others_in_flight = live_runs(con)
                    writes.start_run(con, self.run_id, self.collector, host_name(), self.context)
            spool.remove(landed.files)
        except DatabaseBusy as busy:
            spool.save(self.spool_dir, self.run_id, spool.RUN_START,
                       [spool.start_record(self.run_id, self.collector, host_name(), self.context)])
            log.warning("warehouse busy at the start of run %s; its start waits in %s: %s",
                        self.run_id, self.spool_dir, busy)
        log.info("run %s started (%s)", self.run_id, self.collector)
        self.host_load = HostLoad(lambda: local_ports(self.context)).start()
        self.journal = Journal(self)
        return self

    def add(self, table: str, rows: list[dict]) -> None:
        """Buffer finished rows: on disk within `durable_s`, in the warehouse every
        `flush_every` rows (counting those already journaled) or at the end."""
        with self.lock:
            for row in rows:
                row.setdefault("run_id", self.run_id)
                row["error"] = redact(row.get("error"))
                self.n_failed += row.get("error_class") is not None
            self.buffer[table].extend(rows)
            self.n_unflushed += len(rows)
            if self.n_unflushed >= self.flush_every:
                self.flush()

    def warn(self, message: str) -> None:
        message = redact(message)
        log.warning(message)
        self.warnings.append(message)

    def flush(self, wait_s: float | None = None) -> bool:
        """Write buffered rows, and any spooled batch that can land; if the warehouse stays
        busy for `wait_s`, spool the buffer (SpoolFull if even that fails)."""
        with self.lock:
            self.n_unflushed = 0
            if not any(self.buffer.values()) and not spool.pending(self.spool_dir):
                return True
            wait_s = self.busy_wait_s if wait_s is None else wait_s
            try:
                with run_ledger.writing(self.db_path, wait_s=wait_s) as con:
                    landed = spool.land(con, self.spool_dir, self.run_id)
                    for table, rows in self.buffer.items():
                        self.n_rows += writes.insert_rows(con, table, pd.DataFrame(rows))
            except DatabaseBusy as exc:
                self._spool(exc)
                return False
            spool.remove(landed.files)
            self.n_rows += landed.rows.get(self.run_id, 0)
            self.n_spooled = 0
            self.buffer.clear()
            return True

    def _spool(self, busy: DatabaseBusy) -> None:
        self.save_buffer()
        log.warning("warehouse busy, %d rows of run %s wait in %s: %s", self.n_spooled,
                    self.run_id, self.spool_dir, busy)

    def save_buffer(self) -> None:
        """Move the rows waiting in memory to the spool (SpoolFull, rows kept in memory, if it
        cannot); they land with this run's next flush, or after it, if the process dies."""
        with self.lock:
            for table, rows in list(self.buffer.items()):
                if rows:
                    spool.save(self.spool_dir, self.run_id, table, rows)
                    self.n_spooled += len(rows)
                    self.buffer[table] = []

    def __exit__(self, exc_type, exc, _tb) -> bool:
        if self.journal:
            self.journal.stop()
        self._record_host_load()
        error = redact(f"{type(exc).__name__}: {exc}") if exc else None
        landed = self._final_flush()
        if stopping.requested() and not error and not self.complete:
            error = "stopped by a signal before the run finished; completed rows kept"
        full = exc if isinstance(exc, spool.SpoolFull) else self.spool_failure
        error = error or (redact(str(full)) if full else None)
        if not landed and not error:  # what the ledger says once the waiting rows have landed
            self.context["status_once_landed"] = self._status(None, full)
            self.context["error_once_landed"] = self.warnings[-1] if self.warnings else None
        if not landed:
            error = error or (f"warehouse busy: {self.n_spooled} rows wait in {self.spool_dir} "
                              "and land with the next write")
        self.status = self._status(error, full)
        self._record_end(error or (self.warnings[-1] if self.warnings else None), landed)
        log.info("run %s ended: %s, %d rows, %d warnings%s", self.run_id, self.status, self.n_rows,
                 len(self.warnings), f", error: {error}" if error else "")
        return False

    @property
    def outcome(self) -> str:
        """The status to tell a person now: `waiting` while rows wait in the spool (the ledger
        says `partial` until they land, then the status the run earned)."""
        return "waiting, rows in the spool" if self.n_spooled else self.status

    def _status(self, error: str | None, full) -> str:
        if full is not None or (error and not self.n_rows and not self.n_spooled):
            return "failed"
        return "partial" if error or self.n_failed or self.warnings else "ok"

    def _record_host_load(self) -> None:
        """The run's `host_load` in its context (collectors/host_load.py); other runs still in
        flight at the end count as well as those at the start."""
        if self.host_load is None:
            return
        try:
            self.others_in_flight += [run_id for run_id, context in
                                      run_ledger.running_now(host_name(), self.db_path)
                                      if run_id != self.run_id and process_alive(context.get("pid"))]
        except Exception as exc:  # noqa: BLE001 (a read that fails leaves the start's count)
            log.debug("runs in flight not read at the end of %s: %s", self.run_id, exc)
        self.context["host_load"] = self.host_load.stop(self.others_in_flight)
        if self.context["host_load"]["contended"]:
            log.warning("run %s measured under contention: %s", self.run_id,
                        self.context["host_load"]["contention"])

    def _final_flush(self) -> bool:
        try:
            return self.flush(wait_s=self.end_wait_s)
        except spool.SpoolFull as full:  # rows stay in memory: the ledger still says what happened
            log.error("%s", full)
            self.spool_failure = full
            return False

    def _record_end(self, error: str | None, landed: bool) -> None:
        """The ledger's end of the run; spooled to land later when the warehouse stays busy
        (without a second long wait when the last flush already found it busy)."""
        finished = datetime.now(timezone.utc)
        args = (self.run_id, self.status, self.n_rows, len(self.warnings), error, self.context)
        try:
            for attempt in retry_conflicts():
                wait_s = self.end_wait_s if landed else self.busy_wait_s
                with attempt, run_ledger.writing(self.db_path, wait_s=wait_s) as con:
                    writes.finish_run(con, *args)
        except DatabaseBusy:
            spool.save(self.spool_dir, self.run_id, spool.RUN_END,
                       [spool.end_record(self.run_id, self.status, len(self.warnings), error,
                                         self.context, finished)])


class Journal:
    """Every `durable_s`, the rows the run holds in memory go to the spool (see module doc)."""

    def __init__(self, run: Run):
        self.run, self.stopped, self.failed = run, threading.Event(), False
        self.thread = threading.Thread(target=self._loop, name=f"journal {run.run_id}", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stopped.wait(self.run.durable_s):
            try:
                self.run.save_buffer()
            except spool.SpoolFull as full:  # rows stay in memory; the run's own flush reports it
                if not self.failed:
                    log.warning("cannot journal rows of run %s: %s", self.run.run_id, full)
                self.failed = True

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


def recover_dead_runs(con, spool_dir: Path) -> spool.Landed:
    """This host's runs left `running` by a dead process become `abandoned`, and what they
    spooled lands (inside the caller's transaction; it deletes the files after its commit)."""
    abandon_dead(con)
    landed = spool.land(con, spool_dir)
    if landed.files:
        abandon_dead(con)  # dead runs whose start had waited in the spool
    return landed


def live_runs(con) -> list[str]:
    """This host's runs the ledger says are running whose process is alive."""
    return [run_id for run_id, context in run_ledger.running(con, host_name())
            if process_alive(context.get("pid"))]


def abandon_dead(con) -> int:
    running = run_ledger.running(con, host_name())
    alive = {run_id for run_id, context in running if process_alive(context.get("pid"))}
    return writes.abandon_stale_runs(con, host_name(), alive) if len(alive) < len(running) else 0
