"""Capability collector: task-pack items asked of each model, scored, stored with intervals.

Per model and pack it asks the pack's fixed items and fresh items drawn from the run's seed
(recorded in the run context and in every row), at temperature 0 and with llama.cpp's prompt
cache off, so that a result repeats, and at most the item's `max_answer_tokens`. Items beyond
a model's context are skipped and counted in a warning, not failed. An empty, garbled or
refusing answer scores 0; a provider fault stores the item with its error class and score
NULL: it was never answered, so it is left out of the scores and counted
(collectors/capability_scores.py). A model that cannot be reached is skipped with a warning
and the others still run; so is a broken task pack.

Resumable: a run that ends early (killed, stopped by a signal, capped by --max-usd) keeps its
answered items but stores no scores. The next run on this host within RESUME_WITHIN_H hours
(collectors/capability_resume.py), with the same packs and item counts (and seed, if one is
given), continues it: it takes its seed, asks nothing already answered, records `resumes` in
its context and stores the scores over both. Rows are written every FLUSH_EVERY_S, so a
SIGTERM or Ctrl-C loses no answer and a hard kill at most that many seconds of them (plus the
requests in flight).
"""

import difflib
import hashlib
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import zip_longest


from collectors import capability_scores, prices, stopping, tasks
from collectors.capability_resume import RESUME_WITHIN_H, Previous, answered, find_resumable
from collectors.collector import Collector, counts, exit_code, option, positive, report, usd
from core.config import ModelConfig
from collectors.endpoints import connect, context_tokens, endpoint_context
from collectors.progress import Progress
from collectors.providers.base import ChatRequest, ChatResult
from collectors.runner import Run
from collectors.scoring import score_item
from collectors.tasks.base import Item, TaskPack
from collectors.tasks.private import load_folders
from warehouse.storage import capability_store, run_ledger
from core.errors import GapWatchError

FLUSH_EVERY_S = 2.0
# Base models answer, then write the next "Question: ..." until max_tokens. The scorer cuts
# every answer at the first line starting with a prompt label (scoring.CONTINUATION), so
# llama.cpp may stop there: no score can change, and the tokens it would throw away are not
# generated (a base model's reasoning item: ~40 tokens instead of 256).
STOP_AT = tuple(f"\n{label}:" for label in ("Question", "Passage", "Review", "Sentence",
                                              "Instruction", "Records", "Document", "Text"))
TABLE = "capability_item_result"


@dataclass(frozen=True)
class Settings:
    """One run's choices; `packs` are pack or dimension names, None meaning all of them."""

    packs: tuple[str, ...] | None = None
    seed: int | None = None     # None: the resumed run's seed, else a new random one
    fresh: int | None = None    # fresh items per pack; None: as many as it has fixed ones
    fixed: int | None = None    # only the first N fixed items (quick checks); None: all
    concurrency: int = 1
    max_usd: float | None = None
    resume: bool = True
    private_folders: tuple[str, ...] = ()  # folders of the user's own packs (tasks/private.py)


class Budget:
    """The --max-usd cap. Each item reserves its worst case (prompt estimate plus its full
    answer allowance) before it is asked, so the estimated spend never passes the cap."""

    def __init__(self, cap: float | None):
        self.cap, self.spent, self.exhausted = cap, 0.0, False
        self.lock = threading.Lock()  # items reserve from several threads

    def allows(self, usd: float | None) -> bool:
        if self.cap is None:
            return True
        with self.lock:
            if self.exhausted or self.spent + usd > self.cap:
                self.exhausted = True
                return False
            self.spent += usd
            return True


@dataclass
class Work:
    """What a run asks: items per pack (fixed and fresh interleaved) minus what is answered."""

    seed: int
    packs: dict[str, TaskPack]
    items: dict[str, list[Item]]
    done: set[tuple]
    previous: Previous | None
    prices: dict[str, tuple[float, float]]
    budget: Budget

    def key(self, model_id: str, pack: TaskPack, item: Item) -> tuple:
        return model_id, pack.name, pack.version, item.item_id, item.variant, self.seed

    def usd(self, model_id: str, item: Item) -> float | None:
        """Estimated cost of asking `item`: its prompt estimate in, its full allowance out."""
        price = self.prices.get(model_id)
        if price is None:
            return None
        return (item.context_tokens * price[0] + item.meta["max_answer_tokens"] * price[1]) / 1e6


