"""warehouse.analysis.labels: every id a page or the CLI shows comes out as words, numbers as rounded as
their interval allows (pure functions, no database)."""

import re

import pandas as pd
import pytest

from warehouse.analysis import labels

SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")


@pytest.mark.parametrize("metric, words", [
    ("epoch:eci", "Epoch Capabilities Index"),
    ("arena:fboulnois_lmarena_text_csv:displayed_rating",
     "Arena displayed rating (LMArena via fboulnois/llm-leaderboard-csv)"),
    ("price:usd_per_mtok_out", "output price ($ per million tokens)"),
    ("latency:ttft_s_p50:550-150@c5",
     "time to first token (s), median · 550→150 tokens, 5 at once"),
    # a latency measure with no percentile suffix is named by its unit alone
    ("latency:output_tokens_per_s:550-150@c5",
     "output tokens per second · 550→150 tokens, 5 at once"),
    ("reasoning-core@1:reasoning_fixed_minus_fresh",
     "reasoning-core v1: reasoning, fixed minus fresh items"),
    ("epoch:swe_bench_verified", "SWE-bench Verified (Epoch AI)"),
])
def test_series_ids_become_words(metric, words):
    assert labels.series(metric) == words


@pytest.mark.parametrize("fn, value, words", [
    (labels.unit, "usd_per_mtok_out", "$ per million output tokens"),
    (labels.unit, "ttft_s", "time to first token (s)"),
    (labels.unit, "log10(closed/open)", "log10 of closed weights ÷ open weights"),
    (labels.source, "public:fboulnois_lmarena_text_csv", "LMArena via fboulnois/llm-leaderboard-csv"),
    (labels.source, "public:arena_elo_history:0123456789ab", "LMArena rating history"),
    (labels.gap_kind, "top1_minus_top10", "leader minus the 10th model"),
    (labels.group, "closed", "closed weights"),
    (labels.verdict, "not enough data", "not enough data"),
    # `stable` has no entry of its own in VERDICTS: the fallback still shows the word, not None
    (labels.verdict, "stable", "stable"),
    (labels.column, "lag_months", "Lag (months)"),
    (labels.column, "ttft_s_p90", "Time to first token (s), 90th percentile"),
])
def test_units_sources_kinds_and_columns(fn, value, words):
    assert fn(value) == words


@pytest.mark.parametrize("rank, words", [
    (5, "5th"), (10, "10th"), (11, "11th"), (12, "12th"), (13, "13th"), (20, "20th"),
    (21, "21st"), (22, "22nd"), (23, "23rd"), (24, "24th"), (101, "101st"), (111, "111th"),
    (112, "112th"), (122, "122nd")])
def test_leader_minus_the_kth_organisation_is_said_with_its_ordinal(rank, words):
    """The Gaps page and the board name a rank gap in English: 21st, 22nd, 23rd, but 11th-13th."""
    assert labels.gap_kind(f"org1_minus_org{rank}") == f"best organisation minus the {words}"


@pytest.mark.parametrize("unknown", ["public:some_new_source", "brand_new_gap_kind",
                                     "epoch:a_new_benchmark", "arena:new_src:new_method"])
def test_an_unknown_id_still_comes_out_without_underscores(unknown):
    for fn in (labels.series, labels.source, labels.gap_kind, labels.unit, labels.window):
        assert not SNAKE.search(fn(unknown)), (fn.__name__, fn(unknown))


def test_an_unknown_id_comes_out_as_single_spaced_words():
    """A new Arena method or source not in the tables yet is still named on the page, in
    words (not `None`), and separators next to spaces never leave a double space."""
    assert labels.series("arena:new_src:new_method") == "Arena new method (new src)"
    assert labels.series("arena:new_src:new_method", short=True) == "Arena new method"
    assert labels.humanize("tier_ 4 :  draft") == "tier 4 draft"


def test_numbers_are_rounded_to_what_the_interval_supports():
    assert labels.with_interval(-1.7234, -2.5312, -0.5121, "ECI points/yr", signed=True) \
        == "−1.7 ECI points/yr [−2.5, −0.5]"
    assert labels.with_interval(0.012345, 0.01101, 0.01302) == "0.0123 [0.0110, 0.0130]"
    assert labels.with_interval(1234.5, 1000, 1500) == "1,234 [1,000, 1,500]"
    assert labels.with_interval(3.0, None, None) == "3.00"
    assert labels.significant(0.012345) == "0.0123"


def test_a_signed_change_signs_both_ends_of_its_interval():
    """A change on the Gaps page and in a run comparison (`change B − A [95%]`): a rise is
    `+`, and so is every positive bound, the upper one included, so `[+0.20, +0.80]` never reads
    as a mix of a change and a level."""
    assert labels.with_interval(0.5, 0.2, 0.8, "points", signed=True) == "+0.50 points [+0.20, +0.80]"
    assert labels.with_interval(-0.5, -0.8, 0.2, signed=True) == "−0.50 [−0.80, +0.20]"


def test_missing_values_are_a_dash():
    for value in (None, float("nan"), pd.NA, pd.NaT):
        assert labels.series(value) == labels.number(value) == labels.DASH
