"""Measured runs written through the production path (collectors.runner.Run, then the scores the
capability collector stores), for page and CLI tests that need the user's own rows without
waiting for real models. Item answers are given as scores: the real collectors are tested with
real models in tests/test_browser_pages.py."""

import hashlib
from datetime import datetime, timedelta, timezone

from collectors import capability_scores
from collectors.runner import Run

PACKS = {"understanding": "understanding-core", "reasoning": "reasoning-core"}


def register_local_models(db_path) -> None:
    """As `python -m warehouse init` does on a user's machine: the configured models (the
    three bundled local ones, open weights) join the registry."""
    from core.config import load_config
    from warehouse.bootstrap import ensure_registered

    ensure_registered(load_config().models, db_path)


def capability_run(db_path, scores: dict[str, dict[str, list[float]]], seed: int = 7,
                   models_context: dict | None = None) -> str:
    """One capability run: `scores[model][dimension]` are item scores (item `q0`, `q1`, ... of
    that dimension's pack, fixed and fresh alternating); returns the run id."""
    now = datetime.now(timezone.utc)
    with Run("capability", db_path=db_path) as run:
        run.context.update(seed=seed, models=models_context or {
            m: {"provider": "local" if m.startswith("local/") else "openai-compatible"}
            for m in scores})
        for model, dims in scores.items():
            for dim, values in dims.items():
                pack = PACKS.get(dim, f"{dim}-pack")
                run.add("capability_item_result", [{
                    "model_id": model, "pack": pack, "pack_version": "1", "dimension": dim,
                    "item_id": f"q{k}", "variant": "fixed" if k % 2 == 0 else "fresh",
                    "seed": seed, "prompt_sha256": hashlib.sha256(f"{pack}{k}{seed if k % 2 else ''}"
                                                                  .encode()).hexdigest(),
                    "response": "x", "score": v, "input_tokens": 40, "output_tokens": 10,
                    "latency_s": 0.5, "measured_at_utc": now + timedelta(seconds=k),
                    "error_class": None, "error": None} for k, v in enumerate(values)])
        run.complete = True
    capability_scores.store_run_scores(run.run_id, (run.run_id,), db_path)
    return run.run_id


def latency_run(db_path, speeds: dict[str, list[float]], workload: str = "smoke-32-16",
                when: datetime | None = None) -> str:
    """One latency run: `speeds[model]` are output tokens per second, one request each."""
    start = when or datetime.now(timezone.utc)
    with Run("latency", db_path=db_path) as run:
        for model, values in speeds.items():
            run.add("latency_sample", [{
                "model_id": model, "workload": workload, "concurrency": 1, "request_index": k,
                "measured_at_utc": start + timedelta(seconds=k), "ttft_s": 0.2, "e2e_s": 1.0,
                "input_tokens": 32, "output_tokens": 16, "output_tokens_per_s": v,
                "itl_s": 1 / v, "http_status": 200, "error_class": None, "error": None}
                for k, v in enumerate(values)])
    return run.run_id
