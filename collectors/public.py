"""The public collector: Arena, Epoch, OpenRouter and LiteLLM brought up to date, as vintages.

    python -m collectors run public [--sources arena,epoch,openrouter,litellm]

Every source is fetched and checked first, outside any lock and without writing anything
(`public_fetch`, `warehouse.ingestion.public_formats`): unreachable, a partial download, a
changed format (a missing column, a column of another type) or a file far smaller than the
last vintage is one `error:` line naming the source and what is wrong, and nothing of that
source is stored. When every requested source fails, the command writes nothing at all (the
warehouse files keep their bytes) and exits 1. What passed is then stored in one write as new
vintages (`warehouse.ingestion.public_refresh`); a source whose content hash equals its newest
vintage only has its check time noted. The gap verdicts are recomputed from the published
snapshot afterwards, so no reader and no other collector waits for the statistics.
"""

import argparse
import hashlib
import json
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from collectors import prices
from collectors.collector import Collector, exit_code, option, report
from collectors.price_sources.base import Observation
from collectors.price_sources.litellm import LiteLLM
from collectors.price_sources.openrouter import OpenRouter
from collectors.public_fetch import fetch
from collectors.runner import Run
from core.config import GapWatchConfig, ModelConfig
from core.errors import GapWatchError
from warehouse.analysis.vintages import FAMILIES
from warehouse.ingestion import public_formats, public_refresh
from warehouse.ingestion.public_formats import Prepared, SourceProblem
from warehouse.storage import run_ledger

SOURCES = ("arena", "epoch", "openrouter", "litellm")
FAR_SMALLER = 0.5  # a file under half the last vintage's size (or rows) is refused


