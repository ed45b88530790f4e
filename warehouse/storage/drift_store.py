"""Drift runs as the drift collector asks about them: which run is a model's baseline, the
answers of a run, what the baseline's server said, and the model's answer noise so far.

Why here: the collector (collectors/drift.py) decides what to ask and the analysis
(warehouse/analysis/drift.py) what the answers mean; the warehouse alone holds the SQL. Every
read is of the published snapshot and leaves out invalidated runs.
"""

import json

import pandas as pd

from core.errors import GapWatchError
from warehouse.storage import db
from warehouse.storage.writes import VALID_RUN

NOISE_CHECKS = 10  # the model's latest `same model` checks that say how much its answers wander

ITEMS_SQL = f"""
SELECT item_id, answer_sha256, score, input_tokens, output_tokens, error_class, served_model,
       system_fingerprint
FROM drift_item_result WHERE run_id = ? AND model_id = ? AND canary_version = ? AND {VALID_RUN}
ORDER BY item_id"""
LATEST_SQL = f"""
SELECT run_id, baseline_run_id, verdict FROM drift_check_row
WHERE model_id = ? AND canary_version = ? AND run_id <> ? AND {VALID_RUN}
ORDER BY checked_at_utc DESC LIMIT 1"""
NOISE_SQL = f"""
SELECT coalesce(sum(n_changed_answers), 0), coalesce(sum(n_items), 0) FROM (
    SELECT n_changed_answers, n_items FROM drift_check_row
    WHERE model_id = ? AND canary_version = ? AND verdict = 'same model' AND {VALID_RUN}
    ORDER BY checked_at_utc DESC LIMIT {NOISE_CHECKS})"""


def baseline(model_id: str, version: str, exclude_run: str, named: str | None = None,
             db_path=None) -> str | None:
    """The run this model's answers are compared with: `named` if given; else the latest
    check's baseline, or the latest check's own run if it found the model `changed` (the swap
    starts a new baseline); None when there is none (this run becomes the baseline). A
    baseline that was invalidated or holds no answer of the model counts as none."""
    if named is not None:
        if not has_answers(named, model_id, version, db_path):
            raise GapWatchError(f"run {named} holds no answers of {model_id} to canary version "
                                f"{version} (or it was invalidated); see the drift_checks view")
        return named
    with db.reading(db_path) as con:
        latest = con.execute(LATEST_SQL, [model_id, version, exclude_run]).fetchone()
    if latest is None:
        return None
    run_id, carried, verdict = latest
    chosen = run_id if verdict == "changed" else carried
    return chosen if chosen and has_answers(chosen, model_id, version, db_path) else None


def has_answers(run_id: str, model_id: str | None = None, version: str | None = None,
                db_path=None) -> bool:
    """True when the valid run holds an answer (of that model, to that canary version)."""
    with db.reading(db_path) as con:
        return con.execute(f"""SELECT count(*) > 0 FROM drift_item_result WHERE run_id = $run
                               AND ($model IS NULL OR model_id = $model) AND error_class IS NULL
                               AND ($version IS NULL OR canary_version = $version) AND {VALID_RUN}""",
                           {"run": run_id, "model": model_id, "version": version}).fetchone()[0]


def run_items(run_id: str, model_id: str, version: str, db_path=None) -> pd.DataFrame:
    """A run's canary answers of one model (hashes, scores, token counts, what answered)."""
    with db.reading(db_path) as con:
        return con.execute(ITEMS_SQL, [run_id, model_id, version]).df()


def server_report(run_id: str, model_id: str, version: str, db_path=None) -> dict:
    """What the server said in that run: {"server": ..., "headers": ..., "probe_tokens": ...}."""
    with db.reading(db_path) as con:
        row = con.execute("SELECT served_identity, probe_tokens FROM drift_check_row WHERE "
                          "run_id = ? AND model_id = ? AND canary_version = ?",
                          [run_id, model_id, version]).fetchone()
    if row is None:
        return {}
    report = json.loads(row[0]) if row[0] else {}
    return report | {"probe_tokens": None if pd.isna(row[1]) else int(row[1])}


def item_history(model_id: str, version: str, baseline_run: str, db_path=None) -> pd.DataFrame:
    """Per item, over the model's latest `same model` checks against this baseline: in how many
    it was answered (`checks`) and how many times its answer differed from the baseline's."""
    with db.reading(db_path) as con:
        return con.execute(f"""
            WITH recent AS (
                SELECT run_id FROM drift_check_row
                WHERE model_id = $model AND canary_version = $version AND verdict = 'same model'
                  AND baseline_run_id = $base AND run_id <> $base AND {VALID_RUN}
                ORDER BY checked_at_utc DESC LIMIT {NOISE_CHECKS}),
            base AS (SELECT item_id, answer_sha256 FROM drift_item_result
                     WHERE run_id = $base AND model_id = $model AND canary_version = $version
                       AND error_class IS NULL)
            SELECT i.item_id, count(*) AS checks,
                   count(*) FILTER (WHERE i.answer_sha256 <> base.answer_sha256) AS differed
            FROM drift_item_result i JOIN base USING (item_id)
            WHERE i.run_id IN (SELECT run_id FROM recent) AND i.model_id = $model
              AND i.canary_version = $version AND i.error_class IS NULL
            GROUP BY i.item_id ORDER BY i.item_id""",
            {"model": model_id, "version": version, "base": baseline_run}).df()


def answer_noise(model_id: str, version: str, db_path=None) -> tuple[int, int]:
    """(answers changed, answers compared) over the model's latest `same model` checks."""
    with db.reading(db_path) as con:
        changed, compared = con.execute(NOISE_SQL, [model_id, version]).fetchone()
    return int(changed), int(compared)
