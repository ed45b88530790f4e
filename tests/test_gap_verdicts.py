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


# --- Breaks, segments and the recent window (issue 15) -----------------------------------------

def arena_weeks(n_weeks=80, shift_week=40, seed=0):
    """Arena-like snapshots, no trend: 40 models with fixed ratings plus noise, weekly; from
    `shift_week` on the source stops listing ranks 3-12 (as fboulnois did with deprecated
    models), which moves "the 10th" down 50 points in one step."""
    rng = np.random.default_rng(seed)
    base = 1400 - 5.0 * np.arange(40)
    rows = []
    for week, day in enumerate(pd.date_range("2024-01-01", periods=n_weeks, freq="7D", tz="UTC")):
        listed = [i for i in range(40) if week < shift_week or not 2 <= i < 12]
        rows += [{"pack": "arena:src:displayed_rating", "measured_at_utc": day, "model_id": f"m{i}",
                  "value": base[i] + rng.normal(0, 3), "source": "public:test"} for i in listed]
    return pd.DataFrame(rows)


def empty_inputs():
    return {name: pd.DataFrame(columns=cols) for name, cols in {
        "eci": ["pack", "measured_at_utc", "model_id", "value", "source", "open_weights",
                "organization"],
        "prices": ["model_id", "source_name", "effective_from", "effective_to", "last_seen",
                   "value", "source", "open_weights"],
        "measured": ["pack", "measured_at_utc", "model_id", "value", "source", "open_weights"],
        "latency": ["pack", "measured_at_utc", "model_id", "value", "source", "open_weights"]}.items()}


def test_the_open_models_lag_is_tested_once_a_month_not_once_a_release():
    """Through verdicts.compute: closed models reach 100 + 2 ECI a month from 2023-01, open
    ones 10 points lower (five months behind, released mid-month: about 4.5 months at each
    month's end) from the month the open frontier first reaches the closed one's first level. The lag's trend is tested on one point a month
    (the lag over time); the record-match rows of the same pair are a table, not more points
    of that series (a release is not a month)."""
    rows = [{"model_id": f"{kind}{i}", "measured_at_utc": pd.Timestamp("2023-01-15", tz="UTC")
             + pd.DateOffset(months=i), "value": base + 2.0 * i, "open_weights": kind == "o",
             "organization": {"c": "Lab", "o": "Open"}[kind]}
            for i in range(24) for kind, base in (("c", 100), ("o", 90))]
    eci = pd.DataFrame(rows).assign(pack="epoch:eci", source="public:test")
    arena = pd.DataFrame(columns=["pack", "measured_at_utc", "model_id", "value", "source"])
    series, table, lag_rows, _ = verdicts.compute(empty_inputs() | {"eci": eci, "arena": arena})
    lag = series[(series["gap_kind"] == "lag_months") & (series["group_a"] == "closed")]
    assert list(lag["bucket_start"]) == list(pd.date_range("2023-06-01", periods=19, freq="MS"))
    assert lag["value"].between(4.4, 4.6).all()
    whole = table[(table["gap_kind"] == "lag_months") & (table["group_a"] == "closed")
                  & (table["period"] == "whole history")]
    assert whole["n_points"].tolist() == [19]
    assert ((lag_rows["leader_group"] == "closed") & ~lag_rows["is_summary"]).sum() > 19


def test_a_level_shift_at_a_listing_change_is_not_called_widening():
    """Through the production pipeline (verdicts.compute): the step is a break, not a trend."""
    arena = arena_weeks()
    series, table, _, breaks = verdicts.compute(empty_inputs() | {"arena": arena})
    assert list(breaks["kind"].unique()) == ["listing change"]
    assert set(breaks["changed_at_utc"]) == {pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(weeks=40)}
    rows = table[table["metric"] == "arena:text"]
    assert "widening" not in set(rows["verdict"]), rows[["period", "verdict", "slope_per_year"]]
    assert set(rows["period"]) == {"segment 2024-01-01 to 2024-09-30",
                                   "segment 2024-10-07 to 2025-07-07", "last 12 months"}
    points = series[(series["metric"] == "arena:text") & (series["gap_kind"] == "top1_minus_top10")]
    assert points["value"].iloc[-1] - points["value"].iloc[0] > 40  # the step is in the data


