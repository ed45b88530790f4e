"""`python -m collectors ...`: local models, collection runs and the run ledger.

    python -m collectors local up|down|status
    python -m collectors run latency [--models local/*] [--workloads 100-300,1k-1k]
        [--concurrency 1,4] [--requests 4] [--quiet]
    python -m collectors run prices [--models local/*]   # price book, OpenRouter, LiteLLM, local
    python -m collectors run public [--sources arena,epoch,openrouter,litellm]  # public history
    python -m collectors run capability [--models local/*] [--packs reasoning ...] [--seed N]
        [--fresh N] [--fixed N] [--concurrency N] [--max-usd X] [--dry-run] [--no-resume] [--quiet]
    python -m collectors runs list | ranks | compare RUN_A RUN_B | invalidate RUN_ID --why TEXT
        | restore RUN_ID
    python -m collectors schedule      # foreground scheduler, jobs from gapwatch.toml
    python -m collectors status        # jobs, next fire times, last outcomes

Each collector takes only its own options (`python -m collectors run prices --help`). On a
terminal a run draws progress bars on stderr: the whole run with its ETA, and the cell under
way below it. Every user-fixable problem prints one `error:` line and exits 2; no traceback.
A run whose rows could not reach a busy warehouse (they wait in the spool) exits 3.
"""

import argparse
import logging
import sys
from datetime import datetime, timezone

from collectors import registry, spool
from collectors.collector import ints
from core import api_keys
from core.address import resolve
from core.paths import config_path
from core.config import load_config
from warehouse.storage import run_ledger
from warehouse.command_line import CommandParser, add_command, run_quietly
from core.errors import GapWatchError
from core.redaction import redact, redact_logging


def cmd_local(args) -> int:
    """The servers of the bundled models, on `--ports`, else `[local] ports`, else 8771-8773. Each
    is checked to serve its model's file (by sha256): a foreign server is one `error:` line."""
    from collectors import local_models

    models = local_models.at_ports(_local_ports(args.ports))
    if args.action == "up":
        local_models.up(models)
    elif args.action == "down":
        print("stopped:", ", ".join(local_models.down()) or "nothing was running")
        return 0
    report = local_models.status(models=models)
    for model_id, info in report.items():
        state = ("foreign" if info["foreign"] else "healthy" if info["healthy"] else
                 "starting" if info["alive"] else "down")
        print(f"{model_id:<28} port {info['port']}  {state:<8} pid {info['pid'] or '-'}  "
              f"serves {info['served_id'] or '-'}")
    foreign = [info["foreign"] for info in report.values() if info["foreign"]]
    for line in foreign:
        print(f"error: {line}", file=sys.stderr)
    return 2 if foreign else 0


def _local_ports(given: list[int] | None) -> dict[str, int]:
    """Model id -> port from `--ports` (in the order `local status` lists the models), else from
    the config's `[local] ports` when there is a config."""
    from collectors import local_models

    if given:
        if len(given) != len(local_models.MODELS):
            raise GapWatchError(f"--ports takes {len(local_models.MODELS)} ports, one per model in "
                                f"this order: {', '.join(local_models.MODELS)}")
        return dict(zip(local_models.MODELS, given))
    return load_config().local.ports if config_path().exists() else {}


def cmd_run(args) -> int:
    """One run of the chosen collector (collectors/registry.py): config, models, their keys and
    servers, and the collector's own options are checked before anything is opened or written."""
    from collectors.endpoints import refuse_foreign_servers
    from warehouse.bootstrap import ensure_ready, ensure_registered

    collector = registry.get(args.collector)
    config = load_config()
    models = config.select(args.models, collector.name)
    api_keys.refuse_unusable(models)
    refuse_foreign_servers(models)
    for warning in config.missing_keys():
        print(f"warning: {warning}", file=sys.stderr)
    if collector.check:
        collector.check(args, config, models)  # validate first: nothing is opened or written yet
    ensure_ready()
    if not getattr(args, "dry_run", False):  # a dry run writes nothing
        ensure_registered(models)
    return collector.command(args, config, models)


def cmd_schedule(_args) -> int:
    from collectors import scheduler

    scheduler.configure_logging()
    scheduler.serve(load_config())
    return 0


def cmd_status(_args) -> int:
    """Everything is read before the first line is printed: a bad config or a damaged warehouse
    is one `error:` line, not a report that stops half way."""
    from collectors import scheduler

    config = load_config()
    pid = scheduler.running_pid()
    schedulers = _lake_schedulers()
    jobs = scheduler.stored_jobs()  # read-only: never starts a scheduler or moves a fire time
    last = _last_runs()
    configured = [] if jobs else scheduler.configured_next_fires(config, _on_lake())
    waiting = spool.pending(spool.folder_for())
    sources = _public_source_lines()
    now = None if pid else datetime.now(timezone.utc)  # a running scheduler is about to fire
    print(f"scheduler: {'running, pid ' + str(pid) if pid else 'not running'}")
    if schedulers is not None:
        print("schedulers on this lake: " + ("; ".join(f"{host} {where}" for host, where in
                                                      sorted(schedulers.items())) or "none"))
    for job in jobs:
        _print_job(job.id, str(job.trigger), _next_fire(job.next_run_time, now), last.get(job.id, {}))
    if not jobs:
        print("  no jobs stored yet (`python -m collectors schedule` stores them); from the config:")
        for spec, fire in configured:
            _print_job(spec.id, spec.schedule, _next_fire(fire, now), last.get(spec.id, {}))
    _print_public_sources(sources)
    if waiting:
        print(f"spool: {len(waiting)} batches wait in {spool.folder_for()} for the warehouse; "
              "the next run or scheduler start lands them")
    return 0


