"""The drift sentinel: baselines, verdicts, the `drift_checks` view, the `model swap` break.

The answers here are written as a server would have given them, then go through the
collector's own check (`drift.check`), the warehouse and the views: everything but the HTTP
call, which the slow test (test_drift_swap.py) makes against real llama.cpp servers.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_verdict_periods import empty_inputs

from bench.drift import simulated

from collectors import drift, drift_canary
from collectors.runner import Run
from core.config import ModelConfig
from warehouse.analysis import drift as analysis
from warehouse.analysis import verdicts
from warehouse.storage import db, run_ledger

REPO = Path(__file__).resolve().parent.parent
MODEL = ModelConfig(id="acme/chat-model", provider="openai-compatible", organization="Acme",
                    base_url="http://127.0.0.1:9/v1", open_weights=False)
SMOL = {"file_sha256": "b179c9523d0e", "parameters": 134515008, "vocabulary": 49152,
        "quantisation": "Q4_1", "context": 2048, "build": "b0-unknown"}
QWEN = SMOL | {"file_sha256": "1d9614638d18", "parameters": 630167424, "vocabulary": 151936,
               "quantisation": "Q4_K - Medium"}


def answers(kind: str, correct: int, input_tokens: int = 50, fingerprint=None,
            changed: int | None = None) -> list[dict]:
    """A run's canary rows: `correct` items with full marks; answers named by `kind` (the first
    `changed` items answered differently when given)."""
    rows = []
    for i, item in enumerate(drift_canary.items()):
        text = f"{kind} answer {i}" if changed is None or i >= changed else f"other answer {i}"
        rows.append({"model_id": MODEL.id, "canary_version": drift_canary.VERSION,
                     "item_id": item.item_id, "dimension": item.meta["dimension"],
                     "answer_sha256": drift.hashlib.sha256(text.encode()).hexdigest(),
                     "response": text, "score": 1.0 if i < correct else 0.0,
                     "output_chars": len(text), "input_tokens": input_tokens,
                     "output_tokens": 12, "latency_s": 0.1, "served_model": "chat-model",
                     "system_fingerprint": fingerprint, "measured_at_utc": pd.Timestamp.now(tz="UTC"),
                     "error_class": None, "error": None})
    return rows


def drift_run(db_path, rows, identity=SMOL, probe=105, named=None) -> dict:
    """One drift run of MODEL through the collector's check, stored like a real run."""
    asked = drift.Asked(MODEL, rows=rows, identity=identity, probe_tokens=probe)
    with Run("drift", db_path=db_path) as run:
        run.add(drift.TABLE, asked.rows)
        check = drift.check(run, asked, named)
        run.add(drift.CHECKS, [dict(check)])
    return check | {"run_id": run.run_id}


def stored_checks(db_path) -> pd.DataFrame:
    with db.reading(db_path) as con:
        return con.execute("SELECT * FROM drift_checks ORDER BY checked_at_utc").df()


def test_the_canary_set_is_frozen_short_and_covers_every_dimension():
    items = drift_canary.items()
    assert drift_canary.content_hash() == drift_canary.CONTENT_HASH, \
        "canary items or probe changed: give the set a new VERSION and record its hash"
    assert 24 <= len(items) <= 48 and len({i.item_id for i in items}) == len(items)
    assert {i.meta["dimension"] for i in items} == {"understanding", "generation", "reasoning", "memory"}
    assert all(i.fits(512) and i.meta["max_answer_tokens"] <= drift_canary.MAX_ANSWER_TOKENS
               for i in items)


