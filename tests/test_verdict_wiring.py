"""The verdict rules, checked where a person meets them: in the rows the production path stores.

Each rule below is also tested as a function elsewhere (tests/test_trends.py,
tests/test_gap_verdicts.py); here the question is whether production *calls* it. The rows come
from `warehouse init` (the session's built warehouse) or from a tiny real warehouse whose inputs
went through the real importer / the real run ledger and whose verdicts `gap_tables.refresh`
stored, the way init and a public refresh do. Each test was seen red with its rule taken out of
`warehouse/analysis/verdicts.py` (docs/testing.md lists which).
"""

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from test_model_versions import epoch_row, tiny_warehouse

from collectors.capability_scores import store_scores
from warehouse.analysis import verdicts
from warehouse.contract import board_queries
from warehouse.contract.views import create_views
from warehouse.storage import db, gap_tables
from warehouse.storage.migrations import migrate
from warehouse.storage.writes import finish_run, insert_rows, start_run_once

KEY = ["series_id", "gap_kind", "group_a", "group_b"]
RECORDED = {"listing change", "benchmark set", "new vintage", "run context"}


def stored(path, sql: str) -> pd.DataFrame:
    with db.reading(path) as con:
        return con.execute(sql).df()


def test_stored_p_adjusted_is_benjamini_hochberg_over_its_family(built_db):
    """One family per question: the headlines (last 12 months) of every series, and the whole
    histories with their segments. Within each, the stored adjusted p is statsmodels' BH of
    the stored raw p-values; a family never holds one series twice over overlapping months."""
    table = stored(built_db, "SELECT * FROM gap_verdicts")
    assert set(table["family"]) == set(verdicts.FAMILIES)
    assert (table["family"].eq("last 12 months") == table["period"].eq("last 12 months")).all()
    for family, rows in table.groupby("family"):
        tested = rows[rows["p_value"].notna()]
        assert len(tested) >= 50, family
        expected = multipletests(tested["p_value"], method="fdr_bh")[1]
        np.testing.assert_allclose(tested["p_adjusted"], expected, rtol=1e-9, err_msg=family)
        assert (tested["p_adjusted"] > tested["p_value"] * 1.5).sum() >= 10, family  # it bites
        assert rows["p_adjusted"].isna().eq(rows["p_value"].isna()).all(), family
        for key, periods in rows.groupby(KEY):
            spans = periods.sort_values("period_start")
            assert (spans["period_start"].iloc[1:].to_numpy()
                    > spans["period_end"].iloc[:-1].to_numpy()).all(), (family, key)
    headlines = table[table["family"] == "last 12 months"]
    assert not headlines.duplicated(KEY).any()
    called = table[table["verdict"].isin(["widening", "narrowing", "stable"])]
    # 7 of ~280 verdicts call a trend on the bundled history since the second #24 pass
    assert len(called) >= 5 and (called["p_adjusted"] < 0.05).all()


def test_no_verdict_spans_a_recorded_break_and_no_step_is_fitted_there(built_db):
    """Arena's listing changes and the composites' benchmark-set changes are recorded breaks:
    they are stored with their own kind, every verdict of the series stops or starts there,
    and the level-shift finder never reports a `level shift` in the same month."""
    changes = stored(built_db, "SELECT changed_at_utc, scope, kind, label FROM method_changes")
    changes["month"] = pd.to_datetime(changes["changed_at_utc"]).dt.tz_localize(None) \
        .dt.to_period("M")
    table = stored(built_db, "SELECT * FROM gap_verdicts")
    recorded = changes[changes["kind"].isin(RECORDED) & changes["scope"].isin(table["series_id"])]
    assert {"listing change", "benchmark set"} <= set(recorded["kind"]), recorded
    arena = recorded[recorded["scope"] == "arena:text"]
    assert sorted(arena["changed_at_utc"].dt.strftime("%Y-%m-%d")) == ["2025-02-16", "2025-07-27"]
    assert (arena["kind"] == "listing change").all()
    shifts = changes[changes["kind"] == "level shift"]
    assert len(shifts) >= 5  # the finder runs: this is not vacuous
    checked = 0
    for _, brk in recorded.iterrows():
        day = pd.Timestamp(brk["changed_at_utc"]).tz_localize(None).normalize()
        rows = table[table["series_id"] == brk["scope"]]
        start, end = pd.to_datetime(rows["period_start"]), pd.to_datetime(rows["period_end"])
        starts_there = rows[rows["period"].str.startswith("segment")
                            & start.dt.to_period("M").eq(brk["month"])]
        assert len(starts_there), brk.to_dict()
        if brk["kind"] == "listing change":  # a benchmark-set change splits one gap kind only
            across = rows[(start < day) & (end >= day)
                          & (start.dt.to_period("M") < day.to_period("M"))]
            assert across.empty, (brk.to_dict(), across[["period", "period_start", "period_end"]])
        same = shifts[(shifts["scope"] == brk["scope"]) & (shifts["month"] == brk["month"])]
        assert same.empty, (brk.to_dict(), same["label"].tolist())
        checked += 1
    assert checked >= 3


