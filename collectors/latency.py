"""Latency collector: TTFT, output speed, inter-token latency and end-to-end time.

Measured the way Artificial Analysis and llmperf do: workloads by input and
output size, a fresh prompt for every request (so no prefix cache flatters
anyone), concurrency 1 and N, one stored row per request with failures
included. Output speed excludes the time to first token; token counts come
from the API's usage, else the server's /tokenize, never from a tokenizer
that downloads its data.
"""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone

from collectors import stopping
from collectors.collector import Collector, exit_code, ints, option, positive, report
from core.config import ModelConfig
from collectors.endpoints import connect, context_tokens, endpoint_context
from collectors.progress import Progress
from collectors.providers.base import ChatRequest, ChatResult, Provider
from collectors.providers.wire_clock import prompt_stamps
from collectors.runner import Run
from warehouse.storage import latency_store
from core.errors import GapWatchError

TABLE = "latency_sample"  # one row per request, failures included
TOKENS_PER_WORD = 1.35  # used only when the endpoint cannot count tokens itself
TEMPLATE_MARGIN = 64  # chat template and instruction tokens around the filler text
WORDS = ("river mountain lantern copper meadow signal harbor violet engine garden orbit pencil "
         "thunder marble canyon ribbon falcon quartz window glacier saddle compass ember harvest "
         "mirror tunnel velvet anchor basket cinder domino feather goblet helmet island jasmine "
         "kettle ladder magnet nectar oyster pepper quiver rocket sandal timber umbrella walnut "
         "yarrow zephyr bridge candle desert fossil gravel hollow indigo jungle kernel lagoon").split()


@dataclass(frozen=True)
class Workload:
    name: str
    input_tokens: int
    output_tokens: int


WORKLOADS = (Workload("100-300", 100, 300), Workload("1k-1k", 1000, 1000),
             Workload("10k-1.5k", 10_000, 1500))
# A tiny workload for smoke checks and tests; never part of the default set.
SMOKE = Workload("smoke-32-16", 32, 16)


