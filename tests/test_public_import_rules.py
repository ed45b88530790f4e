"""Rules the public-history import and its series apply, held on small hand-made frames.

Each test calls the pure function the import (`import_public_history`) or the gap refresh
(`public_series.series`, `vintages.breaks`, `benchmark_stories.stories`) calls, with a handful
of rows built so that the rule decides the answer, and asserts the exact value a user then
sees: which model a name is stored under, a model's source and open/closed label, a break's
words on the Arena chart, which months a series or a composite has, a benchmark's row in the
Capability page's story table.
"""

import pandas as pd
import pytest

from warehouse.analysis import aliases, arena, benchmark_stories, public_series, vintages


def name(priority, source, alias, group=None, release=None, seen=None, family=None, org="Acme",
         open_weights=None, display=None) -> dict:
    """One crosswalk candidate, as `public_loaders.candidates` selects it from a file."""
    return {"priority": priority, "source": source, "alias": alias, "group_key": group or alias,
            "organization": org, "open_weights": open_weights,
            "release_date": pd.Timestamp(release) if release else pd.NaT,
            "display_name": display, "family": family,
            "first_seen": pd.Timestamp(seen) if seen else pd.NaT, "country": None}


@pytest.fixture(scope="module")
def crosswalk():
    """(alias -> model_id per (source, alias), registry indexed by model_id) of a small history:
    Epoch's Acme One in two dated versions and one undated, labelled open; a pinned crosswalk
    model and a config model; OpenRouter's `deepseek-chat` listed since 2024-05 beside Epoch's
    2025-12 DeepSeek-V3.2 of the same API name; Arena and OpenRouter naming pinned models."""
    names = [
        name(1, "epoch", "acme-one-001", "epoch:Acme One@2024-01-10", "2024-01-10",
             family="Acme One", open_weights=True),
        name(1, "epoch", "acme-one-002", "epoch:Acme One@2024-06-10", "2024-06-10",
             family="Acme One", open_weights=True),
        name(1, "epoch", "acme-one-beta", "epoch:Acme One@?", family="Acme One"),
        name(0, "crosswalk", "Acme-Two", "acme/acme-two", display="Acme Two"),
        name(-1, "config", "acme/three", "acme/three"),
        name(6, "openrouter", "acme/acme-two", seen="2024-03-01"),
        name(1, "epoch", "deepseek-chat", "epoch:DeepSeek-V3.2@2025-12-01", "2025-12-01",
             family="DeepSeek-V3.2", org="DeepSeek"),
        name(6, "openrouter", "deepseek/deepseek-chat", seen="2024-05-01", org="deepseek"),
        name(4, "arena", "acme-one-002", seen="2024-07-01"),
    ]
    names_to_ids, registry = aliases.build_crosswalk(pd.DataFrame(names))
    return (names_to_ids.set_index(["source", "alias"])["model_id"].to_dict(),
            registry.set_index("model_id"))


def test_one_model_named_by_several_sources_is_one_id(crosswalk):
    """Arena's and OpenRouter's spelling of a model join the id its curated name set: the
    pages then show one model with every source's scores and prices, not two half-models."""
    ids, _ = crosswalk
    assert ids[("arena", "acme-one-002")] == ids[("epoch", "acme-one-002")] == "acme/acme-one-2024-06-10"
    assert ids[("openrouter", "acme/acme-two")] == ids[("crosswalk", "Acme-Two")] == "acme/acme-two"


def test_a_name_listed_long_before_a_release_is_not_that_release(crosswalk):
    """OpenRouter listed `deepseek-chat` from 2024-05; Epoch's `deepseek-chat` is the 2025-12
    DeepSeek-V3.2: the older listing stays its own model, so its 2024 prices do not date V3.2."""
    ids, registry = crosswalk
    assert ids[("epoch", "deepseek-chat")] == "deepseek/deepseek-v3.2"
    assert ids[("openrouter", "deepseek/deepseek-chat")] == "deepseek/deepseek-chat"
    assert str(registry.loc["deepseek/deepseek-v3.2", "release_date"].date()) == "2025-12-01"
    assert pd.isna(registry.loc["deepseek/deepseek-chat", "release_date"])