def test_no_stored_interval_leaves_out_0_where_the_slope_test_did_not(built_db):
    """Where a step is fitted inside the period, a call needs the trend clear beside the step
    and through it (`trends.through_steps`), and the stored p-value is the weaker of the two.
    The interval is read beside that verdict, so it must cover both readings: before, the
    organisations' sawtooth lags read "+12.0 months/yr [+11.9, +12.1]" beside `no clear
    change` on the Gaps page. Anywhere, an unadjusted p of 0.05 or more goes with an interval
    holding 0 (the same bootstrap quantile makes both)."""
    table = stored(built_db, "SELECT * FROM gap_verdicts WHERE p_value IS NOT NULL")
    stepped = table[table["note"].fillna("").str.contains("through the step the trend reads")]
    assert len(stepped) >= 10 and (stepped["p_value"] >= 0.05).sum() >= 10  # not vacuous
    for r in stepped.to_dict("records"):
        through = float(r["note"].split("through the step the trend reads ")[1].split(" ")[0])
        assert r["ci_low"] <= min(r["slope_per_year"], through) + 1e-6, r
        assert r["ci_high"] >= max(r["slope_per_year"], through) - 1e-6, r
    unclear = table[table["p_value"] >= 0.05]
    leaves_out = unclear[(unclear["ci_low"] > 0) | (unclear["ci_high"] < 0)]
    assert leaves_out.empty, leaves_out[[*KEY, "period", "slope_per_year", "ci_low", "ci_high",
                                         "p_value"]].to_string()
    lag = table[(table["group_a"] == "frontier") & (table["group_b"] == "Mistral AI")
                & (table["period"] == "whole history")].iloc[0]
    assert lag["verdict"] == "no clear change" and lag["ci_low"] < 0 < lag["ci_high"]

def benchmark(name: str, closed: list[float], opened: list[float]) -> list[dict]:
    """One closed and one open release a month from 2023-01 with these scores (Epoch's file)."""
    rows = []
    for i, month in enumerate(pd.date_range("2023-01-01", periods=len(closed), freq="MS")):
        day = (month + pd.Timedelta(days=9)).strftime("%Y-%m-%d")
        rows.append(epoch_row(name, f"closed-{i}", f"Closed {i}", day, round(closed[i], 4), False))
        rows.append(epoch_row(name, f"open-{i}", f"Open {i}", day, round(opened[i], 4), True,
                              "Opnr"))
    return rows


N = 24
WOBBLE = [0.002 * ((i * 7) % 5 - 2) for i in range(N)]
RISE = [0.01 * i for i in range(N)]


@pytest.fixture(scope="module")
def four_stories(tmp_path_factory):
    """A tiny real warehouse (Epoch's scores through the importer, `gap_tables.refresh` as init
    runs it) where each dimension tells one story over 24 months:

    * understanding (MMLU, ARC): the closed frontier pulls away, 0.12 a year: widening;
    * reasoning (GSM8K, BBH): the open frontier catches up, 0.14 a year: narrowing;
    * generation (Aider, SWE-bench): the gap grows all along, then an open release in the last
      month beats the closed frontier: on the composite the trend test says widening, the ends
      say narrower (each benchmark alone is not called: its last month moves the noise model);
    * memory (TriviaQA): the closed frontier steps up 0.2 in 2024-01, no trend, no recorded cause.
    """
    w = WOBBLE
    rows = [*benchmark("mmlu", [0.50 + r + w[i] for i, r in enumerate(RISE)], [0.30 - x for x in w]),
            *benchmark("arc_ai2", [0.55 + r - w[i] for i, r in enumerate(RISE)], [0.35 + x for x in w]),
            *benchmark("gsm8k", [0.70 + x for x in w], [0.30 + 1.2 * r - w[i] for i, r in enumerate(RISE)]),
            *benchmark("bbh", [0.65 - x for x in w], [0.25 + 1.2 * r + w[i] for i, r in enumerate(RISE)]),
            *benchmark("trivia_qa", [0.60 + (0.2 if i >= 12 else 0) + x for i, x in enumerate(w)],
                       [0.40 - x for x in w])]
    for name in ("aider_polyglot", "swe_bench_verified"):
        rows += benchmark(name, [0.50 + r for r in RISE], [0.30 + x for x in w[:-1]] + [0.76])
    folder = tmp_path_factory.mktemp("stories")
    tiny_warehouse(folder, rows).close()
    return folder / "w.duckdb"


