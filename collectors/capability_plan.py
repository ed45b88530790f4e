"""What a capability run would ask, and how long and how much it would take: `run capability
--dry-run`. Reads the warehouse (to skip what an unfinished run answered, and for each model's
recent throughput) but writes nothing.

Why apart from `capability`: the collector asks; this only plans, and its time estimate reads
the models' recent items and latency runs.
"""

import pandas as pd

from collectors.capability import Settings, Work, prepare
from collectors.endpoints import context_tokens
from collectors.tasks.base import Item
from core.config import ModelConfig
from warehouse.storage import capability_store


def estimate(models: list[ModelConfig], work: Work, db_path=None) -> list[dict]:
    """Per model and dimension: items to ask, skipped, estimated tokens, time and USD."""
    rows, (per_item, speed) = [], capability_store.recent_throughput(db_path)
    for model in models:
        limit = context_tokens(model)
        for name, items in work.items.items():
            pack = work.packs[name]
            todo = [i for i in items if work.key(model.id, pack, i) not in work.done]
            fits = [i for i in todo if i.fits(limit)]
            seconds = item_seconds(model.id, name, fits, per_item, speed)
            rows.append({"model": model.id, "dimension": pack.dimension, "pack": name,
                         "fixed items": sum(i.variant == "fixed" for i in fits),
                         "fresh items": sum(i.variant == "fresh" for i in fits),
                         "skipped (too long)": len(todo) - len(fits),
                         "est. tokens": sum(i.context_tokens + i.meta["max_answer_tokens"]
                                            for i in fits),
                         "est. time": duration(seconds), "seconds": seconds,
                         "est. USD": f"{sum(work.usd(model.id, i) for i in fits):.4f}"
                         if model.id in work.prices else "unknown"})
    return rows


def item_seconds(model_id: str, pack: str, items: list[Item], per_item: dict,
                 speed: dict) -> float | None:
    """Seconds to ask `items`, from the model's median seconds per item of this pack (else of
    any pack) in the last 30 days, else from its latency runs' speed at the full answer
    allowance (an upper bound); None when the model was never measured."""
    known = per_item.get((model_id, pack), per_item.get((model_id, None)))
    if known:
        return known * len(items)
    if model_id in speed and all(speed[model_id]) and speed[model_id][1] > 0:
        ttft, tokens_per_s = speed[model_id]
        return sum(ttft + i.meta["max_answer_tokens"] / tokens_per_s for i in items)
    return None


def duration(seconds: float | None) -> str:
    """`95` -> `1m35s`; `unknown` when there is nothing to estimate from."""
    if seconds is None:
        return "unknown"
    minutes, rest = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def dry_run(models: list[ModelConfig], settings: Settings, db_path=None) -> str:
    """What a run would ask, per model and dimension, with estimated tokens, time and USD;
    reads the warehouse (to skip what an unfinished run answered) but writes nothing."""
    warnings: list[str] = []
    work = prepare(settings, db_path, warnings.append)
    head = [f"warning: {warning}" for warning in warnings]
    head.append(f"seed {work.seed}" + (f", resuming run {work.previous.run_id} (its answered "
                                       f"items are not asked again)" if work.previous else ""))
    rows = estimate(models, work, db_path)
    if not rows:
        return "\n".join([*head, "(nothing to ask)"])
    frame = pd.DataFrame(rows)
    known = frame["seconds"].dropna()
    total = (f"estimated time: {duration(known.sum() / max(settings.concurrency, 1))}"
             + (f" for the models measured before; unknown for {frame.loc[frame['seconds'].isna(), 'model'].nunique()} never measured"
                if len(known) < len(frame) else "")
             + f" (concurrency {settings.concurrency})")
    return "\n".join([*head, frame.drop(columns="seconds").to_string(index=False), total,
                      "est. tokens: prompt estimate + the full answer allowance; est. time: "
                      "the model's median seconds per item over the last 30 days (else its "
                      "latency runs' speed); est. USD from the latest price (unknown: no price)"])
