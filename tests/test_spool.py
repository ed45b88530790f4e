"""The spool: rows wait on disk while the warehouse is busy, and land later, once.

The warehouse is made busy for real: another process opens the writer's own master
file with DuckDB (what someone poking at the wrong file in a shell does). The full
disk is a real 16 KB tmpfs, filled up.
"""

import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from collectors import scheduler, spool
from collectors.context import host_name as scheduler_host
from collectors.runner import Run
from warehouse.storage import db, writes
from core.paths import warehouse_paths

HOLD = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2])) if len(sys.argv) > 2 else sys.stdin.read()
"""


def hold_master(db_path, seconds: float | None = None) -> subprocess.Popen:
    """Another process with the master open: no GapWatch write can happen until it ends."""
    args = [sys.executable, "-c", HOLD, str(warehouse_paths(db_path).master)]
    proc = subprocess.Popen(args + ([str(seconds)] if seconds else []), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def release(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    proc.wait(timeout=30)


def samples(n: int, model: str = "ref/spooled") -> list[dict]:
    now = datetime.now(timezone.utc)
    return [{"model_id": model, "workload": "100-300", "concurrency": 1, "request_index": i,
             "measured_at_utc": now, "ttft_s": 0.1 + i / 1000, "e2e_s": 1.0, "input_tokens": 100,
             "output_tokens": 300, "output_tokens_per_s": 300.0, "itl_s": 0.003,
             "http_status": 200, "error_class": None, "error": None} for i in range(n)]


def stored(db_path, sql: str, params=()):
    with db.reading(db_path) as con:
        return con.execute(sql, list(params)).fetchall()


def land_in_another_process(db_path) -> None:
    """A later, empty run elsewhere: its first write lands what the spool holds."""
    code = ("import sys; from collectors.runner import Run\n"
            "with Run('prices', db_path=sys.argv[1]): pass")
    subprocess.run([sys.executable, "-c", code, str(db_path)], check=True, timeout=120)


def test_rows_wait_in_the_spool_while_the_warehouse_is_held_and_land_once_it_is_free(db_copy):
    holder = None
    with Run("latency", db_path=db_copy, flush_every=5, busy_wait_s=0.2, end_wait_s=0.5) as run:
        holder = hold_master(db_copy)
        for start in (0, 5, 10):
            run.add("latency_sample", samples(12)[start:start + 5])
    waiting = spool.pending(spool.folder_for(db_copy))
    assert [path.stem.split("~")[2] for path in waiting] == ["latency_sample"] * 3 + ["run_end"]
    assert run.n_spooled == 12 and run.status == "partial"
    assert stored(db_copy, "SELECT status FROM run_ledger WHERE run_id = ?", [run.run_id]) == \
        [("running",)]  # its end waits in the spool too
    first_batch = waiting[0].read_bytes()

    release(holder)
    land_in_another_process(db_copy)

    rows = stored(db_copy, "SELECT count(*), count(DISTINCT request_index) FROM latency_sample "
                  "WHERE run_id = ?", [run.run_id])
    assert rows == [(12, 12)]
    (status, n_rows, error, context), = stored(db_copy, "SELECT status, n_rows, error, context FROM "
                                               "run_ledger WHERE run_id = ?", [run.run_id])
    assert (status, n_rows, error) == ("ok", 12, None)  # all landed: no longer "rows wait in ..."
    assert '"status_once_landed": "ok"' in context  # the ledger still shows it waited
    assert spool.pending(spool.folder_for(db_copy)) == []

    # A crash between the landing commit and the file's removal lands a batch twice: still once.
    waiting[0].write_bytes(first_batch)
    assert spool.land_pending(db_copy) == 0
    assert stored(db_copy, "SELECT count(*) FROM latency_sample WHERE run_id = ?", [run.run_id]) == [(12,)]


@pytest.mark.slow  # a holder and a landing process
def test_a_landed_run_keeps_the_status_its_warnings_and_failed_requests_give_it(db_copy):
    """Only the "rows wait in ..." part goes once they land: a warning still makes it partial."""
    rows = samples(4)
    rows[3].update(error_class="timeout", error="no first token within 30 s")
    with Run("latency", db_path=db_copy, busy_wait_s=0.2, end_wait_s=0.5) as run:
        holder = hold_master(db_copy)
        run.add("latency_sample", rows)
        run.warn("model ref/spooled: context window unknown")
    release(holder)
    land_in_another_process(db_copy)
    assert stored(db_copy, "SELECT status, n_rows, error FROM run_ledger WHERE run_id = ?",
                  [run.run_id]) == [("partial", 4, "model ref/spooled: context window unknown")]


@pytest.mark.slow  # a holder and a landing process
def test_a_run_that_starts_while_the_warehouse_is_held_still_collects(db_copy):
    """Its start, rows and end all wait in the spool; once the warehouse is free they land:
    the ledger has the run, `ok`, started when it started, with every row once."""
    holder = hold_master(db_copy)
    try:
        with Run("latency", db_path=db_copy, busy_wait_s=0.2, end_wait_s=0.5) as run:
            run.add("latency_sample", samples(7))
    finally:
        release(holder)
    ended = datetime.now(timezone.utc)
    names = [path.stem.split("~")[2] for path in spool.pending(spool.folder_for(db_copy))]
    assert names == ["run_start", "latency_sample", "run_end"] and run.status == "partial"
    assert run.outcome.startswith("waiting")  # what the CLI prints (and it exits 3)
    assert stored(db_copy, "SELECT count(*) FROM run_ledger WHERE run_id = ?", [run.run_id]) == [(0,)]
    land_in_another_process(db_copy)
    (status, n_rows, started, finished), = stored(
        db_copy, "SELECT status, n_rows, started_at_utc, finished_at_utc FROM run_ledger "
        "WHERE run_id = ?", [run.run_id])
    assert (status, n_rows) == ("ok", 7)
    assert finished <= ended, "finished_at_utc is the landing time, not the run's own end"
    assert started.strftime("%Y%m%dT%H%M%SZ") in run.run_id  # its own start time, not the landing's
    assert spool.pending(spool.folder_for(db_copy)) == []


def test_a_spooled_start_whose_process_died_lands_and_is_marked_abandoned(db_copy):
    """The process died after spooling its start and some rows, before its end."""
    folder = spool.folder_for(db_copy)
    folder.mkdir(parents=True, exist_ok=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    run_id = "latency-20261129T010203Z-dead01"
    spool.save(folder, run_id, spool.RUN_START, [spool.start_record(
        run_id, "latency", scheduler_host(), {"host": scheduler_host(), "pid": int(dead)})])
    spool.save(folder, run_id, "latency_sample", [dict(row, run_id=run_id) for row in samples(3)])
    assert spool.land_pending(db_copy) == 3
    assert scheduler.abandon_dead_runs(db_copy) == 1
    assert stored(db_copy, "SELECT status, n_rows FROM run_ledger WHERE run_id = ?", [run_id]) == \
        [("abandoned", 3)]


@pytest.fixture
def full_disk(tmp_path):
    """A real 16 KB filesystem, filled to the last byte."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        with (mount / "filler").open("wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 512)
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.slow  # its holder waits 2 s; test_bad_files keeps a full disk in the quick loop
def test_a_full_spool_disk_fails_the_run_with_one_clear_error_and_half_writes_nothing(db_copy, full_disk):
    holder = None
    with pytest.raises(spool.SpoolFull, match="No space left on device") as raised:
        with Run("latency", db_path=db_copy, flush_every=5, busy_wait_s=0.2, end_wait_s=60,
                 spool_dir=full_disk) as run:
            holder = hold_master(db_copy, seconds=2)  # lets go while the run is ending
            run.add("latency_sample", samples(5))
    holder.wait(timeout=30)
    assert str(full_disk) in str(raised.value) and "5 latency_sample rows" in str(raised.value)
    assert sorted(path.name for path in full_disk.iterdir()) == ["filler"]  # no partial batch
    (status, n_rows, error), = stored(db_copy, "SELECT status, n_rows, error FROM run_ledger "
                                      "WHERE run_id = ?", [run.run_id])
    assert status == "failed" and "No space left on device" in error
    # The rows it could not spool were still in memory and landed once the warehouse was free.
    assert n_rows == 5 == stored(db_copy, "SELECT count(*) FROM latency_sample WHERE run_id = ?",
                                 [run.run_id])[0][0]


