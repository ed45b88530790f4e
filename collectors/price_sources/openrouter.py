"""OpenRouter's models API: `{"data": [{"id", "pricing": {"prompt", "completion", ...}}]}`.

Prices are strings in USD per token. OpenRouter resells each model through
routed providers, so its price is a market price, recorded with
`host_provider = 'openrouter'`. `context_length` and `created` describe the
model, not its price, and are not stored.
"""

from collectors.price_sources.base import (BadEntry, BadPayload, Observation, PayloadSource, Price,
                                           drop_duplicates, per_mtok)


class OpenRouter(PayloadSource):
    name = "openrouter"

    def parse(self, payload, seen: Observation) -> None:
        if not isinstance(payload, dict) or "data" not in payload:
            raise BadPayload('key `data` missing: expected {"data": [...]}')
        if not isinstance(payload["data"], list):
            raise BadPayload(f"`data` is a {type(payload['data']).__name__}, expected a list")
        paths: dict[str, list[str]] = {}
        for i, entry in enumerate(payload["data"]):
            seen.n_entries += 1
            try:
                price = _price(entry, f"data[{i}]")
            except BadEntry as exc:
                seen.problems.append(str(exc))
                continue
            paths.setdefault(price.source_name, []).append(f"data[{i}]")
            seen.prices.append(price)
        drop_duplicates(seen, {n: ", ".join(w) for n, w in paths.items() if len(w) > 1})


def _price(entry, path: str) -> Price:
    if not isinstance(entry, dict):
        raise BadEntry(f"{path}: not an object")
    name = entry.get("id")
    if not isinstance(name, str) or not name.strip():
        raise BadEntry(f"{path}.id: missing")
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        raise BadEntry(f"{path}.pricing: missing ({name})")
    where = f"{path}.pricing"
    return Price(name, per_mtok(pricing, "prompt", where), per_mtok(pricing, "completion", where),
                 per_mtok(pricing, "input_cache_read", where, required=False),
                 host_provider="openrouter")
