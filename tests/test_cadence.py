"""Six months of the shipped schedule for ten models, on a fast clock (bench/cadence.py).

The job store and triggers are the scheduler's own; only the clock is driven fast. The
growth figure in docs/performance.md comes from `python -m bench.cadence`; here one
simulated day is written to check that every run and row the plan promises is stored.
"""

from datetime import timedelta

from bench import cadence
from warehouse.storage import db

DAYS = 183  # 2027-01-01 .. 2027-07-03, six months of 30.44 days


def test_six_months_of_the_default_schedule_for_ten_models_gives_the_expected_runs():
    plan = cadence.plan(months=6, n_models=10)
    assert plan["days"] == DAYS and len(plan["models"]) == 10
    # latency at minute 15 every 6 hours, capability daily at 03:30, prices daily at 05:00 (UTC),
    # the public history on Mondays at 04:00 (2027-01-04 .. 2027-06-28: 26 Mondays), drift
    # daily at 04:45
    assert plan["runs"] == {"latency": 4 * DAYS, "capability": DAYS, "prices": DAYS, "public": 26,
                            "drift": DAYS}
    # 7 hosted models x 3 workloads + 3 local x 2 (10k->1.5k does not fit 2048), each cell
    # 1 stream x 4 requests + 4 streams x 4 requests
    assert plan["rows_per_run"]["latency"] == (7 * 3 + 3 * 2) * (4 + 16)
    # 36 + 36 + 36 + 32 fixed items and as many fresh ones, for every model
    assert plan["rows_per_run"]["capability"] == 10 * 2 * (36 + 36 + 36 + 32)
    assert plan["rows_per_run"]["drift"] == 10 * 32  # the canary set, for every model


def test_fire_times_follow_the_cron_with_jitter_inside_its_window(tmp_path):
    config = cadence.load_config(cadence.REPO / "gapwatch.toml")
    trigger = cadence.stored_triggers(config, tmp_path)["latency"]
    times = cadence.fire_times(trigger, cadence.START, cadence.START + timedelta(days=2))
    assert len(times) == 8
    for fire in times:
        due = fire.replace(minute=15, second=0, microsecond=0)
        assert fire.hour % 6 == 0 and timedelta(0) <= fire - due <= timedelta(seconds=300)


def test_a_simulated_day_stores_every_run_and_row_the_plan_promises(db_copy):
    plan = cadence.plan(months=1, n_models=10)
    per_day = {job: n / plan["days"] for job, n in plan["runs"].items()}
    path = db_copy  # a built warehouse, as cadence.bootstrap.init leaves it (conftest's built_db)
    cadence.write_days(path, 1, per_day, plan["rows_per_run"], [m.id for m in plan["models"]])
    with db.reading(path) as con:
        runs = dict(con.execute("SELECT collector, count(*) FROM runs WHERE status = 'ok' AND "
                                "collector NOT LIKE 'public:%' GROUP BY ALL").fetchall())
        latency_rows = con.execute("SELECT count(*) FROM latency_samples").fetchone()[0]
        item_rows = con.execute("SELECT count(*) FROM capability_items").fetchone()[0]
        drift_rows = con.execute("SELECT count(*) FROM drift_answers").fetchone()[0]
    assert runs == {"latency": 4, "capability": 1, "prices": 1, "drift": 1}
    assert drift_rows == plan["rows_per_run"]["drift"]
    assert latency_rows == 4 * plan["rows_per_run"]["latency"]
    assert item_rows == plan["rows_per_run"]["capability"]