def test_the_recent_window_never_reaches_back_across_a_break():
    arena = arena_weeks(n_weeks=60, shift_week=55)
    _, table, _, _ = verdicts.compute(empty_inputs() | {"arena": arena})
    recent = table[table["period"] == "last 12 months"].iloc[0]
    assert recent["period_start"] == pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=55)
    assert recent["verdict"] == "not enough data" and "break" in recent["note"]


def test_only_a_segment_after_a_recorded_break_says_it_begins_at_one():
    """A series with a run-context break in 2023-11: the first segment starts with the data
    and says nothing of a break; the second says where it begins; the headline lies inside the
    second and says where its noise model comes from."""
    days = pd.date_range("2023-01-01", periods=30, freq="MS")
    series = pd.DataFrame({"metric": "m", "gap_kind": "k", "group_a": "a", "group_b": "b",
                           "source": "s", "bucket_start": days,
                           "value": 10 + np.random.default_rng(2).normal(0, 1, 30),
                           "segment_start": [pd.NaT] * 10 + [days[10]] * 20})
    notes = verdicts.period_verdicts(series, {("m", "k"): "ECI points"}).set_index("period")["note"]
    assert pd.isna(notes["segment 2023-01-01 to 2023-10-01"])
    assert notes.dropna().to_dict() == {
        "segment 2023-11-01 to 2025-06-01": "begins at a break on 2023-11-01",
        "last 12 months": "noise model (autocorrelation, spread) from every month since 2023-11"}


def test_a_verdict_whose_ends_moved_the_other_way_is_no_clear_change():
    days = pd.date_range("2023-01-01", periods=30, freq="MS")
    series = pd.DataFrame({"metric": "m", "gap_kind": "k", "group_a": "a", "group_b": "b",
                           "source": "s", "bucket_start": days,
                           "value": np.r_[np.linspace(20, 0, 29), 25.0]})
    row = {"metric": "m", "gap_kind": "k", "group_a": "a", "group_b": "b", "source": "s",
           "period_start": days[0], "period_end": days[-1], "note": None}
    table = pd.DataFrame([row | {"verdict": "narrowing"}, row | {"verdict": "widening"}])
    out = verdicts.ends_agree(table, series)
    assert list(out["verdict"]) == ["no clear change", "widening"]
    assert "went from 20 to 25" in out["note"].iloc[0]


def test_the_arena_answer_is_one_statement_per_segment(built_db):
    table, _, series = stored(built_db)
    arena = table[table["gap_kind"] == "top1_minus_top10"]
    assert set(arena["series_id"]) == {"arena:text"}  # packs with the same ratings are one series
    segments = arena[arena["period"].str.startswith("segment")].sort_values("period_start")
    assert list(segments["period_start"].dt.strftime("%Y-%m-%d")) == [
        "2023-05-08", "2024-06-29", "2025-02-16", "2025-07-27"]
    assert (segments["period_start"].iloc[1:].to_numpy() > segments["period_end"].iloc[:-1].to_numpy()).all()
    points = series[(series["series_id"] == "arena:text") & (series["gap_kind"] == "top1_minus_top10")]
    assert points.groupby("bucket_start").size().max() == 1  # one snapshot per date
    assert set(points["pack"]) >= {"arena:nakasyou_result_csv:bt_rating",
                                   "arena:fboulnois_lmsys_csv:displayed_rating"}
    print("\n" + segments[["period", "verdict", "slope_per_year", "n_points"]].to_string())


