"""Estimated prices for local models: the machine's time per token, at its cost per hour.

llama.cpp reports, with every response, how long it spent on the prompt and
on the output (`timings.prompt_ms / prompt_n`, `predicted_ms / predicted_n`).
That server-side time excludes queueing and HTTP, so it is the machine time
a token really costs. USD per million tokens = ms per token / 3.6e6 ms per
hour x USD per hour x 1e6, separately for input and output; rounded to two
significant figures, since the timing noise is larger than that.
"""

import uuid

from core.config import ModelConfig
from collectors.context import host_name
from collectors.endpoints import base_url
from collectors.price_sources.base import BadPayload, Observation, Price, PriceSource, fetch_json

MS_PER_HOUR = 3.6e6
MAX_TOKENS = 32
TIMEOUT_S = 120.0
FILLER = ("Prices change quietly, so GapWatch keeps every price it sees as a dated period "
          "and joins it to each measurement on the day it was made. ") * 4


class MachineTime(PriceSource):
    name = "estimated:machine-time"

    def __init__(self, models: list[ModelConfig], usd_per_hour: float, requests: int):
        self.models = [m for m in models if m.kind.is_local]
        self.usd_per_hour, self.requests = usd_per_hour, requests

    def observe(self) -> Observation:
        seen = Observation(self.name, f"local llama.cpp servers at {self.usd_per_hour} USD/hour",
                           n_entries=len(self.models))
        for model in self.models:
            try:
                seen.prices.append(self._estimate(model))
            except BadPayload as exc:
                seen.problems.append(f"{model.id}: {exc}")
        return seen

    def _estimate(self, model: ModelConfig) -> Price:
        url = f"{base_url(model)}/chat/completions"
        timings = [timings_of(ask(url, model), url) for _ in range(self.requests)]
        prompt_ms = sum(t[0] for t in timings) / sum(t[1] for t in timings)
        predicted_ms = sum(t[2] for t in timings) / sum(t[3] for t in timings)
        return Price(model.id, usd_per_mtok(prompt_ms, self.usd_per_hour),
                     usd_per_mtok(predicted_ms, self.usd_per_hour),
                     host_provider=f"machine:{host_name()}", model_id=model.id, estimated=True)


def ask(url: str, model: ModelConfig) -> dict:
    """One short request with a fresh prompt and no prompt cache, so every token is processed."""
    body = {"model": model.api_model, "max_tokens": MAX_TOKENS, "temperature": 0.0,
            "cache_prompt": False, "messages": [{"role": "user", "content": (
                f"Note {uuid.uuid4().hex[:12]}. {FILLER}Summarise this note in one sentence.")}]}
    try:
        return fetch_json(url, TIMEOUT_S, body)
    except BadPayload as exc:
        raise BadPayload(f"{url}: {exc}; is it running? `python -m collectors local up`") from None


def timings_of(response, url: str) -> tuple[float, int, float, int]:
    """(prompt_ms, prompt_n, predicted_ms, predicted_n) from llama.cpp's `timings`."""
    timings = response.get("timings") if isinstance(response, dict) else None
    if not isinstance(timings, dict):
        raise BadPayload(f"{url}: response has no `timings` object (not a llama.cpp server?)")
    values = [timings.get(k) for k in ("prompt_ms", "prompt_n", "predicted_ms", "predicted_n")]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values):
        raise BadPayload(f"{url}: `timings` lacks positive prompt_ms/prompt_n/predicted_ms/"
                         f"predicted_n ({timings})")
    return tuple(values)


def usd_per_mtok(ms_per_tok: float, usd_per_hour: float) -> float:
    return float(f"{ms_per_tok / MS_PER_HOUR * usd_per_hour * 1e6:.2g}")
