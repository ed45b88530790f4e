"""`python -m collectors ...`: local models, collection runs and the run ledger.

    python -m collectors local up|down|status
    python -m collectors run latency [--models local/*] [--workloads 100-300,1k-1k]
        [--concurrency 1,4] [--requests 4] [--quiet]
    python -m collectors run prices [--models local/*]   # price book, OpenRouter, LiteLLM, local
    python -m collectors run capability [--models local/*] [--packs reasoning ...] [--seed N]
        [--fresh N] [--fixed N] [--concurrency N] [--max-usd X] [--dry-run] [--no-resume] [--quiet]
    python -m collectors runs list | invalidate RUN_ID --why TEXT | restore RUN_ID
    python -m collectors schedule      # foreground scheduler, jobs from gapwatch.toml
    python -m collectors status        # jobs, next fire times, last outcomes

Each collector takes only its own options (`python -m collectors run prices --help`). On a
terminal a run draws progress bars on stderr: the whole run with its ETA, and the cell under
way below it. Every user-fixable problem prints one `error:` line and exits 2; no traceback.
A run whose rows could not reach a busy warehouse (they wait in the spool) exits 3.
"""

import argparse
import logging
import os
import sys
from datetime import datetime, timezone

from collectors import spool
from collectors.capability_resume import RESUME_WITHIN_H
from collectors.config import load_config
from warehouse import latency_store, run_ledger
from warehouse.command_line import CommandParser, add_command
from warehouse.errors import GapWatchError


def cmd_local(args) -> int:
    from collectors import local_models

    if args.action == "up":
        local_models.up()
    elif args.action == "down":
        print("stopped:", ", ".join(local_models.down()) or "nothing was running")
        return 0
    for model_id, info in local_models.status().items():
        state = "healthy" if info["healthy"] else ("starting" if info["alive"] else "down")
        print(f"{model_id:<28} port {info['port']}  {state:<8} pid {info['pid'] or '-'}  "
              f"serves {info['served_id'] or '-'}")
    return 0


def cmd_run(args) -> int:
    runs = {"latency": cmd_run_latency, "prices": cmd_run_prices, "capability": cmd_run_capability}
    return runs[args.collector](args)


def cmd_run_latency(args) -> int:
    from collectors import latency
    from collectors.runner import Run

    from warehouse.bootstrap import ensure_ready

    config = load_config()
    models = config.select(args.models, "latency")
    ensure_ready()
    for warning in config.missing_keys():
        print(f"warning: {warning}", file=sys.stderr)
    workloads = latency.workloads_named(args.workloads)
    with Run("latency") as run:
        latency.collect(run, models, workloads=workloads, concurrencies=args.concurrency,
                        requests=args.requests, progress=not args.quiet)
    print(f"run {run.run_id}: {run.outcome}, {run.n_rows} rows, {len(run.warnings)} warnings")
    print_latency_summary(run.run_id)
    return exit_code(run)


def cmd_run_prices(args) -> int:
    """Each source's outcome and the unmatched-name count; warnings are logged once each."""
    from collectors import prices
    from collectors.runner import Run

    from warehouse.bootstrap import ensure_ready

    config = load_config()
    models = config.select(args.models, "prices")
    ensure_ready()
    with Run("prices") as run:
        reports = prices.collect(run, config, models, progress=not args.quiet)
    print(f"run {run.run_id}: {run.outcome}, {run.n_rows} rows, {len(run.warnings)} warnings")
    print("\n".join(prices.summary(reports)))
    return exit_code(run)


def _private_folders(config) -> tuple[str, ...]:
    settings = config.collectors.get("capability")
    return tuple(settings.private_packs) if settings else ()


def cmd_run_capability(args) -> int:
    """Task packs on the models; per-dimension scores with intervals (collectors/capability.py).
    SIGTERM/Ctrl-C end it resumably."""
    from collectors import capability, capability_scores, stopping
    from collectors.runner import Run

    from warehouse.bootstrap import ensure_ready

    config = load_config()
    models = config.select(args.models, "capability")
    ensure_ready()
    settings = capability.Settings(
        packs=tuple(args.packs) if args.packs else None, seed=args.seed, fresh=args.fresh,
        fixed=args.fixed, concurrency=args.concurrency, max_usd=args.max_usd,
        resume=not args.no_resume, private_folders=_private_folders(config))
    if args.dry_run:
        print(capability.dry_run(models, settings))
        return 0
    stopping.install()
    with Run("capability") as run:
        capability.collect(run, models, settings, progress=not args.quiet)
    print(f"run {run.run_id}: {run.outcome}, {run.n_rows} rows, {len(run.warnings)} warnings, "
          f"seed {run.context['seed']}" + (f", resumed {run.context['resumes']}"
                                           if run.context.get("resumes") else ""))
    print(capability_scores.summary(run.run_id))
    return exit_code(run)


