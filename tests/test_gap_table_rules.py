"""Rules of the stored gap tables that a reader sees as words: what a dimension verdict's note
says when its checks disagree, and the break a composite's change of benchmark set records
(pure functions on small hand-made frames; no database)."""

import numpy as np
import pandas as pd

from warehouse.analysis import dimension_checks as dc
from warehouse.analysis import dimension_series as ds

START, END = pd.Timestamp("2024-01-01"), pd.Timestamp("2025-08-01")
METRIC = ds.metric_name("reasoning")


def _check(kind, label, left_out, verdict, slope, unit, period, disagrees=True, first=START):
    return {"metric": METRIC, "gap_kind": "frontier_a_minus_b", "period": period,
            "check_kind": kind, "check_label": label, "left_out": left_out, "verdict": verdict,
            "slope_per_year": slope, "unit": unit, "period_start": START, "period_end": END,
            "first_month": first, "last_month": END, "disagrees": disagrees}


def _checks(period):
    """Two left-out benchmarks and the second yardstick disagree; a third benchmark agrees."""
    return [_check("leave one out", "without FrontierMath", "epoch:frontiermath",
                   "no clear change", -0.4012, "logits", period),
            _check("leave one out", "without GPQA Diamond", "epoch:gpqa_diamond", "narrowing",
                   -1.2345, "logits", period, first=pd.Timestamp("2024-07-01")),
            _check("leave one out", "without MATH Level 5", "epoch:math_level_5", "widening",
                   0.9, "logits", period, disagrees=False),
            _check("second yardstick", "frontier SDs (raw gap ÷ spread of the frontier)", None,
                   "no clear change", 0.05123, "benchmark SDs", period)]


DETAIL = ("depends on FrontierMath, GPQA Diamond (without FrontierMath: no clear change, "
          "−0.40 logits/yr; without GPQA Diamond: narrowing, −1.23 logits/yr, "
          "over 2024-07 → 2025-08 only); depends on the yardstick (in benchmark SDs: "
          "no clear change, +0.05 benchmark SDs/yr)")


def test_a_verdict_its_checks_disagree_with_is_not_called_and_the_note_says_why():
    """The Dimensions page and `dimension_checks` readers show these notes word for word: a
    trend or `stable` the checks contradict becomes `no clear change`, and each note opens
    with what was not called, lists only the disagreeing checks (slopes to two decimals,
    a shorter span named) and leaves agreeing checks and other series alone."""
    said = {"whole history": "widening", "last 12 months": "narrowing",
            "since 2025": "stable", "since 2024-06": "no clear change"}
    table = pd.DataFrame([{"metric": METRIC, "gap_kind": "frontier_a_minus_b", "period": p,
                           "verdict": v, "note": None} for p, v in said.items()]
                         + [{"metric": ds.metric_name("memory"), "gap_kind": "frontier_a_minus_b",
                             "period": "whole history", "verdict": "widening", "note": None}])
    checks = pd.DataFrame([row for p in said for row in _checks(p)])
    out = dc.qualify(table, checks).set_index(["metric", "period"])
    mine = out.loc[METRIC]
    assert mine["verdict"].to_dict() == {p: "no clear change" for p in said}
    assert mine["note"].to_dict() == {
        "whole history": "not called a trend, its direction " + DETAIL,
        "last 12 months": "not called a trend, its direction " + DETAIL,
        "since 2025": "not called stable, it " + DETAIL,
        "since 2024-06": "its direction " + DETAIL}
    other = out.loc[(ds.metric_name("memory"), "whole history")]
    assert other["verdict"] == "widening" and other["note"] is None


def test_a_verdicts_own_note_is_kept_before_what_its_checks_say():
    """A composite verdict that already had a note (here: the groups crossed) keeps it on the
    Dimensions page, with the checks' words after it."""
    table = pd.DataFrame([{"metric": METRIC, "gap_kind": "frontier_a_minus_b",
                           "period": "whole history", "verdict": "widening",
                           "note": "groups crossed: open weights ahead in 2 of 20 points"}])
    out = dc.qualify(table, pd.DataFrame(_checks("whole history"))).iloc[0]
    assert out["verdict"] == "no clear change"
    assert out["note"] == ("groups crossed: open weights ahead in 2 of 20 points; "
                           "not called a trend, its direction " + DETAIL)


def test_a_verdict_with_no_minimum_effect_recorded_still_has_a_direction():
    """A `no clear change` that moved up (+0.5) with no minimum effect recorded (NaN) points
    up, so a check calling `narrowing` points the other way and is flagged; with a minimum
    effect the move is measured against half of it."""
    main = {"verdict": "no clear change", "change": 0.5, "min_effect": np.nan,
            "slope_per_year": 0.3}
    check = {"verdict": "narrowing", "change": -0.5, "min_effect": 0.3, "slope_per_year": -0.4}
    assert dc.direction(main) == 1 and dc.direction(main | {"min_effect": None}) == 1
    assert dc.direction(main | {"min_effect": 2.0}) == 0
    assert dc.disagrees(main, check) is True


