"""The prices collector: the price book, OpenRouter, LiteLLM and local machine time.

Each source is read first (network, outside any lock), then applied in its
own warehouse transaction: names mapped to GapWatch ids, periods updated
(warehouse/storage/price_periods.py). A source that fails or sends a bad payload
costs one warning and changes nothing; the other sources still land.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd

from collectors.collector import Collector, exit_code, report
from core.config import AliasEntry, GapWatchConfig, ModelConfig
from collectors.price_sources.base import Observation, PriceSource
from collectors.price_sources.book import PriceBook
from collectors.price_sources.litellm import LiteLLM
from collectors.price_sources.machine_time import MachineTime
from collectors.price_sources.openrouter import OpenRouter
from collectors.progress import Progress
from collectors.runner import Run
from warehouse.storage import capability_store, price_store, run_ledger
from warehouse.analysis.aliases import match_key
from core.paths import config_path
from warehouse.storage.price_periods import MAX_JUMP, Changes, observe, sync_book

EXAMPLES = 3  # names quoted in a warning; the rest are counted
STEP_NAMES = {"config": "price book", "openrouter": "OpenRouter", "litellm": "LiteLLM",
              "estimated:machine-time": "local machine time"}  # what the progress bar says


@dataclass
class SourceReport:
    source: str
    where: str
    n_prices: int = 0
    unmatched: list[str] = field(default_factory=list)
    changes: Changes | None = None


def default_sources(config: GapWatchConfig, models: list[ModelConfig]) -> list[PriceSource]:
    """The book first: it is the user's own truth and needs no network."""
    sources: list[PriceSource] = [PriceBook(config.prices, str(config_path()))]
    for cls, importer in ((OpenRouter, config.importers.openrouter),
                          (LiteLLM, config.importers.litellm)):
        if importer.enabled:
            sources.append(cls(importer.url, importer.timeout_s))
    machine = MachineTime(models, config.machine.usd_per_hour, config.machine.requests)
    return sources + ([machine] if machine.models else [])


def collect(run: Run, config: GapWatchConfig, models: list[ModelConfig] | None = None,
            sources: list[PriceSource] | None = None, progress: bool = True) -> list[SourceReport]:
    """Read and apply every source; problems become run warnings, never exceptions. `progress`:
    one bar over the sources on stderr when it is a terminal (a fetch can take seconds)."""
    if sources is None:
        sources = default_sources(config, config.models if models is None else models)
    reports = []
    with Progress(len(sources), "all sources", "source", progress) as bars:
        for source in sources:
            bars.step(STEP_NAMES.get(source.name, source.name))
            reports.append(_apply(run, source.observe(), source.dated, config.aliases))
            bars.advance()
    return reports


def price_local_models(run: Run, config: GapWatchConfig, models: list[ModelConfig]) -> list[str]:
    """Local models with no price yet get one from machine time now (the `[machine]` rate, or
    its default), inside the run that needs it: a first capability run then has a cost per
    solved item without a prices run. Recorded in the run's context as `machine_price`.
    Returns the ids priced; a model that cannot be timed is a warning, as in a prices run."""
    known = capability_store.latest_prices(run.db_path)
    todo = [m for m in models if m.kind.is_local and m.id not in known]
    if not todo:
        return []
    source = MachineTime(todo, config.machine.usd_per_hour, config.machine.requests)
    _apply(run, source.observe(), source.dated, config.aliases)
    now_known = capability_store.latest_prices(run.db_path)
    priced = [m.id for m in todo if m.id in now_known]
    run.context["machine_price"] = {
        "usd_per_hour": config.machine.usd_per_hour, "models": priced,
        "rate_from": "config" if "usd_per_hour" in config.machine.model_fields_set else "default"}
    return priced


def scheduled(run: Run, models: list[ModelConfig], config: GapWatchConfig) -> None:
    """The scheduler's entry point (`collectors.prices:scheduled`)."""
    collect(run, config, models, progress=False)


def apply(run: Run, seen: Observation, aliases: list[AliasEntry]) -> SourceReport:
    """An undated source's observation, already fetched, applied under `run` (the public
    collector fetches first and writes only when every check passed)."""
    return _apply(run, seen, False, aliases)


