"""Per-dimension public series, the benchmark → dimension table, and prices that compare like
with like: pure functions on small hand-made frames whose answers are known."""

import re
from pathlib import Path

import numpy as np
import pandas as pd

from warehouse.analysis import benchmark_dimensions as bd
from warehouse.analysis import dimension_series as ds
from warehouse.analysis import price_index, trends

DOC = Path(__file__).parent.parent / "docs" / "dimensions.md"


def test_the_documented_table_is_the_table_the_code_uses():
    text = DOC.read_text()
    rows = dict(re.findall(r"^\| `([a-z0-9_]+)` \| (understanding|generation|reasoning|memory) \|",
                           text, flags=re.M))
    assert rows == {b: d for b, (d, _) in bd.BENCHMARKS.items()}
    assert f"version `{bd.MAPPING_VERSION}`" in text


def test_every_dimension_has_benchmarks_and_unmapped_ones_stay_out():
    assert {d for d, _ in bd.BENCHMARKS.values()} == set(bd.DIMENSIONS)
    assert bd.dimension_of("epoch:gpqa_diamond") == "understanding"
    assert bd.dimension_of("epoch:live_bench") is None
    assert not set(bd.BENCHMARKS) & set(bd.UNMAPPED)


def _bench(pack, months, closed, open_, orgs=None):
    """One benchmark: a closed and an open model released in each month with these scores."""
    rows = []
    for i, (m, c, o) in enumerate(zip(months, closed, open_)):
        day = pd.Timestamp(m, tz="UTC") + pd.Timedelta(days=3)
        rows += [(pack, day, f"{pack}-c{i}", c, "public:test", False, "ClosedCo"),
                 (pack, day, f"{pack}-o{i}", o, "public:test", True, (orgs or ["OpenCo"])[0])]
    return pd.DataFrame(rows, columns=["pack", "measured_at_utc", "model_id", "value", "source",
                                       "open_weights", "organization"])


def _months(start, n):
    return [d.strftime("%Y-%m-%d") for d in pd.date_range(start, periods=n, freq="MS")]


def _expit(x):
    return 1 / (1 + np.exp(-np.asarray(x)))


def test_a_new_hard_benchmark_replacing_an_easy_one_is_not_a_widening():
    """Old benchmark: constant small gap; new benchmark (overlapping in time): constant large
    gap (constant on the composite's scale, logits, while both sides improve). A monthly median
    would rise; the fixed-effects composite stays flat."""
    rng = np.random.default_rng(0)
    old_m, new_m = _months("2022-01-01", 18), _months("2023-01-01", 18)
    rise_old, rise_new = np.linspace(0.4, 1.4, 18), np.linspace(-0.8, 0.4, 18)
    old = _bench("epoch:mmlu", old_m, _expit(rise_old), _expit(rise_old - 0.2))
    new = _bench("epoch:gpqa_diamond", new_m, _expit(rise_new), _expit(rise_new - 1.5))
    rows = pd.concat([old, new], ignore_index=True)
    rows["value"] += rng.normal(0, 1e-6, len(rows))
    out = ds.dimension_series(rows)
    comp = out[(out["metric"] == ds.metric_name("understanding"))
               & (out["gap_kind"] == "frontier_a_minus_b")].sort_values("bucket_start")
    assert len(comp) == 30  # Jan 2022 to Jun 2024, both benchmarks linked by 2023
    assert np.ptp(comp["value"]) < 0.05
    naive = (out[out["metric"].str.startswith("epoch:") & (out["gap_kind"] == "frontier_a_minus_b")]
             .groupby("bucket_start")["value"].median())
    assert naive.iloc[-1] - naive.iloc[0] > 0.15  # what a median across benchmarks would say
    verdict = trends.verdict(comp.assign(bucket_start=pd.to_datetime(comp["bucket_start"])))
    assert verdict["verdict"] in {"no clear change", "not enough data"} or abs(
        verdict["slope_per_year"]) < 0.05


def test_gaps_closing_on_every_benchmark_close_the_composite():
    months = _months("2023-01-01", 24)
    a = _bench("epoch:gsm8k", months, np.linspace(0.5, 0.9, 24), np.linspace(0.1, 0.85, 24))
    b = _bench("epoch:math_level_5", months, np.linspace(0.2, 0.7, 24), np.linspace(0.0, 0.65, 24))
    out = ds.dimension_series(pd.concat([a, b], ignore_index=True))
    comp = out[(out["metric"] == ds.metric_name("reasoning"))
               & (out["gap_kind"] == "frontier_a_minus_b")].sort_values("bucket_start")
    assert comp["value"].iloc[0] > comp["value"].iloc[-1] + 0.5
    verdict = trends.verdict(comp.assign(bucket_start=pd.to_datetime(comp["bucket_start"])))
    assert verdict["verdict"] == "narrowing"