def test_no_stored_trend_contradicts_its_own_end_points(four_stories):
    """The end-points rule runs in production: a widening the ends deny is stored as `no clear
    change` with the reason, and every stored widening or narrowing (there are several here)
    moved that way from its first point to its last."""
    table = stored(four_stories, "SELECT * FROM gap_verdicts WHERE gap_kind = 'frontier_a_minus_b'")
    values = stored(four_stories, "SELECT series_id, bucket_start, value FROM gap_series WHERE "
                    "gap_kind = 'frontier_a_minus_b'").set_index(["series_id", "bucket_start"])["value"]
    denied = table[table["note"].str.contains("called widening by the trend test, but the gap went "
                                              "from", na=False)]
    assert set(denied["series_id"].str.split("@").str[0]) == {"dimension:generation"}, denied
    assert len(denied) == 2 and set(denied["verdict"]) == {"no clear change"}, denied
    crossed = table[table["series_id"].isin(["epoch:aider_polyglot", "epoch:swe_bench_verified"])]
    assert set(crossed["verdict"]) == {"no clear change"}, crossed
    assert (denied["slope_per_year"] > 0.1).all() and (denied["p_adjusted"] < 0.001).all()
    checked = []
    for r in table[table["verdict"].isin(["widening", "narrowing"])].itertuples():
        moved = values[(r.series_id, r.period_end)] - values[(r.series_id, r.period_start)]
        assert moved * (1 if r.verdict == "widening" else -1) > 0, r
        checked.append((r.series_id, r.verdict))
    assert {v for _, v in checked} == {"widening", "narrowing"} and len(checked) >= 8, checked


def test_only_the_crossing_month_is_left_out_not_the_month_on_the_line_before_it(four_stories):
    """The generation composite rises smoothly to 2024-11 and crosses in 2024-12. The crossing
    month, with one neighbour only, cannot be told from a spike and is left out (and named);
    2024-11 lies on the line and was left out too, as a "turn" beside the jump (issue 24)."""
    rows = stored(four_stories, "SELECT dropped_months, note FROM gap_verdicts WHERE gap_kind = "
                                "'frontier_a_minus_b' AND series_id LIKE 'dimension:generation%'")
    assert set(rows["dropped_months"]) == {"2024-12"}, rows
    assert rows["note"].str.contains("2024-12", regex=False).all()


def test_the_board_built_from_production_rows_has_a_widening_and_a_narrowing(four_stories):
    """The Overview board's rows, read by the page's own query from a warehouse the production
    path filled: a widening and a narrowing row, each agreeing with its gap then and now."""
    board = board_queries.verdict_board(board_queries.gap_overview("public", four_stories)).set_index("dimension")
    assert board.loc["understanding", "verdict"] == "widening"
    assert board.loc["reasoning", "verdict"] == "narrowing"
    assert board.loc["generation", "verdict"] == "no clear change"
    for dimension in ("understanding", "reasoning"):
        row = board.loc[dimension]
        moved = row["gap_now"] - row["gap_then"]
        assert moved * (1 if row["verdict"] == "widening" else -1) > 0, (dimension, row.to_dict())


