"""`python -m collectors run public`: the public history brought up to date, as vintages.

Against a real HTTP server on a free port (tests/public_server.py) serving files in each
source's real format (tests/fixtures/make_public_fixtures.py): LMArena's leaderboard Parquet,
Epoch's benchmark_data.zip, the OpenRouter and LiteLLM price JSONs. Every check reads what a
user reads: the CLI's lines, the views, `collectors status`, the bytes of the warehouse files.
"""

import contextlib
import hashlib
import io
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from collectors.__main__ import main
from public_server import FIXTURES, PublicServer, dead_url
from tests.conftest import copy_built
from warehouse.storage import db

TODAY = f"{datetime.now(timezone.utc):%Y-%m-%d}"
FIRST = ["run", "public", "--sources", "arena,epoch,openrouter"]  # LiteLLM left stale on purpose


@pytest.fixture(scope="module")
def server():
    srv = PublicServer()
    srv.serve_vintage()
    yield srv
    srv.close()


def refresh(db_path: Path, config: Path, monkeypatch, capsys, argv=None) -> tuple[int, str, str]:
    monkeypatch.setenv("GAPWATCH_DB", str(db_path))
    monkeypatch.setenv("GAPWATCH_CONFIG", str(config))
    code = main(argv or FIRST)
    out = capsys.readouterr()
    return code, out.out, out.err


def refresh_served(path: Path, folder: Path, monkeypatch, capsys, sources: str, **vintage):
    """`run public --sources SOURCES` against a server of its own serving `vintage`'s files."""
    srv = PublicServer()
    srv.serve_vintage(**vintage)
    try:
        return refresh(path, srv.config(folder), monkeypatch, capsys,
                       ["run", "public", "--sources", sources])
    finally:
        srv.close()


@pytest.fixture(scope="module")
def refreshed(built_db, server, tmp_path_factory):
    """A copy of the built warehouse after one refresh from the v1 files: (db, config, stdout)."""
    folder = tmp_path_factory.mktemp("refreshed")
    path, config = copy_built(built_db, folder), server.config(folder)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("GAPWATCH_DB", str(path))
        mp.setenv("GAPWATCH_CONFIG", str(config))
        code = main(FIRST)
    assert code == 0, out.getvalue()
    return path, config, out.getvalue()


@pytest.fixture
def refreshed_copy(refreshed, tmp_path):
    """A private copy of `refreshed` in a folder of its own (configs go elsewhere)."""
    path, config, _ = refreshed
    (tmp_path / "data").mkdir()
    return copy_built(path, tmp_path / "data"), config


def rows(path, sql, params=None):
    with db.reading(path) as con:
        return con.execute(sql, params or []).fetchall()


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file()}


def test_a_first_refresh_adds_the_new_months(refreshed):
    path, _, out = refreshed
    assert "arena             new vintage" in out and "epoch_eci         new vintage" in out
    assert f"Arena ratings to 2026-11-30, fetched {TODAY}" in out
    assert "LiteLLM prices to 2025-09-01, shipped with GapWatch; stale" in out
    # The board's series reach the new months (the shipped history stopped at 2025-08 / 2026-03).
    assert rows(path, "SELECT max(bucket_start)::VARCHAR FROM gap_series WHERE series_id = 'arena:text'") \
        == [("2026-11-30",)]
    assert rows(path, "SELECT max(bucket_start)::VARCHAR FROM gap_series WHERE series_id = 'epoch:eci'") \
        == [("2026-11-01",)]
    # Rating intervals, votes and style control are kept; only category `overall` is stored.
    top = rows(path, """SELECT source_name, value, ci_low, ci_high, n_items, rank_in_snapshot
                        FROM capability_scores WHERE pack = 'arena:lmarena_text:bt_rating'
                          AND measured_at_utc = '2026-11-30' ORDER BY rank_in_snapshot LIMIT 1""")
    assert top[0][0] == "gemini-3-pro" and top[0][2] == top[0][1] - 6 and top[0][3] == top[0][1] + 6
    assert top[0][4] == 8600 and top[0][5] == 1
    listed = duckdb.sql(f"""SELECT count(*) FROM '{FIXTURES / "arena" / "text_full_v1.parquet"}'
                            WHERE category = 'overall' AND leaderboard_publish_date = '2025-09-01'""").fetchone()
    assert rows(path, """SELECT count(*) FROM capability_scores WHERE pack = 'arena:lmarena_text:bt_rating'
                         AND measured_at_utc = '2025-09-01'""") == [listed]
    assert rows(path, "SELECT count(*) > 100 FROM capability_scores "
                      "WHERE pack = 'arena:lmarena_text_style_control:bt_rating_style_control'") == [(True,)]
    # A new model gets an id; the refreshed ECI row of a new model lands with it.
    assert rows(path, "SELECT model_id, value FROM capability_scores WHERE pack = 'epoch:eci' "
                      "AND source_name = 'GPT-6 Astra'") == [("openai/gpt-6-astra", 166.31)]
    # The shipped Arena rows are superseded (still queryable), not deleted.
    assert rows(path, "SELECT count(*) FROM capability_scores WHERE source = 'public:arena_elo_history'") == [(0,)]
    assert rows(path, "SELECT count(*) > 25000, bool_or(in_use) FROM public_vintage_scores "
                      "WHERE source = 'public:arena_elo_history'") == [(True, False)]
    credits = dict(rows(path, "SELECT dataset, licence || ' / ' || credit FROM public_datasets"))
    assert "CC BY 4.0" in credits["lmarena_leaderboard"] and "arXiv:2403.04132" in credits["lmarena_leaderboard"]
    assert "epoch.ai/benchmarks" in credits["epoch_eci"] and "CC BY 4.0" in credits["epoch_benchmarks"]