def test_leader_minus_fifth_organisation():
    day = pd.Timestamp("2024-03-10", tz="UTC")
    rows = pd.DataFrame({"pack": "epoch:mmlu", "measured_at_utc": day,
                         "model_id": [f"m{i}" for i in range(7)],
                         "value": [0.9, 0.8, 0.85, 0.7, 0.6, 0.5, 0.4], "source": "public:test",
                         "open_weights": False,
                         "organization": ["A", "A", "B", "C", "D", "E", "F"]})
    gap5 = ds.organisation_gaps(rows)[0]
    assert gap5["gap_kind"].iloc[0] == "org1_minus_org5"
    # organisations' best: A .9, B .85, C .7, D .6, E .5, F .4 -> 5th is E
    assert gap5["value"].iloc[0] == 0.9 - 0.5
    assert len(ds.organisation_gaps(rows)) == 1  # only 6 organisations: no 10th


def test_a_dimension_reports_what_it_rests_on():
    rows = _bench("epoch:trivia_qa", _months("2023-01-01", 3), [0.8, 0.8, 0.8], [0.7, 0.7, 0.7])
    cov = ds.coverage(rows)
    assert cov.loc["memory"].tolist() == [1, 6, 3, 3]
    assert cov.loc["generation", "n_scores"] == 0


def _offers():
    """Three months of prices: a closed and an open model at ECI 140, a weak cheap open model,
    and an offering listed only from the second month (out of the fixed panel)."""
    rows = [("closed-a", "c/a", "2024-01-01", None, 4.0, 8.0, False),
            ("open-b", "o/b", "2024-01-01", "2024-02-15", 1.0, 2.0, True),
            ("open-b", "o/b", "2024-02-15", None, 0.5, 1.0, True),
            ("open-weak", "o/weak", "2024-01-01", None, 0.01, 0.01, True),
            ("closed-late", "c/late", "2024-02-01", None, 3.0, 3.0, False)]
    frame = pd.DataFrame(rows, columns=["model_id", "source_name", "effective_from",
                                        "effective_to", "usd_per_mtok_in", "usd_per_mtok_out",
                                        "open_weights"])
    return frame.assign(last_seen="2024-03-05", source="public:openrouter_price_changes")


def _eci():
    return pd.DataFrame({"model_id": ["closed-a", "open-b", "open-weak", "closed-late"],
                         "eci": [142.0, 141.0, 90.0, 150.0],
                         "released": pd.to_datetime(["2023-06-01"] * 4, utc=True)})


def test_price_of_a_fixed_capability_is_the_cheapest_able_model():
    out = price_index.series(_offers(), _eci())
    fixed = out[out["gap_kind"] == "log10_cheapest_ratio"].sort_values("bucket_start")
    assert fixed["metric"].iloc[0] == "price:cheapest_usd_per_mtok_blended@eci140"
    # blended 3:1, in force on the 1st -> open-b 1.25, 1.25 (cut on Feb 15), 0.625; closed-a 5.0, then closed-late 3.0 (ECI 150)
    assert fixed["group_a"].iloc[0] == "open"
    assert np.allclose(fixed["leader_value"], [1.25, 1.25, 0.625])
    assert np.allclose(fixed["follower_value"], [5.0, 3.0, 3.0])
    assert np.isclose(fixed["value"].iloc[0], np.log10(5.0 / 1.25))


def test_the_fixed_panel_ignores_offerings_that_come_and_go():
    out = price_index.series(_offers(), _eci())
    panel = out[out["gap_kind"] == "log10_geomean_ratio"].sort_values("bucket_start")
    # panel: c/a (5.0), o/b (1.25 -> 0.625), o/weak (0.01); c/late is not in every month
    open_first = 10 ** np.mean(np.log10([1.25, 0.01]))
    assert np.isclose(panel["follower_value"].iloc[0] if panel["group_a"].iloc[0] == "open"
                      else panel["leader_value"].iloc[0], 5.0)
    assert np.isclose(min(panel["leader_value"].iloc[0], panel["follower_value"].iloc[0]),
                      open_first)
    assert panel["n_models"].iloc[0] == 3


def test_open_behind_closed_per_benchmark_and_pooled_under_its_dimension():
    """Open models match each closed record three months later: the lag rows (Lags page, the
    dimension's lag verdict) say closed leads and open follows by each match's days in months,
    and the dimension repeats the benchmark's level rows under its own id."""
    days = pd.date_range("2023-01-01", periods=8, freq="MS", tz="UTC") + pd.Timedelta(days=3)
    closed = [0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85]
    rows = pd.DataFrame({"pack": "epoch:gpqa_diamond", "measured_at_utc": list(days) * 2,
                         "model_id": [f"c{i}" for i in range(8)] + [f"o{i}" for i in range(8)],
                         "value": closed + [0.40, 0.45, 0.48] + closed[:5],
                         "source": "public:test", "open_weights": [False] * 8 + [True] * 8,
                         "organization": ["C"] * 8 + ["O"] * 8})
    out = ds.dimension_lags(rows)
    levels = out[~out["is_summary"].astype(bool)]
    assert set(zip(out["leader_group"], out["follower_group"])) == {("closed", "open")}
    assert set(levels["metric"]) == {"epoch:gpqa_diamond", ds.metric_name("understanding")}
    for _, part in levels.groupby("metric"):
        assert list(part["level"]) == closed
        assert list(part["censored"]) == [False] * 5 + [True] * 3  # open has not matched yet
        caught = (days[3:8] - days[:5]).days / (365.25 / 12)
        assert np.allclose(part["lag_months"].iloc[:5], caught)


