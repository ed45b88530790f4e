"""Gap shapes, and the verdicts `init` stores for the public history and measured rows."""

import numpy as np
import pandas as pd

from collectors.capability_scores import store_scores
import pytest

from warehouse.analysis import gap_report, gaps, labels, verdicts
from warehouse.storage import db, gap_tables
from warehouse.storage.writes import insert_rows, start_run

ALLOWED = {"widening", "narrowing", "stable", "no clear change", "not enough data"}


def snapshot(values, pack="p", day="2024-01-01", source="s"):
    return pd.DataFrame({"pack": pack, "measured_at_utc": pd.Timestamp(day, tz="UTC"),
                         "model_id": [f"m{i}" for i in range(len(values))],
                         "value": values, "source": source})


def test_rank_gaps_within_each_snapshot():
    scores = pd.concat([snapshot(np.arange(12.0)), snapshot([5.0, 1.0], day="2024-02-01")])
    out = gaps.rank_gaps(scores, k=10).set_index(["gap_kind", "bucket_start"])["value"]
    first = pd.Timestamp("2024-01-01")
    assert out[("top1_minus_top2", first)] == 1 and out[("top1_minus_median", first)] == 5.5
    assert out[("q75_minus_q25", first)] == 5.5
    assert out[("top10_sd", first)] == pytest.approx(np.std(np.arange(2.0, 12.0), ddof=1))
    assert out[("top1_minus_top2", pd.Timestamp("2024-02-01"))] == 4
    assert len(out.xs(pd.Timestamp("2024-02-01"), level="bucket_start")) == 1  # too few for the rest


def test_model_gap_only_where_both_models_were_scored():
    scores = pd.concat([snapshot([3.0, 1.0, 2.0]), snapshot([4.0], day="2024-02-01")])
    out = gaps.model_gap(scores, "m0", "m2")
    assert list(out["value"]) == [1.0] and out["group_a"].item() == "m0"
    # the kind id the labels (and docs/glossary.md) know: "one model minus another"
    assert out["gap_kind"].item() == "model_a_minus_b"
    assert labels.gap_kind(out["gap_kind"].item()) == "one model minus another"


def test_lower_is_better_gaps_are_log_ratios_positive_when_group_a_is_ahead():
    rows = pd.DataFrame({"measured_at_utc": pd.to_datetime(["2024-01-03"] * 4 + ["2024-02-05"] * 2),
                         "model_id": ["a1", "a2", "b1", "b2", "a1", "b1"],
                         "value": [1.0, 3.0, 20.0, 20.0, 2.0, 1.0], "source": "s"})
    group = pd.Series(["open", "open", "closed", "closed", "open", "closed"])
    out = gaps.group_gap(rows, group, "open", "closed", "MS", "median", lower_is_better=True,
                         metric="price")
    assert list(out["value"]) == pytest.approx([1.0, np.log10(0.5)])
    assert out["gap_kind"].iloc[0] == "log10_median_ratio"
    assert list(out["n_models"]) == [4, 2]


def test_a_pack_measured_once_by_one_model_has_no_gap_and_no_error():
    """A first `collectors run` of one local model (one score, one latency point): the refresh
    stores no closed-vs-open gap for it (there is no other group) instead of failing."""
    one = pd.DataFrame({"pack": ["reasoning-core@1:reasoning"], "model_id": ["local/qwen"],
                        "measured_at_utc": [pd.Timestamp("2024-05-02 10:00", tz="UTC")],
                        "value": [0.5], "source": ["local"], "open_weights": [True]})
    assert verdicts.measured_series(one).empty
    latency = one.assign(pack="latency:ttft_s_p50:550-150@c1", source="latency")
    assert verdicts.ratio_series(latency).empty
    group = pd.Series(["open"])
    assert gaps.group_gap(one, group, "open", "closed", "MS", "max").columns.tolist() == \
        gaps.GAP_COLUMNS