def test_a_refreshed_model_keeps_epochs_country_and_the_country_lag_reaches_the_new_months(refreshed):
    """The refreshed ECI's new models carry Epoch's country label (`models.country`), shipped
    models keep theirs, and China behind the US is computed on the refreshed months too."""
    path, _, _ = refreshed
    labels = dict(rows(path, "SELECT s.source_name, m.country FROM capability_scores s JOIN models m "
                             "USING (model_id) WHERE s.pack = 'epoch:eci' AND s.source_name IN "
                             "('GPT-6 Astra', 'Kimi K3', 'GLM-5.2', 'DeepSeek-V3.2')"))
    assert labels == {"GPT-6 Astra": "United States of America", "Kimi K3": "China",
                      "GLM-5.2": "China", "DeepSeek-V3.2": "China"}
    pair = ("series_id = 'epoch:eci' AND gap_kind = 'lag_months' AND "
            "group_a = 'United States of America' AND group_b = 'China'")
    assert rows(path, f"SELECT max(bucket_start)::VARCHAR, max(leader_value), max(follower_value) "
                      f"FROM gap_series WHERE {pair}") == [("2026-11-01", 166.31, 158.9)]
    assert rows(path, "SELECT count(*) FROM lags WHERE measure = 'level-averaged' AND "
                      "leader_group = 'United States of America' AND follower_group = 'China'") == [(1,)]


def test_a_second_refresh_is_a_no_op(refreshed_copy, server, monkeypatch, capsys):
    path, config = refreshed_copy
    # Every row compared, not a float sum: DuckDB's parallel sum differs in the last bits by run.
    before = rows(path, "SELECT * FROM capability_scores ORDER BY ALL")
    vintages = rows(path, "SELECT run_id, last_checked_utc FROM public_vintages ORDER BY run_id")
    code, out, _ = refresh(path, config, monkeypatch, capsys)
    assert code == 0, out
    assert "arena             unchanged since" in out and "epoch_eci         unchanged since" in out
    assert "openrouter        25 prices: 0 new periods, 0 closed, 25 unchanged" in out
    assert "gap series recomputed" not in out and ", 0 rows," in out
    assert rows(path, "SELECT * FROM capability_scores ORDER BY ALL") == before
    after = rows(path, "SELECT run_id, last_checked_utc FROM public_vintages ORDER BY run_id")
    assert [r[0] for r in after] == [r[0] for r in vintages]  # no new vintage
    moved = {a[0] for a, b in zip(after, vintages) if a[1] > b[1]}
    assert len(moved) == 4  # arena, both Epoch exports and OpenRouter were checked just now


