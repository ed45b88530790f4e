"""Every page right after the user's first runs (issue 28), run headless with AppTest: My
measurements on Overview, the leader's margin in one metric, cost per solved item or the reason
it is missing, speed run against run, the ledger, and `runs compare`.

The rows come through the production write path (tests/measured_data.py); the same pages after a
real run of the three local models are checked in Chromium by tests/test_browser_pages.py."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import figure_specs, plotly_values
from measured_data import capability_run, latency_run, register_local_models
from streamlit.testing.v1 import AppTest

from test_capability import add_price
from warehouse.storage import db

REPO = Path(__file__).resolve().parent.parent
QWEN, SMOL, GEMMA = "local/qwen2.5-coder-0.5b", "local/smollm2-135m", "local/gemma3-270m"
HOSTED = "acme/house-model-1"  # a hosted model no price list knows
# 12 reasoning items: qwen solves 10, smollm 9 (tied with it), gemma 1 (behind both).
REASONING = {QWEN: [1.0] * 10 + [0.0] * 2, SMOL: [1.0] * 9 + [0.0] * 3,
             GEMMA: [1.0] + [0.0] * 11}


@pytest.fixture(scope="module")
def measured(built_db, tmp_path_factory):
    """A warehouse with two capability runs and a latency run of the three local models."""
    from conftest import copy_built

    path = copy_built(built_db, tmp_path_factory.mktemp("measured"))
    register_local_models(path)
    add_price(path, SMOL, 0.05)
    first = capability_run(path, {m: {"reasoning": s, "understanding": s[:6]}
                                  for m, s in REASONING.items()})
    later = {**REASONING, GEMMA: [1.0, 1.0, 1.0] + [0.0] * 9}  # gemma gains q1 and q2
    second = capability_run(path, {m: {"reasoning": s, "understanding": s[:6]}
                                   for m, s in later.items()} | {HOSTED: {"reasoning": [1.0] * 12}})
    latency_run(path, {QWEN: [15, 16, 14], SMOL: [110, 120, 117], GEMMA: [40, 39, 41]})
    return {"db": path, "runs": (first, second)}


@pytest.fixture
def app(measured, monkeypatch):
    monkeypatch.setenv("GAPWATCH_DB", str(measured["db"]))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=300).run()
    assert not at.exception, at.exception
    return at


def open_page(at, page):
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def table_with(at, column):
    return next(t.value for t in at.table if column in t.value.columns)


def test_overview_says_who_leads_by_how_much_and_who_is_tied_on_day_one(app):
    mine = table_with(app, "Ranks (> ahead, ≈ tied)").set_index("Dimension")
    row = mine.loc["reasoning"]  # the newest run: the hosted model leads all 12 items
    assert row["Leader"] == "house-model-1 1.00" and row["Runner-up"] == "qwen2.5-coder-0.5b 0.83"
    assert row["Margin [95%], p"].startswith("+0.17 [")  # 12/12 − 10/12, paired over 12 items
    assert row["Ranks (> ahead, ≈ tied)"] == (
        "house-model-1 ≈ qwen2.5-coder-0.5b ≈ smollm2-135m > gemma3-270m")
    assert row["Items"] == "12"
    speed = mine.loc[[d for d in mine.index if d.startswith("speed")][0]]
    assert speed["Leader"].startswith("smollm2-135m 117")
    compact = table_with(app, "Verdict, last 12 months")
    assert len(compact) == 9 and compact["Gap then → now"].str.len().max() < 30


def test_overview_says_when_no_closed_model_was_measured(built_db, tmp_path, monkeypatch):
    from conftest import copy_built

    path = copy_built(built_db, tmp_path)
    register_local_models(path)
    capability_run(path, {m: {"reasoning": s} for m, s in REASONING.items()})
    monkeypatch.setenv("GAPWATCH_DB", str(path))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=300).run()
    note = next(i.value for i in at.info if "open weights" in i.value)
    assert note.startswith("All 3 models you measured have open weights")
    assert "open_weights = false" in note and "gapwatch.toml" in note


def test_the_leaders_margin_is_the_leader_minus_the_runner_up_in_the_same_metric(app, measured):
    at = open_page(app, "pages/capability.py")
    at.selectbox[0].select("reasoning").run()
    at.selectbox[1].select("reasoning-core").run()
    assert not at.exception
    with db.reading(measured["db"]) as con:
        newest = con.execute("""SELECT model_id, value FROM capability_scores WHERE run_id = ?
                                AND metric = 'reasoning' ORDER BY value DESC""",
                             [measured["runs"][1]]).fetchall()
    (leader, best), (runner_up, second) = newest[:2]
    shown = next(m for m in at.metric if m.label.startswith("Leader's margin"))
    assert shown.label == "Leader's margin, reasoning, all items"
    assert float(shown.value.replace("−", "-")) == pytest.approx(best - second, abs=5e-4)
    assert any(f"{leader} " in c.value and f"− {runner_up} " in c.value for c in at.caption)
    scores, margin = figure_specs(at)[:2]
    assert scores["layout"]["title"]["text"] == "reasoning-core: the 4 best models (newest run)"
    assert scores["layout"]["xaxis"].get("type") != "date"  # runs minutes apart: no time axis
    bars = dict(zip(margin["data"][0]["x"], plotly_values(margin["data"][0]["y"])))
    assert bars["reasoning, all items"] == pytest.approx(best - second)
    assert set(bars) == {"reasoning, all items", "reasoning, fixed items", "reasoning, fresh items"}


def test_cost_per_solved_item_or_one_line_saying_what_is_missing(app):
    at = open_page(app, "pages/prices.py")
    cost = next(s for s in figure_specs(at) if "Cost per solved item" in s["layout"]["title"]["text"])
    assert [t["name"] for t in cost["data"]] == [SMOL]  # the one model with a price
    assert all(t["type"] == "bar" for t in cost["data"])  # one day: no time axis
    lines = [m.value for m in at.markdown if m.value.startswith("- ")]
    hosted = next(line for line in lines if HOSTED in line)
    assert "no price known" in hosted and "python -m collectors run prices" in hosted
    local = next(line for line in lines if QWEN in line)
    assert "machine-time price" in local


def test_speed_compares_runs_side_by_side_until_there_are_several_days(app):
    at = open_page(app, "pages/speed.py")
    titles = [s["layout"]["title"]["text"] for s in figure_specs(at)]
    assert "Your 1 run side by side, 3 models" in titles
    assert not any("over time" in t for t in titles)


def test_runs_page_compares_the_two_runs_over_their_shared_items(app):
    at = open_page(app, "pages/runs.py")
    table = table_with(at, "Flipped").set_index(["Model", "Dimension"])
    gemma = table.loc[(GEMMA, "reasoning")]
    assert gemma["A → B"] == "0.08 → 0.25" and gemma["Flipped"] == "+2: q1, q2"
    assert table.loc[(QWEN, "reasoning"), "Flipped"] == "none"
    assert HOSTED not in table.index.get_level_values(0)  # not in run A: nothing to compare


def test_runs_compare_on_the_command_line(measured):
    first, second = measured["runs"]
    env = {"GAPWATCH_DB": str(measured["db"]), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "collectors", "runs", "compare", first, second],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    gemma = next(line for line in out.stdout.splitlines()
                 if line.lstrip().startswith(GEMMA) and "reasoning" in line)
    assert "0.08" in gemma and "0.25" in gemma and "q1, q2" in gemma
    bad = subprocess.run([sys.executable, "-m", "collectors", "runs", "compare", first, "nope"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("error: run 'nope' is not")
    assert "Traceback" not in bad.stderr


def test_speed_over_several_days_is_a_trend_on_readable_time_axes():
    """Three days of runs: now a line over time, its x axes dates ticking at whole minutes or
    more (never '23:59:59.999'); runs minutes apart stay side by side."""
    from pages.ui.charts import speed as speed_charts

    when = pd.to_datetime(["2026-12-01 02:00", "2026-12-02 02:05", "2026-12-03 02:10"], utc=True)
    samples = pd.DataFrame({"measured_at_utc": when.repeat(2), "model_id": [QWEN, SMOL] * 3,
                            "ttft_s": 0.3, "output_tokens_per_s": [15.0, 110.0] * 3})
    assert speed_charts.several_days(samples["measured_at_utc"])
    assert not speed_charts.several_days(samples["measured_at_utc"][:4])
    fig = speed_charts.speed_multiples_figure(speed_charts.speed_over_time(samples))
    axes = [v for k, v in fig.to_plotly_json()["layout"].items() if k.startswith("xaxis")]
    assert axes and all(a["type"] == "date" for a in axes)
    assert all("%S" not in a["tickformat"] and "%L" not in a["tickformat"] for a in axes)
    assert all(str(a["dtick"]).startswith("M") or float(a["dtick"]) >= 60_000 for a in axes)


def test_runs_ranks_prints_my_measurements_with_ties(measured):
    env = {"GAPWATCH_DB": str(measured["db"]), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "collectors", "runs", "ranks"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    reasoning = out.stdout.split("reasoning:", 1)[1].split("understanding:", 1)[0]
    assert "12 items every model answered" in reasoning
    assert (f"1. {HOSTED} 1.00; 1. {QWEN} 0.83; 1. {SMOL} 0.75; 4. {GEMMA} 0.25"
            in reasoning)


def test_dry_run_estimates_time_from_each_models_recent_throughput(measured):
    """The measured runs took 0.5 s per item: a dry run of 2 + 2 reasoning items per model says
    2 s for each model measured before, and `unknown` for one never measured."""
    from collectors import capability, capability_plan
    from core.config import ModelConfig, load_config

    local = [m for m in load_config().models if m.id in (QWEN, SMOL)]
    never = ModelConfig(id="local/never-run", provider="local", organization="x",
                        open_weights=True)
    plan = capability_plan.dry_run(local + [never], capability.Settings(
        packs=("reasoning",), fixed=2, fresh=2, seed=3), measured["db"])
    rows = {line.split()[0]: line.split() for line in plan.splitlines()
            if line.strip().startswith("local/")}
    assert rows[QWEN][-2] == rows[SMOL][-2] == "2s"  # 4 items × 0.5 s, the median per item
    assert rows["local/never-run"][-2] == "unknown"
    assert "estimated time: 4s for the models measured before; unknown for 1 never measured" in plan
