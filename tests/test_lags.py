"""Lags in months: each leader record until the follower matched it, censored when it has not yet
(Kaplan–Meier median), under the threshold rule and Epoch's catch-up-within-1-point rule."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from warehouse.analysis import lag_report, lags
from warehouse.storage import db


def models(dates, values, group, pack="epoch:eci"):
    return pd.DataFrame({"measured_at_utc": pd.to_datetime(dates, utc=True), "value": values,
                         "group": group, "pack": pack, "source": "test",
                         "model_id": [f"{group}-{i}" for i in range(len(values))]})


def staircase(start: str, shift_months: int, group: str, n: int = 12) -> pd.DataFrame:
    """One new record every two months, +5 points each, starting `shift_months` later."""
    dates = pd.date_range(start, periods=n, freq="2MS") + pd.DateOffset(months=shift_months)
    return models(dates, 100 + 5.0 * np.arange(n), group)


def months(later: str, earlier: str) -> float:
    return float(lags.months_between(np.datetime64(later), np.datetime64(earlier)))


def pair(leader: pd.DataFrame, follower: pd.DataFrame, **kw) -> pd.DataFrame:
    scores = pd.concat([leader, follower], ignore_index=True)
    return lags.group_lags(scores, scores["group"], "closed", "open", n_resamples=99, **kw)


# Closed sets five records (10..50) a month apart; open matches the first three 2, 4 and 6
# months later and is still short of 40 on the last release in the data (2024-12-01).
CLOSED = models(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"],
                [10, 20, 30, 40, 50], "closed")
OPEN = models(["2023-12-01", "2024-03-01", "2024-06-01", "2024-09-01", "2024-12-01"],
              [5, 10, 20, 30, 35], "open")


def test_first_crossing_uses_the_running_best():
    dates = pd.to_datetime(["2024-03-01", "2024-01-01", "2024-02-01"]).to_numpy()
    crossed = lags.first_crossing(dates, [130, 120, 110], [105, 120, 125, 131])
    assert list(pd.to_datetime(crossed[:3]).strftime("%Y-%m")) == ["2024-01", "2024-01", "2024-03"]
    assert np.isnat(crossed[3])


def test_levels_are_the_leaders_records_once_both_frontiers_have_started():
    leader = models(["2023-01-01", "2023-06-01", "2023-06-01", "2023-08-01", "2024-01-01"],
                    [120, 130, 135, 125, 160], "closed")
    follower = models(["2023-03-01", "2023-09-01"], [128, 140], "open")
    # 120 is below open's first value (its crossing is not observed); 135 and 130 share a day;
    # 125 is no record; 160 is above open's best and stays in (censored)
    assert list(lags.record_levels(leader, follower)) == [135, 160]


def test_a_follower_six_months_behind_lags_six_months_under_both_rules():
    rows = pair(staircase("2023-01-01", 0, "closed"), staircase("2023-01-01", 6, "open"))
    summary = rows[rows["is_summary"]].set_index("tolerance_points")
    levels = rows[~rows["is_summary"] & (rows["tolerance_points"] == 0)]
    assert len(levels) == 12 and not levels["censored"].any()
    assert levels["lag_months"].between(5.8, 6.2).all()
    assert summary.loc[0.0, "lag_months"] == pytest.approx(6, abs=0.2)
    assert summary.loc[0.0, "ci_low"] <= summary.loc[0.0, "lag_months"] <= summary.loc[0.0, "ci_high"]
    assert summary.loc[0.0, "sensitivity_low_months"] <= summary.loc[0.0, "lag_months"]
    assert not summary.loc[0.0, "censored"] and summary.loc[1.0, "lag_months"] <= 6.2
    assert list(rows.columns) == lags.LAG_COLUMNS


def test_unreached_records_are_kept_as_censored_and_raise_the_median():
    rows = pair(CLOSED, OPEN, tolerances=(0.0,))
    levels, summary = rows[~rows["is_summary"]], rows[rows["is_summary"]].iloc[0]
    assert list(levels["censored"]) == [False, False, False, True, True]
    # waiting records count the months from the record to the last release in the data
    assert levels["lag_months"].iloc[3] == pytest.approx(months("2024-12-01", "2024-04-01"))
    # By hand: lags 2, 4, 6 observed, 7+ and 8+ censored. S(2) = 4/5, S(4) = 3/5,
    # S(6) = 3/5 * 2/3 = 2/5 <= 1/2: the median is the third lag, 6 months, where dropping
    # the waiting records would say 4.
    third = months("2024-09-01", "2024-03-01")
    assert summary["lag_months"] == pytest.approx(third) and not summary["censored"]
    dropped = np.median(levels.loc[~levels["censored"].astype(bool), "lag_months"])
    assert dropped == pytest.approx(months("2024-06-01", "2024-02-01"))
    assert summary["lag_months"] > dropped + 1.9


def test_a_median_that_is_not_reached_says_at_least():
    follower = OPEN[OPEN["value"] <= 10].pipe(lambda f: pd.concat(
        [f, models(["2024-12-01"], [15], "open")], ignore_index=True))
    rows = pair(CLOSED, follower)
    summary = rows[rows["is_summary"] & (rows["tolerance_points"] == 0)].iloc[0]
    assert bool(summary["censored"]) and np.isnan(summary["ci_low"])
    # 4 of 5 records wait: lags 2, then at least 10, 9, 8 and 7 months; the median of those
    # bounds (8 months, the record of April) is a floor whatever the waiting records do
    assert summary["lag_months"] == pytest.approx(months("2024-12-01", "2024-04-01"))
    # resampling the models moves that floor between the May record's wait (7.0 months) and the
    # January one's (11.0): a sensitivity with width, shown beside the floor
    assert summary["sensitivity_low_months"] == pytest.approx(months("2024-12-01", "2024-05-01"))
    assert summary["sensitivity_high_months"] == pytest.approx(months("2024-12-01", "2024-01-01"))
    text = "\n".join(lag_report.report_lines(rows))
    assert ("median: at least 8.0 months (more than half of the records are not matched yet); "
            "sensitivity [7.0, 11.0]; 5 records, 4 not matched yet") in text
    assert "so the open group is at least 10.0 months behind" in text  # 20, set in February


def test_the_catch_up_rule_counts_a_near_tie_as_caught_up():
    leader = models(["2024-01-01", "2024-02-01"], [10, 50], "closed")
    follower = models(["2023-12-01", "2024-03-01", "2024-05-01", "2024-08-01"],
                      [5, 10, 49.5, 45], "open")
    rows = pair(leader, follower)
    top = rows[~rows["is_summary"] & (rows["level"] == 50)].set_index("tolerance_points")
    assert bool(top.loc[0.0, "censored"])  # 49.5 never reaches 50
    assert top.loc[0.0, "lag_months"] == pytest.approx(months("2024-08-01", "2024-02-01"))
    assert not top.loc[1.0, "censored"]  # within 1 point
    assert top.loc[1.0, "lag_months"] == pytest.approx(months("2024-05-01", "2024-02-01"))
    text = "\n".join(lag_report.report_lines(rows))
    assert "threshold rule" in text and "near tie within 1 point" in text
    assert "not Epoch's 'not significantly better'" in text  # the 1-point rule is not Epoch's


def test_one_release_matching_several_records_is_one_point_of_the_trend():
    leader = models(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"], [10, 20, 30, 40],
                    "closed")
    follower = models(["2023-12-01", "2024-09-01", "2024-12-01"], [5, 35, 45], "open")
    series = lags.lag_series(pair(leader, follower))
    # records 10, 20, 30 all matched by the release of September: one event, not three
    # points whose lags fall 8, 7, 6 and read as a narrowing trend
    assert len(series) == 2 and series["bucket_start"].is_unique
    first = series.sort_values("bucket_start").iloc[0]
    assert first["value"] == pytest.approx(months("2024-09-01", "2024-03-01"))
    assert set(series["gap_kind"]) == {"lag_months"}


def test_a_leader_jump_across_many_follower_steps_is_one_record():
    leader = models(["2024-01-01", "2024-02-01"], [10, 100], "closed")
    follower = models(["2023-12-01", "2024-03-01", "2024-05-01", "2024-07-01", "2024-09-01"],
                      [5, 10, 40, 70, 100], "open")
    rows = pair(leader, follower, tolerances=(0.0,))
    assert list(rows.loc[~rows["is_summary"], "level"]) == [10, 100]
    assert len(lags.lag_series(rows)) == 2


def test_the_organisation_that_sets_the_record_has_no_lag():
    scores = pd.concat([staircase("2023-01-01", 0, "A"), staircase("2023-01-01", 4, "B")])
    rows = lags.organisation_lags(scores, scores["group"], min_models=3, n_resamples=99)
    summary = rows[rows["is_summary"]].set_index("follower_group")["lag_months"]
    assert summary["A"] == 0 and summary["B"] == pytest.approx(4, abs=0.2)
    assert set(rows["leader_group"]) == {"frontier"} and set(rows["tolerance_points"]) == {0}


def test_open_weights_lag_on_the_public_eci(built_db):
    with db.reading(built_db) as con:
        summary = con.execute("""SELECT tolerance_points, lag_months, ci_low, ci_high,
                                        sensitivity_low_months, sensitivity_high_months, censored
                                 FROM lags WHERE series_id = 'epoch:eci' AND leader_group = 'closed'
                                   AND follower_group = 'open' AND is_summary
                                   AND measure = 'record match'
                                 ORDER BY tolerance_points""").df()
        waiting = con.execute("""SELECT min(level), max(level), max(lag_months) FROM lags
                                 WHERE series_id = 'epoch:eci' AND leader_group = 'closed'
                                   AND NOT is_summary AND censored
                                   AND tolerance_points = 0""").fetchone()
    print("\n" + summary.to_string())
    assert list(summary["tolerance_points"]) == [0, 1]
    assert not summary["censored"].any()
    assert (summary["ci_low"] <= summary["lag_months"]).all()
    assert (summary["sensitivity_low_months"] <= summary["sensitivity_high_months"]).all()
    assert 0 < summary["lag_months"].min() < 24
    # the top of the closed frontier is kept, not dropped: ECI 148+ is still waiting
    assert waiting[0] > 148 and waiting[1] > 155 and waiting[2] > 7.5


def test_gaps_prints_both_lags_with_intervals_and_what_they_mean(built_db):
    env = {**os.environ, "GAPWATCH_DB": str(built_db)}
    out = subprocess.run([sys.executable, "-m", "warehouse", "gaps"], capture_output=True,
                         text=True, env=env, check=True, timeout=300).stdout
    lag_part = out[out.index("Lag (headline)"):]
    print("\n" + lag_part)
    assert "open behind closed" in lag_part
    assert "threshold rule" in lag_part and "near tie within 1 point" in lag_part
    assert "Lag (headline)" in lag_part and "at the top, at least" in lag_part
    assert lag_part.count("95% CI [") >= 2 and lag_part.count("sensitivity [") >= 2
    assert "not a confidence interval" in lag_part
    assert "at the top:" in lag_part and "at least" in lag_part
    assert "= half of the closed group's records" in lag_part


def test_too_few_records_get_no_interval_and_secondary_pairs_one_line_each():
    leader = models(["2024-01-01", "2024-02-01"], [10, 20], "closed")
    follower = models(["2023-12-01", "2024-04-01", "2024-06-01"], [5, 10, 20], "open")
    rows = pair(leader, follower, tolerances=(0.0,))
    summary = rows[rows["is_summary"]].iloc[0]
    assert np.isnan(summary["ci_low"]) and np.isnan(summary["ci_high"])  # 2 records
    text = "\n".join(lag_report.report_lines(rows))
    assert "95% CI — (too few records); sensitivity" in text and "2 records" in text
    assert "Other series, threshold rule only:" in text and "threshold rule (" not in text


# --- Epoch's level-averaged lag and the lag over time (issue 24) ------------------------------

from warehouse.analysis import frontier_lag, verdicts  # noqa: E402


def test_the_level_averaged_lag_is_the_horizontal_distance_between_the_frontiers():
    """Closed reaches 10, 20, 30 in January, February, March; open reaches 10 in March (2
    months late) and 30 in June (3 to 4 months late, over levels 10-20 and 20-30): the average
    over levels 10 to 30 is (3 + 4) / 2 + ... computed by hand below. Closed's 40 (April) is
    above open's best: censored, said apart, not averaged in."""
    leader = models(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"], [10, 20, 30, 40],
                    "closed")
    follower = models(["2023-12-01", "2024-03-01", "2024-06-01"], [5, 10, 30], "open")
    scores = pd.concat([leader, follower], ignore_index=True)
    found = frontier_lag.level_averaged(scores, scores["group"], "closed", "open")
    by_hand = (months("2024-06-01", "2024-02-01") + months("2024-06-01", "2024-03-01")) / 2
    assert found["lag_months"] == pytest.approx(by_hand)  # levels (10, 20] and (20, 30]
    assert found["n_events"] == 1  # one open release matched both: one event
    assert found["top_months_at_least"] == pytest.approx(months("2024-06-01", "2024-04-01"))
    assert np.isnan(found["ci_low"])  # one event: no interval


