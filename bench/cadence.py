"""Six months of the default schedule for ten models: how many runs, rows and megabytes.

The schedule is the shipped gapwatch.toml's, stored in a real APScheduler job store the
way `python -m collectors schedule` stores it; the clock is driven fast by asking each
stored job's trigger for its next fire time, one after the other (jitter included).
Rows per run come from the collectors' own plans: the latency cells that fit each
model's context window, the capability items each pack gives each model. Growth is
measured, not guessed: simulated runs with rows of the real shapes go through `Run`
(ledger, batches, published snapshots) into a fresh warehouse, and the file is weighed.

    python -m bench.cadence [--months 6] [--models 10] [--days 7]
"""

import argparse
import random
import string
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from collectors import drift_canary, latency
from collectors.local_models import N_CTX
from core.config import GapWatchConfig, ModelConfig, load_config
from collectors.runner import Run
from collectors.scheduler import JOB_DEFAULTS, job_specs, job_store, sync_jobs
from collectors.tasks import all_packs
from warehouse import bootstrap
from warehouse.storage import db

REPO = Path(__file__).resolve().parent.parent
HOSTED_CONTEXT = 128_000
START = datetime(2027, 1, 1, tzinfo=timezone.utc)


def window(model: ModelConfig) -> int:
    """The context a run would find: the local servers' 2048, else a hosted-style 128k."""
    return model.context_tokens or (N_CTX if model.kind.is_local else HOSTED_CONTEXT)


def ten_models(config: GapWatchConfig, n: int = 10) -> list[ModelConfig]:
    """The configured local models plus hosted-style ones (128k context) up to `n`."""
    hosted = [ModelConfig(id=f"sim/hosted-{i}", provider="openai-compatible",
                          base_url="http://127.0.0.1:9/v1", context_tokens=HOSTED_CONTEXT,
                          organization=f"lab {i}", open_weights=i % 2 == 0)
              for i in range(n - len(config.models))]
    return [*config.models, *hosted][:n]


def stored_triggers(config: GapWatchConfig, folder: Path) -> dict:
    """Each job's trigger as the scheduler stores it (SQLite job store beside a warehouse)."""
    scheduler = BackgroundScheduler(jobstores={"default": job_store(folder / "gapwatch.duckdb")},
                                    job_defaults=JOB_DEFAULTS, timezone="UTC")
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, job_specs(config))
        return {job.id: job.trigger for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)


def fire_times(trigger, start: datetime, end: datetime) -> list[datetime]:
    """The trigger's fire times in [start, end), asked one after the other: a fast clock."""
    times, previous, now = [], None, start
    while (fire := trigger.get_next_fire_time(previous, now)) and fire < end:
        times.append(fire)
        previous, now = fire, fire + timedelta(microseconds=1)
    return times


def latency_rows_per_run(config: GapWatchConfig, models: list[ModelConfig]) -> int:
    settings = config.collectors["latency"]
    per_cell = sum(c * settings.requests for c in settings.concurrency)
    return sum(per_cell * sum(latency.fits(w, window(m))
                              for w in latency.WORKLOADS) for m in models)


def capability_items_per_run(models: list[ModelConfig]) -> int:
    """Fixed items that fit plus a default fresh draw that fits, per pack and model."""
    total = 0
    for model in models:
        for pack in all_packs():
            total += sum(item.fits(window(model)) for item in pack.fixed_items())
            total += len(pack.fresh_items(seed=1, max_context_tokens=window(model)))
    return total


def words(rng: random.Random, n: int) -> str:
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(n))


def latency_rows(model_ids: list[str], n: int, at: datetime, rng: random.Random) -> list[dict]:
    return [{"model_id": model_ids[i % len(model_ids)], "workload": "100-300", "concurrency": 1,
             "request_index": i, "measured_at_utc": at, "ttft_s": rng.uniform(0.05, 2),
             "e2e_s": rng.uniform(1, 30), "input_tokens": rng.randint(90, 10_000),
             "output_tokens": rng.randint(50, 1500), "output_tokens_per_s": rng.uniform(10, 300),
             "itl_s": rng.uniform(0.002, 0.1), "http_status": 200, "error_class": None,
             "error": None} for i in range(n)]


