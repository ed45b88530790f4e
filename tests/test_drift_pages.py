"""Where a silent swap shows: a row per model under the Overview board, a section on Runs and
health, and a mark on the Capability and Speed time axes (AppTest, the pages' own code)."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from helpers import figure_specs
from streamlit.testing.v1 import AppTest
from test_drift import MODEL, QWEN, answers, drift_run

from warehouse.storage import db, writes

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")
SWAP = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
PACK = "drift-demo"
LABEL = f"{MODEL.id}: another model answers behind this name (drift check: 32 of 32 canary answers differ)"


def days(*offsets: float) -> list[datetime]:
    return [SWAP + timedelta(days=d) for d in offsets]


@pytest.fixture
def swapped(db_copy, monkeypatch):
    """A model checked three times (baseline, same, swapped on SWAP) and measured for capability
    and speed on both sides of the swap."""
    runs = [drift_run(db_copy, answers("smol", 11)), drift_run(db_copy, answers("smol", 11)),
            drift_run(db_copy, answers("qwen", 21, input_tokens=47), identity=QWEN, probe=98)]
    scores = pd.DataFrame([{"run_id": f"cap-{i}", "model_id": MODEL.id, "pack": PACK,
                            "pack_version": "1", "dimension": "reasoning", "metric": "reasoning",
                            "value": value, "ci_low": value - 0.1, "ci_high": value + 0.1,
                            "n_items": 32, "n_unanswered": 0, "measured_at_utc": when,
                            "computed_at_utc": when}
                           for i, (when, value) in enumerate(zip(days(-8, -3, 2, 6), (0.3, 0.32, 0.6, 0.62)))])
    latency = pd.DataFrame([{"run_id": "lat-1", "model_id": MODEL.id, "workload": "smoke-32-16",
                             "concurrency": 1, "request_index": i, "measured_at_utc": when,
                             "ttft_s": 0.2 if when < SWAP else 0.5, "e2e_s": 1.0,
                             "output_tokens": 16, "output_tokens_per_s": 40.0, "itl_s": 0.025}
                            for i, when in enumerate(days(-8, -7, -3, -2, 2, 3, 6, 7))])
    with db.writing(db_copy) as con:
        for run, when in zip(runs, days(-10, -5, 0)):
            con.execute("UPDATE drift_check_row SET checked_at_utc = ? WHERE run_id = ?",
                        [when, run["run_id"]])
        for run_id, collector in [(r, "capability") for r in scores["run_id"]] + [("lat-1", "latency")]:
            writes.start_run(con, run_id, collector, "vm", {})
            writes.finish_run(con, run_id, "ok", 1, 0, None)
        writes.insert_rows(con, "capability_score_row", scores)
        writes.insert_rows(con, "latency_sample", latency)
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    return runs


def test_the_overview_has_a_row_per_model_saying_whether_it_is_still_the_one_measured(swapped):
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    assert not at.exception
    table = next(t.value for t in at.table if "Same model?" in t.value.columns)
    row = table[table["Model"] == MODEL.id].iloc[0]
    assert row["Same model?"] == "changed" and row["Answers changed"] == "32 of 32"
    assert row["Last found changed"] == "2026-11-20" and row["Checked"] == "2026-11-20 12:00"
    assert "parameters 135 M → 630 M" in row["Evidence"]


def test_runs_and_health_lists_every_check_with_its_baseline(swapped):
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception
    assert any(s.value.startswith("Drift checks") for s in at.subheader)
    checks = next(t.value for t in at.table if "Same model?" in t.value.columns)
    assert list(checks["Same model?"]) == ["changed", "same model", "not enough data"]
    assert set(checks["Baseline run"]) == {swapped[0]["run_id"]}
    assert "prompt tokens differ on 32 of 32 items" in checks["Evidence"].iloc[0]  # all of it


def test_capability_and_speed_time_axes_mark_the_swap(swapped):
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    at.switch_page("pages/capability.py").run()
    at.selectbox[0].set_value("reasoning").run()
    at.selectbox[1].set_value(PACK).run()
    assert not at.exception
    best = figure_specs(at)[0]
    marks = [a for a in best["layout"]["annotations"] if a["text"].replace("<br>", " ") == LABEL]
    assert len(marks) == 1 and pd.Timestamp(marks[0]["x"]) == pd.Timestamp(SWAP)

    at.switch_page("pages/speed.py").run()
    assert not at.exception
    over_time = next(s for s in figure_specs(at) if "over time" in s["layout"]["title"]["text"])
    lines = [s for s in over_time["layout"]["shapes"] if s["line"]["dash"] == "dot"]
    assert len(lines) == 2 and {pd.Timestamp(s["x0"]) for s in lines} == {pd.Timestamp(SWAP).tz_localize(None)}
    named = [a for a in over_time["layout"]["annotations"] if a.get("hovertext") == LABEL]
    assert [a["text"] for a in named] == ["another model behind the same name (drift check)"]