def test_first_run_is_the_baseline_and_an_identical_run_is_the_same_model(db_copy):
    first = drift_run(db_copy, answers("smol", 11))
    second = drift_run(db_copy, answers("smol", 11))
    checks = stored_checks(db_copy)
    assert list(checks["verdict"]) == ["not enough data", "same model"]
    assert list(checks["baseline_run_id"]) == [first["run_id"], first["run_id"]]
    assert "it is the baseline" in checks["evidence"].iloc[0]
    same = checks.iloc[1]
    assert (same["n_items"], same["n_changed_answers"], same["share_changed"]) == (32, 0, 0.0)
    assert same["p_value"] == 1.0 and pd.isna(same["p_answers"])  # no answer noise known yet
    assert "0 of 32 answers differ" in same["evidence"] and "full marks 11 → 11" in same["evidence"]
    assert second["verdict"] == "same model"


def test_a_swapped_model_is_changed_in_one_run_and_becomes_the_next_baseline(db_copy):
    drift_run(db_copy, answers("smol", 11))
    drift_run(db_copy, answers("smol", 11))
    swap = drift_run(db_copy, answers("qwen", 21, input_tokens=47), identity=QWEN, probe=98)
    after = drift_run(db_copy, answers("qwen", 21, input_tokens=47), identity=QWEN, probe=98)
    assert swap["verdict"] == "changed" and swap["n_changed_answers"] == 32
    for words in ("32 of 32 answers differ", "full marks 11 → 21", "parameters 135 M → 630 M",
                  "vocabulary 49,152 tokens → 151,936 tokens", "model file b179c9523d0e → 1d9614638d18",
                  "probe text 105 → 98 tokens", "prompt tokens differ on 32 of 32 items",
                  "quantisation Q4_1 → Q4_K - Medium"):
        assert words in swap["evidence"], words
    assert swap["p_answers"] < 1e-6  # the first check gave the answer noise: 0 of 32
    assert after["verdict"] == "same model" and after["baseline_run_id"] == swap["run_id"]
    with db.reading(db_copy) as con:
        marks = con.execute("SELECT * FROM method_changes WHERE kind = 'model swap'").df()
        stored_at = con.execute("SELECT checked_at_utc FROM drift_checks WHERE run_id = ?",
                                [swap["run_id"]]).fetchone()[0]
    assert list(marks["scope"]) == [MODEL.id] and marks["changed_at_utc"].iloc[0] == stored_at
    assert marks["label"].iloc[0] == (f"{MODEL.id}: another model answers behind this name "
                                      "(drift check: 32 of 32 canary answers differ)")


def test_every_server_report_that_differs_is_said_in_words_and_units():
    """The evidence a person checks: each llama.cpp report that changed, named in words with
    its unit (hashes cut to 12 characters, bytes as MB, parameters in millions, token counts
    with separators, the rest as reported); unchanged or one-sided keys say nothing."""
    before = {"file_sha256": "b179c9523d0e77aa", "file_bytes": 91_740_000,
              "parameters": 134_515_008, "vocabulary": 49_152, "context_trained": 8_192,
              "embedding": 576, "quantisation": "Q4_1", "context": 2_048, "slots": 1,
              "build": "b4500", "only_before": 1}
    after = {"file_sha256": "1d9614638d18ffee", "file_bytes": 428_500_000,
             "parameters": 630_167_424, "vocabulary": 151_936, "context_trained": 32_768,
             "embedding": 896, "quantisation": "Q4_K - Medium", "context": 4_096, "slots": 2,
             "build": "b4501", "only_after": 2}
    assert analysis.identity_changes(after, before) == [
        "model file b179c9523d0e → 1d9614638d18", "model file size 92 MB → 428 MB",
        "parameters 135 M → 630 M", "vocabulary 49,152 tokens → 151,936 tokens",
        "trained context 8,192 tokens → 32,768 tokens", "embedding width 576 → 896",
        "quantisation Q4_1 → Q4_K - Medium", "context 2,048 tokens → 4,096 tokens",
        "parallel slots 1 → 2", "server build b4500 → b4501"]
    assert analysis.identity_changes(before, dict(before)) == []