def exit_code(run) -> int:
    """0: stored (ok or partial); 1: failed; 3: measured, but its rows wait in the spool."""
    if run.n_spooled:
        print(f"error: the warehouse stayed busy: {run.n_spooled} rows of run {run.run_id} wait in "
              f"{run.spool_dir}; they land with the next run or scheduler start", file=sys.stderr)
        return 3
    return 0 if run.status in ("ok", "partial") else 1


def print_latency_summary(run_id: str) -> None:
    table = latency_store.latency_medians(run_id)
    print(table.to_string(index=False) if len(table) else "(no samples)")


def cmd_schedule(_args) -> int:
    from collectors import scheduler

    scheduler.configure_logging()
    scheduler.serve(load_config())
    return 0


def cmd_status(_args) -> int:
    from collectors import scheduler

    pid = scheduler.running_pid()
    print(f"scheduler: {'running, pid ' + str(pid) if pid else 'not running'}")
    _print_lake_schedulers()
    jobs = scheduler.stored_jobs()  # read-only: never starts a scheduler or moves a fire time
    last = _last_runs()
    now = None if pid else datetime.now(timezone.utc)  # a running scheduler is about to fire
    for job in jobs:
        _print_job(job.id, str(job.trigger), _next_fire(job.next_run_time, now), last.get(job.id, {}))
    if not jobs:
        print("  no jobs stored yet (`python -m collectors schedule` stores them); from the config:")
        for spec, fire in scheduler.configured_next_fires(load_config(), _on_lake()):
            _print_job(spec.id, spec.schedule, _next_fire(fire, now), last.get(spec.id, {}))
    waiting = spool.pending(spool.folder_for())
    if waiting:
        print(f"spool: {len(waiting)} batches wait in {spool.folder_for()} for the warehouse; "
              "the next run or scheduler start lands them")
    return 0


def _next_fire(when, now) -> str:
    if when is None:
        return "paused"
    text = f"{when:%Y-%m-%d %H:%M %Z}"
    return text + ("  (missed: one catch-up run when the scheduler starts)" if now and when < now else "")


def _print_job(job_id: str, trigger: str, next_fire: str, run: dict) -> None:
    print(f"  {job_id:<11} {trigger:<40} next {next_fire}")
    print(f"  {'':<11} last run: {run.get('started_at_utc', 'never')} {run.get('status', '')} "
          f"{run.get('n_rows', '')} rows{'  error: ' + run['error'] if run.get('error') else ''}")


def _on_lake() -> bool:
    from warehouse.lake import is_lake

    return is_lake(os.environ.get("GAPWATCH_DB"))


def _print_lake_schedulers() -> None:
    """On a lake, every host's scheduler that holds its lease now, wherever it runs."""
    from warehouse.host_lease import live_schedulers
    from warehouse.lake import is_lake, parse_target

    address = os.environ.get("GAPWATCH_DB")
    if is_lake(address):
        running = live_schedulers(parse_target(address))
        print("schedulers on this lake: " + ("; ".join(f"{host} {where}" for host, where in
                                                      sorted(running.items())) or "none"))


def _last_runs() -> dict[str, dict]:
    """Each collector's last run on this host (the jobs listed are this host's)."""
    from collectors.context import host_name

    return run_ledger.last_runs(host_name())


def cmd_runs(args) -> int:
    if args.action == "list":
        print(run_ledger.recent_runs(args.limit).to_string(index=False))
        return 0
    if args.action == "invalidate" and not args.why:
        raise GapWatchError("runs invalidate needs --why TEXT: the reason is kept with the run")
    run_ledger.set_validity(args.run_id, args.why if args.action == "invalidate" else None)
    print(f"run {args.run_id}: {'invalidated' if args.action == 'invalidate' else 'restored'}")
    return 0


