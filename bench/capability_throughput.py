"""Capability items per second against one local model at concurrency 1, 2 and 4, next to
what the llama.cpp server itself spent on them, so the collector's own overhead is visible.

Every pass runs the real collector (`capability.collect`: pack loading, the thread pool,
scoring, row flushes that publish the warehouse, the final bootstrap scores) on the same
fixed items at temperature 0, into a throw-away warehouse. The server's time is the sum of
llama.cpp's `timings` (prompt_ms + predicted_ms) over the answers: the local servers run one
slot, so that sum is the fastest any client could go, and wall time minus it is ours.

Run from the repository root with the local models up (`python -m collectors local up`):

    python -m bench.capability_throughput                        # smollm2, 6 fixed items a pack
    python -m bench.capability_throughput --model local/qwen2.5-coder-0.5b --items 4
"""

import argparse
import tempfile
import time
from pathlib import Path

from collectors import capability, endpoints
from core.config import load_config
from collectors.runner import Run
from warehouse.bootstrap import init


def recording_open(answers: list):
    """`open_provider` whose providers keep every ChatResult, for the server's own timings."""
    def open_provider(model):
        provider = endpoints.open_provider(model)
        chat = provider.chat

        def recorded(request):
            result = chat(request)
            answers.append(result)
            return result

        provider.chat = recorded
        return provider
    return open_provider


def one_pass(db_path: Path, model, items: int, concurrency: int) -> dict:
    """Wall time of one collector run, and the server's time for the same answers."""
    answers: list = []
    capability.open_provider = recording_open(answers)
    settings = capability.Settings(fixed=items, fresh=0, concurrency=concurrency, resume=False)
    started = time.perf_counter()
    with Run("capability", db_path=db_path) as run:
        capability.collect(run, [model], settings, progress=False)
    wall = time.perf_counter() - started
    server = sum((a.server_timings or {}).get("prompt_ms", 0) +
                 (a.server_timings or {}).get("predicted_ms", 0) for a in answers) / 1000
    return {"concurrency": concurrency, "items": len(answers), "wall_s": wall,
            "items_per_s": len(answers) / wall, "server_s": server,
            "server_items_per_s": len(answers) / server if server else float("nan"),
            "overhead_s": wall - server, "overhead_pct": 100 * (wall - server) / wall,
            "errors": sum(a.error_class is not None for a in answers), "status": run.status}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local/smollm2-135m")
    parser.add_argument("--items", type=int, default=6, help="fixed items per pack (4 packs)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    model = next(m for m in load_config().models if m.id == args.model)
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "gapwatch.duckdb"
        init(db_path)
        one_pass(db_path, model, 1, 1)  # warm-up: first requests and imports are slow
        rows = [one_pass(db_path, model, args.items, c) for c in args.concurrency]
    print(f"model {model.id}, {args.items} fixed items per pack, same items every pass")
    print("| concurrency | items | wall s | items/s | server busy s | server items/s | "
          "overhead s | overhead % |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['concurrency']} | {r['items']} | {r['wall_s']:.1f} | {r['items_per_s']:.2f} | "
              f"{r['server_s']:.1f} | {r['server_items_per_s']:.2f} | {r['overhead_s']:.1f} | "
              f"{r['overhead_pct']:.0f} |" + (f" {r['errors']} errors" if r["errors"] else ""))


if __name__ == "__main__":
    main()