def test_an_undated_version_of_a_dated_family_keeps_the_family_name(crosswalk):
    """Epoch's versions of one family are told apart by release date (`Acme One (2024-01-10)`);
    a version the file gives no date is named by the family alone, not by a missing date."""
    ids, registry = crosswalk
    assert ids[("epoch", "acme-one-001")] == "acme/acme-one-2024-01-10"
    assert ids[("epoch", "acme-one-beta")] == "acme/acme-one"
    assert registry.loc["acme/acme-one-2024-01-10", "display_name"] == "Acme One (2024-01-10)"
    assert registry.loc["acme/acme-one", "display_name"] == "acme-one-beta"
    assert pd.isna(registry.loc["acme/acme-one", "release_date"])


def test_an_unlabelled_version_takes_its_familys_agreed_label(crosswalk):
    """The undated Acme One version has no open/closed label of its own; every labelled version
    of its family is open, so it is counted open, and the registry says where that came from."""
    _, registry = crosswalk
    assert registry.loc["acme/acme-one", "open_weights"] == True  # noqa: E712
    assert registry.loc["acme/acme-one", "open_weights_from"] == "family: Acme One"
    assert pd.isna(registry.loc["deepseek/deepseek-v3.2", "open_weights"])


def test_a_family_whose_versions_disagree_lends_no_label():
    """One open and one closed version: an unlabelled third is left unlabelled, not guessed."""
    registry = pd.DataFrame({"model_id": ["a", "b", "c"], "family": ["F", "F", "F"],
                             "open_weights": [True, False, None],
                             "open_weights_from": ["epoch", "epoch", None]})
    out = aliases.label_from_family(registry)
    assert out["open_weights"].tolist()[:2] == [True, False] and pd.isna(out["open_weights"].iloc[2])


def test_pinned_models_keep_the_file_they_were_pinned_in(crosswalk):
    """A model the crosswalk file or the config names is stored with that source: the import
    replaces every registry row whose source is not `config`, so the label decides what
    survives a re-import."""
    _, registry = crosswalk
    assert registry.loc["acme/acme-two", "source"] == "crosswalk"
    assert registry.loc["acme/three", "source"] == "config"
    assert registry.loc["acme/acme-one", "source"] == "epoch"


# --- Arena: where the leader − 10th series breaks -------------------------------------------

def snapshot(pack: str, day: str, models: list[str], offset: float = 0.0) -> list[dict]:
    """One Arena snapshot: model `m<i>` rated 1000 + 10·i (+ offset), as the import stores it."""
    return [{"pack": pack, "measured_at_utc": pd.Timestamp(day, tz="UTC"), "model_id": m,
             "value": 1000.0 + 10 * int(m[1:]) + offset, "source": "arena"} for m in models]


def models(*numbers) -> list[str]:
    return [f"m{i}" for i in numbers]