def test_a_headline_lag_from_one_catch_up_says_in_words_that_it_has_no_interval():
    """The same history through the import's step (`verdicts.eci_level_averaged`) and the
    `python -m warehouse gaps` text (the Gaps page shows the same sentence): the lag, why it has
    no interval, and the censored top said apart with its dates."""
    eci = pd.concat([models(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"],
                            [10, 20, 30, 40], "closed"),
                     models(["2023-12-01", "2024-03-01", "2024-06-01"], [5, 10, 30], "open")],
                    ignore_index=True)
    rows = verdicts.eci_level_averaged(eci.assign(open_weights=eci["group"] == "open",
                                                  organization=eci["model_id"]))
    # (121 + 92 days) / 2 = 3.5 months; the top: 2024-04-01 to 2024-06-01, 2.0 months
    assert lag_report.report_lines(rows)[-1] == (
        "    epoch:eci  open behind closed: 3.5 months behind on average over the levels both "
        "reached (Epoch's horizontal distance), no interval (fewer than 3 catch-up releases); at "
        "the top, at least 2.0 months: the closed frontier passed the open best (30) on "
        "2024-04-01 and no open model has matched it by 2024-06-01 (not in the average).")


def test_the_lag_table_names_each_rule_and_an_interval_with_no_upper_end():
    """The Gaps page's lag table and the tooltip of its median: the near-tie rule reads `within
    1 point`; an interval the data do not close reads `[2.0, no upper limit]`; a missing one a
    dash; the tooltip says both intervals in words."""
    summary = pd.DataFrame({"follower_group": ["open", "open"], "leader_group": ["closed", "closed"],
                            "tolerance_points": [0.0, 1.0], "lag_months": [6.04, 4.96],
                            "censored": [False, False], "ci_low": [2.0, 3.0],
                            "ci_high": [np.nan, 7.3], "sensitivity_low_months": [5.0, np.nan],
                            "sensitivity_high_months": [8.0, np.nan]})
    assert lag_report.summary_table(summary).to_dict("list") == {
        "Follower": ["open", "open"], "Leader": ["closed", "closed"],
        "Caught up when": ["scores at least the record", "within 1 point"],
        "Median lag (months)": ["6.0", "5.0"],
        "95% confidence interval": ["[2.0, no upper limit]", "[3.0, 7.3]"],
        "Sensitivity (models resampled)": ["[5.0, 8.0]", "—"]}
    assert lag_report.median_help(next(summary.itertuples())) == (
        "95% confidence interval [2.0, no upper limit] months (Kaplan–Meier over the leader's "
        "records; records not matched yet are censored). Sensitivity [5.0, 8.0] months: how far "
        "the median moves when the models are resampled, not a confidence interval.")


