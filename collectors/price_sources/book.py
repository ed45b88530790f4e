"""The user's own price book (`[[prices]]` in gapwatch.toml): dated, and always right.

Entries state their own periods. One without `effective_to` runs until the
same model's next entry, so a price change is one new entry, not an edit.
"""

from itertools import groupby

from core.config import PriceBookEntry
from collectors.price_sources.base import Observation, Price, PriceSource


class PriceBook(PriceSource):
    name = "config"
    dated = True

    def __init__(self, entries: list[PriceBookEntry], where: str):
        self.entries, self.where = entries, where

    def observe(self) -> Observation:
        seen = Observation(self.name, self.where, n_entries=len(self.entries))
        ordered = sorted(self.entries, key=lambda e: (e.model_id, e.effective_from))
        for _, group in groupby(ordered, key=lambda e: e.model_id):
            group = list(group)
            nexts = [e.effective_from for e in group[1:]] + [None]
            seen.prices += [_price(entry, until) for entry, until in zip(group, nexts)]
        return seen


def _price(entry: PriceBookEntry, next_from) -> Price:
    ends = [d for d in (entry.effective_to, next_from) if d is not None]
    return Price(entry.model_id, entry.usd_per_mtok_in, entry.usd_per_mtok_out,
                 entry.usd_per_mtok_cached_in, entry.host_provider, model_id=entry.model_id,
                 effective_from=entry.effective_from, effective_to=min(ends) if ends else None)