def test_eci_whole_history_and_recent_verdicts_agree_with_the_plotted_values(built_db):
    table, _, series = stored(built_db)
    eci = table[(table["series_id"] == "epoch:eci") & (table["gap_kind"] == "frontier_a_minus_b")]
    rows = eci.set_index("period")
    assert set(rows.index) == {"whole history", "last 12 months"}
    points = series[(series["series_id"] == "epoch:eci")
                    & (series["gap_kind"] == "frontier_a_minus_b")].set_index("bucket_start")["value"]
    recent, whole = rows.loc["last 12 months"], rows.loc["whole history"]
    assert recent["period_start"] == points.index[-13] and recent["period_end"] == points.index[-1]
    assert recent["n_points"] == 13 and whole["n_points"] == len(points)
    rose = points.iloc[-1] - points.iloc[-13]  # ≈ 5.2 -> 10.2: the recent gap rose
    fell = points.iloc[-1] - points.iloc[0]  # ≈ 15.7 -> 10.2 over the whole history
    assert rose > 0 and recent["verdict"] in {"widening", "no clear change"}
    assert fell < 0 and whole["verdict"] in {"narrowing", "no clear change"}
    print(f"\nECI recent {recent['verdict']} {recent['slope_per_year']:+.2f}/yr "
          f"({points.iloc[-13]:.2f} -> {points.iloc[-1]:.2f}); whole {whole['verdict']} "
          f"{whole['slope_per_year']:+.2f}/yr ({points.iloc[0]:.2f} -> {points.iloc[-1]:.2f})")


def test_no_stored_verdict_contradicts_its_own_end_points(built_db):
    table, _, series = stored(built_db)
    values = series.set_index(["series_id", "gap_kind", "group_a", "group_b", "bucket_start"])["value"]
    for r in table[table["verdict"].isin(["widening", "narrowing"])].itertuples():
        key = (r.series_id, r.gap_kind, r.group_a, r.group_b)
        if r.gap_kind == "lag_months":
            continue
        moved = values[key + (r.period_end,)] - values[key + (r.period_start,)]
        assert moved * (1 if r.verdict == "widening" else -1) >= 0, r


def test_a_measured_series_breaks_where_a_model_moves_to_a_new_machine():
    """One closed model measured on a faster machine from week 26 on: its scores step up by
    0.1 with no trend. The run-context change (from `method_changes`) splits the series."""
    rng = np.random.default_rng(1)
    days = pd.date_range("2025-01-06", periods=52, freq="7D", tz="UTC")
    rows = [{"pack": "arith@1:reasoning", "measured_at_utc": day, "model_id": model,
             "value": base + (0.1 if model == "c1" and week >= 26 else 0) + rng.normal(0, 0.005),
             "source": "measured", "open_weights": model.startswith("o")}
            for week, day in enumerate(days) for model, base in (("c1", 0.8), ("o1", 0.5), ("o2", 0.45))]
    moved = pd.DataFrame({"changed_at_utc": [days[26]], "scope": ["c1"], "kind": ["run context"],
                          "label": ["c1: host lab-2"]})
    data = empty_inputs() | {"arena": pd.DataFrame(columns=["pack", "measured_at_utc", "model_id",
                                                             "value", "source"]),
                             "measured": pd.DataFrame(rows)}
    _, table, _, _ = verdicts.compute(data | {"changes": moved})
    front = table[table["gap_kind"] == "max_a_minus_b"]
    assert set(front["period"]) == {"segment 2025-01-06 to 2025-06-30",
                                    "segment 2025-07-07 to 2025-12-29", "last 12 months"}
    recent = front.set_index("period").loc["last 12 months"]
    assert recent["period_start"] == pd.Timestamp("2025-07-07") and "break" in recent["note"]
    assert "widening" not in set(front["verdict"]), front[["period", "verdict"]]
    _, naive, _, breaks = verdicts.compute(data)  # no run-context record: the step is found
    naive = naive[naive["gap_kind"] == "max_a_minus_b"].set_index("period")
    assert set(naive.index) == {"whole history", "last 12 months"}  # fitted, not split
    assert naive.loc["whole history", "step_at"] == pd.Timestamp("2025-07-07")
    assert naive.loc["whole history", "step_size"] == pytest.approx(0.1, abs=0.02)
    assert "widening" not in set(naive["verdict"])
    shift = breaks[(breaks["kind"] == "level shift") & breaks["label"].str.contains("closed")]
    assert list(shift["changed_at_utc"]) == [pd.Timestamp("2025-07-07", tz="UTC")]
    assert shift["label"].str.contains("fitted with the trend, not a split").all()


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