def test_bucket_size_follows_data_density():
    daily = pd.Series(pd.date_range("2024-01-01", periods=60, freq="D"))
    weekly = pd.Series(pd.date_range("2024-01-01", periods=30, freq="W-WED"))
    monthly = pd.Series(pd.date_range("2024-01-01", periods=12, freq="35D"))
    assert [gaps.choose_freq(s) for s in (daily, weekly, monthly)] == ["D", "W-MON", "MS"]
    assert gaps.bucket_start(pd.Series(pd.to_datetime(["2024-01-10"])), "W-MON").item() == \
        pd.Timestamp("2024-01-08")


def test_the_price_in_force_on_the_first_of_the_month():
    periods = pd.DataFrame({"source_name": ["x", "x", "y"],
                            "effective_from": pd.to_datetime(["2024-01-15", "2024-03-01", "2024-01-01"]),
                            "effective_to": pd.to_datetime(["2024-03-01", None, "2024-02-01"]),
                            "last_seen": pd.to_datetime(["2024-03-01", "2024-04-10", "2024-02-01"]),
                            "value": [2.0, 1.0, 9.0]})
    got = gaps.in_force_at(periods).set_index(["measured_at_utc", "source_name"])["value"]
    assert got.to_dict() == {(pd.Timestamp("2024-01-01"), "y"): 9.0,
                             (pd.Timestamp("2024-02-01"), "x"): 2.0,
                             (pd.Timestamp("2024-03-01"), "x"): 1.0,
                             (pd.Timestamp("2024-04-01"), "x"): 1.0}


def test_the_detail_shows_each_series_after_a_blank_line_its_last_12_months_first():
    """`python -m warehouse gaps`' detail: the paragraph on how verdicts are computed, a blank
    line, then each series in words with its periods (the last 12 months first), point counts,
    dates and note; a period with no slope prints no empty trend."""
    base = {"series_id": "epoch:eci", "gap_kind": "frontier_a_minus_b", "group_a": "closed",
            "group_b": "open", "source": "public:epoch_capabilities_index", "unit": "ECI points",
            "verdict": "no clear change", "slope_per_year": np.nan, "ci_low": np.nan,
            "ci_high": np.nan, "p_value": np.nan, "p_adjusted": np.nan, "note": None,
            "period_end": pd.Timestamp("2026-03-01")}
    table = pd.DataFrame([
        {**base, "period": "whole history", "period_start": pd.Timestamp("2023-03-01"), "n_points": 37},
        {**base, "period": "last 12 months", "period_start": pd.Timestamp("2025-03-01"),
         "n_points": 13, "note": "noise model from every month since 2023-03"}])
    lines = gap_report.detail_lines(table)
    assert lines[0].startswith("Every series: the last 12 months first")
    assert lines[1:] == [
        "",
        "Epoch Capabilities Index: closed weights vs open weights  (best minus best (frontiers); "
        "Epoch AI Capabilities Index)",
        "    last 12 months                       no clear change",
        "        13 points, 2025-03-01 to 2026-03-01",
        "        note: noise model from every month since 2023-03",
        "    whole history                        no clear change",
        "        37 points, 2023-03-01 to 2026-03-01"]

def stored(path):
    with db.reading(path) as con:
        return (con.execute("SELECT * FROM gap_verdicts").df(), con.execute("SELECT * FROM lags").df(),
                con.execute("SELECT * FROM gap_series").df())