@pytest.mark.slow  # two gap recomputations (~15 s)
def test_a_refit_vintage_splits_the_series_with_a_mark(refreshed_copy, server, monkeypatch, capsys,
                                                        tmp_path):
    """A re-anchored Arena export that starts in 2026-01: the months before come from the older
    vintage, so the series passes from one scale to another there. That date is a `new vintage`
    break (marked in `method_changes`), and no verdict spans it."""
    path, _ = refreshed_copy
    code, out, err = refresh_served(path, tmp_path, monkeypatch, capsys, "arena", arena="late_refit")
    assert code == 0, err
    assert "arena             new vintage: 1,032 rows, 2026-01-01 to 2026-11-30" in out
    marks = rows(path, """SELECT changed_at_utc::DATE::VARCHAR, label FROM method_changes
                          WHERE kind = 'new vintage' AND scope = 'arena:text'""")
    assert [m[0] for m in marks] == ["2026-01-01"]
    assert marks[0][1].startswith(f"Arena ratings: the vintage fetched {TODAY} from 2026-01-01 on")
    spans = rows(path, """SELECT period, period_start, period_end FROM gap_verdicts
                          WHERE series_id = 'arena:text' AND gap_kind = 'top1_minus_top10'""")
    assert not [s for s in spans if s[1] < datetime(2026, 1, 1).date() < s[2]], spans
    assert ("last 12 months",) in {(s[0],) for s in spans if str(s[1]) == "2026-01-01"}
    # Both vintages stay queryable; the series uses the newest from its first date on.
    moved = rows(path, """SELECT in_use, value FROM public_vintage_scores WHERE source_name = 'gemini-3-pro'
                          AND pack = 'arena:lmarena_text:bt_rating' AND measured_at_utc = '2026-06-01'
                          ORDER BY in_use""")
    assert len(moved) == 2 and moved[1][1] == pytest.approx(1100 + (moved[0][1] - 1100) * 1.08 + 12)
    assert rows(path, """SELECT value FROM capability_scores WHERE source_name = 'gemini-3-pro'
                         AND pack = 'arena:lmarena_text:bt_rating' AND measured_at_utc = '2026-06-01'""") \
        == [(moved[1][1],)]
    kept = rows(path, """SELECT count(*) FROM capability_scores WHERE pack = 'arena:lmarena_text:bt_rating'
                         AND measured_at_utc = '2025-09-01'""")
    assert kept[0][0] > 10  # the older vintage still gives the months before the seam


@pytest.mark.slow  # a gap recomputation (~8 s)
def test_a_full_refit_replaces_the_series_with_no_seam(refreshed_copy, server, monkeypatch, capsys,
                                                        tmp_path):
    """Epoch re-estimates every ECI: the new export reaches back as far as the old one, so the
    whole series is recomputed from it (one scale, no break); the benchmarks are unchanged."""
    path, _ = refreshed_copy
    code, out, err = refresh_served(path, tmp_path, monkeypatch, capsys, "epoch", epoch="refit")
    assert code == 0, err
    assert "epoch_eci         new vintage" in out and "epoch_benchmarks  unchanged since" in out
    value, = rows(path, "SELECT value FROM capability_scores WHERE pack = 'epoch:eci' "
                        "AND source_name = 'GPT-6 Astra'")
    assert value[0] == pytest.approx(140 + (166.31 - 140) * 1.1, abs=0.01)
    assert rows(path, "SELECT count(*) FROM method_changes WHERE kind = 'new vintage' "
                      "AND scope = 'epoch:eci'") == [(0,)]
    assert rows(path, "SELECT count(DISTINCT run_id) FROM public_vintage_scores WHERE pack = 'epoch:eci' "
                      "AND source_name = 'GPT-6 Astra'") == [(2,)]


def _parquet(sql: str) -> bytes:
    """The v1 Arena file changed by `sql` (`{source}` is the file)."""
    source = f"read_parquet('{FIXTURES / 'arena' / 'text_full_v1.parquet'}')"
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "changed.parquet"
        duckdb.connect().execute(f"COPY ({sql.format(source=source)}) TO '{out}' (FORMAT parquet)")
        return out.read_bytes()


