"""Task packs: enough fixed items per dimension, deterministic fresh twins of matched difficulty,
context-window skipping, self-consistent scoring, and the version/content-hash guard."""

import json
from collections import Counter, defaultdict
from statistics import mean

import pytest

from collectors.scoring import score_item
from collectors.tasks import PACKS, all_packs, get_pack
from collectors.tasks.base import DIMENSIONS, estimate_tokens

PACK_NAMES = sorted(PACKS)
SEEDS = (1, 2, 3, 4, 5)
MEMORY = "memory-retrieval"


@pytest.fixture(params=PACK_NAMES)
def pack(request):
    return get_pack(request.param)


def test_registry_covers_every_dimension_once():
    assert sorted(pack.dimension for pack in all_packs()) == sorted(DIMENSIONS)
    with pytest.raises(KeyError, match="known: "):
        get_pack("no-such-pack")


def test_version_bump_guard(pack):
    """Editing items, generators or their scoring args must come with a new version + hash."""
    recorded = pack.content_hashes.get(pack.version)
    actual = pack.content_hash()
    assert actual == recorded, (
        f"{pack.name} items changed: bump `version` from {pack.version!r} and add "
        f"'<new version>': {actual!r} to content_hashes (keep the old entries)")


def test_each_version_has_its_own_hash(pack):
    assert len(set(pack.content_hashes.values())) == len(pack.content_hashes)


def test_data_file_belongs_to_the_pack(pack):
    payload = json.loads(pack.data_file.read_text())
    assert (payload["pack"], payload["frozen_seed"]) == (pack.name, pack.frozen_seed)


def test_at_least_30_fixed_items_and_30_fresh_by_default(pack):
    fixed = pack.fixed_items()
    assert len(fixed) == pack.slots >= 30
    assert len(pack.fresh_items(seed=7)) >= 30
    assert {item.variant for item in fixed} == {"fixed"}
    assert len({item.item_id for item in fixed}) == len(fixed)
    assert len({item.prompt for item in fixed}) == len(fixed)


def test_fresh_items_are_deterministic_for_a_seed(pack):
    first = [item.to_dict() for item in pack.fresh_items(seed=11)]
    again = [item.to_dict() for item in pack.fresh_items(seed=11)]
    assert first == again
    assert {item["variant"] for item in first} == {"fresh"}
    assert {item["seed"] for item in first} == {11}


def test_fresh_items_differ_across_seeds(pack):
    one = {item.prompt for item in pack.fresh_items(seed=11)}
    two = {item.prompt for item in pack.fresh_items(seed=12)}
    assert len(one & two) <= len(one) // 10


@pytest.mark.parametrize("seed", [0, 1, 42, 20250101])
def test_no_fresh_item_equals_a_fixed_item(pack, seed):
    """Even the frozen seed itself yields new items: collisions are redrawn."""
    fixed = {item.prompt for item in pack.fixed_items()}
    fresh = pack.fresh_items(seed=seed, n=2 * pack.slots)
    assert not fixed & {item.prompt for item in fresh}
    assert len({item.prompt for item in fresh}) == len(fresh)
    assert len({item.item_id for item in fresh}) == len(fresh)


def test_sizes_are_estimated_from_the_prompt(pack):
    for item in pack.fixed_items() + pack.fresh_items(seed=3):
        assert item.context_tokens == estimate_tokens(item.prompt)
        assert item.meta["max_answer_tokens"] > 0


def test_estimate_is_conservative_for_numbers_and_punctuation():
    assert estimate_tokens("amber falcon: 4821\n") >= 9  # what SmolLM2 and Gemma 3 count
    assert estimate_tokens("a" * 35) == 10


def wrong_answer(item) -> str:
    """A plausible but wrong answer for each scorer the packs use."""
    if item.scorer == "numeric":
        return str(item.answer + 1)
    if item.scorer == "exact":
        return "Someday"
    if item.scorer == "choice":
        return next(letter for letter in item.scorer_args["options"] if letter != item.answer)
    if item.scorer == "retrieval":
        return (item.scorer_args.get("distractors") or ["unknown"])[0]
    if item.scorer == "constraints":
        return "Bananas."
    raise AssertionError(f"no wrong answer for scorer {item.scorer}")


