"""`python -m collectors ...`: local models, collection runs and the run ledger.

    python -m collectors local up|down|status
    python -m collectors run latency [--models local/*] [--requests 4] [--concurrency 1,4]
    python -m collectors run prices [--models local/*]   # price book, OpenRouter, LiteLLM, local
    python -m collectors run capability [--models local/*] [--packs reasoning ...] [--seed N]
        [--fresh N] [--fixed N] [--concurrency N] [--max-usd X] [--dry-run] [--no-resume]
    python -m collectors runs list | invalidate RUN_ID --why TEXT | restore RUN_ID
    python -m collectors schedule      # foreground scheduler, jobs from gapwatch.toml
    python -m collectors status        # jobs, next fire times, last outcomes

Every user-fixable problem prints one `error:` line and exits 2; no traceback. A run whose
rows could not reach a busy warehouse (they wait in the spool) exits 3.
"""

import argparse
import logging
import os
import sys
from datetime import datetime, timezone

from collectors import spool
from collectors.config import load_config
from warehouse import db, writes
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
    from collectors import latency
    from collectors.runner import Run

    from warehouse.bootstrap import ensure_ready

    if args.collector == "prices":
        return cmd_run_prices(args)
    if args.collector == "capability":
        return cmd_run_capability(args)
    config = load_config()
    models = config.select(args.models, args.collector)
    ensure_ready()
    for warning in config.missing_keys():
        print(f"warning: {warning}", file=sys.stderr)
    workloads = latency.workloads_named(args.workloads)
    with Run(args.collector) as run:
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
        reports = prices.collect(run, config, models)
    print(f"run {run.run_id}: {run.outcome}, {run.n_rows} rows, {len(run.warnings)} warnings")
    print("\n".join(prices.summary(reports)))
    return exit_code(run)


def _private_folders(config) -> tuple[str, ...]:
    settings = config.collectors.get("capability")
    return tuple(settings.private_packs) if settings else ()


def cmd_run_capability(args) -> int:
    """Task packs on the models; per-dimension scores with intervals (collectors/capability.py).
    Only the first --concurrency value counts; SIGTERM/Ctrl-C end it resumably."""
    from collectors import capability, capability_scores, stopping
    from collectors.runner import Run

    from warehouse.bootstrap import ensure_ready

    config = load_config()
    models = config.select(args.models, "capability")
    ensure_ready()
    settings = capability.Settings(
        packs=tuple(args.packs) if args.packs else None, seed=args.seed, fresh=args.fresh,
        fixed=args.fixed, concurrency=args.concurrency[0], max_usd=args.max_usd,
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
    with db.reading() as con:
        table = con.execute("""
            SELECT model_id, workload, concurrency, count(*) AS n, count(error_class) AS errors,
                   round(median(ttft_s), 3) AS ttft_s_p50,
                   round(median(output_tokens_per_s), 1) AS output_tokens_per_s_p50,
                   round(median(e2e_s), 2) AS e2e_s_p50
            FROM latency_samples WHERE run_id = ? GROUP BY ALL ORDER BY ALL""", [run_id]).df()
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
    from collectors.host_lease import live_schedulers
    from warehouse.lake import is_lake, parse_target

    address = os.environ.get("GAPWATCH_DB")
    if is_lake(address):
        running = live_schedulers(parse_target(address))
        print("schedulers on this lake: " + ("; ".join(f"{host} {where}" for host, where in
                                                      sorted(running.items())) or "none"))


def _last_runs() -> dict[str, dict]:
    """Each collector's last run on this host (the jobs listed are this host's)."""
    from collectors.context import host_name
    from warehouse.lake import is_lake
    from warehouse.paths import warehouse_paths

    if not is_lake(os.environ.get("GAPWATCH_DB")) and not warehouse_paths().published.exists():
        return {}
    with db.reading() as con:
        frame = con.execute("""SELECT collector, max(started_at_utc) AS started_at_utc,
                   arg_max(status, started_at_utc) AS status, arg_max(n_rows, started_at_utc) AS n_rows,
                   arg_max(error, started_at_utc) AS error FROM runs WHERE host = ?
                   GROUP BY collector""", [host_name()]).df()
    return {row["collector"]: row for row in frame.to_dict("records")}


def cmd_runs(args) -> int:
    if args.action == "list":
        with db.reading() as con:
            print(con.execute("""SELECT run_id, collector, host,
                                        strftime(started_at_utc AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS started_utc,
                                        strftime(finished_at_utc AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS finished_utc,
                                        round(epoch(finished_at_utc - started_at_utc), 1) AS took_s,
                                        status, n_rows, valid, error
                                 FROM runs ORDER BY started_at_utc DESC LIMIT ?""",
                              [args.limit]).df().to_string(index=False))
        return 0
    if args.action == "invalidate" and not args.why:
        raise GapWatchError("runs invalidate needs --why TEXT: the reason is kept with the run")
    with db.writing() as con:
        writes.set_validity(con, args.run_id, args.why if args.action == "invalidate" else None)
    print(f"run {args.run_id}: {'invalidated' if args.action == 'invalidate' else 'restored'}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m collectors", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    local = sub.add_parser(
        "local", help="serve the three bundled local models (llama.cpp) in the background",
        description="up: verify the GGUF files and start one llama.cpp server per local model "
                    "(ports 8771-8773, pid files under data/), reusing healthy ones; down: stop "
                    "them; status: port, health, pid and served model of each.")
    local.add_argument("action", choices=["up", "down", "status"],
                       help="up: start the servers; down: stop them; status: show them")
    run = sub.add_parser("run", help="run one collector now")
    run.add_argument("collector", choices=["latency", "prices", "capability"])
    run.add_argument("--models", nargs="+", help="ids, globs (local/*) or group names")
    run.add_argument("--requests", type=int, default=4, help="requests per stream and cell")
    run.add_argument("--concurrency", type=_ints, default=[1, 4], help="e.g. 1,4")
    run.add_argument("--workloads", type=lambda s: s.split(","), help="e.g. 100-300,1k-1k")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument("--packs", nargs="+", help="capability: pack or dimension names")
    run.add_argument("--seed", type=int, help="capability: seed of the fresh items")
    run.add_argument("--fresh", type=int, help="capability: fresh items per pack")
    run.add_argument("--fixed", type=int, help="capability: only the first N fixed items")
    run.add_argument("--max-usd", type=float, help="capability: stop before this estimated spend")
    run.add_argument("--dry-run", action="store_true", help="capability: only show what it asks")
    run.add_argument("--no-resume", action="store_true",
                     help="capability: never continue an unfinished run")
    sub.add_parser("schedule", help="run the scheduler in the foreground")
    sub.add_parser("status", help="jobs, next fire times, last outcomes, scheduler running?")
    runs = sub.add_parser("runs", help="the run ledger: list runs with their times, or "
                                       "invalidate / restore one (every view leaves it out)")
    runs.add_argument("action", choices=["list", "invalidate", "restore"],
                      help="list: newest runs with start, finish and duration (UTC); "
                           "invalidate RUN_ID --why TEXT; restore RUN_ID")
    runs.add_argument("run_id", nargs="?")
    runs.add_argument("--why")
    runs.add_argument("--limit", type=int, default=20)
    return p


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


COMMANDS = {"local": cmd_local, "run": cmd_run, "runs": cmd_runs, "schedule": cmd_schedule,
            "status": cmd_status}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    if args.command == "runs" and args.action != "list" and not args.run_id:
        parser().error(f"runs {args.action} needs a RUN_ID")
    try:
        return COMMANDS[args.command](args)
    except GapWatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