def test_init_stores_the_required_public_verdicts(built_db):
    table, lag_rows, series = stored(built_db)
    print("\n" + "\n".join(gap_report.detail_lines(table)))
    assert set(table["verdict"]) <= ALLOWED
    arena = series[series["gap_kind"] == "top1_minus_top10"]
    assert set(table.loc[table["gap_kind"] == "top1_minus_top10", "series_id"]) == set(arena["series_id"])
    required = {("epoch:eci", "frontier_a_minus_b"), (verdicts.PRICE_METRIC, "log10_median_ratio")}
    rows = table[table["period"] == "whole history"].set_index(["series_id", "gap_kind"])
    for key in required:
        row = rows.loc[key]
        assert row["n_points"] >= 8 and row["ci_low"] <= row["slope_per_year"] <= row["ci_high"]
        assert row["p_adjusted"] >= row["p_value"]
    # the ECI lag's trend is the lag over time (months behind, one point a month, from the
    # month the open frontier reached GPT-4's level)
    over_time = series[(series["series_id"] == "epoch:eci") & (series["gap_kind"] == "lag_months")
                       & (series["group_a"] == "closed")]
    lag = table[(table["series_id"] == "epoch:eci") & (table["gap_kind"] == "lag_months")
                & (table["group_a"] == "closed")]
    assert len(lag) == 2 and over_time["bucket_start"].is_unique and len(over_time) >= 18
    assert (over_time["value"] >= 0).all() and (lag["unit"] == "months").all()
    assert rows.loc[("epoch:eci", "frontier_a_minus_b"), "unit"] == "ECI points"
    assert rows.loc[(verdicts.PRICE_METRIC, "log10_median_ratio"), "group_a"] == "open"
    tested = table[table["verdict"] != "not enough data"]
    assert tested["p_adjusted"].notna().all() and (table["n_months"] < 8).eq(
        table["verdict"] == "not enough data").all()  # the test runs on monthly means


def test_home_page_series_are_still_produced(built_db):
    _, _, series = stored(built_db)
    assert set(series.loc[series["series_id"] == "epoch:eci", "gap_kind"]) == {"frontier_a_minus_b",
                                                                              "lag_months"}
    assert (series["gap_kind"] == "top1_minus_top10").sum() > 150


def price_rows(con):
    return con.execute(f"SELECT bucket_start, value, n_models FROM gap_series WHERE series_id = "
                       f"'{verdicts.PRICE_METRIC}' ORDER BY 1").df()


@pytest.mark.slow  # recomputes every public verdict (~4 s)
def test_free_and_zero_prices_are_left_out(db_copy):
    with db.writing(db_copy, atomic=False) as con:
        before = price_rows(con)
        con.execute("""INSERT INTO price_period
            SELECT 'test', 'public:openrouter_price_changes', model_id || suffix, 'openrouter',
                   model_id, DATE '2024-09-01', NULL, 0, price, NULL, now(), now(), false
            FROM (SELECT model_id FROM models WHERE open_weights LIMIT 300),
                 (VALUES (':free', 500.0), (':zero', 0.0)) v(suffix, price)""")
        gap_tables.store(con, *gap_tables.compute_all(con))
        after = price_rows(con)
    pd.testing.assert_frame_equal(before, after)


def add_measured_rows(con, n_weeks=12):
    """Six configured models (three open), one capability and latency run a week."""
    ids = [f"test/{kind}-{i}" for kind in ("open", "closed") for i in range(3)]
    for model in ids:
        con.execute("INSERT INTO model_registry (model_id, display_name, organization, open_weights, release_date, source) VALUES (?, ?, 'Test', ?, NULL, 'config')",
                    [model, model, "open" in model])
    for week, day in enumerate(pd.date_range("2025-01-06", periods=n_weeks, freq="7D", tz="UTC")):
        run = f"run-{week}"
        start_run(con, run, "capability", "test", {})
        items = [{"run_id": run, "model_id": m, "pack": "arith", "pack_version": "1",
                  "dimension": "reasoning", "item_id": f"i{j}", "variant": ("fixed", "fresh")[j % 2], "seed": 0,
                  "score": float(j < 3 + i), "measured_at_utc": day}
                 for i, m in enumerate(ids) for j in range(10)]
        insert_rows(con, "capability_item_result", pd.DataFrame(items))
        store_scores(con, run, (run,))  # as the capability collector does at the end of a run
        latency = [{"run_id": run, "model_id": m, "workload": "100-300", "concurrency": 1,
                    "request_index": i, "measured_at_utc": day, "ttft_s": 0.5 if "open" in m else 1.0}
                   for i, m in enumerate(ids)]
        insert_rows(con, "latency_sample", pd.DataFrame(latency))