def _bench(pack, start, closed, open_):
    """One benchmark: a closed and an open model released in each month with these scores."""
    rows = []
    for i, (day, c, o) in enumerate(zip(pd.date_range(start, periods=len(closed), freq="MS",
                                                      tz="UTC"), closed, open_)):
        day += pd.Timedelta(days=3)
        rows += [(pack, day, f"{pack}-c{i}", c, "public:test", False, "ClosedCo"),
                 (pack, day, f"{pack}-o{i}", o, "public:test", True, "OpenCo")]
    return pd.DataFrame(rows, columns=["pack", "measured_at_utc", "model_id", "value", "source",
                                       "open_weights", "organization"])


def test_a_composite_that_moves_to_unlinked_benchmarks_records_a_benchmark_set_break():
    """MMLU scored in 2022, GPQA Diamond from mid-2023, no month in common: the understanding
    composite splits there, and `method_changes` (the dotted line on the gap charts, its
    hover text 'benchmark set: ...') holds exactly that break, under the composite's id."""
    rows = pd.concat([_bench("epoch:mmlu", "2022-01-01", np.linspace(0.5, 0.7, 8),
                             np.linspace(0.3, 0.6, 8)),
                      _bench("epoch:gpqa_diamond", "2023-06-01", np.linspace(0.3, 0.5, 8),
                             np.linspace(0.1, 0.4, 8))], ignore_index=True)
    out = dc.breaks_of(ds.composite_inputs(rows))
    assert out[["changed_at_utc", "scope", "kind"]].to_dict("records") == [
        {"changed_at_utc": pd.Timestamp("2023-06-01", tz="UTC"),
         "scope": ds.metric_name("understanding"), "kind": "benchmark set"}]
    assert out["label"].item().endswith(
        "(best minus best (frontiers)): from here the composite rests on other benchmarks, "
        "with no month in common with the earlier ones; verdicts are split here")


def test_why_an_interval_that_excludes_zero_is_still_no_clear_change():
    """The Dimensions page and `python -m warehouse dimensions` explain a `no clear change`
    whose interval leaves out 0: the adjustment for many verdicts, or a change below the
    minimum effect; nothing is said when the interval holds 0 or a trend was called."""
    adjusted = {"verdict": "no clear change", "ci_low": 0.1, "ci_high": 0.5, "p_value": 0.012,
                "p_adjusted": 0.09, "change": 0.3, "min_effect": 0.2}
    assert dc.why_not_called(adjusted) == (
        "its 95% interval excludes 0 (p = 0.01), but not after the adjustment for the many "
        "verdicts computed together (Benjamini–Hochberg: adjusted p = 0.09)")
    assert dc.why_not_called(adjusted, short=True) == \
        "interval excludes 0, not after adjusting for many tests (p 0.09)"
    small = adjusted | {"ci_low": -0.5, "ci_high": -0.1, "p_adjusted": 0.01, "change": -0.21,
                        "min_effect": 0.5}
    assert dc.why_not_called(small) == ("its change over the period, −0.21, is smaller than "
                                        "the minimum effect worth calling (0.50)")
    assert dc.why_not_called(small, short=True) == "change −0.21 below the minimum effect"
    assert dc.why_not_called(adjusted | {"ci_low": -0.1}) is None
    assert dc.why_not_called(adjusted | {"verdict": "widening"}) is None


def test_the_second_yardstick_check_is_judged_in_its_own_unit():
    """GSM8K and MATH Level 5 with a constant closed − open gap over 2023-2024 while both sides
    improve, and a `stable` composite verdict over 2024: on the second yardstick (frontier
    SDs) those 12 months are `stable` too, a word said only in a unit with a declared minimum
    effect (0.25 benchmark SDs), so the check's row on the Dimensions page agrees with the
    composite; each benchmark is left out once."""
    rng = np.random.default_rng(1)
    rise = np.linspace(0.3, 0.8, 24)
    rows = pd.concat([_bench("epoch:gsm8k", "2023-01-01", rise + 0.1,
                             rise + rng.normal(0, 0.002, 24)),
                      _bench("epoch:math_level_5", "2023-01-01", rise,
                             rise - 0.1 + rng.normal(0, 0.002, 24))], ignore_index=True)
    table = pd.DataFrame([{"metric": METRIC, "gap_kind": "frontier_a_minus_b",
                           "period": "whole history", "verdict": "stable", "period_start": START,
                           "period_end": pd.Timestamp("2024-12-01"), "change": 0.0,
                           "min_effect": 0.3, "slope_per_year": 0.0}])
    out = dc.check_rows(ds.composite_inputs(rows), table)
    second = out[out["check_kind"] == "second yardstick"].iloc[0]
    assert (second["verdict"], second["unit"], second["n_months"], second["disagrees"]) == (
        "stable", "benchmark SDs", 12, False)
    assert out.loc[out["check_kind"] == "leave one out", "check_label"].tolist() == [
        "without GSM8K", "without MATH Level 5"]