def test_the_lag_over_time_counts_months_since_the_leader_passed_the_followers_best():
    leader = models(["2024-01-01", "2024-02-01", "2024-05-01"], [10, 20, 30], "closed")
    follower = models(["2024-01-15", "2024-04-10"], [10, 20], "open")
    scores = pd.concat([leader, follower], ignore_index=True)
    series = frontier_lag.over_time(scores, scores["group"], "closed", "open").set_index("bucket_start")
    # end of January: open's best 10, closed passed 10 on 2024-02-01 (after): 0 months behind
    assert series.loc["2024-01-01", "value"] == 0
    # end of March: open's best still 10, closed passed it on 2024-02-01: 2 months behind
    assert series.loc["2024-03-01", "value"] == pytest.approx(months("2024-04-01", "2024-02-01"))
    # end of May: open's best 20 (April), closed passed 20 on 2024-05-01: 1 month behind
    assert series.loc["2024-05-01", "value"] == pytest.approx(months("2024-06-01", "2024-05-01"))
    assert set(series["gap_kind"]) == {"lag_months"}


def test_with_one_side_missing_there_is_no_lag_over_time_and_no_error():
    """A history with closed models only (or open only: a fresh warehouse, a filtered export)
    has no open-behind-closed months-behind series: an empty table with the gap columns, not a
    failed build; through the build's step, each organisation still gets its own series."""
    eci = pd.concat([models(pd.date_range("2024-01-01", periods=6, freq="MS"),
                            [10.0 + 2 * i + k for i in range(6)], org).assign(organization=org)
                     for k, org in enumerate(["A", "B"])], ignore_index=True).assign(open_weights=False)
    built = verdicts.lag_over_time(eci)
    assert sorted(set(zip(built["group_a"], built["group_b"]))) == [("frontier", "A"), ("frontier", "B")]
    # from the month each one's best reached the frontier's first value (11, B's January):
    # B from January, A (a point below B each month) from February
    firsts = built.groupby("group_b")["bucket_start"].min()
    assert firsts.to_dict() == {"A": pd.Timestamp("2024-02-01"), "B": pd.Timestamp("2024-01-01")}
    assert len(built) == 5 + 6
    for only in ("closed", "open"):
        scores = models(["2024-01-01", "2024-02-01"], [10, 20], only)
        series = frontier_lag.over_time(scores, scores["group"], "closed", "open")
        assert series.empty, only
        assert list(series.columns) == ["metric", "gap_kind", "group_a", "group_b", "bucket_start",
                                        "value", "leader_value", "follower_value", "n_models",
                                        "source"], only