def test_expected_answer_scores_one_and_a_wrong_one_zero(pack):
    for item in pack.fixed_items() + pack.fresh_items(seed=5):
        assert score_item(item, str(item.answer)) == 1.0, item.item_id
        assert score_item(item, wrong_answer(item)) == 0.0, item.item_id
        assert score_item(item, "I'm sorry, but I can't help with that.") == 0.0, item.item_id


def test_fixed_and_fresh_share_the_skill_and_level_mix(pack):
    def mix(items):
        return Counter((item.meta["template"], json.dumps(item.meta["level"])) for item in items)
    for seed in SEEDS:
        assert mix(pack.fresh_items(seed)) == mix(pack.fixed_items())


def difficulty_by_template(items) -> dict:
    """template -> proxy name -> values, prompt size included."""
    proxies = defaultdict(lambda: defaultdict(list))
    for item in items:
        values = {"context_tokens": item.context_tokens, **item.meta["difficulty"]}
        for name, value in values.items():
            proxies[item.meta["template"]][name].append(value)
    return proxies


def test_fresh_items_match_fixed_difficulty(pack):
    """Steps, options, passage sentences, counts, depths and prompt size agree on average."""
    fixed = difficulty_by_template(pack.fixed_items())
    fresh = difficulty_by_template([item for seed in SEEDS for item in pack.fresh_items(seed)])
    for template, proxies in fixed.items():
        for name, values in proxies.items():
            expected, actual = mean(values), mean(fresh[template][name])
            assert abs(actual - expected) <= 0.25 * abs(expected), (template, name)


def test_needle_values_start_with_the_same_words_in_fixed_and_fresh_items():
    """Which word starts a needle's value changes how often a small model copies it, so it is
    dealt by slot: the fixed set and every fresh draw hold the same words (memory-retrieval v2)."""
    def first_words(items):
        return [item.answer.split("-")[0] for item in items if item.meta["template"] == "needle"]
    memory = get_pack(MEMORY)
    fixed = first_words(memory.fixed_items())
    assert len(set(fixed)) == 10
    for seed in SEEDS:
        assert first_words(memory.fresh_items(seed)) == fixed


def test_memory_items_beyond_the_context_window_are_skipped_not_generated():
    memory = get_pack(MEMORY)
    everything = memory.fresh_items(seed=9)
    small = memory.fresh_items(seed=9, max_context_tokens=600)
    assert small and all(item.fits(600) for item in small)
    assert {item.meta["level"] for item in small} == {200, 500}
    assert [item.to_dict() for item in small] == \
        [item.to_dict() for item in everything if item.fits(600)]


def test_memory_levels_up_to_1800_fit_a_2048_window():
    memory = get_pack(MEMORY)
    for items in (memory.fixed_items(), memory.fresh_items(seed=9, max_context_tokens=2048)):
        assert len(items) == memory.slots
        assert all(item.fits(2048) for item in items)
        assert {item.meta["level"] for item in items} == {200, 500, 1000, 1800}
        for item in items:
            assert 0.9 * item.meta["level"] <= item.context_tokens <= item.meta["level"]


def test_fixed_items_too_long_for_a_model_are_marked_by_fits():
    memory = get_pack(MEMORY)
    skipped = [item for item in memory.fixed_items() if not item.fits(1500)]
    assert {item.meta["level"] for item in skipped} == {1800}


def test_calendar_answers_never_repeat_the_day_or_month_in_the_prompt():
    """Whole weeks/years are left out, so restating the question never scores."""
    reasoning = get_pack("reasoning-core")
    calendar = [item for item in reasoning.fixed_items() + reasoning.fresh_items(seed=4, n=360)
                if item.meta["template"] in ("weekday-offset", "month-offset")]
    assert calendar
    for item in calendar:
        assert item.answer not in item.prompt, item.item_id