def parser() -> CommandParser:
    p = CommandParser(prog="python -m collectors", description=__doc__,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    local = add_command(
        sub, "local", "serve the three bundled local models (llama.cpp) in the background",
        "up: verify the GGUF files and start one llama.cpp server per local model (ports "
        "8771-8773, pid files under data/), reusing healthy ones; down: stop them; status: "
        "port, health, pid and served model of each.")
    local.add_argument("action", choices=["up", "down", "status"],
                       help="up: start the servers; down: stop them; status: show them")
    add_run_commands(add_command(
        sub, "run", "run one collector now and print what it stored",
        "Each collector takes its own options: `python -m collectors run latency --help`."))
    add_command(sub, "schedule", "run the scheduler in the foreground",
                "It stores the jobs of gapwatch.toml (each collector on its cron schedule) and "
                "runs them until Ctrl-C or SIGTERM; missed fire times become one catch-up run.")
    add_command(sub, "status", "show the scheduler, each job's next fire time and last outcome",
                "Read-only: it never starts a scheduler or moves a fire time.")
    runs = add_command(sub, "runs", "the run ledger: list runs with their times, or invalidate / "
                                    "restore one (every view leaves an invalidated run out)")
    runs.add_argument("action", choices=["list", "invalidate", "restore"],
                      help="list: newest runs with start, finish and duration (UTC); "
                           "invalidate RUN_ID --why TEXT; restore RUN_ID")
    runs.add_argument("run_id", nargs="?", metavar="RUN_ID", help="invalidate, restore: which run")
    runs.add_argument("--why", help="invalidate: the reason, kept with the run")
    runs.add_argument("--limit", type=int, default=20, help="list: how many runs (default 20)")
    return p


def add_run_commands(run: CommandParser) -> None:
    """One subcommand per collector, each with only the options it uses."""
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--models", nargs="+", metavar="MODEL", help="ids, globs (local/*) or group names "
                                                    "(default: every configured model)")
    shared.add_argument("--quiet", action="store_true",
                        help="no progress bars (they are drawn on stderr, only on a terminal)")
    collectors = run.add_subparsers(dest="collector", required=True, metavar="COLLECTOR")
    latency = add_command(collectors, "latency", *RUN_HELP["latency"], parents=[shared])
    latency.add_argument("--workloads", type=lambda s: s.split(","), metavar="NAME,NAME",
                         help="input-output token sizes, e.g. 100-300,1k-1k (default: "
                              "100-300,1k-1k,10k-1.5k; smoke-32-16 for a quick check)")
    latency.add_argument("--concurrency", type=_ints, default=[1, 4], metavar="N,N",
                         help="requests in flight at once, one cell per value (default 1,4)")
    latency.add_argument("--requests", type=int, default=4, metavar="N",
                         help="requests per stream and cell (default 4)")
    add_command(collectors, "prices", *RUN_HELP["prices"], parents=[shared])
    capability = add_command(collectors, "capability", *RUN_HELP["capability"], parents=[shared])
    capability.add_argument("--packs", nargs="+", metavar="NAME", help="pack or dimension names (default: all)")
    capability.add_argument("--seed", type=int, metavar="N", help="seed of the fresh items (default: the "
                                                     "resumed run's, else a new one)")
    capability.add_argument("--fresh", type=int, metavar="N",
                            help="fresh items per pack (default: as many as its fixed ones)")
    capability.add_argument("--fixed", type=int, metavar="N", help="only the first N fixed items")
    capability.add_argument("--concurrency", type=int, default=1, metavar="N",
                            help="items asked at once (default 1)")
    capability.add_argument("--max-usd", type=float, metavar="USD",
                            help="stop before the estimated spend passes this")
    capability.add_argument("--dry-run", action="store_true",
                            help="only show what it would ask, with estimated tokens and USD")
    capability.add_argument("--no-resume", action="store_true",
                            help="never continue an unfinished run")


RUN_HELP = {  # collector -> (what it does, in the list; more, in its own --help)
    "latency": ("measure how fast each model answers",
                "Time to first token, output tokens per second, time between tokens and "
                "end-to-end time, per workload (input and output size) and concurrency, with a "
                "fresh prompt for every request; one stored sample per request, failures "
                "included. Prints the medians per model, workload and concurrency."),
    "prices": ("update each model's dated prices",
               "From the price book in gapwatch.toml, OpenRouter, LiteLLM and the local models' "
               "machine time (docs/prices.md); a source that fails changes nothing. Prints each "
               "source's outcome and how many names matched no model."),
    "capability": ("ask each model the task packs and score it per dimension",
                   "Fixed items and fresh ones drawn from a seed, at temperature 0; per-item "
                   "rows, then scores with confidence intervals per model and dimension. A run "
                   "that ends early (Ctrl-C, SIGTERM, --max-usd) is continued by the next one "
                   f"with the same packs within {RESUME_WITHIN_H} hours."),
}


def _ints(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not whole numbers separated by commas, "
                                         "e.g. 1,4") from None


COMMANDS = {"local": cmd_local, "run": cmd_run, "runs": cmd_runs, "schedule": cmd_schedule,
            "status": cmd_status}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    command_line = parser()
    args = command_line.parse_args(argv)
    if args.command == "runs" and args.action != "list" and not args.run_id:
        command_line.chosen(args).error(f"{args.action} needs a RUN_ID")
    try:
        return COMMANDS[args.command](args)
    except GapWatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
