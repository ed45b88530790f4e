"""Breaks, segments and the recent window (issue 15): which period a verdict covers, where a
recorded break splits a series, and that no verdict contradicts its own end points."""

import numpy as np
import pandas as pd
import pytest
from test_gap_verdicts import stored

from warehouse.analysis import verdicts


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
