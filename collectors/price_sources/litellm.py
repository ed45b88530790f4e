"""LiteLLM's `model_prices_and_context_window.json`: one object per model key.

Costs are numbers in USD per token. Only `mode = "chat"` entries are prices
comparable with GapWatch's measurements; embeddings, images, audio and the
`sample_spec` documentation entry are left out on purpose, not as errors.
The key's host (`azure/...`, `bedrock/...`) is kept as `host_provider`.
"""

from collectors.price_sources.base import (BadEntry, BadPayload, Observation, PayloadSource, Price,
                                           drop_duplicates, per_mtok)

DOC_KEY = "sample_spec"


class LiteLLM(PayloadSource):
    name = "litellm"

    def parse(self, payload, seen: Observation) -> None:
        if not isinstance(payload, dict):
            raise BadPayload(f"top level is a {type(payload).__name__}, expected an object of models")
        twice = getattr(payload, "duplicates", frozenset())
        for key, entry in payload.items():
            seen.n_entries += 1
            if key == DOC_KEY or key in twice or (isinstance(entry, dict) and entry.get("mode") != "chat"):
                continue  # by design (not a chat price), or reported as listed twice below
            try:
                seen.prices.append(_price(key, entry))
            except BadEntry as exc:
                seen.problems.append(str(exc))
        drop_duplicates(seen, {key: "top level" for key in twice})


def _price(key: str, entry) -> Price:
    path = f"[{key!r}]"
    if not isinstance(entry, dict):
        raise BadEntry(f"{path}: not an object")
    provider = entry.get("litellm_provider")
    return Price(key, per_mtok(entry, "input_cost_per_token", path),
                 per_mtok(entry, "output_cost_per_token", path),
                 per_mtok(entry, "cache_read_input_token_cost", path, required=False),
                 host_provider=provider if isinstance(provider, str) else None)