def item_rows(model_ids: list[str], n: int, at: datetime, rng: random.Random) -> list[dict]:
    return [{"model_id": model_ids[i % len(model_ids)], "pack": "understanding-core",
             "pack_version": "1", "dimension": "understanding", "item_id": f"item-{i:05d}",
             "variant": "fresh", "seed": 1, "prompt_sha256": f"{rng.getrandbits(256):064x}",
             "response": words(rng, rng.randint(3, 40)), "score": float(rng.random() < 0.5),
             "input_tokens": rng.randint(40, 1900), "output_tokens": rng.randint(2, 200),
             "latency_s": rng.uniform(0.2, 8), "measured_at_utc": at, "error_class": None,
             "error": None} for i in range(n)]


def drift_rows(model_ids: list[str], n: int, at: datetime, rng: random.Random) -> list[dict]:
    """A drift run's canary answers (the check rows, one per model, are left out: a few)."""
    items = drift_canary.items()
    return [{"model_id": model_ids[i // len(items) % len(model_ids)], "canary_version": "1",
             "item_id": items[i % len(items)].item_id, "dimension": "reasoning",
             "answer_sha256": f"{rng.getrandbits(256):064x}", "response": words(rng, rng.randint(3, 30)),
             "score": float(rng.random() < 0.5), "output_chars": rng.randint(5, 200),
             "input_tokens": rng.randint(40, 250), "output_tokens": rng.randint(2, 48),
             "latency_s": rng.uniform(0.2, 8), "served_model": "m", "system_fingerprint": None,
             "measured_at_utc": at, "error_class": None, "error": None} for i in range(n)]


def write_days(db_path: Path, days: int, runs_per_day: dict[str, float], rows_per_run: dict[str, int],
               model_ids: list[str]) -> None:
    """Simulated runs with rows of the real shapes, through Run, as the scheduler would."""
    rng = random.Random(1)
    makers = {"latency": latency_rows, "capability": item_rows, "drift": drift_rows}
    tables = {"latency": "latency_sample", "capability": "capability_item_result",
              "drift": "drift_item_result"}
    for day in range(days):
        for collector, per_day in runs_per_day.items():
            for _ in range(round(per_day)):
                with Run(collector, db_path=db_path, flush_every=10**9) as run:
                    if collector in makers:
                        at = START + timedelta(days=day)
                        run.add(tables[collector], makers[collector](model_ids, rows_per_run[collector], at, rng))


def plan(months: int, n_models: int) -> dict:
    config = load_config(REPO / "gapwatch.toml")
    models = ten_models(config, n_models)
    end = START + timedelta(days=round(months * 365.25 / 12))
    with tempfile.TemporaryDirectory() as folder:
        runs = {job: len(fire_times(trigger, START, end))
                for job, trigger in stored_triggers(config, Path(folder)).items()}
    return {"models": models, "days": (end - START).days, "runs": runs,
            "rows_per_run": {"latency": latency_rows_per_run(config, models),
                             "capability": capability_items_per_run(models), "prices": 0,
                             "drift": len(models) * len(drift_canary.items())}}


def growth_mb_per_month(the_plan: dict, days: int) -> tuple[float, Counter]:
    per_day = {job: n / the_plan["days"] for job, n in the_plan["runs"].items()}
    ids = [m.id for m in the_plan["models"]]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gapwatch.duckdb"
        bootstrap.init(path)
        before = path.stat().st_size
        write_days(path, days, per_day, the_plan["rows_per_run"], ids)
        after = path.stat().st_size
        with db.reading(path) as con:
            counts = Counter(dict(con.execute("SELECT collector, count(*) FROM runs WHERE collector "
                                              "NOT LIKE 'public:%' GROUP BY ALL").fetchall()))
    return (after - before) / 1e6 * 30.44 / days, counts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--months", type=float, default=6)
    p.add_argument("--models", type=int, default=10)
    p.add_argument("--days", type=int, default=7, help="simulated days written to measure growth")
    args = p.parse_args()
    the_plan = plan(args.months, args.models)
    rows = the_plan["rows_per_run"]
    print(f"{args.months:g} months ({the_plan['days']} days) from {START:%Y-%m-%d}, "
          f"{len(the_plan['models'])} models")
    print("| job | runs | rows per run | rows in total |")
    print("|---|---:|---:|---:|")
    for job, n in sorted(the_plan["runs"].items()):
        print(f"| {job} | {n} | {rows.get(job, 0):,} | {n * rows.get(job, 0):,} |")
    mb, counts = growth_mb_per_month(the_plan, args.days)
    print(f"\nwrote {args.days} simulated days ({dict(counts)} runs): "
          f"growth {mb:.1f} MB per month, {mb * args.months:.0f} MB over {args.months:g} months")


if __name__ == "__main__":
    main()
