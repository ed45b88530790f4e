"""The shipped public history lands once, with real values, and a broken row loses nothing."""

import shutil
from pathlib import Path

import pytest

from warehouse.storage import db
from core.errors import GapWatchError
from warehouse.ingestion.public_history import DATA_DIR, import_public_history
from warehouse.contract.views import VIEWS

REPO = Path(__file__).resolve().parent.parent


def counts(path) -> dict[str, int]:
    with db.reading(path) as con:
        return {v.name: con.execute(f"SELECT count(*) FROM {v.name}").fetchone()[0] for v in VIEWS}


def one(path, sql, params=None):
    with db.reading(path) as con:
        return con.execute(sql, params or []).fetchone()


def test_init_twice_leaves_the_same_row_counts(gapwatch_env, db_copy, monkeypatch):
    """The session's built warehouse is the first init (bootstrap.init from a blank file); the
    command line's init then runs twice on its copy: only the configured models are new."""
    from warehouse.__main__ import main

    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    built = counts(db_copy)
    assert main(["init"]) == 0
    first = counts(db_copy)
    assert main(["init"]) == 0
    assert counts(db_copy) == first
    assert {k: n for k, n in first.items() if built[k] != n}.keys() <= {"models", "model_aliases"}
    assert first["capability_scores"] > 30_000 and first["prices"] > 4_000


@pytest.mark.slow  # the whole public history imported again (~9 s)
def test_forced_reimport_is_idempotent(db_copy):
    before = counts(db_copy)
    with db.writing(db_copy, atomic=False) as con:
        report = import_public_history(con, force=True)
    assert report.imported
    assert counts(db_copy) == before


def test_real_values_arrive(built_db):
    gpt4 = one(built_db, """SELECT value, rank_in_snapshot, pack FROM capability_scores
                            WHERE source_name = 'gpt-4' AND measured_at_utc = '2023-05-08'""")
    assert gpt4 == (1274.19, 1, "arena:nakasyou_result_csv:elo_online")
    eci = one(built_db, """SELECT model_id, value, CAST(measured_at_utc AS DATE)::VARCHAR
                           FROM capability_scores WHERE pack = 'epoch:eci' AND source_name = 'GPT-5.4'""")
    assert eci == ("openai/gpt-5.4", 155.974, "2026-03-05")
    assert one(built_db, "SELECT count(*) FROM latency_stats "
                         "WHERE source = 'public:llmperf_leaderboard_2023'") == (19,)


def test_unlicensed_rows_are_not_shipped_or_imported(built_db):
    assert one(built_db, "SELECT count(*) FROM capability_scores WHERE pack LIKE '%arena_catalog%'") == (0,)
    shipped = {p.name for p in DATA_DIR.glob("*.csv")}
    assert not shipped & {"arena_catalog_model_prices.csv", "llm_prices_periods.csv",
                          "llm_prices_observed_changes.csv", "open_llm_leaderboard_v2_official.csv"}
    notice = (REPO / "NOTICE").read_text()
    datasets = one(built_db, "SELECT list(dataset) FROM public_datasets")[0]
    assert len(datasets) >= 5, datasets  # Arena, Epoch, OpenRouter, LiteLLM, LLMPerf at least
    for dataset in datasets:
        assert dataset in notice, f"{dataset} is imported but not credited in NOTICE"


def test_one_model_across_sources(built_db):
    """Each source's own name for Claude 3.5 Sonnet maps onto the one model id (all four: a
    count of distinct ids alone passed with one alias of the four)."""
    names = {"arena": "claude-3-5-sonnet-20240620", "openrouter": "anthropic/claude-3.5-sonnet",
             "epoch": "Claude 3.5 Sonnet", "litellm": "claude-3-5-sonnet-20240620"}
    with db.reading(built_db) as con:
        mapped = dict(con.execute("SELECT source, model_id FROM model_aliases WHERE "
                                  "(source, alias) IN (SELECT unnest($1), unnest($2))",
                                  [list(names), list(names.values())]).fetchall())
    assert mapped == dict.fromkeys(names, "anthropic/claude-3.5-sonnet")


def test_price_change_closes_one_period_and_opens_the_next(built_db):
    with db.reading(built_db) as con:
        periods = con.execute("""SELECT effective_from::VARCHAR, effective_to::VARCHAR, usd_per_mtok_in
            FROM prices WHERE source = 'public:litellm_price_changes' AND source_name = 'gpt-4o'
            ORDER BY effective_from""").fetchall()
        overlaps = con.execute("""SELECT count(*) FROM (SELECT effective_to, lead(effective_from)
            OVER (PARTITION BY source, source_name ORDER BY effective_from) AS next FROM prices)
            WHERE next IS NOT NULL AND (effective_to IS NULL OR effective_to > next)""").fetchone()[0]
    assert any(p[0] == "2024-11-15" and p[2] == 2.5 for p in periods)
    before = [p for p in periods if p[1] == "2024-11-15"]
    assert before and before[0][2] == 5.0
    assert overlaps == 0


def broken_copy(tmp_path: Path, file: str, line_no: int, new_line: str) -> Path:
    data = tmp_path / "public_data"
    shutil.copytree(DATA_DIR, data)
    lines = (data / file).read_text().splitlines(keepends=True)
    lines[line_no - 1] = new_line + "\n"
    (data / file).write_text("".join(lines))
    return data


@pytest.mark.parametrize("file,line_no,bad,expect", [
    ("openrouter_price_changes.csv", 42,
     "2024-09-21,x/y,Y,x,true,,cheap,0.4,listed,2024-09-19,text->text",
     r"openrouter_price_changes.csv:42: broken row \(column input_usd_per_mtok\)"),
    ("epoch_capabilities_index.csv", 10, "a,b,c", r"epoch_capabilities_index.csv:10: broken row"),
    # after records whose quoted notes span lines: the file's own line, not DuckDB's record count
    ("epoch_capabilities_index.csv", 100, "a,b,c", r"epoch_capabilities_index.csv:100: broken row"),
    ("epoch_benchmark_scores.csv", 2000, "x", r"epoch_benchmark_scores.csv:2000: broken row"),
    ("llmperf_leaderboard_2023.csv", 1, "provider,date", r"llmperf_leaderboard_2023.csv:1: header is"),
])
def test_broken_csv_row_names_file_and_line_and_loses_nothing(db_copy, tmp_path, file, line_no,
                                                             bad, expect):
    data = broken_copy(tmp_path, file, line_no, bad)
    before = counts(db_copy)
    with pytest.raises(GapWatchError, match=expect):
        with db.writing(db_copy, atomic=False) as con:
            import_public_history(con, data_dir=data, force=True)
    assert counts(db_copy) == before
