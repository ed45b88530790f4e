"""A score counts from the release of the version that earned it (issue 25): the crosswalk maps a
name to a model *version*, never to another model, and every series built on Epoch's scores
dates a score by its own version. Small public files go through the real importer and the real
gap pipeline (`import_public_history`, `gap_tables.refresh`) into a real DuckDB; the bundled
history is checked on the session's built warehouse."""

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from warehouse.analysis import contamination, price_index
from warehouse.contract.views import create_views
from warehouse.ingestion.public_history import DATA_DIR, import_public_history
from warehouse.ingestion.public_loaders import CROSSWALK, DATASETS
from warehouse.storage import db, gap_tables
from warehouse.storage.migrations import migrate

EPOCH = "epoch_benchmark_scores"


def epoch_row(benchmark, version, name, released, score, open_weights, org="Acme"):
    return {"benchmark": benchmark, "origin": "epoch_run", "model_version": version,
            "model_name": name, "release_date": released, "organization": org,
            "model_accessibility": "Open weights (unrestricted)" if open_weights else "API access",
            "open_weights": str(open_weights).lower(), "score": score}


def tiny_history(folder: Path, epoch_rows: list[dict]) -> Path:
    """Every shipped file with its header only, except the Epoch scores given."""
    folder.mkdir()
    for dataset in [CROSSWALK, *DATASETS]:
        with (DATA_DIR / dataset.file).open(newline="") as src:
            header = next(csv.reader(src))
        with (folder / dataset.file).open("w", newline="") as out:
            writer = csv.DictWriter(out, header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(epoch_rows if dataset.name == EPOCH else [])
    return folder


def tiny_warehouse(tmp_path: Path, epoch_rows: list[dict]) -> duckdb.DuckDBPyConnection:
    """A real warehouse file with only these Epoch scores, imported and its gaps refreshed the
    way `init` does it (the dimension checks and stories too)."""
    data = tiny_history(tmp_path / "public_data", epoch_rows)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    create_views(con)
    import_public_history(con, data_dir=data, force=True)
    gap_tables.refresh(con)
    return con


@pytest.fixture
def two_versions(tmp_path):
    """Acme 1, version 001 (2024-01-10: MATH 0.30, OTIS 0.10) and version 002 (2024-06-10:
    MATH 0.80, OTIS 0.40), one family; an open model from 2024-01-05 (MATH 0.20, OTIS 0.05)."""
    rows = [epoch_row("math_level_5", "acme-1-001", "Acme 1", "2024-01-10", 0.30, False),
            epoch_row("math_level_5", "acme-1-002", "Acme 1", "2024-06-10", 0.80, False),
            epoch_row("math_level_5", "open-7b", "Open 7B", "2024-01-05", 0.20, True, "Opnr"),
            epoch_row("otis_mock_aime_2024_2025", "acme-1-001", "Acme 1", "2024-01-10", 0.10, False),
            epoch_row("otis_mock_aime_2024_2025", "acme-1-002", "Acme 1", "2024-06-10", 0.40, False)]
    con = tiny_warehouse(tmp_path, rows)
    yield con
    con.close()


def test_two_versions_of_one_model_raise_the_frontier_only_at_the_later_release(two_versions):
    con = two_versions
    ids = dict(con.execute("SELECT alias, model_id FROM model_aliases WHERE source = 'epoch'")
               .fetchall())
    assert ids["acme-1-001"] != ids["acme-1-002"]
    families = con.execute("SELECT DISTINCT family FROM models WHERE model_id IN (?, ?)",
                           [ids["acme-1-001"], ids["acme-1-002"]]).fetchall()
    assert families == [("Acme 1",)]
    closed = dict(con.execute("""SELECT strftime(bucket_start, '%Y-%m'), leader_value FROM gap_series
        WHERE series_id = 'epoch:math_level_5' AND gap_kind = 'frontier_a_minus_b'""").fetchall())
    assert closed["2024-01"] == closed["2024-05"] == 0.30
    assert closed["2024-06"] == 0.80
    dated = con.execute("""SELECT CAST(measured_at_utc AS DATE)::VARCHAR, value FROM capability_scores
        WHERE pack = 'epoch:math_level_5' AND model_id = ? """, [ids["acme-1-002"]]).fetchall()
    assert dated == [("2024-06-10", 0.80)]


def test_a_later_versions_held_out_pair_keeps_its_own_date(two_versions):
    """Contamination pairs a version's public and held-out scores at its own release, not the
    later version's scores at the first version's date."""
    pairs = contamination.per_model(two_versions.execute(
        contamination.SQL["heldout_pairs"]).df()).sort_values("released")
    got = [(str(r.released.date()), r.public_score, r.heldout_score) for r in pairs.itertuples()]
    assert got == [("2024-01-10", 0.30, 0.10), ("2024-06-10", 0.80, 0.40)]


def rows(path, sql, params=None) -> list[tuple]:
    with db.reading(path) as con:
        return con.execute(sql, params or []).fetchall()


def test_math_level_5_closed_frontier_is_below_0_70_until_2024_09(built_db):
    """gemini-1.5-pro-002 (0.704, 2024-09-24) no longer sets the closed frontier from
    gemini-1.5-pro-001's date (2024-05-24)."""
    closed = rows(built_db, """SELECT bucket_start, leader_value FROM gap_series
        WHERE series_id = 'epoch:math_level_5' AND gap_kind = 'frontier_a_minus_b'
        ORDER BY bucket_start""")
    before = [v for d, v in closed if d < pd.Timestamp("2024-09-01").date()]
    assert len(before) >= 12 and max(before) < 0.70
    assert dict(closed)[pd.Timestamp("2024-09-01").date()] >= 0.70
    versions = rows(built_db, """SELECT a.alias, a.model_id, CAST(s.measured_at_utc AS DATE)::VARCHAR
        FROM model_aliases a JOIN capability_scores s ON s.model_id = a.model_id
        WHERE a.source = 'epoch' AND a.alias IN ('gemini-1.5-pro-001', 'gemini-1.5-pro-002')
          AND s.pack = 'epoch:math_level_5' ORDER BY 1""")
    assert [(a, d) for a, _, d in versions] == [("gemini-1.5-pro-001", "2024-05-24"),
                                                ("gemini-1.5-pro-002", "2024-09-24")]
    assert versions[0][1] != versions[1][1]


def test_a_vision_model_is_not_its_text_sibling(built_db):
    vl = rows(built_db, "SELECT source, alias, model_id FROM model_aliases "
                        "WHERE lower(alias) LIKE '%qwen2.5-vl-72b%'")
    assert {s for s, *_ in vl} >= {"epoch", "openrouter"}
    assert all(m != "qwen/qwen2.5-72b" for *_, m in vl), vl
    text = rows(built_db, "SELECT model_id FROM model_aliases WHERE source = 'epoch' "
                          "AND alias = 'qwen2.5-72b-instruct'")
    assert text == [("qwen/qwen2.5-72b",)]
    assert rows(built_db, "SELECT count(*) FROM capability_scores WHERE pack = 'epoch:eci' AND "
                          "model_id IN (SELECT model_id FROM model_aliases WHERE "
                          "alias = 'Qwen2.5-VL-72B-Instruct')") == [(0,)]


def test_the_eci_125_price_in_2025_12_is_a_model_with_its_own_eci(built_db):
    """The cheapest open model at ECI >= 125 in December 2025 is one Epoch scored itself (the
    VL model priced 0.055 only borrowed its text sibling's ECI)."""
    with db.reading(built_db) as con:
        offers = con.execute(price_index.SQL["price_offers"]).df()
        eci = con.execute(price_index.SQL["eci_levels"]).df()
        stored = con.execute("""SELECT leader_value, group_a FROM gap_series
            WHERE series_id = 'price:cheapest_usd_per_mtok_blended@eci125'
              AND bucket_start = '2025-12-01'""").fetchone()
    cheapest = price_index.cheapest_at_level(price_index.capable(price_index.monthly(offers), eci), 125)
    open_dec = cheapest[(cheapest["measured_at_utc"] == "2025-12-01") & (cheapest["group"] == "open")]
    model, price = open_dec["model_id"].iloc[0], open_dec["value"].iloc[0]
    assert stored == (price, "open") and round(price, 3) != 0.055
    own = rows(built_db, """SELECT s.value FROM capability_scores s JOIN model_aliases a
        ON a.source = 'epoch' AND a.model_id = s.model_id WHERE s.pack = 'epoch:eci'
        AND s.model_id = ? AND a.alias NOT IN ('Qwen2.5-VL-72B-Instruct')""", [model])
    assert own and min(v for v, in own) >= 125


def test_pointer_names_do_not_join_a_later_model(built_db):
    """OpenRouter's deepseek-chat (listed since 2024-05) is not the 2025-12 DeepSeek-V3.2, and
    Arena's 2023 mistral-medium is not Mistral Medium 3 (2025-05)."""
    got = dict(rows(built_db, """SELECT source || ':' || alias, model_id FROM model_aliases WHERE
        (source = 'openrouter' AND alias = 'deepseek/deepseek-chat')
        OR (source = 'epoch' AND alias IN ('deepseek-chat', 'mistral-medium-2505'))
        OR (source = 'arena' AND alias = 'mistral-medium')"""))
    assert got["openrouter:deepseek/deepseek-chat"] != got["epoch:deepseek-chat"]
    assert got["arena:mistral-medium"] != got["epoch:mistral-medium-2505"]


def test_hosts_are_not_organisations_and_microsoft_is_one(built_db):
    orgs = {o for o, in rows(built_db, "SELECT DISTINCT organization FROM models")}
    assert not orgs & {"ollama", "bedrock", "nscale", "azure_ai", "azure", "deepinfra",
                       "fireworks_ai", "together_ai", "groq", "Microsoft Research"}
    phi = rows(built_db, "SELECT DISTINCT m.organization FROM models m JOIN model_aliases a "
                         "USING (model_id) WHERE a.alias IN ('phi-4', 'Phi-4')")
    assert phi == [("Microsoft",)]
    hosted = rows(built_db, "SELECT m.organization FROM model_aliases a JOIN models m "
                            "USING (model_id) WHERE a.source = 'litellm' "
                            "AND a.alias = 'deepinfra/Qwen/Qwen2.5-72B-Instruct'")
    assert hosted == [("Alibaba",)]


def _expit(x: float) -> float:
    import math

    return 1 / (1 + math.exp(-x))


@pytest.fixture
def one_benchmark_decides(tmp_path):
    """Three reasoning benchmarks over 24 months, a closed and an open model each month: on
    GSM8K and MATH Level 5 the gap is a constant 0.5 logits; on OTIS it closes from 2.5 to 0.
    The composite narrows only because of OTIS."""
    rows, months = [], pd.date_range("2023-01-01", periods=24, freq="MS")
    for i, month in enumerate(months):
        day = (month + pd.Timedelta(days=9)).strftime("%Y-%m-%d")
        level, wobble = -1.0 + 2.5 * i / 23, 0.003 * ((i * 7) % 5 - 2)
        for bench, gap in (("gsm8k", 0.5), ("math_level_5", 0.5),
                           ("otis_mock_aime_2024_2025", 2.5 * (1 - i / 23))):
            rows.append(epoch_row(bench, f"closed-{i}", f"Closed {i}", day,
                                  round(_expit(level) + wobble, 4), False))
            rows.append(epoch_row(bench, f"open-{i}", f"Open {i}", day,
                                  round(_expit(level - gap) - wobble, 4), True, "Opnr"))
    con = tiny_warehouse(tmp_path, rows)
    yield con
    con.close()


def test_a_composite_that_depends_on_one_benchmark_says_so_and_calls_no_trend(one_benchmark_decides):
    con = one_benchmark_decides
    verdict, note, p_adjusted, change = con.execute("""SELECT verdict, note, p_adjusted, change
        FROM gap_verdicts WHERE series_id LIKE 'dimension:reasoning@%'
         AND gap_kind = 'frontier_a_minus_b' AND period = 'whole history'""").fetchone()
    assert p_adjusted < 0.001 and change < -0.5  # the trend test alone would say narrowing
    assert verdict == "no clear change"
    assert "depends on OTIS mock AIME 2024–25" in note, note
    checks = dict(con.execute("""SELECT check_label, disagrees FROM dimension_checks
        WHERE series_id LIKE 'dimension:reasoning@%' AND gap_kind = 'frontier_a_minus_b'
          AND period = 'whole history'""").fetchall())
    assert checks["without OTIS mock AIME 2024–25"] is True
    assert checks["without GSM8K"] is False and checks["without MATH Level 5"] is False
    assert "frontier SDs (raw gap ÷ spread of the frontier)" in checks
    own = con.execute("""SELECT verdict FROM gap_verdicts WHERE series_id =
        'epoch:otis_mock_aime_2024_2025' AND gap_kind = 'frontier_a_minus_b'
        AND period = 'last 12 months'""").fetchone()
    assert own == ("narrowing",)  # the benchmark's own story still says it
    stories = con.execute("SELECT series_id, in_composite, bound FROM benchmark_stories "
                          "ORDER BY 1").fetchall()
    assert stories == [("epoch:gsm8k", True, None), ("epoch:math_level_5", True, None),
                       ("epoch:otis_mock_aime_2024_2025", True, None)]


def test_memory_answers_after_2024_12(built_db):
    """Fiction.LiveBench (from 2024-12) carries memory's newest months: its own series has a
    verdict, its story says why the composite leaves it out (saturated, open side thin)."""
    own = rows(built_db, """SELECT verdict, period_end FROM gap_verdicts
        WHERE series_id = 'epoch:fictionlivebench' AND gap_kind = 'frontier_a_minus_b'
          AND period = 'last 12 months'""")
    assert own and own[0][0] in {"widening", "narrowing", "stable", "no clear change"}
    assert own[0][1] > pd.Timestamp("2024-12-31").date()
    story = rows(built_db, """SELECT last_month, saturated_from, bound, composite_note
        FROM benchmark_stories WHERE series_id = 'epoch:fictionlivebench'""")
    assert story and story[0][0] > pd.Timestamp("2024-12-31").date()
    assert "saturated" in story[0][3]


def test_aliases_command_counts_and_lists_the_unlabelled_models(built_db, monkeypatch, capsys):
    """Scored model versions no source labels open or closed are named, not dropped unseen."""
    from warehouse.__main__ import main

    monkeypatch.setenv("GAPWATCH_DB", str(built_db))
    assert main(["aliases"]) == 0
    out = capsys.readouterr().out
    unlabelled = rows(built_db, """SELECT DISTINCT model_id FROM capability_scores s JOIN models m
        USING (model_id) WHERE m.open_weights IS NULL AND s.pack LIKE 'epoch:%'
        AND s.pack <> 'epoch:eci'""")
    assert len(unlabelled) >= 30
    assert f"unlabelled model versions with Epoch benchmark scores: {len(unlabelled)} " in out
    assert all(f"  {m} " in out for m, in unlabelled)
    assert "google/palm-2-l" in out
    by_source = dict(line.split() for line in out.split("(model versions):\n")[1]
                     .split("unlabelled model versions")[0].strip().splitlines())
    assert int(by_source["epoch"]) > 500 and int(by_source["unlabelled"]) > 0