@pytest.mark.slow  # recomputes every public verdict besides the measured ones (~7 s)
def test_measured_rows_get_series_and_verdicts_from_the_same_functions(db_copy):
    with db.writing(db_copy, atomic=False) as con:
        add_measured_rows(con, n_weeks=40)  # 10 months: the trend test needs 8 with data
        series, table, *_ = gap_tables.compute_all(con)
    measured = series[series["source"] == "measured"]
    kinds = set(measured["gap_kind"])
    assert {"top1_minus_top2", "top1_minus_median", "max_a_minus_b", "log10_median_ratio"} <= kinds
    frontier = measured[(measured["gap_kind"] == "max_a_minus_b")
                        & (measured["metric"] == "arith@1:reasoning")]
    assert len(frontier) == 40  # weekly runs, weekly buckets
    assert (frontier["group_a"] == "closed").all() and np.allclose(frontier["value"], 0.3)
    latency = measured[measured["gap_kind"] == "log10_median_ratio"]
    assert (latency["group_a"] == "open").all() and np.allclose(latency["value"], np.log10(2))
    rows = table[(table["source"] == "measured")
                 & (table["period"] == "whole history")].set_index(["metric", "gap_kind"])
    # a constant gap of 0.3 for 10 months: its change (0) lies inside ±0.05 score points
    assert rows.loc[("arith@1:reasoning", "max_a_minus_b"), "verdict"] == "stable"
    assert rows.loc[("arith@1:reasoning", "max_a_minus_b"), ["n_points", "n_months"]].tolist() == [40, 10]
    # fixed and fresh scores are gaps like any score; their difference (an overfitting signal,
    # shown on its own page) is not a capability anyone leads on
    metrics = set(measured["metric"])
    assert "arith@1:reasoning_fresh" in metrics
    assert not any(m.endswith("_fixed_minus_fresh") for m in metrics)


@pytest.mark.slow  # recomputes every public verdict (~5 s)
def test_store_replaces_every_result_table_in_one_transaction(db_copy):
    with db.writing(db_copy, atomic=False) as con:
        series, table, lag_rows, _ = gap_tables.compute_all(con)
        counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in verdicts.TABLES]
        gap_tables.store(con, series, table, lag_rows)
        assert [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in verdicts.TABLES] == counts
        broken = lag_rows.assign(source=None)  # NOT NULL: the third table fails
        with pytest.raises(Exception):
            gap_tables.store(con, series.iloc[:3], table.iloc[:1], broken)
        assert [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in verdicts.TABLES] == counts


def test_gaps_command_prints_verdicts_with_units(db_copy, monkeypatch, capsys):
    from warehouse.__main__ import main

    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    assert main(["gaps"]) == 0
    out = capsys.readouterr().out
    assert "ECI points/year" in out and "log10(closed/open)/year" in out
    assert "open behind closed" in out and "months, 95% CI [" in out


def test_series_id_names_the_series_and_metric_is_its_deprecated_alias(built_db):
    """Issue #19 item 7: `metric` meant a pack score in one view and a series in another. The gap
    views say `series_id`; `metric` stays for one release, last, equal to it, marked deprecated."""
    with db.reading(built_db) as con:
        for view in ("gap_series", "gap_verdicts", "lags"):
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                "ORDER BY column_index", [view]).fetchall()]
            assert columns[0] == "series_id" and columns[-1] == "metric", view
            differ = con.execute(f"SELECT count(*) FROM {view} "
                                 "WHERE metric IS DISTINCT FROM series_id").fetchone()[0]
            assert differ == 0 and con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
            doc = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = ? "
                              "AND column_name = 'metric'", [view]).fetchone()[0]
            assert doc.startswith("Deprecated") and "series_id" in doc, view