def _checked_items(scores, answers, output_tokens) -> pd.DataFrame:
    """One run's answered canary items as the check reads them (analysis.ITEM_COLUMNS)."""
    return pd.DataFrame({"item_id": [f"i{k}" for k in range(len(scores))],
                         "answer_sha256": answers, "score": scores, "input_tokens": 50,
                         "output_tokens": output_tokens, "error_class": None,
                         "served_model": "chat-model", "system_fingerprint": None})


def test_a_run_that_fixes_every_item_the_baseline_missed_is_tested_by_mcnemar():
    """The baseline missed 4 of 12 items; this run gets all 12, the 4 answers rewritten and no
    item lost or missed by both: McNemar's exact p over the 4 discordant items is 2 × 0.5⁴,
    and the evidence says how many answers differ as a share of the items."""
    base = _checked_items([0.0] * 4 + [1.0] * 8, [f"a{k}" for k in range(12)], [12] * 12)
    now = _checked_items([1.0] * 12, [f"b{k}" for k in range(4)] + [f"a{k}" for k in range(4, 12)],
                         [12] * 12)
    check = analysis.compare(now, base)
    assert check["p_mcnemar"] == pytest.approx(2 * 0.5 ** 4)
    assert check["evidence"].startswith("4 of 12 answers differ (33%); full marks 8 → 12")


def test_a_first_run_is_the_baseline_and_says_so_in_its_evidence():
    """With no baseline yet, the check's evidence (shown on the Drift page) says this run is
    the baseline, with how many items it answered (an errored item is not counted)."""
    now = _checked_items([1.0] * 5 + [0.0] * 7, [f"a{k}" for k in range(12)], [12] * 12)
    now.loc[11, "error_class"] = "timeout"
    check = analysis.compare(now, None)
    assert (check["verdict"], check["n_items"], check["n_correct"]) == (analysis.NOT_ENOUGH, 11, 5)
    assert check["evidence"] == ("first run on this canary set (11 items answered): it is the "
                                 "baseline later runs are compared with")


def test_answers_that_grow_longer_are_tested_on_their_length():
    """Same marks, every answer now 40 tokens instead of 12: the signed-rank test on the
    output lengths (exact p 2 / 2¹² on 12 equal moves) decides, and the evidence names it."""
    base = _checked_items([0.0] * 12, [f"a{k}" for k in range(12)], [12] * 12)
    now = _checked_items([0.0] * 12, [f"c{k}" for k in range(12)], [40] * 12)
    check = analysis.compare(now, base)
    assert check["p_output_length"] == pytest.approx(2 / 2 ** 12)
    assert check["p_mcnemar"] == check["p_scores"] == 1.0 and check["verdict"] == "changed"
    assert "median answer 12 → 40 tokens" in check["evidence"]
    assert "answer length p = 0.00049" in check["evidence"]


def test_a_changed_server_setting_alone_is_a_change(db_copy):
    """llama.cpp served with another context, same answers: the server's own report decides."""
    drift_run(db_copy, answers("qwen", 21), identity=QWEN)
    wider = drift_run(db_copy, answers("qwen", 21), identity=QWEN | {"context": 4096})
    assert wider["verdict"] == "changed" and wider["n_changed_answers"] == 0
    assert "context 2,048 tokens → 4,096 tokens" in wider["evidence"]


def test_a_few_changed_answers_count_once_the_answer_noise_is_known(db_copy):
    """A deterministic server: no answer moved in three checks, then 8 of 32 do (a new KV-cache
    type, say): the server reports nothing new and the scores hold, yet it is `changed`."""
    for _ in range(4):
        drift_run(db_copy, answers("qwen", 21), identity=QWEN)
    moved = drift_run(db_copy, answers("qwen", 21, changed=8), identity=QWEN)
    assert moved["verdict"] == "changed" and moved["n_changed_answers"] == 8
    assert moved["p_mcnemar"] == 1.0 and moved["p_answers"] < 0.01
    assert "answer noise so far 0 of 96" in moved["evidence"]