def test_a_pack_that_lists_old_models_again_is_a_listing_change():
    """fboulnois's table drops two models, then lists them again, then adds two new releases:
    the drop and the return are breaks (worded as the Arena chart shows them), the new
    releases are not (newly released models are what the gap measures)."""
    pack = "arena:fboulnois_lmsys_csv:displayed_rating"
    scores = pd.DataFrame(snapshot(pack, "2024-01-01", models(*range(12)))
                          + snapshot(pack, "2024-02-01", models(*range(10)))
                          + snapshot(pack, "2024-03-01", models(*range(12)))
                          + snapshot(pack, "2024-04-01", models(*range(14))))
    breaks = arena.listing_changes(scores)
    assert breaks["changed_at_utc"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-01", "2024-03-01"]
    assert breaks["kind"].tolist() == ["listing change"] * 2
    assert breaks["label"].tolist() == [
        "Arena fboulnois lmsys csv (displayed rating) lists 10 models, was 12 (2 no longer listed)",
        "Arena fboulnois lmsys csv (displayed rating) lists 12 models, was 10 (2 listed again "
        "that were listed before)"]


def test_moving_to_a_pack_that_lists_other_models_is_a_break():
    """The series moves from one pack family to the next (other ratings, so not one family);
    the new pack lists 19 of the 20 models plus 3 new ones (Jaccard 19/23 < 0.9), with no
    model gone or back in numbers that make a listing change by count: still a break, since
    the 10th is now taken among other models."""
    a, b = "arena:a_pack:elo_rating", "arena:b_pack:elo_rating"
    scores = pd.DataFrame(snapshot(a, "2024-01-01", models(*range(20)))
                          + snapshot(a, "2024-01-08", models(*range(20)))
                          + snapshot(b, "2024-01-15", models(*range(19), 20, 21, 22), offset=50)
                          + snapshot(b, "2024-01-22", models(*range(19), 20, 21, 22), offset=50))
    points, breaks = arena.chain(scores)
    assert points["pack"].tolist() == [a, a, b, b]
    assert breaks.drop(columns="changed_at_utc").values.tolist() == [
        [arena.SERIES, "listing change", "Arena leader − 10th: lists 22 models, was 20 (other "
         "models listed); now Arena b pack (Elo rating)"]]
    assert points["segment_start"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01", "2024-01-01", "2024-01-15", "2024-01-15"]


def test_a_pack_with_the_same_ratings_fills_the_dates_its_family_head_lacks():
    """nakasyou's and fboulnois's packs carry the same ratings (within a point on their common
    date) and list the same models: one series. The head pack (running longest) has no
    snapshot on 01-04 and 01-06, so the other pack's fills 01-04; its 01-06 snapshot lists
    other models (Jaccard 17/23) and is left out rather than read as a change of the gap."""
    head, member = "arena:fboulnois_lmsys_csv:elo_rating", "arena:nakasyou:elo_rating"
    scores = pd.DataFrame(snapshot(head, "2024-01-01", models(*range(20)))
                          + snapshot(head, "2024-01-08", models(*range(20)))
                          + snapshot(member, "2024-01-01", models(*range(20)), offset=1)
                          + snapshot(member, "2024-01-04", models(*range(20)), offset=1)
                          + snapshot(member, "2024-01-06", models(*range(17), 20, 21, 22), offset=1))
    points, breaks = arena.chain(scores)
    assert points["pack"].tolist() == [head, member, head]
    assert points["measured_at_utc"].dt.strftime("%m-%d").tolist() == ["01-01", "01-04", "01-08"]
    assert breaks.empty


def test_a_pack_inside_the_heads_span_joins_by_its_first_snapshot():
    """A pack whose snapshots fall between the head pack's, on no common date, is one series
    with the head when its first snapshot carries the head's newest ratings (within a point);
    its later snapshot, rated 50 points apart, does not decide it. The series then draws both
    packs as one line, labelled by the pack's rating method in words."""
    head, member = "arena:fboulnois_lmsys_csv:elo_rating", "arena:nakasyou:elo_rating"
    scores = pd.DataFrame(snapshot(head, "2024-01-01", models(*range(20)))
                          + snapshot(head, "2024-03-01", models(*range(20)))
                          + snapshot(member, "2024-02-01", models(*range(20)), offset=1)
                          + snapshot(member, "2024-02-10", models(*range(20)), offset=50))
    assert arena.families(arena.listed(scores)) == {head: head, member: head}


def test_a_rating_method_not_in_the_table_is_still_named_in_words():
    """The Arena chart's break labels name a pack by its rating method: a method the table
    does not know yet comes out as its words, never `None`."""
    assert arena.pack_label("arena:new_src:elo_bootstrap_median") == \
        "Arena new src (elo bootstrap median)"
    assert arena.method_words("arena:new_src:bt_rating") == "Bradley–Terry rating"


# --- One row per benchmark in the Capability page's story table ------------------------------

def benchmark_months(pack: str, statuses: list[str], open_missing=()) -> pd.DataFrame:
    """`composite_inputs` rows of one benchmark from 2023-01, one month per status; the gap
    falls 0.01 a month; the open side's strongest is unscored in the `open_missing` months."""
    months = pd.date_range("2023-01-01", periods=len(statuses), freq="MS")
    return pd.DataFrame({"metric": pack, "gap_kind": "frontier_a_minus_b", "bucket_start": months,
                         "value": [round(0.30 - 0.01 * i, 2) for i in range(len(months))],
                         "status": statuses, "eligible": [s == "in range" for s in statuses],
                         "closed_covered": True,
                         "open_covered": [m not in open_missing for m in months.strftime("%Y-%m")],
                         "strongest_closed": "Cee Three, Cee Two", "strongest_open": "Oh Two"})


@pytest.fixture(scope="module")
def story_rows():
    """GPQA Diamond: at the floor 2023-01..02, in range to 2024-02 (the open side's strongest
    unscored in 2023-05 and 06), saturated from 2024-03, in its composite; Aider Polyglot: in
    range 2023-01..06, not in a composite. Both scored by closed models released 2023-01-15,
    2023-08-01, 2024-05-01 and open ones released 2023-02-01, 2024-04-01."""
    gpqa = benchmark_months("epoch:gpqa_diamond", ["floor"] * 2 + ["in range"] * 12
                            + ["saturated"] * 4, open_missing={"2023-05", "2023-06"})
    aider = benchmark_months("epoch:aider_polyglot", ["in range"] * 6)
    released = [("c1", "Cee One", "2023-01-15", False), ("c2", "Cee Two", "2023-08-01", False),
                ("c3", "Cee Three", "2024-05-01", False), ("o1", "Oh One", "2023-02-01", True),
                ("o2", "Oh Two", "2024-04-01", True)]
    scores = pd.DataFrame([{"pack": pack, "model_id": m, "family": f, "open_weights": open_,
                            "measured_at_utc": pd.Timestamp(day, tz="UTC")}
                           for pack in ("epoch:gpqa_diamond", "epoch:aider_polyglot")
                           for m, f, day, open_ in released])
    out = benchmark_stories.stories(pd.concat([gpqa, aider]), scores, {"epoch:gpqa_diamond"})
    return out.set_index("metric")


def test_a_saturated_benchmarks_story_says_when_and_which_months_count(story_rows):
    """The story row of a benchmark that saturated: its unit, the models released in its last
    12 months (2023-06 → 2024-06: two closed, one open, of three and two in all), the month it
    saturated, and the composite's words for floor, ceiling and the months a side's strongest
    model was not scored."""
    row = story_rows.loc["epoch:gpqa_diamond"]
    assert row["unit"] == "score 0–1"
    assert str(row["recent_start"].date()) == "2023-06-01"
    assert (row["n_closed"], row["n_open"], row["n_closed_recent"], row["n_open_recent"]) == (3, 2, 2, 1)
    assert str(row["saturated_from"].date()) == "2024-03-01"
    assert row["composite_note"] == (
        "used 2023-03 → 2024-02; at the floor (best below 0.10) until 2023-02; saturated (best "
        "0.90 or more) from 2024-03; a side's strongest not scored in 2 months between 2023-05 "
        "and 2023-06")


def test_a_benchmark_that_never_saturated_says_nothing_of_a_ceiling(story_rows):
    """Aider Polyglot (percent solved) never reached the ceiling and was not used: its row says
    why it was left out, and nothing about saturation or unscored sides."""
    row = story_rows.loc["epoch:aider_polyglot"]
    assert row["unit"] == "percent solved"
    assert pd.isna(row["saturated_from"])
    assert (row["n_closed_recent"], row["n_open_recent"]) == (1, 1)
    assert row["composite_note"] == ("not used: its 6 usable months are not linked to the "
                                     "dimension's other benchmarks by 3 shared months")


def test_a_story_says_whether_each_sides_strongest_model_was_scored():
    """The story table's "strongest" columns: each side's strongest family at the newest month
    (the first named) and whether the benchmark scored it: the closed side's Cee Three was
    scored, the open side's Oh Three (never run on it) was not."""
    gpqa = benchmark_months("epoch:gpqa_diamond", ["in range"] * 3).assign(
        strongest_open="Oh Three, Oh Two")
    scores = pd.DataFrame([{"pack": "epoch:gpqa_diamond", "model_id": m, "family": f,
                            "open_weights": open_, "measured_at_utc": pd.Timestamp(day, tz="UTC")}
                           for m, f, day, open_ in [("c3", "Cee Three", "2023-01-15", False),
                                                    ("o2", "Oh Two", "2023-02-01", True)]])
    row = benchmark_stories.stories(gpqa, scores, set()).iloc[0]
    assert (row["strongest_closed"], row["strongest_closed_scored"]) == ("Cee Three", True)
    assert (row["strongest_open"], row["strongest_open_scored"]) == ("Oh Three", False)


# --- Arena leader − 2nd and best closed − best open ------------------------------------------

def test_arena_extras_give_one_point_per_snapshot_not_per_month():
    """Two Arena snapshots in one month (12 models, the 6 best closed; the closed ones gain 20
    points in the second): leader − 2nd and best closed − best open are points of each
    snapshot's day, as the Arena chart plots them (60 then 80 points), never a monthly mean."""
    def snap(at, closed_gain):
        return [{"pack": "arena:p:elo_rating", "measured_at_utc": pd.Timestamp(at, tz="UTC"),
                 "model_id": f"m{i}", "value": 1000.0 + 10 * i + (closed_gain if i >= 6 else 0),
                 "source": "arena", "open_weights": i < 6} for i in range(12)]

    out = public_series.arena_extras(pd.DataFrame(snap("2024-03-01 12:00", 0)
                                                  + snap("2024-03-15 09:30", 20)))
    got = out.assign(day=out["bucket_start"].dt.strftime("%Y-%m-%d"),
                     segment=out["segment_start"].dt.strftime("%Y-%m-%d"))
    assert got[["gap_kind", "day", "value", "segment"]].values.tolist() == [
        ["top1_minus_top2", "2024-03-01", 10.0, "2024-03-01"],
        ["top1_minus_top2", "2024-03-15", 10.0, "2024-03-01"],
        ["max_a_minus_b", "2024-03-01", 60.0, "2024-03-01"],
        ["max_a_minus_b", "2024-03-15", 80.0, "2024-03-01"]]
    assert set(out["metric"]) == {"arena:text"}


# --- Refreshed sources: where a series passes from one vintage to the next -------------------

def test_a_newer_vintage_starting_later_is_a_break_and_a_full_refit_is_not():
    """Arena's refresh (fetched 2026-12-05) starts 2026-01-01, after the shipped history: the
    Arena series passes from one vintage to the other there, a `new vintage` break in the
    chart's words, and its points from that day start a new segment. Epoch's refit reaches
    back as far as the shipped file, so it replaces it: no break on the ECI series."""
    def vintage(family, fetched, data_from, superseded_from=None, bundled=False):
        return {"family": family, "dataset": family, "fetched_at_utc": pd.Timestamp(fetched, tz="UTC"),
                "data_from": pd.Timestamp(data_from), "data_through": pd.Timestamp("2026-11-30"),
                "superseded_from": pd.Timestamp(superseded_from) if superseded_from else pd.NaT,
                "is_newest": not superseded_from, "bundled": bundled}

    found = pd.DataFrame([
        vintage("arena", "2025-12-17", "2023-05-01", "2026-01-01", bundled=True),
        vintage("arena", "2026-12-05", "2026-01-01"),
        vintage("epoch_eci", "2026-03-09", "2023-02-24", "2023-02-24", bundled=True),
        vintage("epoch_eci", "2026-12-05", "2023-02-24")])
    series = pd.DataFrame({"metric": ["arena:text", "arena:text", "epoch:eci"],
                           "bucket_start": pd.to_datetime(["2025-12-15", "2026-01-10", "2026-01-10"])})
    breaks = vintages.breaks(series, found)
    assert breaks.values.tolist() == [[
        pd.Timestamp("2026-01-01", tz="UTC"), "arena:text", "new vintage",
        "Arena ratings: the vintage fetched 2026-12-05 from 2026-01-01 on; earlier points from "
        "the vintage shipped with GapWatch"]]
    split = vintages.split(series, breaks)
    assert split["segment_start"].dt.strftime("%Y-%m-%d").fillna("-").tolist() == ["-", "2026-01-01", "-"]


# --- The dimension composites public_series registers ----------------------------------------

def test_a_dimensions_composite_stops_where_the_open_sides_strongest_were_never_scored():
    """GPQA Diamond is scored by two closed models (2023-01, 2023-12) and one open (2023-01);
    in 2023-07 three open models stronger by the Epoch Capabilities Index are released and
    never scored on it. From then the closed − open gap is a bound, not a measurement, so the
    understanding composite that `public_series.series` adds ends in 2023-06 (logit 0.5 −
    logit 0.3 = 0.847 a month), not in 2023-12."""
    def score(model, family, day, open_weights, value):
        return {"pack": "epoch:gpqa_diamond", "measured_at_utc": pd.Timestamp(day, tz="UTC"),
                "model_id": model, "value": value, "source": "public:epoch_benchmark_scores",
                "open_weights": open_weights, "organization": "Acme", "family": family}

    def eci(model, family, day, open_weights, value):
        return {"model_id": model, "measured_at_utc": pd.Timestamp(day, tz="UTC"), "eci": value,
                "open_weights": open_weights, "family": family}

    def empty(*columns):
        return pd.DataFrame(columns=list(columns))

    data = {
        "epoch_benchmarks": pd.DataFrame([score("c1", "Cee One", "2023-01-10", False, 0.5),
                                          score("o1", "Oh One", "2023-01-10", True, 0.3),
                                          score("c2", "Cee Two", "2023-12-10", False, 0.6)]),
        "eci_strength": pd.DataFrame([eci("c1", "Cee One", "2023-01-10", False, 120),
                                      eci("c2", "Cee Two", "2023-12-10", False, 130),
                                      eci("o1", "Oh One", "2023-01-10", True, 100)]
                                     + [eci(f"o{i}", f"Oh {i}", "2023-07-05", True, 110 + i)
                                        for i in (2, 3, 4)]),
        "arena_open": empty("pack", "measured_at_utc", "model_id", "value", "source", "open_weights"),
        "price_offers": empty("model_id", "source_name", "effective_from", "effective_to",
                              "last_seen", "usd_per_mtok_in", "usd_per_mtok_out", "source",
                              "open_weights"),
        "eci_levels": empty("model_id", "eci", "released"),
        "heldout_pairs": empty("pack", "model_id", "value", "measured_at_utc", "open_weights", "source")}
    assert set(data) == set(public_series.SQL)
    out = public_series.series(data)
    composite = out[out["metric"].str.startswith("dimension:understanding")
                    & (out["gap_kind"] == "frontier_a_minus_b")]
    assert composite["bucket_start"].dt.strftime("%Y-%m").tolist() == [
        "2023-01", "2023-02", "2023-03", "2023-04", "2023-05", "2023-06"]
    assert composite["value"].round(3).tolist() == [0.847] * 6
