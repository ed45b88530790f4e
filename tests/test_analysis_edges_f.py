"""Edges of the import's analysis a page or the database shows, on small hand-made frames:
where a fitted step is filed, the top-10 spread of a measured pack, and the number of catch-up
releases behind the headline lag's interval (pure functions, no database)."""

import numpy as np
import pandas as pd
import pytest

from warehouse.analysis import lag_report, verdicts


def test_a_fitted_step_is_filed_under_its_series_id_so_the_gap_chart_marks_it():
    """`method_changes.scope` of a `level shift` is the gap series' `series_id` (the Gaps page
    draws a change only when its scope is the shown series), not its gap kind."""
    months = pd.date_range("2021-01-01", periods=48, freq="MS")
    noise = np.random.default_rng(3).normal(0, 1.0, 48)
    frame = pd.DataFrame({"metric": "epoch:eci", "gap_kind": "frontier_gap", "group_a": "closed",
                          "group_b": "open", "source": "s", "bucket_start": months,
                          "value": 10 + noise + 12 * (np.arange(48) >= 20), "pack": "epoch:eci",
                          "segment_start": pd.NaT})
    _, shifts = verdicts.find_steps(frame)
    assert shifts[["scope", "kind"]].to_dict("records") == [
        {"scope": "epoch:eci", "kind": "level shift"}]


def test_a_measured_pack_of_ten_or_more_models_gets_its_top_ten_spread():
    """Twelve local models a week apart, 0.05 between neighbours: besides the rank gaps, the
    pack gets the spread of its 10 best (sample sd of 0.90, 0.85, ..., 0.45), as Arena does."""
    days = pd.date_range("2025-01-06", periods=3, freq="7D", tz="UTC")
    names = [f"c{i}" for i in range(6)] + [f"o{i}" for i in range(6)]
    rows = pd.DataFrame([{"pack": "arith@1:reasoning", "measured_at_utc": day, "model_id": m,
                          "value": 0.9 - 0.05 * i, "source": "local",
                          "open_weights": m.startswith("o")}
                         for day in days for i, m in enumerate(names)])
    out = verdicts.measured_series(rows)
    spread = out[out["gap_kind"] == "top10_sd"]
    assert len(spread) == 3
    assert spread["value"].tolist() == pytest.approx([0.05 * np.sqrt(110 / 12)] * 3)


def test_the_headline_lag_says_how_many_catch_up_releases_its_interval_rests_on():
    """Open matches closed's 10, 20, 30 and 40 in three releases: the `lags` row of the
    level-averaged lag stores n_events = 3 and `python -m warehouse gaps` says the interval is
    a bootstrap over those 3 releases."""
    def models(dates, values, group):
        return pd.DataFrame({"measured_at_utc": pd.to_datetime(dates, utc=True), "value": values,
                             "group": group, "pack": "epoch:eci", "source": "test",
                             "model_id": [f"{group}-{i}" for i in range(len(values))]})
    eci = pd.concat([models(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01",
                             "2024-05-01"], [10, 20, 30, 40, 50], "closed"),
                     models(["2023-12-01", "2024-03-01", "2024-05-01", "2024-07-01",
                             "2024-09-01"], [5, 10, 20, 30, 40], "open")], ignore_index=True)
    rows = verdicts.eci_level_averaged(eci.assign(open_weights=eci["group"] == "open",
                                                  organization=eci["model_id"]))
    assert rows["n_events"].tolist() == [3]
    assert ("4.0 months behind on average over the levels both reached (Epoch's horizontal "
            "distance), 95% interval [3.0, 5.0] from a bootstrap over 3 open record releases"
            ) in lag_report.report_lines(rows)[-1]