def test_a_model_counts_from_its_release_whatever_zone_the_release_is_stamped_in():
    """A release read back in another time zone (a DuckDB session whose TimeZone is not UTC)
    is the same instant: released 20:00 UTC on Jan 31 (05:00 Feb 1 in Tokyo), the model's
    price counts in the fixed-capability series from February's first day on."""
    released = pd.Timestamp("2024-01-31 20:00", tz="UTC").tz_convert("Asia/Tokyo")
    eci = pd.DataFrame({"model_id": ["open-b"], "eci": [141.0],
                        "released": pd.Series([released])})
    priced = price_index.capable(price_index.monthly(_offers()), eci)
    assert list(priced["measured_at_utc"]) == list(pd.to_datetime(["2024-02-01", "2024-03-01"]))


def _composite(out, dimension):
    comp = out[(out["metric"] == ds.metric_name(dimension))
               & (out["gap_kind"] == "frontier_a_minus_b")]
    return comp.sort_values("bucket_start")["value"].to_numpy(dtype=float)


def test_a_composite_month_is_the_gap_averaged_over_its_benchmarks():
    """GSM8K's closed lead is 1 logit, MATH Level 5's 2 logits, both growing 0.1 a month: the
    reasoning composite (the Dimensions page's headline) reads their average, 1.5 + 0.1 a
    month, not the reference benchmark's level nor a benchmark effect's fraction."""
    months, rise = _months("2023-01-01", 8), np.linspace(-1.5, -0.5, 8)
    grow = 0.1 * np.arange(8)
    a = _bench("epoch:gsm8k", months, _expit(rise + 1.0 + grow), _expit(rise))
    b = _bench("epoch:math_level_5", months, _expit(rise + 2.0 + grow), _expit(rise))
    out = ds.dimension_series(pd.concat([a, b], ignore_index=True))
    assert np.allclose(_composite(out, "reasoning"), 1.5 + grow)


def test_an_elo_benchmark_enters_its_composite_as_the_logit_of_a_win_chance():
    """WebDev Arena has no ceiling: a 100-point Elo lead is 100 × ln 10 / 400 logits (the
    closed side's chance to win a vote, 64%, on the logit scale) in the generation composite."""
    months = _months("2023-01-01", 8)
    rows = _bench("epoch:webdev_arena", months, 1200 + 10.0 * np.arange(8),
                  1100 + 10.0 * np.arange(8))
    assert np.allclose(_composite(ds.dimension_series(rows), "generation"),
                       np.full(8, 100 * np.log(10) / 400))


def test_leader_minus_fifth_organisation_month_by_month():
    """Five organisations in January, a sixth (F, the new leader) and E's better model in
    February: each month ranks the organisations' best models of that month, so January's
    gap is A − E and February's F − D, over 5 and then 6 organisations."""
    rows = pd.DataFrame({"pack": "epoch:mmlu", "source": "public:test", "open_weights": False,
                         "measured_at_utc": pd.to_datetime(["2024-01-05"] * 5 + ["2024-02-07"] * 2,
                                                           utc=True),
                         "model_id": [f"m{i}" for i in range(7)],
                         "value": [0.9, 0.8, 0.7, 0.6, 0.5, 0.95, 0.55],
                         "organization": ["A", "B", "C", "D", "E", "F", "E"]})
    gap5 = ds.organisation_gaps(rows)[0]
    assert list(gap5["bucket_start"]) == list(pd.to_datetime(["2024-01-01", "2024-02-01"]))
    assert np.allclose(gap5["leader_value"], [0.9, 0.95])
    assert np.allclose(gap5["follower_value"], [0.5, 0.6])
    assert np.allclose(gap5["value"], [0.4, 0.35])
    assert list(gap5["n_models"]) == [5, 6]


def test_each_month_of_a_benchmark_is_at_the_floor_in_range_or_saturated():
    """A benchmark's best score by each month (0.05, 0.5, 0.89, 0.9, 0.95) puts the month at
    the floor, in range, or saturated (from 0.90): the status the story table's `saturated
    from` and the composite's notes are read from; only months in range enter the composite."""
    rows = _bench("epoch:gsm8k", _months("2023-01-01", 5), [0.05, 0.5, 0.89, 0.9, 0.95],
                  [0.01, 0.3, 0.6, 0.7, 0.8])
    inputs = ds.composite_inputs(rows)
    gap = inputs[inputs["gap_kind"] == "frontier_a_minus_b"].sort_values("bucket_start")
    assert gap["status"].tolist() == ["floor", "in range", "in range", "saturated", "saturated"]
    assert gap["eligible"].tolist() == [False, True, True, False, False]
