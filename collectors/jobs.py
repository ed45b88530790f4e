"""Scheduled jobs: importable `module:function` references the scheduler stores.

A job loads the config afresh, runs one collector in this process under a
`Run`, and returns a short summary. A collector that raises fails its run
(recorded in the ledger) and the scheduler goes on with the next job.
"""

from collectors import registry
from collectors.runner import Run
from core.address import resolve
from core.config import load_config
from warehouse.bootstrap import ensure_ready


def collector_function(name: str):
    """The registered collector's job: `function(run, models, config)`."""
    return registry.get(name).job


def run_collector(collector: str, models: list[str] | None = None, db_path=None) -> dict:
    """What the scheduler calls: one run of one collector over the selected models."""
    config = load_config()
    selected = config.select(models, collector)
    ensure_ready(db_path)
    with Run(collector, db_path=db_path) as run:
        collector_function(collector)(run, selected, config)
    return {"run_id": run.run_id, "status": run.status, "rows": run.n_rows}


def run_backup(folder: str, keep: int, db_path=None) -> dict:
    """The scheduled backup: a verified copy of the published snapshot, old ones pruned."""
    from pathlib import Path

    from warehouse.storage.backup import backup

    path, counts = backup(Path(folder), db_path, keep=keep)
    return {"backup": str(path), "rows": sum(counts.values())}


def run_upkeep(keep_days: int, db_path=None) -> dict:
    """The scheduled lake upkeep, recorded in the run ledger like any collection."""
    from warehouse.storage import lake

    address = resolve(db_path)
    with Run("upkeep", db_path=db_path) as run:
        counts = lake.maintain(lake.parse_target(address.text), keep_days)
        run.context["upkeep"] = {name: {"before": b, "after": a} for name, (b, a) in counts.items()}
        run.complete = True
    return {"run_id": run.run_id, "status": run.status, **run.context["upkeep"]}