def test_the_public_eci_headline_lag_is_level_averaged_with_its_censored_top(built_db):
    with db.reading(built_db) as con:
        row = con.execute("""SELECT lag_months, ci_low, ci_high, top_months_at_least, n_events
                             FROM lags WHERE series_id = 'epoch:eci' AND measure = 'level-averaged'
                               AND leader_group = 'closed' AND follower_group = 'open'""").df()
        verdict = con.execute("""SELECT verdict, period FROM gap_verdicts WHERE
                                 series_id = 'epoch:eci' AND gap_kind = 'lag_months'
                                 AND group_a = 'closed'""").df()
        orgs = con.execute("""SELECT follower_group, lag_months FROM lags WHERE
                              measure = 'level-averaged' AND leader_group = 'frontier'""").df()
    print("\n" + row.to_string())
    r = row.iloc[0]
    assert len(row) == 1 and r["ci_low"] < r["lag_months"] < r["ci_high"]
    assert 2 < r["lag_months"] < 8 and r["top_months_at_least"] > 6 and r["n_events"] >= 5
    assert set(verdict["period"]) == {"whole history", "last 12 months"}
    # organisations with 5+ models get the same measure behind the overall frontier
    assert {"OpenAI", "Google", "Anthropic"} <= set(orgs["follower_group"])
    assert orgs.set_index("follower_group").loc["OpenAI", "lag_months"] < 2


