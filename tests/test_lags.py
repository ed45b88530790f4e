"""Lags in months from threshold crossings, with a bootstrap interval over models."""

import numpy as np
import pandas as pd
import pytest

from warehouse import db, lags


def models(dates, values, group, pack="epoch:eci"):
    return pd.DataFrame({"measured_at_utc": pd.to_datetime(dates, utc=True), "value": values,
                         "group": group, "pack": pack, "source": "test",
                         "model_id": [f"{group}-{i}" for i in range(len(values))]})


def staircase(start: str, shift_months: int, group: str, n: int = 12) -> pd.DataFrame:
    """One new record every two months, +5 points each, starting `shift_months` later."""
    dates = pd.date_range(start, periods=n, freq="2MS") + pd.DateOffset(months=shift_months)
    return models(dates, 100 + 5.0 * np.arange(n), group)


def test_first_crossing_uses_the_running_best():
    dates = pd.to_datetime(["2024-03-01", "2024-01-01", "2024-02-01"]).to_numpy()
    crossed = lags.first_crossing(dates, [130, 120, 110], [105, 120, 125, 131])
    assert list(pd.to_datetime(crossed[:3]).strftime("%Y-%m")) == ["2024-01", "2024-01", "2024-03"]
    assert np.isnat(crossed[3])


def test_a_follower_six_months_behind_lags_six_months():
    scores = pd.concat([staircase("2023-01-01", 0, "closed"), staircase("2023-01-01", 6, "open")])
    rows = lags.group_lags(scores, scores["group"], "closed", "open", n_levels=20, seed=1)
    levels, summary = rows[~rows["is_summary"]], rows[rows["is_summary"]].iloc[0]
    assert len(levels) == 20 and levels["level"].between(100, 155).all()
    assert levels["lag_months"].between(5.8, 6.2).all()
    assert summary["lag_months"] == pytest.approx(6, abs=0.2)
    assert summary["ci_low"] <= summary["lag_months"] <= summary["ci_high"]
    assert np.isnan(summary["level"]) and summary["leader_group"] == "closed"
    assert list(rows.columns) == lags.LAG_COLUMNS


def test_levels_stay_where_both_crossings_are_observed():
    leader = models(["2023-01-01", "2023-06-01", "2024-01-01"], [120, 130, 160], "closed")
    follower = models(["2022-01-01", "2023-09-01", "2024-06-01"], [100, 125, 140], "open")
    grid = lags.level_grid(leader, follower, 5)
    assert grid[0] == 120 and grid[-1] == 140  # not below the leader's first, not above the follower's best
    assert len(lags.level_grid(leader, follower.iloc[:1], 5)) == 0  # follower never got to 120


def test_bootstrap_is_reproducible_and_counts_unreached_levels_as_late():
    scores = pd.concat([staircase("2023-01-01", 0, "closed"), staircase("2023-01-01", 3, "open")])
    grid = np.linspace(100, 155, 12)
    lead, follow = (scores[scores["group"] == g] for g in ("closed", "open"))
    first = lags.median_lag_ci(lead, follow, grid, seed=5, n_resamples=199)
    assert first == lags.median_lag_ci(lead, follow, grid, seed=5, n_resamples=199)
    assert first[1] <= first[0] <= first[2] and first[2] > first[0]  # dropping records only delays


def test_the_organisation_that_sets_the_record_has_no_lag():
    scores = pd.concat([staircase("2023-01-01", 0, "A"), staircase("2023-01-01", 4, "B")])
    rows = lags.organisation_lags(scores, scores["group"], min_models=3, n_levels=10)
    summary = rows[rows["is_summary"]].set_index("follower_group")["lag_months"]
    assert summary["A"] == 0 and summary["B"] == pytest.approx(4, abs=0.2)
    assert set(rows["leader_group"]) == {"frontier"}


def test_lag_series_keeps_one_point_per_pair_of_crossings():
    scores = pd.concat([staircase("2023-01-01", 0, "closed"), staircase("2023-01-01", 6, "open")])
    rows = lags.group_lags(scores, scores["group"], "closed", "open", n_levels=60)
    series = lags.lag_series(rows)
    assert len(series) == series[["bucket_start", "value"]].drop_duplicates().shape[0] <= 12
    assert set(series["gap_kind"]) == {"lag_months"}


def test_open_weights_lag_on_the_public_eci(built_db):
    with db.reading(built_db) as con:
        summary = con.execute("""SELECT lag_months, ci_low, ci_high FROM lags
                                 WHERE metric = 'epoch:eci' AND leader_group = 'closed'
                                   AND follower_group = 'open' AND is_summary""").fetchall()
        per_level = con.execute("""SELECT count(*), min(lag_months), max(lag_months) FROM lags
                                   WHERE leader_group = 'closed' AND NOT is_summary""").fetchone()
        orgs = con.execute("SELECT count(DISTINCT follower_group) FROM lags "
                           "WHERE leader_group = 'frontier' AND is_summary").fetchone()[0]
    (median, low, high), = summary
    print(f"\nECI: open weights behind closed by {median:.1f} months [{low:.1f}, {high:.1f}], "
          f"{per_level[0]} levels ({per_level[1]:.1f} to {per_level[2]:.1f} months)")
    assert 0 < low <= median <= high < 24
    assert per_level[0] == lags.N_LEVELS
    assert orgs >= 5
