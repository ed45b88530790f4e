"""Finding the unfinished capability run to continue, and what it already answered.

A run that ended early (killed, stopped by a signal, capped by --max-usd) has no scores; the
next run on the same host within RESUME_WITHIN_H hours with the same packs and item counts
continues it (collectors/capability.py). Each context's `resumes` links a run to the one it
continued, so the answers of the whole chain are skipped, not only the last run's.
"""

import json
from dataclasses import dataclass

from collectors.context import host_name, process_alive
from warehouse import db

RESUME_WITHIN_H = 24
CANDIDATES_SQL = """
SELECT run_id, status, context FROM run_ledger
WHERE collector = 'capability' AND host = ? AND status <> 'ok' AND run_id <> ?
  AND invalidated_at_utc IS NULL AND started_at_utc >= now() - to_hours(?)
  AND run_id NOT IN (SELECT run_id FROM capability_score_row)
  AND run_id NOT IN (SELECT json_extract_string(context, '$.resumes') FROM run_ledger
                     WHERE json_extract_string(context, '$.resumes') IS NOT NULL)
ORDER BY started_at_utc DESC"""


@dataclass(frozen=True)
class Previous:
    """An unfinished run to continue: its seed and its chain (it, then what it resumed)."""

    run_id: str
    seed: int
    chain: tuple[str, ...]


def find_resumable(db_path, key: dict, seed: int | None, exclude_run: str) -> Previous | None:
    """The latest unfinished capability run of this host with the same key (and seed)."""
    with db.reading(db_path) as con:
        rows = con.execute(CANDIDATES_SQL, [host_name(), exclude_run, RESUME_WITHIN_H]).fetchall()
        for run_id, status, text in rows:
            context = json.loads(text or "{}")
            if status == "running" and process_alive(context.get("pid")):
                continue  # still going in another process: leave it alone
            if {k: context.get(k) for k in key} == key and seed in (None, context.get("seed")):
                return Previous(run_id, context["seed"], run_chain(con, run_id))
    return None


def run_chain(con, run_id: str) -> tuple[str, ...]:
    """The run and, through each context's `resumes`, every run it continued."""
    found = []
    while run_id and run_id not in found:
        found.append(run_id)
        row = con.execute("SELECT json_extract_string(context, '$.resumes') FROM run_ledger "
                          "WHERE run_id = ?", [run_id]).fetchone()
        run_id = row[0] if row else None
    return tuple(found)


def answered(db_path, chain_ids: tuple[str, ...]) -> set[tuple]:
    """Keys of the items the chain has an answer for (faulted items get another try)."""
    with db.reading(db_path) as con:
        return set(con.execute(
            "SELECT model_id, pack, pack_version, item_id, variant, seed FROM "
            "capability_item_result WHERE run_id IN (SELECT unnest(?)) AND error_class IS NULL",
            [list(chain_ids)]).fetchall())
