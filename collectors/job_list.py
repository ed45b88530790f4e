"""Which jobs this host runs, and whether a scheduler runs here: read-only, no run machinery.

The dashboard's Runs page lists the configured jobs and the running scheduler. It must not load
the scheduler, the runner or the spool (the "Pages" contract in .importlinter), so these two
questions live here, and `collectors.scheduler` re-uses them to schedule the same jobs.
"""

import fcntl
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger

from collectors import registry
from collectors.context import host_name
from core.config import GapWatchConfig, cron_trigger
from core.paths import local_folder

JOB_FUNCTION = "collectors.jobs:run_collector"
LOCK_NAME = "scheduler.lock"


@dataclass(frozen=True)
class JobSpec:
    id: str
    schedule: str
    jitter_s: int
    kwargs: dict
    function: str = JOB_FUNCTION

    def trigger(self) -> CronTrigger:
        return cron_trigger(self.schedule)


def job_specs(config: GapWatchConfig, host: str | None = None, lake: bool = False) -> dict[str, JobSpec]:
    """This host's jobs. Without `[hosts]` one host runs every job; with them, each collector
    job covers only the models in this host's share, and the jobs of no model (prices, lake
    upkeep, backup) run on the one host with `upkeep = true`. No job can then run twice."""
    share = config.host_share(host or host_name())
    specs = {}
    for name, c in config.collectors.items():
        per_model = registry.BY_NAME[name].per_model
        models = _share_of(config, c.models, share) if per_model else c.models
        if c.enabled and models and (per_model or share is None or share.upkeep):
            specs[name] = JobSpec(name, c.schedule, c.jitter_s, {"collector": name, "models": models})
    if share is None or share.upkeep:
        specs.update(_warehouse_jobs(config, lake))
    return specs


def _share_of(config: GapWatchConfig, patterns: list[str], share) -> list[str]:
    """The collector's own patterns, or the ids of its models this host owns."""
    if share is None:
        return patterns
    owned = {m.id for m in config.select(share.models)}
    return [m.id for m in config.select(patterns) if m.id in owned]


def _warehouse_jobs(config: GapWatchConfig, lake: bool) -> dict[str, JobSpec]:
    """Backups copy a DuckDB file; upkeep tends a lake. Each only where it applies."""
    specs = {}
    if config.backup and not lake:
        specs["backup"] = JobSpec("backup", config.backup.schedule, 0,
                                  {"folder": config.backup.folder, "keep": config.backup.keep},
                                  "collectors.jobs:run_backup")
    if config.upkeep and lake:
        specs["upkeep"] = JobSpec("upkeep", config.upkeep.schedule, 0,
                                  {"keep_days": config.upkeep.keep_days}, "collectors.jobs:run_upkeep")
    return specs


def running_pid(db_path=None) -> int | None:
    """The pid of the running scheduler, or None (probing the lock without taking it)."""
    path = local_folder(db_path) / LOCK_NAME
    if not path.exists():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
