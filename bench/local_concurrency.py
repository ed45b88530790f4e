"""Do the local servers slow each other down? One request to each, one after another, then
all at once, timed from outside over their OpenAI-compatible API.

    python -m collectors local up && python -m bench.local_concurrency

Why it exists: llama.cpp's threads meet at a spinning barrier after every operation, so two
servers with two threads each on two cores can slow each other twentyfold. A latency row must
not depend on whatever else ran, which is why `local up` shares the cores out (N_THREADS).
"""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from collectors import local_models

PROMPT = "Write a short story about a cat and a dog who become friends."
MAX_TOKENS = 32


def ask(model: local_models.LocalModel) -> float:
    """Seconds for one non-streamed answer of MAX_TOKENS tokens (the prompt cache off)."""
    started = time.perf_counter()
    reply = httpx.post(f"http://{local_models.HOST}:{model.port}/v1/chat/completions", timeout=600,
                       json={"model": model.id, "messages": [{"role": "user", "content": PROMPT}],
                             "max_tokens": MAX_TOKENS, "temperature": 0, "cache_prompt": False})
    reply.raise_for_status()
    return time.perf_counter() - started


def main() -> None:
    models = list(local_models.MODELS.values())
    alone = [ask(model) for model in models]
    with ThreadPoolExecutor(len(models)) as pool:
        together = list(pool.map(ask, models))
    print(f"llama.cpp threads per server: {local_models.N_THREADS}\n")
    print("| model | alone (s) | all at once (s) |\n|---|---:|---:|")
    for model, a, t in zip(models, alone, together):
        print(f"| {model.id} | {a:.2f} | {t:.2f} |")


if __name__ == "__main__":
    main()