def test_a_median_not_reached_reads_at_least_in_the_table_the_tooltip_and_the_sentence():
    """The Gaps page on a lag whose median is not reached (4 of 5 records waiting): the table
    cell, the tooltip and the sentence under the rule all say it is a floor, in lower case
    words; every record-match row is stored as the `record match` measure (the `lags` view)."""
    follower = OPEN[OPEN["value"] <= 10].pipe(lambda f: pd.concat(
        [f, models(["2024-12-01"], [15], "open")], ignore_index=True))
    rows = pair(CLOSED, follower, tolerances=(0.0,))
    assert set(rows["measure"]) == {lags.RECORD_MATCH} == {"record match"}
    summary = rows[rows["is_summary"]]
    r = next(summary.itertuples())
    assert lag_report.summary_table(summary)["Median lag (months)"].tolist() == ["at least 8.0"]
    assert lag_report.median_help(r).startswith(
        "The median is not reached yet: at least 8.0 months. Sensitivity [7.0, 11.0] months")
    assert lag_report.meaning(r, rows[~rows["is_summary"]]) == (
        "of the closed records since 2024-01, fewer than half have been matched: the median "
        "wait is at least 8.0 months (counting each waiting record at the months it has waited "
        "so far) and still growing.")


def test_the_lag_and_its_sensitivity_do_not_depend_on_the_order_the_rows_come_in():
    """The same releases read back in another order (SQL promises none) give the same lag and
    the same sensitivity interval: the bootstrap draws from a fixed order of the models."""
    rng = np.random.default_rng(1)
    leader = models(pd.date_range("2023-01-01", periods=12, freq="MS"),
                    100 + rng.normal(0, 5, 12).cumsum(), "closed")
    follower = models(pd.date_range("2023-03-01", periods=12, freq="MS"),
                      95 + rng.normal(0, 5, 12).cumsum(), "open")
    cols = ["lag_months", "sensitivity_low_months", "sensitivity_high_months"]
    forward = pair(leader, follower, tolerances=(0.0,))
    backward = pair(follower.iloc[::-1], leader.iloc[::-1], tolerances=(0.0,))
    assert forward.loc[forward["is_summary"], cols].to_numpy().tolist() == \
        backward.loc[backward["is_summary"], cols].to_numpy().tolist()
