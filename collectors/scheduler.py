"""`python -m collectors schedule`: months of unattended collection.

APScheduler 3.11 with its job store in a SQLite file beside the warehouse
(never in the DuckDB file: a job store there would hold its lock). Jobs are
stored once and only changed when the config changes: re-adding them with
`replace_existing=True` at every start would reset their timers and lose the
catch-up run. `coalesce=True` with `misfire_grace_time=None` turns any number
of missed fire times (a machine asleep) into exactly one catch-up run.
"""

import fcntl
import logging
import os
import pickle
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from logging.handlers import RotatingFileHandler
from pathlib import Path

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from collectors import spool, stopping
from collectors.context import host_name, process_alive
# Re-exported: the jobs and the lock probe live in job_list so the dashboard can read them.
from collectors.job_list import JOB_FUNCTION, LOCK_NAME, JobSpec, job_specs, running_pid  # noqa: F401
from core.address import resolve
from core.config import GapWatchConfig
from core.errors import GapWatchError
from core.redaction import redact_logging
from warehouse.storage import run_ledger, writes
from warehouse.storage.host_lease import lease_for
from core.paths import local_folder

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
log = logging.getLogger("gapwatch.scheduler")


def skipped_jobs(config: GapWatchConfig, lake: bool) -> list[str]:
    """Configured jobs that do not apply to this warehouse, each with the reason."""
    notes = []
    if config.backup and lake:
        notes.append("[backup] is not scheduled: it copies a DuckDB file; back up a lake's "
                     "PostgreSQL catalog and data path instead (docs/lake.md)")
    if config.upkeep and not lake:
        notes.append("[upkeep] is not scheduled: a DuckDB file needs no upkeep")
    return notes + [f"model {m} is in no host's share: nobody collects it" for m in config.unowned_models()]


def store_path(db_path=None) -> Path:
    """On this host (each host schedules its own share, even on a shared lake)."""
    return local_folder(db_path) / "scheduler.sqlite"


def job_store(db_path=None) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(url=f"sqlite:///{store_path(db_path)}")


def sync_jobs(scheduler, specs: dict[str, JobSpec]) -> list[str]:
    """Add missing jobs, reschedule changed ones, drop removed ones; say what changed."""
    stored = {job.id: job for job in scheduler.get_jobs()}
    changes = []
    for spec in specs.values():
        job = stored.get(spec.id)
        if job is None:
            scheduler.add_job(spec.function, trigger=spec.trigger(), id=spec.id, name=spec.id,
                              kwargs=spec.kwargs, jitter=spec.jitter_s)
            changes.append(f"added {spec.id}: {spec.schedule}")
        elif _describe(job) != _describe_spec(spec):
            scheduler.modify_job(spec.id, kwargs=spec.kwargs)
            scheduler.reschedule_job(spec.id, trigger=spec.trigger(), jitter=spec.jitter_s)
            changes.append(f"changed {spec.id}: {_describe(job)} -> {_describe_spec(spec)}")
    for job_id in stored.keys() - specs.keys():
        scheduler.remove_job(job_id)
        changes.append(f"removed {job_id}: no longer in the config")
    return changes


def _describe(job) -> str:
    """APScheduler stores a jitter of 0 as None: fold both, or every start looks like a change."""
    return f"{job.trigger} jitter={job.trigger.jitter or 0} {job.kwargs}"


def _describe_spec(spec: JobSpec) -> str:
    return f"{spec.trigger()} jitter={spec.jitter_s or 0} {spec.kwargs}"


class SingleInstance:
    """One scheduler per warehouse: an flock on a file that also names the holder's pid."""

    def __init__(self, db_path=None):
        self.path = local_folder(db_path) / LOCK_NAME

    def __enter__(self) -> "SingleInstance":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "unknown"
            self.handle.close()
            raise GapWatchError(f"a scheduler is already running (pid {holder}); "
                                "only one may run at a time") from None
        self.handle.truncate(0)
        self.handle.write(str(os.getpid()))
        self.handle.flush()
        return self

    def __exit__(self, *_exc) -> None:
        self.handle.close()


def abandon_dead_runs(db_path=None) -> int:
    """This host's `running` runs whose process is gone become `abandoned`; rows are kept.

    Read from the master, inside the write lock: a run killed between its commit and
    the publish is in the master only.
    """
    with run_ledger.writing(db_path) as con:
        running = run_ledger.running(con, host_name())
        alive = {run_id for run_id, context in running if _pid_alive(context.get("pid"))}
        return writes.abandon_stale_runs(con, host_name(), alive)