def collect(run: Run, models: list[ModelConfig], settings: Settings = Settings(),
            progress: bool = True, config=None) -> None:
    """Ask every model; store per-item rows, then the scores unless the run ended early.
    With the `config`, local models with no price yet are first priced from machine time
    (collectors/prices.py), so the first run already has a cost per solved item."""
    with Progress(0, "all models", "item", progress) as bars:
        if config is not None:
            bars.step("pricing local models from machine time")
            prices.price_local_models(run, config, models)
        bars.step("reading the packs and the servers' details")
        work = prepare(settings, run.db_path, run.warn, exclude_run=run.run_id)
        record_context(run, work, settings, models)
        planned = [len(fitting_items(model, work)[0]) for model in models]
        bars.grow(sum(planned))
        for model, n in zip(models, planned):
            bars.step(f"{model.id}: checking the server")
            if stopping.requested() or work.budget.exhausted:
                break
            if not ask_model(run, model, work, settings, bars):
                bars.skip(n)
            bars.step("")
    finish(run, work)


def prepare(settings: Settings, db_path, warn, exclude_run: str = "") -> Work:
    """Packs, seed, items and what an unfinished run already answered; warns, never raises,
    for a broken pack."""
    packs = selected_packs(settings.packs, warn, settings.private_folders)
    previous = find_resumable(db_path, resume_key(settings, packs), settings.seed,
                              exclude_run) if settings.resume else None
    seed = previous.seed if previous else (
        settings.seed if settings.seed is not None else secrets.randbelow(2**31))
    items = {name: found for name, pack in packs.items()
             if (found := pack_items(pack, seed, settings, warn)) is not None}
    done = answered(db_path, previous.chain) if previous else set()
    return Work(seed, packs, items, done, previous, latest_prices(db_path),
                Budget(settings.max_usd))


def selected_packs(names: tuple[str, ...] | None, warn, private_folders=()) -> dict[str, TaskPack]:
    """Loadable packs named (by pack or dimension name); every broken pack is one warning."""
    packs, problems = loaded_packs(private_folders)
    for problem in problems + unknown_names(names, packs):
        warn(problem)
    if not names:
        return packs
    return {pack.name: pack for pack in packs.values()
            if pack.name in names or pack.dimension in names}


def loaded_packs(private_folders=()) -> tuple[dict[str, TaskPack], list[str]]:
    """Shipped and private packs by name, and one message per pack file that did not load."""
    packs, problems = tasks.load_packs()
    private, private_problems = load_folders(private_folders)
    for name in set(private) & set(packs):
        private_problems.append(f"private pack {private.pop(name).path} not loaded: pack name "
                                f"{name!r} is a shipped pack's")
    packs.update(private)
    return packs, problems + private_problems


def unknown_names(names: tuple[str, ...] | None, packs: dict[str, TaskPack]) -> list[str]:
    """One message per name that is neither a pack nor a dimension, with the nearest one."""
    dimensions = sorted({pack.dimension for pack in packs.values()})
    messages = []
    for name in sorted(set(names or ()) - set(packs) - set(dimensions)):
        near = difflib.get_close_matches(name, [*packs, *dimensions], n=1)
        messages.append(f"task pack {name!r} not run: no loaded pack or dimension of that name"
                        + (f" (did you mean {near[0]!r}?)" if near else "")
                        + f"; packs: {', '.join(sorted(packs))}; dimensions: {', '.join(dimensions)}")
    return messages


def check(args, config, _models) -> None:
    """`run capability` refuses before it opens or writes anything: a --packs name that is no
    pack or dimension, and a pack file (shipped or private) that does not load, each one line
    naming it (a scheduled run warns and runs the other packs instead)."""
    packs, problems = loaded_packs(configured_private_folders(config))
    problems += unknown_names(tuple(args.packs) if args.packs else None, packs)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise GapWatchError(f"{problems[0]}{more}; nothing was run")


def pack_items(pack: TaskPack, seed: int, settings: Settings, warn) -> list[Item] | None:
    """The pack's fixed items and fresh ones for `seed`, interleaved, so a run that stops
    early still has both kinds; None (and one warning) if its data or generator fails."""
    try:
        fixed = pack.fixed_items()[:settings.fixed]
        fresh = pack.fresh_items(seed, settings.fresh)
    except Exception as exc:  # packs are code anyone may edit: report it, run the others
        warn(f"task pack {pack.name} skipped: {tasks.describe_failure(exc)}")
        return None
    return [item for pair in zip_longest(fixed, fresh) for item in pair if item is not None]


