"""The drift sentinel on real swaps: one OpenAI-compatible model name, served by llama.cpp on one
port, behind which the model or its settings change between drift runs.

    nice -n 10 python -m bench.drift_swap [--db PATH] [--port N]

Steps (each a full `drift` run of the canary set, through the collector's own code):
SmolLM2 twice (a baseline, then `same model`), Qwen2.5-Coder under the same name (`changed`),
Qwen again (`same model` against the new baseline), Qwen with a 4096-token context instead of
2048 (`changed`: the server reports it), and Qwen with an 8-bit KV cache (what the answers
alone say: the server does not report its cache type). Prints one line per step: what served,
the verdict and its evidence. The warehouse is a fresh file (the public history is imported
first, about a minute).
"""

import argparse
import tempfile
import time
from pathlib import Path

from bench.llama_server import serving
from collectors import drift
from collectors.runner import Run
from core.config import GapWatchConfig
from warehouse.bootstrap import ensure_ready

NAME = "acme/chat-model"  # what the config calls it; the server answers as `chat-model`
STEPS = (("local/smollm2-135m", 2048, None), ("local/smollm2-135m", 2048, None),
         ("local/qwen2.5-coder-0.5b", 2048, None), ("local/qwen2.5-coder-0.5b", 2048, None),
         ("local/qwen2.5-coder-0.5b", 4096, None), ("local/qwen2.5-coder-0.5b", 4096, "q8_0"))


def config(port: int) -> GapWatchConfig:
    return GapWatchConfig.model_validate({"models": [{
        "id": NAME, "provider": "openai-compatible", "base_url": f"http://127.0.0.1:{port}/v1",
        "organization": "Acme", "open_weights": False}]})


def run_step(db: Path, port: int, model_id: str, n_ctx: int, cache: str | None) -> dict:
    models = config(port).models
    with serving(model_id, models[0].api_model, port, n_ctx, cache, log=db.parent / "server.log"):
        with Run("drift", db_path=db) as run:
            return drift.collect(run, models, progress=False)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="warehouse file (default: a fresh temp one)")
    parser.add_argument("--port", type=int, default=8890)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="drift-swap-")) / "gapwatch.duckdb"
    ensure_ready(db)
    print(f"{'step':<4} {'served as ' + NAME:<44} {'verdict':<16} {'s':>5}  evidence")
    for n, (model_id, n_ctx, cache) in enumerate(STEPS, 1):
        started = time.monotonic()
        row = run_step(db, args.port, model_id, n_ctx, cache)
        served = f"{model_id}, ctx {n_ctx}" + (f", KV cache {cache}" if cache else "")
        print(f"{n:<4} {served:<44} {row['verdict']:<16} {time.monotonic() - started:5.0f}  "
              f"{row['evidence']}", flush=True)


if __name__ == "__main__":
    main()