def test_status_says_what_waits_in_the_spool(gapwatch_env, db_copy):
    gapwatch_env.parent.mkdir(parents=True, exist_ok=True)
    gapwatch_env.write_bytes(Path(db_copy).read_bytes())
    spool.save(spool.folder_for(gapwatch_env), "latency-x", "latency_sample", samples(2))
    out = subprocess.run([sys.executable, "-m", "collectors", "status"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"spool: 1 batches wait in {spool.folder_for(gapwatch_env)}" in out.stdout


def test_a_batch_is_kept_whole_in_a_folder_made_for_it_and_an_unusable_folder_is_one_line(tmp_path):
    """The spool folder and its parents are made on the first batch; a folder that cannot be
    made (a file is in the way) is one SpoolFull naming the rows, the run and the reason."""
    folder = tmp_path / "host" / "data" / "spool"
    rows = samples(2)
    path = spool.save(folder, "latency-x", "latency_sample", rows)
    assert spool.pending(folder) == [path] and path.name.startswith("latency-x~")
    assert pd.read_parquet(path).to_dict("records") == rows
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(spool.SpoolFull) as full:
        spool.save(tmp_path / "file" / "spool", "latency-y", "latency_sample", samples(3))
    assert str(full.value) == (f"cannot spool 3 latency_sample rows of run latency-y to "
                               f"{tmp_path / 'file' / 'spool'}: Not a directory")


def test_a_live_runs_batches_wait_for_it_while_a_dead_runs_land(db_copy):
    """Run A is `running` in the ledger and run C's start waits in the spool with its process
    alive (each lands its own batches); run B's process died after spooling its start, two
    batches and its end: a landing stores all of B's, with B's own end time, and none of A's
    or C's."""
    folder = spool.folder_for(db_copy)
    assert folder == Path(db_copy).parent / "spool"  # where docs/concurrency.md says it is
    assert spool.land_pending(db_copy) == 0  # nothing waits yet
    live, dead, starting = (f"latency-20261201T000000Z-{c * 6}" for c in "abc")
    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)
    with db.writing(db_copy) as con:
        writes.start_run(con, live, "latency", scheduler_host(), {"pid": gone})
    for start, n in ((0, 2), (2, 1)):
        spool.save(folder, live, "latency_sample", [dict(r, run_id=live, model_id="ref/live")
                                                    for r in samples(3)[start:start + n]])
    spool.save(folder, dead, spool.RUN_START, [spool.start_record(
        dead, "latency", scheduler_host(), {"host": scheduler_host(), "pid": gone})])
    for start, n in ((0, 2), (2, 3)):
        spool.save(folder, dead, "latency_sample", [dict(r, run_id=dead) for r in samples(5)[start:start + n]])
    ended = datetime(2026, 12, 1, 0, 5, tzinfo=timezone.utc)
    spool.save(folder, dead, spool.RUN_END, [spool.end_record(dead, "ok", 0, None, {"pid": gone},
                                                              ended)])
    ended_early = "latency-20261201T000000Z-dddddd"  # its rows reached the warehouse, its end did not
    with db.writing(db_copy) as con:
        writes.start_run(con, ended_early, "latency", scheduler_host(), {"pid": gone})
        writes.insert_rows(con, "latency_sample", pd.DataFrame(
            [dict(r, run_id=ended_early) for r in samples(4)]))
    spool.save(folder, ended_early, spool.RUN_END, [spool.end_record(ended_early, "ok", 0, None,
                                                                     {"pid": gone}, ended)])
    spool.save(folder, starting, spool.RUN_START, [spool.start_record(
        starting, "latency", scheduler_host(), {"host": scheduler_host(), "pid": os.getpid()})])
    spool.save(folder, starting, "latency_sample", [dict(r, run_id=starting) for r in samples(1)])

    assert spool.land_pending(db_copy) == 5
    assert [p.name.split("~")[0] for p in spool.pending(folder)] == [live, live, starting, starting]
    assert stored(db_copy, "SELECT run_id, status, n_rows, finished_at_utc FROM run_ledger WHERE "
                           "run_id IN (?, ?, ?, ?) ORDER BY run_id",
                  [live, dead, starting, ended_early]) == [
        (live, "running", 0, None), (dead, "ok", 5, ended), (ended_early, "ok", 4, ended)]
    assert stored(db_copy, "SELECT count(*) FROM latency_sample WHERE run_id IN (?, ?)",
                  [live, starting]) == [(0,)]
    spool.remove(spool.pending(folder) + [folder / "landed-by-another-process.parquet"])
    assert spool.pending(folder) == []


def test_a_journal_that_cannot_write_says_so_once_and_the_run_still_stores_its_rows(db_copy, tmp_path,
                                                                                   caplog):
    """The spool folder cannot be made (a file is in the way): the journal fails every turn,
    warns once, and the rows stay in memory for the run's own write at the end."""
    (tmp_path / "file").write_text("not a folder")
    with Run("latency", db_path=db_copy, spool_dir=tmp_path / "file" / "spool",
             durable_s=0.05) as run:
        run.add("latency_sample", samples(3))
        time.sleep(0.5)  # several journal turns
    warned = [r.getMessage() for r in caplog.records if "cannot journal" in r.getMessage()]
    assert len(warned) == 1 and f"cannot journal rows of run {run.run_id}" in warned[0]
    assert run.status == "ok"
    assert stored(db_copy, "SELECT count(*) FROM latency_sample WHERE run_id = ?", [run.run_id]) == [(3,)]