def workloads_named(names: list[str] | None) -> list[Workload]:
    """The default workloads, or the named ones (an unknown name is an error)."""
    if not names:
        return list(WORKLOADS)
    known = {w.name: w for w in (*WORKLOADS, SMOKE)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise GapWatchError(f"unknown workload {unknown[0]!r} (known: {', '.join(known)})")
    return [known[n] for n in names]


def collect(run: Run, models: list[ModelConfig], workloads=WORKLOADS, concurrencies=(1, 4),
            requests: int = 4, progress: bool = True) -> None:
    """Measure every model; a model that cannot be reached is recorded and skipped. `progress`:
    bars on stderr when it is a terminal (collectors/progress.py)."""
    planned = [planned_requests(model, workloads, concurrencies, requests) for model in models]
    with Progress(sum(planned), "all models", "request", progress) as bars:
        for model, n in zip(models, planned):
            if stopping.requested():
                return
            bars.step(f"{model.id}: checking the server")
            try:
                provider = connect(model)
            except GapWatchError as exc:
                bars.skip(n)
                run.warn(f"{model.id}: {exc}")
                run.add(TABLE, [_unreachable_row(model, workloads[0], exc)])
                continue
            run.context.setdefault("models", {})[model.id] = endpoint_context(model)
            try:
                _measure_model(run, model, provider, workloads, concurrencies, requests, bars)
            finally:
                provider.close()


def planned_requests(model, workloads, concurrencies, requests: int) -> int:
    """The measured requests a model gets (the warm-up is not one): the overall bar's share."""
    return sum(requests * concurrency for workload in workloads
               if fits(workload, context_tokens(model)) for concurrency in concurrencies)


def _measure_model(run, model, provider, workloads, concurrencies, requests, bars) -> None:
    bars.step(f"{model.id}: sizing prompts with the server's tokenizer")
    prompter = Prompter(provider)
    bars.step(f"{model.id}: warming up (one request, not stored)")
    _one_request(model, provider, prompter, SMOKE, 1, -1)  # warm-up, discarded: first calls are slow
    bars.step(f"{model.id}: measuring")
    for workload in workloads:
        if not fits(workload, context_tokens(model)):
            run.warn(f"{model.id}: workload {workload.name} skipped, beyond its "
                     f"{context_tokens(model)}-token context")
            continue
        for concurrency in concurrencies:
            if stopping.requested():
                return
            measure_cell(model, provider, prompter, workload, concurrency,
                         requests * concurrency, bars,
                         on_row=lambda row: run.add(TABLE, [row]))


def fits(workload: Workload, context: int) -> bool:
    """The prompt is sized to `input_tokens` including the chat template, so 1k->1k fits 2048."""
    return workload.input_tokens + workload.output_tokens <= context


def measure_cell(model, provider, prompter, workload, concurrency, n, bars: Progress,
                 on_row=None) -> list[dict]:
    """n requests with `concurrency` in flight at once; one row per request, handed to `on_row`
    as each finishes (so the run can keep it on disk at once, not at the end of the cell)."""
    label = f"{model.id} {workload.name} c={concurrency}"
    with ThreadPoolExecutor(max_workers=concurrency) as pool, prompt_stamps(concurrency), \
            bars.cell(n, label) as bar:
        futures = [pool.submit(_one_request, model, provider, prompter, workload, concurrency, i)
                   for i in range(n)]
        rows = []
        for future in as_completed(futures):
            row = future.result()
            bars.advance(bar)
            if row is not None:
                rows.append(row)
                if on_row:
                    on_row(row)
    return sorted(rows, key=lambda row: row["request_index"])


def _one_request(model, provider, prompter, workload, concurrency, index) -> dict | None:
    if stopping.requested():
        return None  # asked to stop: requests not yet sent are simply not made
    started = datetime.now(timezone.utc)
    request = ChatRequest(model=model.api_model, messages=prompter.messages(workload),
                          max_tokens=workload.output_tokens, temperature=0.0, stream=True,
                          extra_body={"cache_prompt": False} if model.kind.is_local else {})
    result = provider.chat(request)
    return sample_row(model.id, workload, concurrency, index, started, result, provider)


def sample_row(model_id, workload, concurrency, index, started, result: ChatResult,
               provider: Provider) -> dict:
    output_tokens, error_class = result.output_tokens, result.error_class
    if error_class is None and output_tokens is None:
        output_tokens = provider.count_tokens(result.text)
        error_class = "missing_usage" if output_tokens is None else None
    speed, itl = decode_speed(result, output_tokens)
    return {"model_id": model_id, "workload": workload.name, "concurrency": concurrency,
            "request_index": index, "measured_at_utc": started, "ttft_s": result.ttft_s,
            "e2e_s": result.e2e_s, "input_tokens": result.input_tokens,
            "output_tokens": output_tokens, "output_tokens_per_s": speed, "itl_s": itl,
            "http_status": result.http_status, "error_class": error_class,
            "error": result.error if error_class == result.error_class else
            "the API sent no usage and the server cannot count tokens"}


def decode_speed(result: ChatResult, output_tokens: int | None) -> tuple[float | None, float | None]:
    """(tokens per second after the first token, mean seconds between tokens)."""
    if result.error_class or result.ttft_s is None or not output_tokens or output_tokens < 2:
        return None, None
    decode_s = result.e2e_s - result.ttft_s
    if decode_s <= 0:
        return None, None
    return (output_tokens - 1) / decode_s, decode_s / (output_tokens - 1)


def _unreachable_row(model: ModelConfig, workload: Workload, exc: Exception) -> dict:
    return {"model_id": model.id, "workload": workload.name, "concurrency": 1,
            "request_index": 0, "measured_at_utc": datetime.now(timezone.utc),
            "error_class": "unreachable", "error": str(exc)[:300]}


class Prompter:
    """Fresh filler prompts of a target token length, calibrated on the endpoint if it can count."""

    def __init__(self, provider: Provider, seed: int | None = None):
        self.rng = random.Random(seed if seed is not None else time.time_ns())
        self.lock = threading.Lock()  # requests build prompts from several threads
        sample = " ".join(self.rng.choices(WORDS, k=200))
        counted = provider.count_tokens(sample)
        self.tokens_per_word = counted / 200 if counted else TOKENS_PER_WORD

    def messages(self, workload: Workload) -> list[dict]:
        words = max(1, int((workload.input_tokens - TEMPLATE_MARGIN) / self.tokens_per_word))
        with self.lock:
            nonce = f"{self.rng.getrandbits(48):012x}"
            filler = " ".join(self.rng.choices(WORDS, k=words))
        ask = (f"Request {nonce}. Here are some words: {filler}\n\nWrite a long story that uses "
               f"these words, about {int(workload.output_tokens * 0.7)} words long.")
        return [{"role": "user", "content": ask}]


def scheduled(run: Run, models: list[ModelConfig], config) -> None:
    """The scheduled job's entry point, with the collector's settings from the config."""
    settings = config.collectors.get("latency")
    if settings is None:
        collect(run, models, progress=False)
        return
    collect(run, models, workloads=workloads_named(settings.workloads),
            concurrencies=settings.concurrency, requests=settings.requests, progress=False)


def command(args, config, models: list[ModelConfig]) -> int:
    """`python -m collectors run latency`: then the medians per model, workload and concurrency."""
    workloads = workloads_named(args.workloads)
    with Run("latency") as run:
        collect(run, models, workloads=workloads, concurrencies=args.concurrency,
                requests=args.requests, progress=not args.quiet)
    report(run)
    table = latency_store.latency_medians(run.run_id)
    print(table.to_string(index=False) if len(table) else "(no samples)")
    return exit_code(run)


COLLECTOR = Collector(
    "latency", TABLE, ("run_id", "model_id", "workload", "concurrency", "request_index"),
    "measure how fast each model answers",
    "Time to first token, output tokens per second, time between tokens and end-to-end time, "
    "per workload (input and output size) and concurrency, with a fresh prompt for every "
    "request; one stored sample per request, failures included. Prints the medians per model, "
    "workload and concurrency.",
    command, scheduled, (
        option("--workloads", type=lambda s: s.split(","), metavar="NAME,NAME",
               help="input-output token sizes, e.g. 100-300,1k-1k (default: "
                    "100-300,1k-1k,10k-1.5k; smoke-32-16 for a quick check)"),
        option("--concurrency", type=ints, default=[1, 4], metavar="N,N",
               help="requests in flight at once, one cell per value (default 1,4)"),
        option("--requests", type=positive, default=4, metavar="N",
               help="requests per stream and cell (default 4)")),
    check=lambda args, _config, _models: workloads_named(args.workloads))