def test_baseline_answers_that_never_come_back_are_left_out_of_the_answer_test(db_copy):
    """An API reworded three answers of its baseline run and never gave them again: after five
    checks those three are left out, so four more answers moving is seen against a noise of 0
    of 145, not hidden in one of 15 of 160."""
    baseline = answers("gpt", 20)
    for row in baseline[:3]:
        row["answer_sha256"] = drift.hashlib.sha256(f"once {row['item_id']}".encode()).hexdigest()
    drift_run(db_copy, baseline, identity={})
    for _ in range(5):
        assert drift_run(db_copy, answers("gpt", 20), identity={})["verdict"] == "same model"
    moved = drift_run(db_copy, answers("gpt", 20, changed=7), identity={})
    assert moved["n_changed_answers"] == 7 and moved["verdict"] == "changed"
    assert "answer noise so far 0 of 145, leaving out 3 baseline answers that never came back" \
        in moved["evidence"]
    pooled = analysis.compare(pd.DataFrame(answers("gpt", 20, changed=7)), pd.DataFrame(baseline),
                              noise=(15, 160))
    assert pooled["verdict"] == "same model"  # without leaving them out it would not be seen


def test_an_api_fingerprint_or_served_name_with_nothing_in_common_is_a_change(db_copy):
    drift_run(db_copy, answers("gpt", 20, fingerprint="fp_44709d6fcb"), identity={})
    same = drift_run(db_copy, answers("gpt", 20, fingerprint="fp_44709d6fcb"), identity={})
    moved = drift_run(db_copy, answers("gpt", 20, fingerprint="fp_b28b39ffa8"), identity={})
    assert same["verdict"] == "same model"
    assert moved["verdict"] == "changed"
    assert "system fingerprint fp_44709d6fcb → fp_b28b39ffa8" in moved["evidence"]


def test_a_named_baseline_is_kept_and_an_invalidated_one_is_not(db_copy):
    first = drift_run(db_copy, answers("smol", 11))
    drift_run(db_copy, answers("qwen", 21), identity=QWEN)  # changed: the next baseline
    back = drift_run(db_copy, answers("smol", 11), named=first["run_id"])
    later = drift_run(db_copy, answers("smol", 11))
    assert back["verdict"] == "same model" and back["baseline_run_id"] == first["run_id"]
    assert later["baseline_run_id"] == first["run_id"]
    run_ledger.set_validity(first["run_id"], "a test", db_copy)
    fresh = drift_run(db_copy, answers("smol", 11))
    assert fresh["verdict"] == "not enough data" and fresh["baseline_run_id"] == fresh["run_id"]


def test_a_run_with_too_few_answers_never_becomes_the_baseline(db_copy):
    rows = answers("smol", 11)
    for row in rows[5:]:
        row |= {"error_class": "connect_timeout", "answer_sha256": None, "score": None}
    thin = drift_run(db_copy, rows)
    full = drift_run(db_copy, answers("smol", 11))
    assert thin["baseline_run_id"] is None and "too few for a baseline" in thin["evidence"]
    assert full["verdict"] == "not enough data" and full["baseline_run_id"] == full["run_id"]


def test_too_few_answers_are_not_enough_data(db_copy):
    drift_run(db_copy, answers("smol", 11))
    rows = answers("smol", 11)
    for row in rows[6:]:
        row |= {"error_class": "read_timeout", "answer_sha256": None, "score": None}
    thin = drift_run(db_copy, rows)
    assert thin["verdict"] == "not enough data" and thin["n_items"] == 6
    assert "fewer than 10 items answered in both runs" in thin["evidence"]


