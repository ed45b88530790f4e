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


@pytest.fixture
def two_versions(tmp_path):
    """Acme 1, version 001 (2024-01-10: MATH 0.30, OTIS 0.10) and version 002 (2024-06-10:
    MATH 0.80, OTIS 0.40), one family; an open model from 2024-01-05 (MATH 0.20, OTIS 0.05)."""
    rows = [epoch_row("math_level_5", "acme-1-001", "Acme 1", "2024-01-10", 0.30, False),
            epoch_row("math_level_5", "acme-1-002", "Acme 1", "2024-06-10", 0.80, False),
            epoch_row("math_level_5", "open-7b", "Open 7B", "2024-01-05", 0.20, True, "Opnr"),
            epoch_row("otis_mock_aime_2024_2025", "acme-1-001", "Acme 1", "2024-01-10", 0.10, False),
            epoch_row("otis_mock_aime_2024_2025", "acme-1-002", "Acme 1", "2024-06-10", 0.40, False)]
    data = tiny_history(tmp_path / "public_data", rows)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    create_views(con)
    import_public_history(con, data_dir=data, force=True)
    gap_tables.store(con, *gap_tables.compute_all(con))
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