def test_a_step_without_a_recorded_cause_is_fitted_with_the_trend(four_stories):
    """TriviaQA's gap steps up 0.2 in 2024-01 with nothing recorded there: one fit over the
    whole span (not two segments), the step stored with its date and size, a `level shift`
    row that says it was fitted, and no trend called from the step."""
    rows = stored(four_stories, """SELECT * FROM gap_verdicts WHERE series_id = 'epoch:trivia_qa'
                                   AND gap_kind = 'frontier_a_minus_b'""").set_index("period")
    assert set(rows.index) == {"whole history", "last 12 months"}
    whole = rows.loc["whole history"]
    assert (str(whole["period_start"])[:7], str(whole["period_end"])[:7]) == ("2023-01", "2024-12")
    assert whole["n_months"] == N
    for period, row in rows.iterrows():
        assert str(row["step_at"])[:7] == "2024-01", period
        assert row["step_size"] == pytest.approx(0.2, abs=0.02), period
        assert row["verdict"] not in ("widening", "narrowing"), (period, row["verdict"])
        assert "a step with no recorded cause is fitted with the trend" in row["note"]
    shifts = stored(four_stories, """SELECT changed_at_utc, label FROM method_changes WHERE
                     kind = 'level shift' AND scope = 'epoch:trivia_qa'""").values.tolist()
    assert [str(d)[:7] for d, _ in shifts] == ["2024-01"]
    assert "fitted with the trend, not a split" in shifts[0][1]


@pytest.fixture(scope="module")
def moved_model(tmp_path_factory):
    """A blank real warehouse and 40 weekly capability runs written by the collectors' own
    writers (a run dated by its id, as a start landed from the spool is; item rows; the
    collector's scores): one closed and two open models, the closed one served from a new
    model file from week 20 on, where its score steps up 0.2 with no trend. The ledger's run
    context records the new file (`method_changes` kind `run context`)."""
    path = tmp_path_factory.mktemp("moved") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    create_views(con)
    models = {"test/closed": False, "test/open-a": True, "test/open-b": True}
    for model, open_weights in models.items():
        con.execute("INSERT INTO model_registry (model_id, display_name, organization, open_weights, release_date, source) VALUES (?, ?, 'Test', ?, NULL, 'config')",
                    [model, model, open_weights])
    correct = {"test/closed": 6, "test/open-a": 3, "test/open-b": 2}
    for week, day in enumerate(pd.date_range("2025-01-06", periods=40, freq="7D", tz="UTC")):
        run = f"capability-{day:%Y%m%dT%H%M%SZ}-{week:06x}"
        files = {m: {"sha256": ("b" if m == "test/closed" and week >= MOVED_WEEK else "a") * 64}
                 for m in models}
        start_run_once(con, run, "capability", "lab-1", json.dumps({"models": files}))
        items = [{"run_id": run, "model_id": m, "pack": "arith", "pack_version": "1",
                  "dimension": "reasoning", "item_id": f"i{j}", "variant": ("fixed", "fresh")[j % 2],
                  "seed": 0, "measured_at_utc": day + pd.Timedelta(hours=1),
                  "score": float(j < n + (2 if m == "test/closed" and week >= MOVED_WEEK else 0))}
                 for m, n in correct.items() for j in range(10)]
        insert_rows(con, "capability_item_result", pd.DataFrame(items))
        store_scores(con, run, (run,))
        finish_run(con, run, "ok", len(items), 0, None)
    gap_tables.refresh(con)
    con.close()
    return path


MOVED_WEEK = 20  # 2025-05-26


def test_a_recorded_run_context_change_splits_the_series_and_is_not_a_level_shift(moved_model):
    """The model's new file is recorded, so the verdicts stop and start there (two segments),
    the break is stored as `run context`, and no `level shift` is fitted in its place."""
    changes = stored(moved_model, "SELECT changed_at_utc, scope, kind, label FROM method_changes")
    context = changes[changes["kind"] == "run context"]
    assert context["scope"].tolist() == ["test/closed"], changes
    assert str(context["changed_at_utc"].iloc[0])[:10] == "2025-05-26"
    assert "model file bbbbbbbbbbbb" in context["label"].iloc[0]
    assert "level shift" not in set(changes["kind"]), changes
    table = stored(moved_model, """SELECT * FROM gap_verdicts WHERE series_id = 'arith@1:reasoning'
                                   AND gap_kind = 'max_a_minus_b'""").set_index("period")
    assert sorted(table.index) == ["last 12 months", "segment 2025-01-06 to 2025-05-19",
                                   "segment 2025-05-26 to 2025-10-06"], table.index
    assert table["step_at"].isna().all()
    assert "widening" not in set(table["verdict"]), table["verdict"]