def resume_key(settings: Settings, packs: dict[str, TaskPack]) -> dict:
    """What a resumed run must share with this one for its items to be the same."""
    return {"packs": {name: pack.version for name, pack in sorted(packs.items())},
            "fresh": settings.fresh, "fixed": settings.fixed}


def latest_prices(db_path) -> dict[str, tuple[float, float]]:
    """model id -> (USD per million tokens in, out), from the latest price period."""
    return capability_store.latest_prices(db_path)


def record_context(run: Run, work: Work, settings: Settings, models: list[ModelConfig]) -> None:
    """Seed, packs, counts and what it resumes into the ledger: the run has started, so its
    context is already stored and must be updated for a later run to resume this one."""
    run.context.update(seed=work.seed, resumes=work.previous.run_id if work.previous else None,
                       concurrency=settings.concurrency, max_usd=settings.max_usd,
                       models={model.id: endpoint_context(model) for model in models},
                       **resume_key(settings, work.packs))
    run_ledger.store_context(run.db_path, run.run_id, run.context)


def model_items(run: Run, model: ModelConfig, work: Work) -> list[tuple[TaskPack, Item]]:
    """The model's items not yet answered that fit its context; the rest counted in a warning."""
    todo, skipped = fitting_items(model, work)
    if skipped:
        run.warn(f"{model.id}: {sum(skipped.values())} items skipped (not failed), beyond its "
                 f"{context_tokens(model)}-token context: {dict(skipped)}")
    return todo


def fitting_items(model: ModelConfig, work: Work) -> tuple[list[tuple[TaskPack, Item]], Counter]:
    """(items to ask the model, items per pack beyond its context), leaving out answered ones."""
    limit, todo, skipped = context_tokens(model), [], Counter()
    for name, items in work.items.items():
        pack = work.packs[name]
        for item in items:
            if work.key(model.id, pack, item) in work.done:
                continue
            if item.fits(limit):
                todo.append((pack, item))
            else:
                skipped[name] += 1
    return todo, skipped


def ask_model(run: Run, model: ModelConfig, work: Work, settings: Settings,
              bars: Progress) -> bool:
    """All of one model's items; False if it could not be reached or priced (it is skipped)."""
    if settings.max_usd is not None and model.id not in work.prices:
        run.warn(f"{model.id}: skipped: no price known, so --max-usd cannot be kept")
        return False
    try:
        provider = connect(model)
    except GapWatchError as exc:
        run.warn(f"{model.id}: cannot be reached, skipped: {exc}")
        return False
    try:
        ask_all(run, model, provider, model_items(run, model, work), work,
                settings.concurrency, bars)
    finally:
        provider.close()
    return True


def ask_all(run, model, provider, todo, work: Work, concurrency: int, bars: Progress) -> None:
    """Ask with `concurrency` requests in flight; rows land as answers come, flushed often."""
    flushed, faults = time.monotonic(), Counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool, bars.cell(len(todo), model.id) as bar:
        futures = [pool.submit(ask_one, model, provider, pack, item, work) for pack, item in todo]
        for future in as_completed(futures):
            row = future.result()
            bars.advance(bar)
            if row is not None:
                run.add(TABLE, [row])
                faults[row["pack"]] += row["error_class"] is not None
            if time.monotonic() - flushed >= FLUSH_EVERY_S:
                run.flush()
                flushed = time.monotonic()
    if faults.total():
        run.warn(f"{model.id}: {faults.total()} items unanswered (provider faults), stored "
                 f"with score NULL and left out of its scores: {dict(+faults)}")


def ask_one(model: ModelConfig, provider, pack: TaskPack, item: Item, work: Work) -> dict | None:
    """One item's row; None when the run is stopping or the budget would pass its cap."""
    if stopping.requested() or not work.budget.allows(work.usd(model.id, item)):
        return None
    started = datetime.now(timezone.utc)
    local = {"cache_prompt": False, "stop": list(STOP_AT)} if model.kind.is_local else {}
    request = ChatRequest(model=model.api_model, max_tokens=item.meta["max_answer_tokens"],
                          messages=[{"role": "user", "content": item.prompt}], temperature=0.0,
                          extra_body=local)
    return item_row(model.id, pack, item, work.seed, started, provider.chat(request))