def _apply(run: Run, seen: Observation, dated: bool, aliases: list[AliasEntry]) -> SourceReport:
    report = SourceReport(seen.source, seen.where)
    if seen.failed:
        run.warn(f"{seen.failed}; nothing from {seen.source} was changed")
        return report
    now = datetime.now(timezone.utc)
    with run_ledger.writing(run.db_path) as con:
        ids = resolve(con, seen, aliases)
        frame = _frame(seen, ids)
        report.changes = (sync_book(con, run.run_id, frame, now) if dated else
                          observe(con, run.run_id, seen.source, frame, now.date(), now))
    report.n_prices = len(frame)
    report.unmatched = sorted(p.source_name for p in seen.prices if p.source_name not in ids)
    run.n_rows += report.changes.opened
    _warn(run, seen, report)
    return report


def resolve(con, seen: Observation, aliases: list[AliasEntry]) -> dict[str, str]:
    """Source name -> model id: known ids, then the config's aliases, the crosswalk's, a folded name."""
    ids = {p.source_name: p.model_id for p in seen.prices if p.model_id}
    names = {p.source_name for p in seen.prices} - ids.keys()
    if not names:
        return ids
    ids |= {a.alias: a.model_id for a in aliases if a.source == seen.source and a.alias in names}
    known = price_store.source_aliases(con, seen.source)
    folded = price_store.ids_by_match_key(con)
    for name in names - ids.keys():
        candidates = {known[name]} if name in known else folded.get(match_key(name), set())
        if len(candidates) == 1:
            ids[name] = next(iter(candidates))
    return ids


def _frame(seen: Observation, ids: dict[str, str]) -> pd.DataFrame:
    rows = [{**vars(p), "model_id": ids[p.source_name]} for p in seen.prices if p.source_name in ids]
    return pd.DataFrame(rows)


def _warn(run: Run, seen: Observation, report: SourceReport) -> None:
    """One warning per kind of trouble, each counted, a few examples named."""
    if seen.problems:
        run.warn(f"{seen.where}: {len(seen.problems)} of {seen.n_entries} entries skipped: "
                 + _examples(seen.problems, "; "))
    if report.unmatched:
        run.warn(f"{seen.source}: {len(report.unmatched)} of {len(seen.prices)} names match no "
                 f"GapWatch model ({_examples(report.unmatched, ', ')}); map them with "
                 "[[aliases]] in gapwatch.toml")
    if report.changes.jumps:
        run.warn(f"{seen.where}: {len(report.changes.jumps)} prices changed {MAX_JUMP}x or more "
                 f"and were not stored ({_examples(report.changes.jumps, '; ')}); if real, put "
                 "them in [[prices]] in gapwatch.toml")


def _examples(items: list[str], sep: str) -> str:
    more = len(items) - EXAMPLES
    return sep.join(items[:EXAMPLES]) + (f"{sep}and {more} more" if more > 0 else "")


def summary(reports: list[SourceReport]) -> list[str]:
    """What the CLI prints: one line per source, then the unmatched total."""
    lines = []
    for r in reports:
        c = r.changes
        state = ("not applied (see warnings)" if c is None else
                 f"{r.n_prices} prices: {c.opened} new periods, {c.closed} closed, "
                 f"{c.unchanged} unchanged" + (f", {c.removed} removed" if c.removed else ""))
        lines.append(f"  {r.source:<24} {state}")
    per_source = ", ".join(f"{r.source} {len(r.unmatched)}" for r in reports if r.unmatched)
    total = sum(len(r.unmatched) for r in reports)
    lines.append(f"unmatched names: {total}" + (f" ({per_source})" if per_source else ""))
    return lines


def command(args, config: GapWatchConfig, models: list[ModelConfig]) -> int:
    """`python -m collectors run prices`: each source's outcome and the unmatched-name count
    (warnings are logged once each)."""
    with Run("prices") as run:
        reports = collect(run, config, models, progress=not args.quiet)
    report(run)
    print("\n".join(summary(reports)))
    return exit_code(run)


COLLECTOR = Collector(
    "prices", "price_period", ("source", "source_name", "host_provider", "effective_from"),
    "update each model's dated prices",
    "From the price book in gapwatch.toml, OpenRouter, LiteLLM and the local models' machine "
    "time (docs/prices.md); a source that fails changes nothing. Prints each source's outcome "
    "and how many names matched no model.",
    command, scheduled)
