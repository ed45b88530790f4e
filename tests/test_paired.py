"""Paired comparisons over shared items (warehouse/analysis/paired.py): exact p, intervals that
never contradict it, Holm control, ranks with ties, and run against run."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, permutation_test

from warehouse.analysis import paired


def items(scores: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"model_id": m, "item_key": f"i{k}", "score": v}
                         for m, values in scores.items() for k, v in enumerate(values)])


def test_the_p_value_is_mcnemars_exact_test_and_the_sign_flip_test_for_partial_credit():
    rng = np.random.default_rng(3)
    a, b = (rng.random(30) < 0.7).astype(float), (rng.random(30) < 0.4).astype(float)
    wins, losses = int(((a == 1) & (b == 0)).sum()), int(((a == 0) & (b == 1)).sum())
    assert paired.difference(a, b)["p_value"] == pytest.approx(
        binomtest(wins, wins + losses, 0.5).pvalue)
    partial_a, partial_b = a * 0.5 + 0.25, b * 0.9
    flips = permutation_test((partial_a - partial_b,), np.mean, permutation_type="samples",
                             n_resamples=9999, rng=np.random.default_rng(paired.SEED))
    assert paired.difference(partial_a, partial_b)["p_value"] == pytest.approx(flips.pvalue)


def test_the_interval_holds_zero_exactly_when_the_exact_test_cannot_reject():
    """On one screen the margin's interval and the tie verdict agree, on many random pairs;
    the case that made the bootstrap alone wrong (p = 0.049 / 0.051 at 40 items) included."""
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(4, 60))
        a = (rng.random(n) < rng.uniform(0.2, 0.9)).astype(float)
        b = np.where(rng.random(n) < 0.7, a, 1 - a)
        out = paired.difference(a, b)
        inside = out["ci_low"] <= 0 <= out["ci_high"]
        if out["p_value"] >= paired.ALPHA:
            assert inside, out
        assert out["ci_low"] <= out["difference"] <= out["ci_high"], out


def test_equal_differences_get_an_exact_bound_not_a_point():
    won = paired.difference([1.0] * 8, [0.0] * 8)
    assert won["p_value"] == pytest.approx(2 / 2 ** 8)
    assert won["ci_high"] == 1 and won["ci_low"] == pytest.approx(2 * 0.025 ** (1 / 8) - 1)
    same = paired.difference([1.0, 0.0] * 4, [1.0, 0.0] * 4)
    assert same["p_value"] == 1 and same["ci_low"] == pytest.approx(-same["ci_high"])
    assert same["ci_high"] == pytest.approx(1 - 0.025 ** (1 / 8))


def test_ranks_with_ties_under_holm_control():
    """Three models on 40 items: the best two cannot be told apart, both beat the third."""
    ranking = paired.ranking(items({"a": [1.0] * 30 + [0.0] * 10,
                                    "b": [1.0] * 28 + [0.0] * 12,
                                    "c": [1.0] * 5 + [0.0] * 35}))
    tiers = ranking["tiers"].set_index("model_id")
    assert list(tiers["rank"]) == [1, 1, 3] and list(tiers["tier"]) == [1, 1, 2]
    pairs = ranking["pairs"].set_index(["model_a", "model_b"])
    assert not pairs.loc[("a", "b"), "different"] and pairs.loc[("a", "c"), "different"]
    tied = pairs[~pairs["different"]]  # "≈" on the board: its margin's interval holds 0
    assert ((tied["ci_low"] <= 0) & (tied["ci_high"] >= 0)).all()
    assert (pairs["p_adjusted"] >= pairs["p_value"]).all()
    lead = ranking["leader"]
    assert (lead["model_a"], lead["model_b"]) == ("a", "b")
    assert lead["difference"] == pytest.approx(30 / 40 - 28 / 40)


def test_a_pair_holm_ties_keeps_zero_in_its_interval_though_its_own_test_rejects():
    """Four models, six pairs: a beats b on 8 items and loses 1 (exact p 0.039, its own
    bootstrap interval above 0), but Holm over the six pairs cannot call it, so the board
    shows "a ≈ b" and the margin beside it must hold 0 (stretched to exactly 0)."""
    a = [1.0] * 8 + [0.0] + [1.0] * 5 + [0.0] * 6
    b = [0.0] * 8 + [1.0] + [1.0] * 5 + [0.0] * 6
    alone = paired.difference(a, b)
    assert alone["p_value"] < paired.ALPHA and alone["ci_low"] > 0  # the case this is about
    table = pd.DataFrame({"a": a, "b": b, "c": [0.0] * 20, "d": [0.0] * 19 + [1.0]})
    pair = paired.pairs(table).set_index(["model_a", "model_b"]).loc[("a", "b")]
    assert not pair["different"] and pair["p_adjusted"] >= paired.ALPHA
    assert pair["ci_low"] == 0.0 and pair["ci_high"] == alone["ci_high"]


def test_only_items_every_model_answered_are_compared():
    frame = items({"a": [1.0, 1.0, 0.0, 1.0], "b": [0.0, 1.0, 0.0, None]})
    ranking = paired.ranking(frame)
    assert ranking["n_items"] == 3 and ranking["leader"]["mean_a"] == pytest.approx(2 / 3)


def test_holm_equals_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(2)
    for n in (1, 2, 3, 6, 15):
        p = rng.random(n) ** 3
        np.testing.assert_allclose(paired.holm(p), multipletests(p, method="holm")[1])
    assert np.isnan(paired.holm([0.01, np.nan])[1]) and paired.holm([0.01, np.nan])[0] == 0.01


def test_false_ties_broken_at_most_at_the_nominal_rate_on_equal_models():
    """Size: three equally good models (each item's difficulty shared, as in real packs), 25
    items: how often does the board call any two of them different? Holm keeps the
    family-wise rate at or under 5%."""
    rng = np.random.default_rng(11)
    called = 0
    for _ in range(300):
        difficulty = rng.uniform(0.1, 0.9, 25)
        scores = {m: (rng.random(25) < difficulty).astype(float) for m in "abc"}
        called += paired.pairs(pd.DataFrame(scores), intervals=False)["different"].any()
    assert called / 300 <= 0.05


def test_the_tie_decisions_without_intervals_are_the_ones_with_them():
    """`intervals=False` (the size simulation above) skips only the bootstraps: the same exact
    p-values, Holm adjustment and "different" calls as the board's own pairs, so a check that
    it never breaks a tie too often is a check on the board's rule (here it does call a − c)."""
    table = paired.wide(items({"a": [1.0] * 30 + [0.0] * 10, "b": [1.0] * 28 + [0.0] * 12,
                               "c": [1.0] * 5 + [0.0] * 35}))
    full, quick = paired.pairs(table), paired.pairs(table, intervals=False)
    columns = ["model_a", "model_b", "n_items", "difference", "p_value", "p_adjusted", "different"]
    pd.testing.assert_frame_equal(quick[columns], full[columns])
    assert list(quick["different"]) == [False, True, True]  # a ≈ b, a > c, b > c
    assert quick[["ci_low", "ci_high"]].iloc[0].tolist() == [0.0, 0.0]  # tied: 0 kept inside
    assert quick[["ci_low", "ci_high"]].iloc[1:].isna().all().all()  # no interval computed


def test_run_against_run_names_the_flipped_items_over_shared_items_only():
    def run(scores, ids):
        return pd.DataFrame({"model_id": "m", "dimension": "reasoning", "item_key": ids,
                             "item_id": ids, "score": scores})
    before = run([1.0, 0.0, 0.0, 1.0, 1.0], ["q1", "q2", "q3", "q4", "only-a"])
    after = run([1.0, 1.0, 1.0, 0.0, 0.0], ["q1", "q2", "q3", "q4", "only-b"])
    row = paired.compare_runs(before, after).iloc[0]
    assert row["n_shared"] == 4 and row["mean_a"] == 0.5 and row["mean_b"] == 0.75
    assert row["difference"] == pytest.approx(0.25)
    assert row["gained"] == ["q2", "q3"] and row["lost"] == ["q4"]
    assert row["ci_low"] <= 0 <= row["ci_high"]  # 2 up, 1 down: no evidence


def test_two_shared_items_are_enough_for_a_p_and_an_interval_one_is_not():
    """The smallest comparisons a first run produces: two items both won by a give McNemar's
    exact p (0.5) and the Clopper–Pearson margin [2·0.025^(1/2) − 1, 1]; one item gives no p
    and no interval (shown as a dash), never a made-up one."""
    two = paired.difference([1.0, 1.0], [0.0, 0.0])
    assert two["n_items"] == 2 and two["p_value"] == pytest.approx(0.5)
    assert two["ci_low"] == pytest.approx(2 * 0.025 ** 0.5 - 1) and two["ci_high"] == 1.0
    one = paired.difference([1.0], [0.0])
    assert one["difference"] == 1.0
    assert np.isnan([one["p_value"], one["ci_low"], one["ci_high"]]).all()


def test_run_against_run_with_one_shared_item_in_a_dimension_is_a_row_without_interval():
    """Runs page: a dimension the two runs share one item of still gets its row (the item that
    flipped named, no interval, no p), beside a dimension with enough items."""
    def run(dimension, scores):
        ids = [f"{dimension}-{i}" for i in range(len(scores))]
        return pd.DataFrame({"model_id": "m", "dimension": dimension, "item_key": ids,
                             "item_id": ids, "score": scores})
    before = pd.concat([run("coding", [0.0]), run("reasoning", [0.0] * 8)], ignore_index=True)
    after = pd.concat([run("coding", [1.0]), run("reasoning", [1.0] * 8)], ignore_index=True)
    out = paired.compare_runs(before, after).set_index("dimension")
    coding = out.loc["coding"]
    assert coding["n_shared"] == 1 and coding["difference"] == 1.0
    assert coding["gained"] == ["coding-0"] and coding["lost"] == []
    assert np.isnan([coding["ci_low"], coding["ci_high"], coding["p_value"],
                     coding["p_adjusted"]]).all()
    assert out.loc["reasoning", "p_adjusted"] == pytest.approx(2 / 2 ** 8)  # Holm over one test


def test_speed_with_one_model_ranks_it_first_with_an_empty_pair_table():
    """A first latency run of one model: it is ranked 1st, alone; the pairs table is empty but
    keeps its columns (readers select them by name), and a model with no value is left out."""
    ranked = paired.unpaired_ranking({"only": [10.0, 12.0, 11.0], "none": [np.nan]})
    assert ranked["medians"].to_dict() == {"only": 11.0}
    assert ranked["tiers"][["model_id", "rank", "tier"]].values.tolist() == [["only", 1, 1]]
    assert ranked["pairs"].empty and list(ranked["pairs"].columns) == [
        "model_a", "model_b", "median_a", "median_b", "p_value", "p_adjusted", "different"]


def test_speed_ranks_use_a_rank_test_and_the_same_tiers():
    rng = np.random.default_rng(5)
    slow = rng.normal(20, 5, 20)
    ranked = paired.unpaired_ranking({"fast": rng.normal(100, 5, 20), "slow": slow,
                                      "also-slow": slow[::-1] + 0.01})
    assert list(ranked["medians"].sort_values(ascending=False).index)[0] == "fast"
    tiers = ranked["tiers"].set_index("model_id")["rank"]
    assert tiers["fast"] == 1 and tiers["slow"] == tiers["also-slow"] == 2