def _zip_without(name: str, replace: dict | None = None) -> bytes:
    with zipfile.ZipFile(FIXTURES / "epoch" / "benchmark_data_v1.zip") as src:
        files = {i.filename: src.read(i) for i in src.infolist() if i.filename != name}
    files.update(replace or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for file, data in files.items():
            out.writestr(file, data)
    return buffer.getvalue()


V1 = (FIXTURES / "arena" / "text_full_v1.parquet").read_bytes()
ECI_TEXT = (b"Model,Display name,eci,eci_ci_low,eci_ci_high,date,Organization,Country (of organization),"
            b"Model accessibility,Accessibility group,model_versions\n"
            b"GPT-6 Astra,GPT-6 Astra,high,163.0,171.88,2026-09-03,OpenAI,United States of America,"
            b"API access,Closed weights,\n")
FAILURES = {  # case: (source, what is served or None for a dead URL, kind, what the line says)
    "unreachable": ("arena", None, "file", "unreachable (ConnectError"),
    "missing column": ("arena", lambda: _parquet("SELECT * EXCLUDE (rating) FROM {source}"), "file",
                       "column `rating` is missing"),
    "wrong type": ("arena", lambda: _parquet("SELECT * REPLACE (rating::VARCHAR AS rating) FROM {source}"),
                   "file", "column `rating` is VARCHAR, expected a number"),
    "partial download": ("arena", lambda: V1, "truncated", "partial download"),
    "far smaller": ("arena", lambda: _parquet("SELECT * FROM {source} WHERE leaderboard_publish_date "
                                              ">= '2026-11-01'"), "file", "far smaller than the last vintage's"),
    "epoch zip without the index": ("epoch", lambda: _zip_without("epoch_capabilities_index/eci_scores.csv"),
                                    "file", "the zip has no epoch_capabilities_index/eci_scores.csv"),
    "epoch index of text": ("epoch", lambda: _zip_without("", {"epoch_capabilities_index/eci_scores.csv": ECI_TEXT}),
                            "file", "column `eci` holds 'high', not a number"),
}
QUICK = ("wrong type", "partial download")


@pytest.mark.parametrize("case", [c if c in QUICK else pytest.param(c, marks=pytest.mark.slow)
                                  for c in FAILURES])
def test_a_broken_source_is_one_line_and_changes_no_file(refreshed_copy, monkeypatch, capsys,
                                                         tmp_path, case):
    path, _ = refreshed_copy
    source, body, kind, expected = FAILURES[case]
    broken = PublicServer()
    broken.serve_vintage()
    if body is not None:
        broken.serve("text" if source == "arena" else "epoch", body(), kind)
    before = digests(path.parent)
    try:
        code, out, err = refresh(path, broken.config(tmp_path, None if body else dead_url()),
                                 monkeypatch, capsys, ["run", "public", "--sources", source])
    finally:
        broken.close()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1, err
    assert lines[0].startswith(f"error: {source}: http://127.0.0.1:") and expected in lines[0], lines
    assert lines[0].endswith("nothing from it was stored") and "Traceback" not in err + out
    assert digests(path.parent) == before


def test_status_lists_the_public_job_with_its_last_outcome(refreshed, monkeypatch, capsys):
    path, config, _ = refreshed
    monkeypatch.setenv("GAPWATCH_DB", str(path))
    monkeypatch.setenv("GAPWATCH_CONFIG", str(config))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    job = out[out.index("  public "):].splitlines()
    assert "0 4 * * 1" in job[0] and "next" in job[0]
    assert job[1].strip().startswith(f"last run: {TODAY}") and " partial," in job[1]  # 2 unmatched names
    assert f"  Arena ratings to 2026-11-30, fetched {TODAY}\n" in out
    assert "  LiteLLM prices to 2025-09-01, shipped with GapWatch; stale (newest data older than 14 days)" in out


def test_status_shows_the_newest_runs_error_not_an_older_ones(refreshed_copy, server, monkeypatch,
                                                              capsys, tmp_path):
    """The first refresh ended `partial` with a warning (two OpenRouter names match no model); a
    later clean run must not be listed with that old warning as its error."""
    path, config = refreshed_copy
    code, out, err = refresh(path, config, monkeypatch, capsys, ["run", "public", "--sources", "arena"])
    assert code == 0 and "arena             unchanged since" in out, err
    assert main(["status"]) == 0
    job = capsys.readouterr().out.split("  public ")[1].splitlines()
    assert " ok, 0 rows" in job[1] and "error:" not in job[1], job


def test_a_scheduled_refresh_records_a_failed_source_and_keeps_its_history(refreshed_copy, tmp_path,
                                                                          monkeypatch):
    """The scheduler's path: a dead Arena URL is a warning of the run (`collectors status` shows
    it), the other sources are checked, and Arena's stored vintage is untouched."""
    from collectors import jobs
    from warehouse.storage.run_ledger import last_runs
    from collectors.context import host_name

    path, _ = refreshed_copy
    srv = PublicServer()
    srv.serve_vintage()
    monkeypatch.setenv("GAPWATCH_CONFIG", str(srv.config(tmp_path, dead_url())))
    arena = rows(path, "SELECT run_id, last_checked_utc FROM public_vintages WHERE family = 'arena' AND is_newest")
    try:
        outcome = jobs.run_collector("public", db_path=path)
    finally:
        srv.close()
    assert outcome["status"] == "partial"
    last = last_runs(host_name(), path)["public"]
    assert last["status"] == "partial" and last["error"].startswith("arena: http://127.0.0.1:")
    assert "unreachable" in last["error"] and "nothing from it was stored" in last["error"]
    assert rows(path, "SELECT run_id, last_checked_utc FROM public_vintages WHERE family = 'arena' "
                      "AND is_newest") == arena


@pytest.mark.slow  # the whole shipped history imported again (~10 s)
def test_importing_the_shipped_history_again_keeps_the_refreshed_vintages(refreshed_copy):
    """A new GapWatch re-imports its shipped files: only their rows are replaced; the refreshed
    vintages stay, and their models keep (or regain) their ids in the rebuilt crosswalk."""
    from warehouse.ingestion.public_history import import_public_history

    path, _ = refreshed_copy
    query = ("SELECT source, count(*), count(DISTINCT model_id), round(sum(value), 3) "
             "FROM capability_scores GROUP BY source ORDER BY source")
    before = rows(path, query)
    with db.writing(path, atomic=False) as con:
        assert import_public_history(con, force=True).imported
    assert rows(path, query) == before
    assert rows(path, "SELECT s.model_id, m.display_name FROM capability_scores s JOIN models m "
                      "USING (model_id) WHERE s.pack = 'epoch:eci' AND s.source_name = 'GPT-6 Astra'") \
        == [("openai/gpt-6-astra", "GPT-6 Astra")]
    assert rows(path, "SELECT country FROM models WHERE model_id = 'openai/gpt-6-astra'") \
        == [("United States of America",)]  # kept with the vintage's names
    assert rows(path, "SELECT count(*) FROM capability_scores s LEFT JOIN models m USING (model_id) "
                      "WHERE m.model_id IS NULL") == [(0,)]


@pytest.mark.slow  # a gap recomputation (~8 s)
def test_epoch_csvs_in_the_shipped_shapes_are_read_too(built_db, tmp_path, monkeypatch, capsys):
    """A URL may serve Epoch's data in the columns GapWatch ships (a mirror, a curated copy):
    the shipped files themselves, served, become a vintage equal to the shipped history."""
    from warehouse.ingestion.public_history import DATA_DIR

    (tmp_path / "data").mkdir()
    path = copy_built(built_db, tmp_path / "data")
    before = rows(path, "SELECT pack, count(*), round(sum(value), 3) FROM capability_scores "
                        "WHERE pack LIKE 'epoch:%' GROUP BY pack ORDER BY pack")
    srv = PublicServer()
    srv.routes["/eci.csv"] = ("file", (DATA_DIR / "epoch_capabilities_index.csv").read_bytes())
    srv.routes["/benchmarks.csv"] = ("file", (DATA_DIR / "epoch_benchmark_scores.csv").read_bytes())
    config = tmp_path / "gapwatch.toml"
    config.write_text(f'[importers.epoch]\neci_url = "{srv.url("/eci.csv")}"\n'
                      f'benchmarks_url = "{srv.url("/benchmarks.csv")}"\n')
    try:
        code, out, err = refresh(path, config, monkeypatch, capsys, ["run", "public", "--sources", "epoch"])
    finally:
        srv.close()
    assert code == 0, err
    assert "epoch_eci         new vintage: 147 rows, 2023-02-24 to 2026-03-05" in out
    sources = rows(path, "SELECT DISTINCT source FROM capability_scores WHERE pack LIKE 'epoch:%'")
    assert {s[0] for s in sources} == {"public:epoch_eci", "public:epoch_benchmarks"}
    after = rows(path, "SELECT pack, count(*), round(sum(value), 3) FROM capability_scores "
                       "WHERE pack LIKE 'epoch:%' GROUP BY pack ORDER BY pack")
    assert after == before


def test_a_source_whose_terms_forbid_storing_is_not_fetched_by_default(monkeypatch):
    from collectors import public
    from core.config import GapWatchConfig
    from warehouse.analysis import vintages

    config = GapWatchConfig()
    assert public.default_sources(config) == (["arena", "epoch", "openrouter", "litellm"], [])
    forbidden = vintages.Family(**{**vintages.FAMILIES["arena"].__dict__, "storing": "not allowed"})
    monkeypatch.setitem(vintages.FAMILIES, "arena", forbidden)
    chosen, notes = public.default_sources(config)
    assert chosen == ["epoch", "openrouter", "litellm"]
    assert notes[0].startswith("arena: not fetched by default, its terms do not allow storing it")
