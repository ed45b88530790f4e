"""The trend verdict on hand-made series: steps fitted with the trend, outliers, units and their
minimum effects, BH families, the bundled history's known moves.

How often it is right on simulated series like the real ones (size, power, steps, running
bests) is tests/test_trend_validity.py.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from bench import validity
from warehouse.analysis import ar1_gls, slope_test, trends, verdicts

DATES = pd.date_range("2023-01-01", periods=36, freq="MS")


def stepped_series(trend_per_month: float = 0.0) -> pd.DataFrame:
    months = pd.date_range("2021-01-01", periods=48, freq="MS")
    noise = np.random.default_rng(3).normal(0, 1.0, 48)
    return pd.DataFrame({"metric": "epoch:eci", "gap_kind": "frontier_gap", "group_a": "closed",
                         "group_b": "open", "source": "s", "bucket_start": months,
                         "value": 10 + noise + 12 * (np.arange(48) >= 20)
                         + trend_per_month * np.arange(48), "pack": "epoch:eci",
                         "segment_start": pd.NaT})


def test_a_step_is_fitted_with_the_trend_stored_and_the_verdict_covers_the_span():
    """Through production: a gap that steps up by 12 points in 2022-09 with no trend gets one
    whole-history verdict (not called) whose row names the fitted step, and the step is a
    `level shift` break labelled as a fitted step at the month it happened."""
    frame = stepped_series()
    steps, shifts = verdicts.find_steps(frame)
    assert list(shifts["kind"]) == ["level shift"]
    assert shifts["changed_at_utc"].iloc[0] == pd.Timestamp("2022-09-01", tz="UTC")
    label = shifts["label"].iloc[0]
    assert "stepped up by 12" in label and "fitted with the trend, not a split" in label
    table = verdicts.period_verdicts(frame, verdicts.units(frame), steps=steps)
    assert sorted(table["period"]) == ["last 12 months", "whole history"]
    whole = table.set_index("period").loc["whole history"]
    assert whole["step_at"] == pd.Timestamp("2022-09-01")
    assert whole["step_size"] == pytest.approx(12, abs=1)
    assert whole["period_start"] == pd.Timestamp("2021-01-01") and whole["n_months"] == 48
    assert "fitted with the trend: +12" in whole["note"]
    # Beside the step the change's 90% interval sits inside ±3 points, through it (+3.7 a
    # year) it does not: `stable` needs both readings, as a call does (it read `stable`
    # beside a 95% interval of [−2.9, +10.4] before).
    assert whole["verdict"] == "no clear change"
    assert whole["change_high"] > whole["min_effect"] > whole["change_low"] + 3


def test_a_step_within_the_period_says_how_the_trend_reads_through_it():
    """A call needs the trend clear beside the step and through it, and the note shows both:
    the whole history (the step inside it) gives the through-the-step reading in words; the
    last 12 months, which begin after the step, have one reading and say nothing of it."""
    frame = stepped_series()
    steps, _ = verdicts.find_steps(frame)
    rows = verdicts.period_verdicts(frame, verdicts.units(frame), steps=steps).set_index("period")
    assert rows.loc["whole history", "note"] == (
        "a step with no recorded cause is fitted with the trend: +12.4 ECI points in 2022-09; "
        "through the step the trend reads +3.71 ECI points/year (p = 0.27), and a call needs both")
    assert "through the step" not in rows.loc["last 12 months", "note"]


def test_a_trend_beside_a_step_is_found_over_the_whole_span():
    """The same step on a rise of 0.5 points a month: the trend within the levels is found
    (splitting at the step left two short segments that found it in 3-8% of series)."""
    frame = stepped_series(0.5)
    steps, _ = verdicts.find_steps(frame)
    whole = verdicts.period_verdicts(frame, verdicts.units(frame), steps=steps).set_index(
        "period").loc["whole history"]
    assert whole["verdict"] == "widening" and whole["slope_per_year"] == pytest.approx(6, abs=1.5)


def test_the_bench_judges_each_series_as_verdicts_does():
    """bench/validity.py's fast path (`level_shifts.steps`, then one `trends.verdict`) is
    production (`verdicts.find_steps`, `verdicts.period_verdicts`) without BH and the
    end-points rule, which only ever turn a call into `no clear change`: the two agree, and
    where they differ the fast path is the one that calls."""
    differ = 0
    for seed in range(16):
        rng = np.random.default_rng(seed)
        days = validity.observation_days(rng, "monthly", 36)
        values = validity.ar1_noise(rng, days, 0.6) + validity.rise(days) * (seed % 2)
        values += validity.step(rng, days) * (seed % 3 == 0)
        full, alone = validity.verdict_row(days, values), validity.verdict_row_alone(days, values)
        assert full["stepped"] == alone["stepped"]
        if full["verdict"] != alone["verdict"]:
            differ += 1
            assert full["verdict"] == "no clear change"
        assert full["p_value"] == pytest.approx(alone["p_value"])
    assert differ <= 2


def test_the_vectorised_whitening_is_statsmodels_gls():
    rng = np.random.default_rng(5)
    t = np.sort(rng.choice(40, 25, replace=False)).astype(float)
    y = rng.normal(size=25) + 0.05 * t
    x = np.c_[np.ones(25), (t - t.mean()) / 12, (t >= 20).astype(float)]
    profile = ar1_gls.profile(t, y, x, np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.5, 0.9]))
    many = ar1_gls.profile(t, np.vstack([y, 2 * y]), x, np.array([0.0, 1.0, 0.0]),
                           np.array([0.0, 0.5, 0.9]))
    for i, phi in enumerate((0.0, 0.5, 0.9)):
        corr = phi ** np.abs(t[:, None] - t[None, :]) if phi else np.eye(25)
        fit = sm.GLS(y, x, sigma=corr).fit()
        assert profile["estimate"][i] == pytest.approx(fit.params[1])
        assert profile["se"][i] == pytest.approx(fit.bse[1])
        assert many["estimate"][1, i] == pytest.approx(2 * fit.params[1])


def test_the_headline_borrows_the_noise_model_of_the_whole_stretch():
    """The last 12 months of a 48-month series: φ comes from all 48 months (one fit, the
    window's own line), and the row says where its noise model came from."""
    rng = np.random.default_rng(11)
    days = validity.observation_days(rng, "monthly", 48)
    values = validity.ar1_noise(rng, days, 0.3)
    frame = validity.frame(days, values)
    table = verdicts.period_verdicts(frame, {(validity.METRIC, "gap"): validity.UNIT})
    recent = table.set_index("period").loc["last 12 months"]
    assert recent["family"] == "last 12 months" and recent["n_months"] <= 13
    assert recent["n_noise_months"] >= 40 and recent["noise_start"] == frame["bucket_start"].min()
    assert "noise model (autocorrelation, spread) from every month since" in recent["note"]


def test_headlines_and_whole_histories_are_adjusted_in_separate_families():
    """BH never puts a series' last 12 months and its whole history in one family: each
    family's p_adjusted is BH over that family's p-values alone."""
    rng = np.random.default_rng(4)
    frames = [validity.frame(*(lambda d: (d, validity.ar1_noise(rng, d, 0.3)))(
        validity.observation_days(rng, "monthly", 30))).assign(metric=f"m{i}") for i in range(6)]
    table = verdicts.period_verdicts(pd.concat(frames), {})
    for family, rows in table.groupby("family"):
        assert rows["period"].nunique() == 1
        assert np.allclose(rows["p_adjusted"], stats.false_discovery_control(rows["p_value"]))


def test_phi_is_estimated_per_month_with_gaps():
    rng = np.random.default_rng(1)
    days = validity.observation_days(rng, "monthly", 400)
    values = validity.ar1_noise(rng, days, 0.6)
    row = validity.verdict_row(days, values)
    assert row["phi"] == pytest.approx(0.6, abs=0.1) and row["phi"] <= row["phi_upper"]


def call(values, dates=DATES, unit="ECI points") -> dict:
    frame = pd.DataFrame({"metric": "m", "gap_kind": "k", "group_a": "a", "group_b": "b",
                          "source": "s", "bucket_start": dates, "value": values})
    return trends.verdicts(frame, {("m", "k"): unit}).iloc[0].to_dict()


def test_snapshots_in_one_month_are_one_point():
    dense = pd.date_range("2024-01-01", periods=40, freq="2D")  # 40 snapshots in 3 months
    row = call(np.arange(40.0), dense)
    assert (row["n_points"], row["n_months"], row["verdict"]) == (40, 3, "not enough data")
    twice = call(np.repeat(np.sin(np.arange(12.0)) + np.arange(12.0), 2), DATES[:12].repeat(2))
    once = call(np.sin(np.arange(12.0)) + np.arange(12.0), DATES[:12])
    assert twice["p_value"] == pytest.approx(once["p_value"])  # a tie is not new evidence


def test_fewer_than_8_months_give_not_enough_data():
    steep = np.arange(8) * 10.0
    assert call(steep[:7], DATES[:7])["verdict"] == "not enough data"
    assert call(steep, DATES[:8])["verdict"] == "widening"
    assert call(-steep, DATES[:8])["verdict"] == "narrowing"


def test_a_change_below_the_minimum_effect_is_not_a_trend():
    """A clear rise of 1 ECI point over three years is real but too small to call (3 points)."""
    wobble = 0.05 * np.sin(np.arange(36.0))
    small = call(np.linspace(0, 1, 36) + wobble)
    assert small["p_adjusted"] < 0.001 and small["change"] == pytest.approx(1, abs=0.1)
    assert small["verdict"] == "stable"  # its 90% interval lies inside ±3 points
    assert call(np.linspace(0, 6, 36) + wobble)["verdict"] == "widening"
    unguarded = trends.verdicts(pd.DataFrame({"metric": "m", "gap_kind": "k", "group_a": "a",
                                              "group_b": "b", "source": "s", "bucket_start": DATES,
                                              "value": np.linspace(0, 1, 36) + wobble}),
                                {("m", "k"): "ECI points"}, min_effects={"ECI points": 0.0})
    assert unguarded["verdict"].item() == "widening"


def test_stable_needs_the_equivalence_interval_inside_the_minimum_effect():
    rng = np.random.default_rng(2)
    assert call(np.full(12, 3.0), DATES[:12])["verdict"] == "stable"
    noisy = call(rng.normal(0, 8, 12), DATES[:12])  # sd 8 ECI points: equivalence unprovable
    assert noisy["verdict"] == "no clear change" and noisy["change_high"] > 3


def test_an_unknown_unit_gets_a_conservative_default_and_says_so():
    row = call(np.full(12, 3.0), DATES[:12], unit="widgets")
    assert row["verdict"] == "no clear change" and not row["min_effect_declared"]
    assert "no minimum effect is declared for unit 'widgets'" in row["note"]
    rng = np.random.default_rng(4)
    noisy = call(rng.normal(0, 1, 36) + np.linspace(0, 0.5, 36), unit="widgets")
    assert noisy["min_effect"] == pytest.approx(1, abs=0.4)  # the series' own noise sd


def test_every_unit_the_warehouse_names_has_a_declared_minimum_effect():
    named = {verdicts.unit_for(*key) for key in [
        ("arena:x:y", "top1_minus_top10", "rank 1", "rank 10"), ("epoch:eci", "lag_months", "closed", "open"),
        ("epoch:eci", "frontier_a_minus_b", "closed", "open"),
        (verdicts.PRICE_METRIC, "log10_median_ratio", "open", "closed"),
        ("arith@1:reasoning", "max_a_minus_b", "closed", "open")]}
    assert all(trends.min_effect_for(u) is not None for u in named), named
    assert trends.min_effect_for("metric units") is None
    assert all(e.why for e in trends.MIN_EFFECTS.values())


def test_a_flat_or_straight_series_is_handled():
    flat = call(np.full(12, 3.0), DATES[:12])
    assert (flat["slope_per_year"], flat["p_value"]) == (0, 1)
    straight = call(np.arange(12.0) * 5, DATES[:12])
    assert straight["verdict"] == "widening" and straight["slope_per_year"] == pytest.approx(60, rel=0.02)
    # no noise to model: no φ is stated (gap_verdicts.phi, the `gaps` report's "AR(1) φ = ...")
    assert np.isnan(straight["phi"]) and np.isnan(straight["phi_upper"])
    # the change shown beside it: 5 points a month over the 11 months from first to last
    assert (straight["change"], straight["change_low"], straight["change_high"]) == \
        pytest.approx((55, 55, 55))


def test_the_change_is_the_slope_over_the_months_each_period_shows():
    """"The gap grew by X between these dates": the whole history's change is its slope over
    the 35 months from its first point to its last, the headline's over the 12 months shown
    (the noise model comes from all 36)."""
    values = 0.4 * np.arange(36) + np.random.default_rng(6).normal(0, 1, 36)
    frame = gap(values, DATES).assign(segment_start=pd.NaT)
    rows = verdicts.period_verdicts(frame, {("m", "k"): "ECI points"}).set_index("period")
    whole, recent = rows.loc["whole history"], rows.loc["last 12 months"]
    assert (recent["period_start"], recent["period_end"]) == (DATES[23], DATES[35])
    assert whole["change"] == pytest.approx(whole["slope_per_year"] * 35 / 12)
    assert recent["change"] == pytest.approx(recent["slope_per_year"])
    assert whole["change"] == pytest.approx(14, abs=2) and recent["change"] != whole["change"]


def gap(values, dates, a="closed", b="open", metric="m"):
    return pd.DataFrame({"metric": metric, "gap_kind": "k", "group_a": a, "group_b": b,
                         "bucket_start": dates, "value": values, "source": "test"})


def test_crossing_groups_are_named_in_the_verdict():
    values = np.linspace(-30, 50, 12)
    row = trends.verdict(gap(values, DATES[:12]), unit="ECI points")
    assert row["crossed"] and row["verdict"] == "widening"
    assert "groups crossed: open ahead in 5 of 12 points" in row["note"]
    assert "closed ahead at the end" in row["note"]
    behind = trends.verdict(gap(-values - 100, DATES[:12]))
    assert not behind["crossed"] and "open ahead throughout" in behind["note"]
    assert not trends.verdict(gap(values + 100, DATES[:12]))["crossed"]


def test_a_verdict_with_several_notes_reads_them_in_order_separated_by_semicolons():
    """The note a person reads beside a crossing series with a spike: the crossing first, then
    the month left out, as one line."""
    values = np.linspace(-30, 50, 12) + np.random.default_rng(0).normal(0, 2, 12)
    values[6] += 60
    row = trends.verdict(gap(values, DATES[:12]), unit="ECI points")
    assert (row["verdict"], row["dropped_months"]) == ("widening", "2023-07")
    assert row["note"] == (
        "groups crossed: open ahead in 5 of 12 points (2023-01-01 to 2023-05-01); closed ahead "
        "at the end; left out as a spike (over 3.5 robust sds from the trend line and 2.5 from "
        "its neighbours): 2023-07")


def test_benjamini_hochberg_runs_across_all_verdicts():
    rng = np.random.default_rng(3)
    weak = 0.6 * np.arange(12) / 11 + rng.normal(0, 0.15, 12)
    alone = trends.verdicts(gap(weak, DATES[:12]))
    assert alone["p_adjusted"].iloc[0] == alone["p_value"].iloc[0]
    noise = [gap(rng.normal(0, 1, 12), DATES[:12], metric=f"n{i}") for i in range(30)]
    table = trends.verdicts(pd.concat([gap(weak, DATES[:12]), *noise]), units={("m", "k"): "u"})
    assert np.allclose(table["p_adjusted"], stats.false_discovery_control(table["p_value"]))
    assert (table["p_adjusted"] >= table["p_value"] - 1e-12).all()
    assert table.loc[table["metric"] == "m", "unit"].item() == "u"
    assert list(table.columns) == trends.VERDICT_COLUMNS


def test_irregular_months_give_a_slope_per_year():
    months = np.array([0, 1, 3, 4, 6, 8, 11, 12, 15])
    dates = pd.DatetimeIndex([pd.Timestamp("2024-01-10") + pd.DateOffset(months=int(m))
                              for m in months])
    row = call(12 * months / 12.0, dates)
    assert row["slope_per_year"] == pytest.approx(12)
    assert row["period_start"] == dates[0] and row["n_months"] == 9


def test_every_unit_in_the_bundled_history_has_a_declared_minimum_effect(built_db):
    """A unit with no declared effect falls back to the series' own noise and never says
    `stable`: every series shipped on a fresh install must have a real one."""
    import duckdb
    with duckdb.connect(str(built_db), read_only=True) as con:
        units = {u for (u,) in con.execute("SELECT DISTINCT unit FROM gap_verdicts").fetchall()}
    # Per-benchmark Epoch gaps are on each benchmark's own scale (0-1 for most, 0-100 for a
    # few): no single effect fits, so they keep the noise fallback and say so; the dimension
    # composites built from them (benchmark SDs) carry the declared one.
    undeclared = {u for u in units if trends.min_effect_for(u) is None}
    assert units and undeclared <= {"benchmark score units"}, undeclared


def test_the_arena_fall_of_2023_24_is_read_with_the_month_that_starts_it(built_db):
    """Issue 24: on the bundled history the Arena leader − 10th gap falls from 370 and 284
    points (two May 2023 snapshots) to 68 in June 2024. May was left out as an outlier and
    the segment read `no clear change` (p = 0.14); a month the source read far off twice is
    what it measured, so it is kept and the fall is called."""
    import duckdb
    with duckdb.connect(str(built_db), read_only=True) as con:
        row = con.execute("SELECT verdict, dropped_months, change, p_value FROM gap_verdicts "
                          "WHERE metric = 'arena:text' AND gap_kind = 'top1_minus_top10' "
                          "AND period_start = DATE '2023-05-08'").df().iloc[0]
    assert row["verdict"] == "narrowing" and pd.isna(row["dropped_months"])
    assert row["change"] < -100 and row["p_value"] < 0.01


def test_one_far_reading_is_dropped_but_a_month_read_far_twice_is_kept():
    """A scraping error is one reading; the same month read far off on two days is data."""
    rng = np.random.default_rng(8)
    days = pd.date_range("2023-06-15", periods=13, freq="MS") + pd.Timedelta(days=14)
    values = np.linspace(180, 70, 13) + rng.normal(0, 15, 13)
    once = pd.concat([gap([330.0], [pd.Timestamp("2023-05-08")]), gap(values, days)])
    twice = pd.concat([gap([370.0, 284.0], pd.to_datetime(["2023-05-08", "2023-05-22"])),
                       gap(values, days)])
    assert trends.verdict(once, unit="Arena rating points")["dropped_months"] == "2023-05"
    kept = trends.verdict(twice, unit="Arena rating points")
    assert kept["dropped_months"] is None and kept["n_months"] == 14


def test_a_series_that_moves_the_same_way_every_month_is_called_whatever_its_memory():
    """A noiseless, curved fall: φ̂ is at the top of its range and the bootstrap's null of the t
    statistic is wide, but 23 moves down in a row have probability at most 2^-22 under any
    AR(1) noise (Slepian). One move the other way and that bound no longer speaks."""
    y = 0.4 + 2.3 * np.exp(-np.arange(24) / 5)
    row = call(y, DATES[:24], unit="logits")
    assert row["verdict"] == "narrowing" and row["p_value"] <= 2.0 ** -22 + 1e-12
    assert "every month moved the same way" in row["note"] and row["ci_high"] < 0
    # "the interval is the one it implies": a normal test of the slope with the standard error
    # its 95% interval shows gives back that p
    se = (row["ci_high"] - row["ci_low"]) / (2 * stats.norm.isf(0.025))
    assert 2 * stats.norm.sf(abs(row["slope_per_year"]) / se) == pytest.approx(row["p_value"])
    assert slope_test.one_way(np.r_[y[:12], y[11] + 0.01, y[13:]]) == 1.0
    # nor when one month holds still: a tie is not a move down
    held = call(np.r_[y[:12], y[11], y[13:]], DATES[:24], unit="logits")
    assert "every month moved the same way" not in (held["note"] or "")
    assert held["p_value"] > 2.0 ** -20