def item_row(model_id: str, pack: TaskPack, item: Item, seed: int, started: datetime,
             result: ChatResult) -> dict:
    """A fault is stored with score NULL (not answered); any answer at all is scored."""
    fault = result.error_class is not None
    return {"model_id": model_id, "pack": pack.name, "pack_version": pack.version,
            "dimension": pack.dimension, "item_id": item.item_id, "variant": item.variant,
            "seed": seed, "prompt_sha256": prompt_hash(item.prompt),
            "response": stored_response(pack, result.text),
            "score": None if fault else score_item(item, result.text),
            "input_tokens": result.input_tokens, "output_tokens": result.output_tokens,
            "latency_s": result.e2e_s, "measured_at_utc": started,
            "error_class": result.error_class, "error": result.error}


def stored_response(pack: TaskPack, text: str | None) -> str | None:
    """The answer; for a private pack that keeps no text, its SHA-256 as `sha256:<hex>`."""
    if getattr(pack, "store_text", True) or text is None:
        return text
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()


def finish(run: Run, work: Work) -> None:
    """Scores over the run and what it resumed, only if it asked everything it meant to: an
    early end leaves the run without scores, which is what marks it for resuming."""
    if work.budget.exhausted:
        run.warn(f"--max-usd {work.budget.cap:g}: stopped before the estimated spend passed the "
                 f"cap (USD {work.budget.spent:.4f} reserved); run again to continue")
    if stopping.requested() or work.budget.exhausted:
        return
    if not run.flush(wait_s=run_ledger.WRITE_WAIT_S):
        run.warn("scores not stored: the warehouse stayed busy; run again to finish")
        return
    chain_ids = (run.run_id, *(work.previous.chain if work.previous else ()))
    capability_scores.store_run_scores(run.run_id, chain_ids, run.db_path)


def scheduled(run: Run, models: list[ModelConfig], config) -> None:
    """The scheduled job: every pack, a new seed (or the unfinished run's), first concurrency."""
    settings = config.collectors.get("capability")
    collect(run, models, Settings(concurrency=settings.concurrency[0] if settings else 1,
                                  private_folders=configured_private_folders(config)),
            progress=False, config=config)


def configured_private_folders(config) -> tuple[str, ...]:
    settings = config.collectors.get("capability")
    return tuple(settings.private_packs) if settings else ()


def command(args, config, models: list[ModelConfig]) -> int:
    """`python -m collectors run capability`; SIGTERM/Ctrl-C end it resumably."""
    settings = Settings(
        packs=tuple(args.packs) if args.packs else None, seed=args.seed, fresh=args.fresh,
        fixed=args.fixed, concurrency=args.concurrency, max_usd=args.max_usd,
        resume=not args.no_resume, private_folders=configured_private_folders(config))
    if args.dry_run:
        from collectors import capability_plan

        print(capability_plan.dry_run(models, settings))
        return 0
    stopping.install()
    with Run("capability") as run:
        collect(run, models, settings, progress=not args.quiet, config=config)
    resumed = [f"resumed {run.context['resumes']}"] if run.context.get("resumes") else []
    report(run, f"seed {run.context['seed']}", *resumed)
    print(capability_scores.summary(run.run_id))
    return exit_code(run)


COLLECTOR = Collector(
    "capability", TABLE, ("run_id", "model_id", "pack", "pack_version", "item_id", "variant", "seed"),
    "ask each model the task packs and score it per dimension",
    "Fixed items and fresh ones drawn from a seed, at temperature 0; per-item rows, then scores "
    "with confidence intervals per model and dimension. A run that ends early (Ctrl-C, SIGTERM, "
    f"--max-usd) is continued by the next one with the same packs within {RESUME_WITHIN_H} hours.",
    command, scheduled, (
        option("--packs", nargs="+", metavar="NAME", help="pack or dimension names (default: all)"),
        option("--seed", type=int, metavar="N",
               help="seed of the fresh items (default: the resumed run's, else a new one)"),
        option("--fresh", type=counts, metavar="N",
               help="fresh items per pack (default: as many as its fixed ones)"),
        option("--fixed", type=counts, metavar="N", help="only the first N fixed items"),
        option("--concurrency", type=positive, default=1, metavar="N",
               help="items asked at once (default 1)"),
        option("--max-usd", type=usd, metavar="USD", help="stop before the estimated spend passes this"),
        option("--dry-run", action="store_true",
               help="only show what it would ask, with estimated tokens and USD"),
        option("--no-resume", action="store_true", help="never continue an unfinished run")),
    check=check)