def _public_source_lines() -> list[str]:
    """How recent each public source is, stale ones marked (the `public` job refreshes them)."""
    from collectors.public import freshness_lines

    return freshness_lines()


def _print_public_sources(lines: list[str]) -> None:
    if lines:
        print("public sources (refreshed by `python -m collectors run public`):")
        print("\n".join(lines))


def _next_fire(when, now) -> str:
    if when is None:
        return "paused"
    text = f"{when:%Y-%m-%d %H:%M %Z}"
    return text + ("  (missed: one catch-up run when the scheduler starts)" if now and when < now else "")


def _print_job(job_id: str, trigger: str, next_fire: str, run: dict) -> None:
    print(f"  {job_id:<11} {trigger:<40} next {next_fire}")
    if not run:
        print(f"  {'':<11} last run: never")
        return
    started = run.get('started_at_utc')
    when = f"{started:%Y-%m-%d %H:%M} UTC" if hasattr(started, "strftime") else started
    print(f"  {'':<11} last run: {when} {run.get('status', '')}, "
          f"{run.get('n_rows', 0)} rows{'  error: ' + run['error'] if run.get('error') else ''}")


def _on_lake() -> bool:
    return resolve().is_lake


def _lake_schedulers() -> dict | None:
    """On a lake, every host's scheduler that holds its lease now, wherever it runs; None for a
    file."""
    from warehouse.storage.host_lease import live_schedulers
    from warehouse.storage.lake import parse_target

    address = resolve()
    return live_schedulers(parse_target(address.text)) if address.is_lake else None


def _last_runs() -> dict[str, dict]:
    """Each collector's last run on this host (the jobs listed are this host's)."""
    from collectors.context import host_name

    return run_ledger.last_runs(host_name())


def cmd_runs(args) -> int:
    from warehouse.bootstrap import ensure_ready

    ensure_ready()  # views of an older GapWatch lack the columns these read
    if args.action == "list":
        print(run_ledger.recent_runs(args.limit).to_string(index=False))
        return 0
    if args.action == "ranks":
        from collectors import run_ranks

        print(run_ranks.report())
        return 0
    if args.action == "compare":
        from collectors import run_compare

        if not args.other:
            raise GapWatchError("runs compare needs two run ids: RUN_A RUN_B")
        print(run_compare.report(run_compare.compare(args.run_id, args.other), args.run_id,
                                 args.other))
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
        "8771-8773 unless --ports or [local] ports say otherwise; pid files under data/), reusing "
        "healthy ones; down: stop them; status: port, health, pid and served model of each. A "
        "server that serves another model file (checked by sha256) is refused in one line.")
    local.add_argument("action", choices=["up", "down", "status"],
                       help="up: start the servers; down: stop them; status: show them")
    local.add_argument("--ports", type=ints, metavar="P,P,P",
                       help="the three servers' ports, in the order status lists the models")
    add_run_commands(add_command(
        sub, "run", "run one collector now and print what it stored",
        "Each collector takes its own options: `python -m collectors run latency --help`."))
    add_command(sub, "schedule", "run the scheduler in the foreground",
                "It stores the jobs of gapwatch.toml (each collector on its cron schedule) and "
                "runs them until Ctrl-C or SIGTERM; missed fire times become one catch-up run.")
    add_command(sub, "status", "show the scheduler, each job's next fire time and last outcome",
                "Read-only: it never starts a scheduler or moves a fire time.")
    runs = add_command(sub, "runs", "the run ledger: list runs with their times, compare two "
                                    "capability runs, or invalidate / restore one (every view "
                                    "leaves an invalidated run out)")
    runs.add_argument("action", choices=["list", "ranks", "compare", "invalidate", "restore"],
                      help="list: newest runs with start, duration (UTC) and whether the host "
                           "was busy while they measured; ranks: per dimension, the models "
                           "ranked with ties over the items all answered in their newest run; "
                           "compare RUN_A RUN_B: per model and "
                           "dimension, the change over the items both runs asked, its interval, "
                           "p and the items that flipped; invalidate RUN_ID --why TEXT; "
                           "restore RUN_ID")
    runs.add_argument("run_id", nargs="?", metavar="RUN_ID",
                      help="compare: run A; invalidate, restore: which run")
    runs.add_argument("other", nargs="?", metavar="RUN_B", help="compare: run B")
    runs.add_argument("--why", help="invalidate: the reason, kept with the run")
    runs.add_argument("--limit", type=int, default=20, help="list: how many runs (default 20)")
    return p


def add_run_commands(run: CommandParser) -> None:
    """One subcommand per registered collector, each with only the options it declares."""
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--models", nargs="+", metavar="MODEL", help="ids, globs (local/*) or group names "
                                                    "(default: every configured model)")
    shared.add_argument("--quiet", action="store_true",
                        help="no progress bars (they are drawn on stderr, only on a terminal)")
    collectors = run.add_subparsers(dest="collector", required=True, metavar="COLLECTOR")
    for collector in registry.every():
        command = add_command(collectors, collector.name, collector.summary, collector.details,
                              parents=[shared])
        for option in collector.options:
            command.add_argument(*option.flags, **option.settings)


COMMANDS = {"local": cmd_local, "run": cmd_run, "runs": cmd_runs, "schedule": cmd_schedule,
            "status": cmd_status}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    redact_logging()
    command_line = parser()
    args = command_line.parse_args(argv)
    if args.command == "runs" and args.action not in ("list", "ranks") and not args.run_id:
        command_line.chosen(args).error(f"{args.action} needs a RUN_ID")
    try:
        return COMMANDS[args.command](args)
    except GapWatchError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run_quietly(main))
