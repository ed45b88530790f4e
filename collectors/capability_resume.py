"""Finding the unfinished capability run to continue, and what it already answered.

A run that ended early (killed, stopped by a signal, capped by --max-usd) has no scores; the
next run on the same host within RESUME_WITHIN_H hours with the same packs and item counts
continues it (collectors/capability.py). Each context's `resumes` links a run to the one it
continued, so the answers of the whole chain are skipped, not only the last run's.
"""

from dataclasses import dataclass

from collectors.context import host_name, process_alive
from warehouse.storage import capability_store

RESUME_WITHIN_H = 24


@dataclass(frozen=True)
class Previous:
    """An unfinished run to continue: its seed and its chain (it, then what it resumed)."""

    run_id: str
    seed: int
    chain: tuple[str, ...]


def find_resumable(db_path, key: dict, seed: int | None, exclude_run: str) -> Previous | None:
    """The latest unfinished capability run of this host with the same key (and seed)."""
    for run in capability_store.unfinished_runs(host_name(), exclude_run, RESUME_WITHIN_H, db_path):
        if run.status == "running" and process_alive(run.context.get("pid")):
            continue  # still going in another process: leave it alone
        if {k: run.context.get(k) for k in key} == key and seed in (None, run.context.get("seed")):
            return Previous(run.run_id, run.context["seed"], run.chain)
    return None


def answered(db_path, chain_ids: tuple[str, ...]) -> set[tuple]:
    """Keys of the items the chain has an answer for (faulted items get another try)."""
    return capability_store.answered(chain_ids, db_path)
