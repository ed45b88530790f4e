"""The capability collector: real local models end to end, and the reference server wherever
a test needs exact answers, delays or faults (counting its requests proves the resume)."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reference_server import ReferenceServer

from collectors import capability, capability_plan, capability_scores, endpoints, jobs, scoring, tasks
from core.config import GapWatchConfig
from collectors.providers.base import Provider
from collectors.runner import Run
from collectors.tasks import base
from warehouse.storage import db, writes
from warehouse.analysis.benchmark_dimensions import DIMENSIONS

REPO = Path(__file__).resolve().parent.parent
SUFFIXES = ("", "_fixed", "_fresh", "_fixed_minus_fresh")
SLOW = "ref-ttft250-n2"  # a quarter second per item: time to kill a run midway


def ref_models(base_url: str, names: dict[str, str]) -> list:
    """Configured models served by the reference server (model id -> the name it scripts)."""
    models = [{"id": model_id, "provider": "openai-compatible", "model": name,
               "base_url": base_url, "organization": "Test", "open_weights": True}
              for model_id, name in names.items()]
    return GapWatchConfig.model_validate({"models": models}).models


def write_config(path: Path, base_url: str, names: dict[str, str]) -> Path:
    blocks = [f'[[models]]\nid = "{model_id}"\nprovider = "openai-compatible"\nmodel = "{name}"\n'
              f'base_url = "{base_url}"\norganization = "Test"\nopen_weights = true\n'
              for model_id, name in names.items()]
    path.write_text("\n".join(blocks))
    return path


def cli(db_path: Path, config: Path, *args: str) -> subprocess.Popen:
    """`python -m collectors run capability ...` in its own process, as a user runs it."""
    env = {**os.environ, "GAPWATCH_DB": str(db_path), "GAPWATCH_CONFIG": str(config)}
    return subprocess.Popen([sys.executable, "-m", "collectors", "run", "capability", "--quiet",
                             *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finished(proc: subprocess.Popen, timeout: float = 120) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out


def frame(db_path: Path, sql: str, params=None) -> pd.DataFrame:
    with db.reading(db_path) as con:
        return con.execute(sql, params or []).df()


def collect(db_path, models, **settings) -> Run:
    with Run("capability", db_path=db_path) as run:
        capability.collect(run, models, capability.Settings(**settings), progress=False)
    return run


def test_one_command_scores_every_dimension_of_the_three_local_models(local_servers, db_copy):
    """Two fixed and two fresh items per pack, the fewest that give each variant an interval
    (one llama.cpp thread per server on CI's two cores: about 2.5 minutes); the full run is in
    docs/findings.md."""
    out = finished(cli(db_copy, REPO / "gapwatch.toml", "--models", "local/*", "--fixed", "2",
                       "--fresh", "2", "--seed", "7"), timeout=900)
    scores = frame(db_copy, "SELECT * FROM capability_scores WHERE source = 'measured'")
    assert set(scores["model_id"]) == set(local_servers)
    expected = {f"{d}{s}" for d in DIMENSIONS for s in SUFFIXES}
    for model_id, rows in scores.groupby("model_id"):
        assert set(rows["metric"]) == expected, model_id
    plain = scores[~scores["metric"].str.endswith("minus_fresh")]
    assert ((plain["ci_low"] <= plain["value"]) & (plain["value"] <= plain["ci_high"])).all()
    assert set(plain.loc[plain["metric"].isin(DIMENSIONS), "n_items"]) == {4}
    items = frame(db_copy, "SELECT * FROM capability_items")
    assert len(items) == 3 * 4 * 4 and items["prompt_sha256"].str.len().eq(64).all()
    assert set(items["seed"]) == {7} and items["error_class"].isna().all()
    assert "reasoning-core" in out and "fixed − fresh" in out and "_fixed" not in out


def test_same_seed_same_fresh_items_other_seed_other_items(db_copy):
    with ReferenceServer(models=["ref-n1"]) as server:
        models = ref_models(server.base_url, {"ref/echo": "ref-n1"})
        runs = [collect(db_copy, models, seed=seed, fixed=0, fresh=4, resume=False)
                for seed in (11, 11, 12)]
    asked = [frame(db_copy, "SELECT item_id, prompt_sha256 FROM capability_items WHERE "
                   "run_id = ? AND variant = 'fresh' ORDER BY ALL", [run.run_id])
             for run in runs]
    assert len(asked[0]) == 4 * 4
    pd.testing.assert_frame_equal(asked[0], asked[1])
    assert not set(asked[0]["prompt_sha256"]) & set(asked[2]["prompt_sha256"])
    assert not set(asked[0]["item_id"]) & set(asked[2]["item_id"])


def test_a_score_whose_items_differ_is_stored_with_an_interval_of_some_width(db_copy):
    """Through a real run: the reference server's answer `t0 t1 t2` meets the letter-case
    constraint and fails the bullet list, so each variant has a 0 and a 1. An interval of
    [mean, mean] there would claim a certainty two items cannot give."""
    with ReferenceServer(models=["ref-n3"]) as server:
        run = collect(db_copy, ref_models(server.base_url, {"ref/three": "ref-n3"}), seed=3,
                      fixed=2, fresh=2, packs=("generation",))
    items = frame(db_copy, "SELECT variant, score FROM capability_items WHERE run_id = ?",
                  [run.run_id])
    assert sorted(items.groupby("variant")["score"].apply(sorted).tolist()) == [[0, 1], [0, 1]]
    scores = frame(db_copy, "SELECT metric, value, ci_low, ci_high, n_items FROM "
                            "capability_scores WHERE run_id = ?", [run.run_id]).set_index("metric")
    assert set(scores.index) == {"generation", "generation_fixed", "generation_fresh",
                                 "generation_fixed_minus_fresh"}
    for metric, row in scores.iterrows():  # strictly inside: each mean has a 0 and a 1 around it
        assert row["ci_low"] < row["value"] < row["ci_high"], (metric, row.to_dict())
    assert (scores.loc["generation", "value"], scores.loc["generation", "n_items"]) == (0.5, 4)
    # what `collectors run capability` prints at the end: one row per model and pack
    header, _, row, note = capability_scores.summary(run.run_id, db_copy).splitlines()
    assert re.split(r"\s{2,}", header.strip()) == ["all items", "fixed items", "fresh items",
                                                    "fixed − fresh"]
    assert row.split() == ["ref/three", "generation-constraints", *"0.50 [0.00, 1.00] n=4".split(),
                           *"0.50 [0.00, 1.00] n=2".split() * 2, *"0.00 [-1.00, 1.00] n=4".split()]
    assert note.startswith("mean item score (0 to 1) [95% interval]")
    assert capability_scores.summary("no-such-run", db_copy).startswith("(no scores stored")


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def stored_rows(db_path: Path, run_id: str | None = None) -> pd.DataFrame:
    where = "WHERE run_id = ?" if run_id else ""
    return frame(db_path, f"SELECT run_id, model_id, pack, item_id, variant, seed FROM "
                          f"capability_item_result {where}", [run_id] if run_id else [])


def capability_runs(db_path: Path) -> pd.DataFrame:
    return frame(db_path, "SELECT run_id, status, context FROM run_ledger WHERE collector = "
                          "'capability' ORDER BY started_at_utc")


def kill_midway(db_path: Path, config: Path, args: tuple, server, name: str, kill) -> int:
    """Start a run, kill it once it has asked (SIGTERM) or stored (SIGKILL) a few items;
    returns how many requests the server received from it."""
    proc = cli(db_path, config, *args)
    if kill == signal.SIGTERM:
        wait_until(lambda: len(server.arrivals[name]) >= 6)
    else:
        wait_until(lambda: len(stored_rows(db_path)) > 0)
    proc.send_signal(kill)
    proc.wait(timeout=60)
    return len(server.arrivals[name])


@pytest.mark.slow  # two CLI runs each, a quarter second an item (~12 s)
@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_killed_run_resumed_asks_nothing_twice(db_copy, tmp_path, kill):
    """SIGTERM: the item in flight is stored, so across both runs each item is asked once.
    SIGKILL: answers not yet flushed are lost, so the resume asks exactly what is not stored."""
    name, args, total = f"{SLOW}:{kill.name}", ("--fixed", "3", "--fresh", "3", "--seed", "5"), 24
    with ReferenceServer(models=[name]) as server:
        config = write_config(tmp_path / "gapwatch.toml", server.base_url, {"ref/slow": name})
        asked_first = kill_midway(db_copy, config, args, server, name, kill)
        killed = capability_runs(db_copy).iloc[-1]
        out = finished(cli(db_copy, config, *args))
        asked_again = len(server.arrivals[name]) - asked_first
    # After a SIGKILL the answers it had journaled to the spool land when the next run starts.
    kept = stored_rows(db_copy, killed["run_id"])
    assert killed["status"] == ("partial" if kill == signal.SIGTERM else "running")
    assert capability_runs(db_copy).iloc[-2]["status"] == ("partial" if kill == signal.SIGTERM
                                                           else "abandoned")
    assert 0 < len(kept) < total and (kill == signal.SIGKILL or len(kept) == asked_first)
    resumed = capability_runs(db_copy).iloc[-1]
    assert json.loads(resumed["context"])["resumes"] == killed["run_id"]
    assert f"resumed {killed['run_id']}" in out
    new = stored_rows(db_copy, resumed["run_id"])
    assert asked_again == len(new) == total - len(kept)
    keys = ["model_id", "pack", "item_id", "variant", "seed"]
    assert not set(map(tuple, new[keys].values)) & set(map(tuple, kept[keys].values))
    scores = frame(db_copy, "SELECT metric, n_items FROM capability_scores WHERE run_id = ?",
                   [resumed["run_id"]])
    assert scores.loc[scores["metric"].isin(DIMENSIONS), "n_items"].sum() == total


class RefusingProvider(Provider):
    """A stub that refuses every question. The one stub in this file: the reference server
    answers in scripted tokens (`t0 t1 ...`) and cannot be made to refuse."""

    kind = "stub"
    REFUSAL = "I'm sorry, but I can't help with that."

    def _chat_once(self, request, timing) -> None:
        timing.started, timing.finished, timing.http_status = True, True, 200
        timing.content(self.REFUSAL)

    def classify(self, exc, mid_stream):
        return None

    def served_models(self) -> list[str]:
        return ["refuser"]


def test_empty_garbage_and_refusals_score_zero_faults_are_not_scores(db_copy, monkeypatch):
    names = {"ref/garbage": "ref-n3", "ref/empty": "ref-n0", "ref/refuses": "refuser",
             "ref/flaky": "fault-401-then-ok:capability", "ref/gone": "not-served"}
    real_open = endpoints.open_provider
    monkeypatch.setattr(endpoints, "open_provider", lambda model: RefusingProvider(None, None)
                        if model.id == "ref/refuses" else real_open(model))
    packs = ("understanding", "reasoning", "memory")  # `t0 t1 t2` does meet "all lowercase"
    with ReferenceServer(models=[n for n in names.values() if n != "not-served"]) as server:
        run = collect(db_copy, ref_models(server.base_url, names), seed=3, fixed=2, fresh=2,
                      packs=packs)
    items = frame(db_copy, "SELECT model_id, score, error_class FROM capability_items")
    answered = items[items["error_class"].isna()]
    assert set(answered["model_id"]) == {"ref/garbage", "ref/empty", "ref/refuses", "ref/flaky"}
    assert (answered["score"] == 0).all() and len(answered) == 4 * 12 - 1
    fault = items[items["error_class"].notna()]
    assert fault[["model_id", "error_class"]].values.tolist() == [["ref/flaky", "auth_error"]]
    assert fault["score"].isna().all()
    scores = frame(db_copy, "SELECT * FROM capability_scores WHERE model_id = 'ref/flaky' "
                            "AND metric = dimension")
    assert scores["n_items"].sum() == 11 and scores["n_unanswered"].sum() == 1
    zeros = frame(db_copy, "SELECT value, ci_low, ci_high FROM capability_scores WHERE "
                           "model_id = 'ref/garbage' AND metric = dimension")
    assert len(zeros) == 3 and (zeros == 0).all().all()  # every item 0: the interval is [0, 0]
    assert any("ref/gone: cannot be reached" in w for w in run.warnings)
    assert any("ref/flaky: 1 items unanswered" in w for w in run.warnings)
    assert run.status == "partial"


PACK_SOURCE = '''
from collectors.tasks.base import Draft, TaskPack, Template


def build(rng, level):
    {body}
    a, b = rng.randint(1, 999), rng.randint(1, 999)
    return Draft(f"Question: {{a}} + {{b}}?\\nAnswer:", a + b, "numeric", {{}}, {{"level": level}})


PACK = TaskPack(name="{name}", dimension="reasoning", version="1",
                templates=(Template("{first}", (1,), build), Template("{second}", (1,), build)),
                content_hashes={{}}, {slots}frozen_seed=1)
'''
GOOD_ITEM = {"item_id": "sum-00", "prompt": "Question: 1 + 1?\nAnswer:", "answer": 2,
             "scorer": "numeric", "scorer_args": {}, "variant": "fixed", "seed": 1,
             "context_tokens": 9, "meta": {"max_answer_tokens": 8}}
BAD_PACKS = {  # module: (pack source or None for broken syntax, data file items, expected text)
    "bad_syntax": (None, None, "bad_syntax.py:2: SyntaxError"),
    "bad_field": ({"slots": ""}, None, "bad_field.py:11: TypeError"),
    "bad_twins": ({"second": "sum"}, None, "bad_twins.py:11: ValueError: bad-twins: template "
                                           "name 'sum' is used more than once"),
    "bad_generator": ({"body": "1 / 0"}, [GOOD_ITEM], "bad_generator.py:6: ZeroDivisionError"),
    "bad_scorer": ({}, [{**GOOD_ITEM, "scorer": "nope"}], "bad-scorer.json: item 0 (sum-00): "
                                                          "sum-00: unknown scorer 'nope'"),
    "bad_dupes": ({}, [GOOD_ITEM, GOOD_ITEM], "bad-dupes.json: item id 'sum-00' is used more"),
    "bad_missing": ({}, [{k: v for k, v in GOOD_ITEM.items() if k != "answer"}],
                    "bad-missing.json: item 0 (sum-00): Item.__init__() missing 1 required "
                    "positional argument: 'answer'"),
}


def write_bad_pack(folder: Path, data: Path, module: str, spec) -> None:
    changes, items, _ = spec
    name = module.replace("_", "-")
    if changes is None:
        (folder / f"{module}.py").write_text("from collectors.tasks.base import TaskPack\n"
                                             "PACK = TaskPack(name='x',\n")
        return
    fields = {"body": "pass", "name": name, "first": "sum", "second": "sum-too",
              "slots": "slots=2, ", **changes}
    (folder / f"{module}.py").write_text(PACK_SOURCE.format(**fields))
    if items is not None:
        (data / f"{name}.json").write_text(json.dumps({"pack": name, "items": items}))


def test_each_bad_pack_gives_one_message_naming_it_and_the_others_run(db_copy, tmp_path,
                                                                      monkeypatch):
    folder, data = tmp_path / "packs", tmp_path / "data"
    folder.mkdir()
    shutil.copytree(base.DATA_DIR, data)
    for module, spec in BAD_PACKS.items():
        write_bad_pack(folder, data, module, spec)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(base, "DATA_DIR", data)
    monkeypatch.setattr(tasks, "PACK_MODULES", ("collectors.tasks.reasoning", *BAD_PACKS))
    with ReferenceServer(models=["ref-n1"]) as server:
        run = collect(db_copy, ref_models(server.base_url, {"ref/echo": "ref-n1"}),
                      seed=2, fixed=1, fresh=1)
    for module, (_, _, expected) in BAD_PACKS.items():
        named = [w for w in run.warnings if module in w or module.replace("_", "-") in w]
        assert len(named) == 1 and expected in named[0], (module, run.warnings)
    assert len(run.warnings) == len(BAD_PACKS)
    scores = frame(db_copy, "SELECT DISTINCT pack FROM capability_scores WHERE run_id = ?",
                   [run.run_id])
    assert scores["pack"].tolist() == ["reasoning-core"]


def add_price(db_path: Path, model_id: str, usd_per_mtok: float) -> None:
    row = {"run_id": "test-price-book", "source": "config", "source_name": model_id,
           "model_id": model_id, "effective_from": pd.Timestamp("2024-01-01").date(),
           "usd_per_mtok_in": usd_per_mtok, "usd_per_mtok_out": usd_per_mtok,
           "first_seen_utc": pd.Timestamp.now(tz="UTC"),
           "last_seen_utc": pd.Timestamp.now(tz="UTC")}
    with db.writing(db_path) as con:
        writes.start_run(con, "test-price-book", "prices", "test", {})
        con.register("price_row", pd.DataFrame([row]))
        con.execute("INSERT INTO price_period BY NAME SELECT * FROM price_row")


def test_dry_run_estimates_and_max_usd_stops_before_the_cap(db_copy):
    add_price(db_copy, "ref/priced", 1000.0)  # USD per million tokens: a cent or so per item
    with ReferenceServer(models=["ref-n1"]) as server:
        models = ref_models(server.base_url, {"ref/priced": "ref-n1", "ref/free": "ref-n1"})
        plan = capability_plan.dry_run(models, capability.Settings(seed=4, packs=("reasoning",)),
                                  db_copy)
        run = collect(db_copy, models[:1], seed=4, max_usd=0.5)
    lines = {parts[0]: parts for parts in map(str.split, plan.splitlines())
             if parts and parts[0].startswith("ref/")}
    assert lines["ref/free"][-1] == "unknown" and float(lines["ref/priced"][-1]) > 0.5
    assert lines["ref/priced"][3:5] == ["36", "36"]
    items = frame(db_copy, "SELECT * FROM item_costs WHERE run_id = ?", [run.run_id])
    assert 0 < len(items) < 4 * 72 and items["usd_cost"].sum() <= 0.5
    assert run.status == "partial" and any("--max-usd 0.5" in w for w in run.warnings)
    assert frame(db_copy, "SELECT * FROM capability_scores WHERE run_id = ?", [run.run_id]).empty


def test_scores_exclude_faults_and_repeat_exactly():
    rng = np.random.default_rng(1)
    items = pd.DataFrame({"model_id": "m", "pack": "p", "pack_version": "1",
                          "dimension": "reasoning", "item_id": [f"i{k}" for k in range(40)],
                          "variant": ["fixed", "fresh"] * 20,
                          "score": rng.integers(0, 2, 40).astype(float), "error_class": None,
                          "measured_at_utc": pd.Timestamp.now(tz="UTC")})
    items.loc[0, ["score", "error_class"]] = [None, "read_timeout"]
    rows = capability_scores.score_rows("r", items).set_index("metric")
    again = capability_scores.score_rows("r", items).set_index("metric")
    pd.testing.assert_frame_equal(rows.drop(columns="computed_at_utc"),
                                  again.drop(columns="computed_at_utc"))
    answered = items["score"].dropna()
    assert rows.loc["reasoning", "value"] == pytest.approx(answered.mean())
    assert rows.loc["reasoning", "n_items"] == 39 and rows.loc["reasoning", "n_unanswered"] == 1
    fixed, fresh = (answered[items["variant"] == v] for v in ("fixed", "fresh"))
    assert rows.loc["reasoning_fixed", ["value", "n_items"]].tolist() == [
        pytest.approx(fixed.mean()), 19]
    assert rows.loc["reasoning_fresh", ["value", "n_items"]].tolist() == [
        pytest.approx(fresh.mean()), 20]
    diff = rows.loc["reasoning_fixed_minus_fresh"]
    assert diff["value"] == pytest.approx(fixed.mean() - fresh.mean()) and diff["n_items"] == 39
    assert diff["ci_low"] < diff["value"] < diff["ci_high"]
    assert str(rows["computed_at_utc"].dt.tz) == "UTC"


def scored_items(scores: list[float], variants: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"model_id": "m", "pack": "p", "pack_version": "1", "dimension": "memory",
                         "item_id": [f"i{k}" for k in range(len(scores))], "variant": variants,
                         "score": scores, "error_class": None,
                         "measured_at_utc": pd.Timestamp("2026-01-01", tz="UTC")})


def test_an_interval_is_the_same_every_time_and_a_point_where_every_item_scored_alike():
    """Fixed bootstrap seed: scores that vary continuously would show any other draw. Items
    that all scored the same give [v, v] (a percentile interval; BCa would give no interval)."""
    varied = scored_items(list(np.random.default_rng(4).random(12)), ["fixed", "fresh"] * 6)
    first, second = (capability_scores.score_rows("r", varied).set_index("metric")
                     for _ in range(2))
    columns = ["value", "ci_low", "ci_high"]
    pd.testing.assert_frame_equal(first[columns], second[columns], check_exact=True)
    assert (first["ci_low"] < first["ci_high"]).all()
    alike = capability_scores.score_rows("r", scored_items([0.0] * 4, ["fixed"] * 4))
    assert alike[["metric", "value", "ci_low", "ci_high", "n_items"]].values.tolist() == [
        ["memory", 0.0, 0.0, 0.0, 4], ["memory_fixed", 0.0, 0.0, 0.0, 4]]  # no fresh: no difference


def test_local_stop_sequences_are_where_the_scorer_cuts_anyway():
    """Stopping there saves tokens and cannot change a score."""
    for stop in capability.STOP_AT:
        text = f"Answer: 42{stop} what next?"
        assert scoring.drop_continuation(text) == "Answer: 42", stop


def test_capability_is_a_scheduled_collector():
    assert jobs.collector_function("capability") is capability.scheduled
