"""How exactly does GapWatch time a stream? TTFT and inter-token latency against known delays.

The reference server (tests/reference_server.py) streams with injected delays
and logs when it really sent each token; the collector's own provider code
measures the same streams from the client side, as a latency run does (threads
in one process). Errors are client measurement minus injected delay.

    python -m bench.latency_accuracy [--streams 1 8 32] [--ttft-ms 100] [--itl-ms 20] [--tokens 30]
"""

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from reference_server import ReferenceServer  # noqa: E402

from collectors.providers import get_provider  # noqa: E402
from collectors.providers.base import ChatRequest  # noqa: E402
from collectors.providers.wire_clock import prompt_stamps  # noqa: E402


def measure(server, model: str, streams: int, requests: int) -> list[tuple]:
    """(result, server log entry) per request; each request has its own tagged model name."""
    provider = get_provider("openai-compatible")(base_url=server.base_url, api_key=None, timeout_s=60)
    ask = lambda i: provider.chat(ChatRequest(model=f"{model}:r{i}", max_tokens=64,  # noqa: E731
                                              messages=[{"role": "user", "content": "go"}]))
    provider.chat(ChatRequest(model=f"{model}:warmup", max_tokens=8, messages=[{"role": "user",
                                                                                "content": "go"}]))
    with ThreadPoolExecutor(streams) as pool, prompt_stamps(streams):
        results = list(pool.map(ask, range(requests)))
    sent = {s.model: s for s in server.log}
    return [(r, sent[f"{model}:r{i}"]) for i, r in enumerate(results)]


def errors_ms(pairs, ttft_s: float, itl_s: float) -> dict[str, np.ndarray]:
    ttft = np.array([r.ttft_s - ttft_s for r, _ in pairs]) * 1000
    itl = np.concatenate([np.diff(r.chunk_times_s) - itl_s for r, _ in pairs]) * 1000
    overhead = np.array([r.ttft_s - (s.sent[0] - s.t_request) for r, s in pairs]) * 1000
    late = np.concatenate([np.array(s.sent) - np.array(s.scheduled) for _, s in pairs]) * 1000
    return {"ttft": ttft, "itl": itl, "overhead": overhead, "server_late": late}


def row(streams: int, n: int, errs: dict[str, np.ndarray]) -> str:
    cell = lambda a: f"{np.percentile(np.abs(a), 50):.2f} / {np.percentile(np.abs(a), 95):.2f}"  # noqa: E731
    return (f"| {streams} | {n} | {cell(errs['ttft'])} | {cell(errs['itl'])} | "
            f"{cell(errs['overhead'])} | {cell(errs['server_late'])} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--streams", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--ttft-ms", type=int, default=100)
    p.add_argument("--itl-ms", type=int, default=20)
    p.add_argument("--tokens", type=int, default=30)
    p.add_argument("--rounds", type=int, default=16, help="requests per stream")
    args = p.parse_args()
    model = f"ref-ttft{args.ttft_ms}-itl{args.itl_ms}-n{args.tokens}"
    print(f"injected: TTFT {args.ttft_ms} ms, ITL {args.itl_ms} ms, {args.tokens} tokens per stream")
    print("| streams | requests | TTFT error ms p50 / p95 | ITL error ms p50 / p95 | "
          "client overhead ms p50 / p95 | server send lateness ms p50 / p95 |")
    print("|---:|---:|---|---|---|---|")
    for streams in args.streams:
        with ReferenceServer(models=[model]) as server:
            pairs = measure(server, model, streams, streams * args.rounds)
        print(row(streams, len(pairs), errors_ms(pairs, args.ttft_ms / 1000, args.itl_ms / 1000)))


if __name__ == "__main__":
    main()