def _pid_alive(pid) -> bool:
    """Never our own pid: a new scheduler may have been given the pid of the dead one."""
    return pid != os.getpid() and process_alive(pid)


def configure_logging(db_path=None) -> None:
    """One line per run start and end, to stderr and to a rotating file under data/logs/.

    `force=True` replaces the handler the CLI's `basicConfig` already put on the root logger:
    adding ours beside it printed every stderr line twice.
    """
    logs = local_folder(db_path) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    handlers = [logging.StreamHandler(), RotatingFileHandler(logs / "scheduler.log",
                                                             maxBytes=5_000_000, backupCount=5)]
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact_logging()  # the log file and stderr never carry a key, whatever logged it
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def serve(config: GapWatchConfig, db_path=None) -> None:
    """Run in the foreground until SIGTERM/SIGINT; the job in flight finishes its item."""
    from warehouse.bootstrap import ensure_ready

    stopping.install()  # first: a SIGTERM during start-up must also stop cleanly
    config.host_share(host_name())  # a host outside [hosts] stops here, before taking any lock
    with SingleInstance(db_path), lease_for(db_path, host_name()):
        ensure_ready(db_path)
        abandoned = abandon_dead_runs(db_path)  # first: their spooled rows may then land
        log.info("landed %d spooled rows", spool.land_pending(db_path))
        abandoned += abandon_dead_runs(db_path)  # dead runs whose start had waited in the spool
        log.info("abandoned %d runs left by dead processes on this host", abandoned)
        scheduler = BackgroundScheduler(jobstores={"default": job_store(db_path)},
                                        job_defaults=JOB_DEFAULTS, timezone="UTC")
        scheduler.start(paused=True)  # load the stored jobs before deciding what to add
        lake = resolve(db_path).is_lake
        for change in sync_jobs(scheduler, job_specs(config, lake=lake)):
            log.info("schedule %s", change)
        for note in skipped_jobs(config, lake):
            log.warning("%s", note)
        log.info("scheduler %d on host %s running %d jobs: %s", os.getpid(), host_name(),
                 len(scheduler.get_jobs()), ", ".join(job.id for job in scheduler.get_jobs()))
        scheduler.resume()  # missed fire times now coalesce into one catch-up run per job
        while not stopping.requested():
            time.sleep(0.2)
        log.info("stopping: waiting for the job in flight to finish its current item")
        scheduler.shutdown(wait=True)


def stored_jobs(db_path=None) -> list:
    """The stored jobs, read without starting a scheduler or writing anything (for `status`).

    A scheduler started even paused may run its wakeup logic and move a missed fire time on,
    eating the catch-up; APScheduler's own store deletes any job it cannot unpickle. So the
    SQLite file is opened read-only and each row rebuilt the way the store does it.
    """
    path = store_path(db_path)
    if not path.exists():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT id, job_state FROM apscheduler_jobs "
                           "ORDER BY next_run_time IS NULL, next_run_time").fetchall()
    except sqlite3.Error as exc:
        raise GapWatchError(f"cannot read the job store {path}: {exc}; stop the scheduler and "
                            "delete the file, the next `collectors schedule` rebuilds it") from None
    finally:
        con.close()
    return [_job_from_state(job_id, state) for job_id, state in rows]


def _job_from_state(job_id: str, state: bytes):
    """A Job as the store rebuilds it; a row that cannot be rebuilt stays listed, with why."""
    try:
        job = Job.__new__(Job)
        job.__setstate__(pickle.loads(state))
        return job
    except Exception as exc:  # noqa: BLE001 - the store itself would silently delete it
        return UnreadableJob(job_id, f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class UnreadableJob:
    id: str
    problem: str
    next_run_time: None = None

    @property
    def trigger(self) -> str:
        return f"(cannot be read: {self.problem})"


def configured_next_fires(config: GapWatchConfig, lake: bool = False) -> list[tuple[JobSpec, datetime]]:
    """This host's jobs from the config with the fire time a scheduler started now would give."""
    now = datetime.now(timezone.utc)
    return [(spec, spec.trigger().get_next_fire_time(None, now))
            for spec in job_specs(config, lake=lake).values()]