def source_names(text: str) -> list[str]:
    """An argparse type: `arena,epoch` -> ['arena', 'epoch']."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown source {', '.join(map(repr, unknown)) or text!r}; "
                                         f"known: {', '.join(SOURCES)}")
    return names


def families(source: str) -> tuple[str, ...]:
    return ("epoch_eci", "epoch_benchmarks") if source == "epoch" else (source,)


def default_sources(config: GapWatchConfig) -> tuple[list[str], list[str]]:
    """(sources fetched when none are named, notes on those left out): the enabled importers
    whose terms allow storing their data (or do not say: `storing = "unknown"`)."""
    chosen, notes = [], []
    for name in SOURCES:
        importer = getattr(config.importers, name)
        refused = [f for f in families(name) if FAMILIES[f].storing == "not allowed"]
        if not importer.enabled:
            notes.append(f"{name}: disabled in gapwatch.toml ([importers.{name}] enabled = false)")
        elif refused:
            notes.append(f"{name}: not fetched by default, its terms do not allow storing it "
                         f"({FAMILIES[refused[0]].licence}); name it with --sources to fetch it")
        else:
            chosen.append(name)
    return chosen, notes


@dataclass
class Checked:
    """What the checks found, before anything is written."""

    prepared: list[Prepared] = field(default_factory=list)
    unchanged: list[tuple[str, dict]] = field(default_factory=list)  # (family, newest vintage)
    observed: list[tuple[Observation, str]] = field(default_factory=list)  # (prices, hash)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.prepared or self.unchanged or self.observed)


def check(config: GapWatchConfig, names: list[str], folder: Path, db_path=None) -> Checked:
    """Fetch and check every named source; nothing is written."""
    checked, downloads = Checked(), {}
    last = public_refresh.newest_vintages(db_path)
    for name in names:
        try:
            if name in ("openrouter", "litellm"):
                _observe(config, name, checked)
            else:
                for prepared in _prepare(config, name, folder, downloads):
                    _compare(prepared, last.get(prepared.family), checked)
        except SourceProblem as problem:
            checked.problems.append(str(problem))
    return checked


def _prepare(config: GapWatchConfig, name: str, folder: Path, downloads: dict) -> list[Prepared]:
    def get(family: str, url: str, timeout_s: float) -> Path:
        if url not in downloads:  # Epoch's one zip serves the index and the benchmarks
            downloads[url] = fetch(family, url, folder / f"download-{len(downloads)}", timeout_s)
        return downloads[url]

    if name == "arena":
        arena = config.importers.arena
        files = {"text": (arena.url, get("arena", arena.url, arena.timeout_s))}
        if arena.style_control_url:
            files["text_style_control"] = (arena.style_control_url,
                                           get("arena", arena.style_control_url, arena.timeout_s))
        return [public_formats.prepare_arena(files, _folder(folder, "arena"))]
    epoch = config.importers.epoch
    eci = public_formats.prepare_eci(epoch.eci_url, get("epoch", epoch.eci_url, epoch.timeout_s),
                                     _folder(folder, "eci"))
    benchmarks = public_formats.prepare_benchmarks(
        epoch.benchmarks_url, get("epoch", epoch.benchmarks_url, epoch.timeout_s),
        _folder(folder, "benchmarks"))
    return [eci, benchmarks]


def _folder(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir(exist_ok=True)
    return path


def _compare(prepared: Prepared, last: dict | None, checked: Checked) -> None:
    """Unchanged (same content hash), far smaller than the last vintage (refused), or new."""
    if last is None:
        checked.prepared.append(prepared)
    elif prepared.content_sha256 == last["content_sha256"]:
        checked.unchanged.append((prepared.family, last))
    elif (prepared.n_bytes < FAR_SMALLER * last["n_bytes"]
          or prepared.n_rows < FAR_SMALLER * last["n_rows"]):
        raise SourceProblem(
            f"{prepared.family}: {prepared.url}: {prepared.n_bytes:,} bytes and {prepared.n_rows:,} "
            f"rows, far smaller than the last vintage's {last['n_bytes']:,} bytes and "
            f"{last['n_rows']:,} rows (fetched {last['fetched_at_utc']:%Y-%m-%d}); refused as a "
            "truncated or filtered export")
    else:
        checked.prepared.append(prepared)


def _observe(config: GapWatchConfig, name: str, checked: Checked) -> None:
    importer = getattr(config.importers, name)
    source = (OpenRouter if name == "openrouter" else LiteLLM)(importer.url, importer.timeout_s)
    seen = source.observe()
    if seen.failed:
        raise SourceProblem(f"{name}: {seen.failed}")
    digest = hashlib.sha256(json.dumps(sorted(
        (p.source_name, p.usd_per_mtok_in, p.usd_per_mtok_out, p.usd_per_mtok_cached_in)
        for p in seen.prices), default=str).encode()).hexdigest()
    checked.observed.append((seen, digest))


def apply(run: Run, config: GapWatchConfig, checked: Checked) -> list[str]:
    """Store what passed (one write for the vintages; the prices collector's own writes for
    the price periods), then recompute the gaps; the lines to print, one per source."""
    now = datetime.now(timezone.utc)
    lines, last = [], public_refresh.newest_vintages(run.db_path)
    for seen, _ in checked.observed:
        lines.append(_price_line(prices.apply(run, seen, config.aliases)))
    with run_ledger.writing(run.db_path) as con:
        for prepared in checked.prepared:
            stored = public_refresh.store(con, prepared, now)
            run.n_rows += stored.n_rows
            lines.append(f"  {prepared.family:<17} new vintage: {stored.n_rows:,} rows, "
                         f"{prepared.data_from} to {prepared.data_through}"
                         + (f", {stored.n_models} models new to GapWatch" if stored.n_models else ""))
        for family, newest in checked.unchanged:
            public_refresh.unchanged(con, newest["run_id"], now)
            lines.append(f"  {family:<17} unchanged since {newest['fetched_at_utc']:%Y-%m-%d} "
                         f"(data to {newest['data_through']:%Y-%m-%d})")
        for seen, digest in checked.observed:
            newest = last.get(seen.source)
            if newest is not None and newest["content_sha256"] == digest:
                public_refresh.unchanged(con, newest["run_id"], now, now.date())
            else:
                public_refresh.record_prices(con, seen.source, run.run_id, seen.where, digest,
                                             len(seen.prices), now)
    if public_refresh.gaps_are_behind(run.db_path):
        n = public_refresh.refresh_gaps(run.db_path)
        lines.append(f"  gap series recomputed: {n:,} points")
    run.complete = True
    return lines


def _price_line(report_: prices.SourceReport) -> str:
    c = report_.changes
    state = ("not applied (see warnings)" if c is None else
             f"{report_.n_prices} prices: {c.opened} new periods, {c.closed} closed, {c.unchanged} unchanged")
    return f"  {report_.source:<17} {state}"


def scheduled(run: Run, models: list[ModelConfig], config: GapWatchConfig) -> None:
    """The scheduler's entry point: a source that fails is a warning (its history is kept);
    when every source fails, the run fails with their reasons."""
    names, _ = default_sources(config)
    with tempfile.TemporaryDirectory(prefix="gapwatch-public-") as folder:
        checked = check(config, names, Path(folder), run.db_path)
        if not checked.anything:
            raise GapWatchError("; ".join(checked.problems) or "no public source is enabled")
        try:
            apply(run, config, checked)
        finally:  # last, so the ledger's error names the source that failed
            for problem in checked.problems:
                run.warn(f"{problem}; nothing from it was stored")


def command(args, config: GapWatchConfig, models: list[ModelConfig]) -> int:
    """`python -m collectors run public`: each source's outcome, then how recent each is."""
    names, notes = (args.sources, []) if args.sources else default_sources(config)
    for note in notes:
        print(f"note: {note}")
    with tempfile.TemporaryDirectory(prefix="gapwatch-public-") as folder:
        checked = check(config, names, Path(folder))
        for problem in checked.problems:
            print(f"error: {problem}; nothing from it was stored", file=sys.stderr)
        if not checked.anything:
            return 1
        with Run("public") as run:
            try:
                lines = apply(run, config, checked)
            finally:  # printed above already; last, so the ledger's error names the source
                run.warnings += [f"{p}; nothing from it was stored" for p in checked.problems]
    report(run)
    print("\n".join(lines + freshness_lines()))
    return 1 if checked.problems else exit_code(run)


def freshness_lines(db_path=None) -> list[str]:
    """One line per public source: how recent it is, `stale` past its cadence (for `run public`
    and `collectors status`); nothing before the warehouse's first publish."""
    from warehouse.analysis.vintages import freshness_text
    from warehouse.contract.queries import source_freshness

    try:
        fresh = source_freshness(db_path)
    except GapWatchError:
        return []
    return ["  " + freshness_text(r["label"], r["data_through"], r["fetched_at_utc"],
                                  r["shipped_only"], r["stale"], r["stale_after_days"])
            for r in fresh.to_dict("records")]


COLLECTOR = Collector(
    "public", "price_period", ("source", "source_name", "host_provider", "effective_from"),
    "bring the public history up to date (Arena, Epoch, OpenRouter, LiteLLM)",
    "Fetches LMArena's leaderboard dataset, Epoch AI's exports and the OpenRouter and LiteLLM "
    "price lists (URLs in [importers.*] of gapwatch.toml), checks each, and stores what is new as "
    "a vintage (docs/public_refresh.md); a source that cannot be fetched or read is one error "
    "line and changes nothing. Default: every source whose terms allow storing it.",
    command, scheduled,
    options=(option("--sources", type=source_names, metavar="NAMES",
                    help=f"comma-separated, of {', '.join(SOURCES)} (default: all enabled)"),))