def test_a_model_swap_splits_the_measured_series_it_is_part_of(db_copy):
    """The gap verdicts read their model breaks through `verdicts.SQL`: a `model swap` there
    splits every measured series of the model, like a new machine."""
    drift_run(db_copy, answers("smol", 11))
    drift_run(db_copy, answers("qwen", 21), identity=QWEN)
    with db.reading(db_copy) as con:
        changes = con.execute(verdicts.SQL["changes"]).df()
    assert list(changes["kind"]) == ["model swap"] and list(changes["scope"]) == [MODEL.id]
    swap_day = pd.Timestamp(changes["changed_at_utc"].iloc[0])
    days = pd.date_range(end=swap_day.normalize() + pd.Timedelta(days=182), periods=52, freq="7D")
    rng = np.random.default_rng(3)
    rows = [{"pack": "arith@1:reasoning", "measured_at_utc": day, "model_id": model,
             "value": base + (0.2 if model == MODEL.id and day >= swap_day else 0)
             + rng.normal(0, 0.005), "source": "measured", "open_weights": model.startswith("o")}
            for day in days for model, base in ((MODEL.id, 0.6), ("o1", 0.5), ("o2", 0.45))]
    data = empty_inputs() | {"arena": pd.DataFrame(columns=["pack", "measured_at_utc", "model_id",
                                                             "value", "source"]),
                             "measured": pd.DataFrame(rows), "changes": changes}
    series, table, _, _ = verdicts.compute(data)
    front = series[series["gap_kind"] == "max_a_minus_b"]
    starts = pd.to_datetime(front["segment_start"].dropna().unique())
    assert len(starts) == 1  # one new segment, from the bucket (a week) holding the swap on
    swapped = swap_day.tz_localize(None)
    assert starts[0] <= swapped < starts[0] + pd.Timedelta(days=7)
    assert (front["segment_start"].isna() == (pd.to_datetime(front["bucket_start"]) < starts[0])).all()
    periods = table.loc[table["gap_kind"] == "max_a_minus_b", "period"]
    assert sum(p.startswith("segment") for p in periods) == 2 and "whole history" not in set(periods)


def test_an_unchanged_nondeterministic_api_is_rarely_flagged_and_a_swap_still_is():
    """Size: an API whose answers wander at temperature 0 (a quarter of the items reworded each
    run, an eighth of those flipping right/wrong both ways) but whose model never changes,
    checked 150 times as the collector checks (`bench.drift.simulated`: pooled noise and
    per-item history of the latest checks, through `analysis.compare`): at most 5% flagged
    (plus the binomial margin); a model whose every answer is new is flagged every time.
    bench/drift.py measures more levels of wandering, more checks, and power beside an oracle."""
    result = simulated(0.25, checks=150, seed=11)
    assert result["rate"] <= 0.05 + 1.645 * np.sqrt(0.05 * 0.95 / 150), result
    assert result["power: every answer new"] == 1.0


def test_power_a_quarter_of_answers_moved_after_a_clean_history_is_flagged():
    rng = np.random.default_rng(7)
    base = pd.DataFrame({"item_id": range(32), "answer_sha256": [str(i) for i in range(32)],
                         "score": (rng.random(32) < 0.6).astype(float), "input_tokens": 50,
                         "output_tokens": 12, "error_class": None, "served_model": "m",
                         "system_fingerprint": None})
    moved = base.assign(answer_sha256=[str(i) + ("x" if i < 8 else "") for i in range(32)])
    assert analysis.compare(moved, base, noise=(0, 320))["verdict"] == analysis.CHANGED
    assert analysis.compare(moved, base, noise=(0, 0))["verdict"] == analysis.SAME


def test_identity_json_keeps_what_the_server_said(db_copy):
    drift_run(db_copy, answers("smol", 11))
    stored = json.loads(stored_checks(db_copy)["served_identity"].iloc[0])
    assert stored["server"] == SMOL and stored["headers"] == {}


def test_an_unknown_baseline_is_one_error_line_and_nothing_is_asked(db_copy):
    env = {**os.environ, "GAPWATCH_DB": str(db_copy)}
    done = subprocess.run([sys.executable, "-m", "collectors", "run", "drift", "--baseline",
                           "drift-nope", "--quiet"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("error: --baseline drift-nope: no drift run of that id holds answers "
                           "(valid runs only; the drift_checks view lists them)\n")
    assert stored_checks(db_copy).empty
