"""Migrations build the documented contract, record themselves, and never half-apply."""

import duckdb
import pytest

from warehouse.storage import migrations
from core.errors import GapWatchError
from warehouse.storage.migrations import MIGRATIONS, migrate
from warehouse.contract.views import VIEWS, create_views


def fresh(path=":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    return con


def test_blank_file_gets_every_documented_view_with_its_columns(tmp_path):
    con = fresh(tmp_path / "blank.duckdb")
    applied = migrate(con)
    create_views(con)
    assert applied == [name for _, name, _ in MIGRATIONS]
    for v in VIEWS:
        cols = con.execute("SELECT column_name, comment FROM duckdb_columns() "
                           "WHERE table_name = ? ORDER BY column_index", [v.name]).fetchall()
        assert [c for c, _ in cols] == list(v.columns), v.name
        assert all(comment for _, comment in cols), f"{v.name} has an undocumented column"


def test_design_contract_columns_are_present():
    con = fresh()
    migrate(con)
    create_views(con)
    required = {
        "models": "model_id organization open_weights release_date source",
        "model_aliases": "alias source model_id",
        "runs": "run_id collector host started_at_utc finished_at_utc status n_rows n_warnings error valid",
        "capability_items": "run_id model_id pack pack_version dimension item_id variant seed score "
                            "input_tokens output_tokens latency_s measured_at_utc",
        "capability_scores": "measured_at_utc model_id metric pack pack_version value ci_low ci_high "
                             "n_items source",
        "latency_samples": "measured_at_utc model_id workload concurrency ttft_s e2e_s output_tokens "
                           "output_tokens_per_s itl_s error_class error",
        "prices": "model_id effective_from effective_to usd_per_mtok_in usd_per_mtok_out "
                  "usd_per_mtok_cached_in first_seen_utc last_seen_utc source estimated",
        "gap_series": "series_id gap_kind group_a group_b bucket_start value n_models source",
        "gap_verdicts": "series_id gap_kind group_a group_b verdict slope_per_year ci_low ci_high p_value "
                        "p_adjusted n_points period_start period_end source",
        "lags": "series_id leader_group follower_group level lag_months",
    }
    for view, columns in required.items():
        actual = set(con.execute(f"SELECT * FROM {view} LIMIT 0").df().columns)
        assert set(columns.split()) <= actual, view
    assert con.execute("SELECT count(*) FROM latency_stats WHERE false").fetchone() == (0,)


def test_second_migrate_applies_nothing_and_ledger_has_one_row_each():
    con = fresh()
    migrate(con)
    assert migrate(con) == []
    ids = [r[0] for r in con.execute("SELECT id FROM gapwatch_migrations ORDER BY id").fetchall()]
    assert ids == [n for n, _, _ in MIGRATIONS]


def test_a_failing_migration_rolls_back_whole(monkeypatch):
    con = fresh()
    migrate(con)

    def broken(c):
        c.execute("CREATE TABLE half_done (x INT)")
        raise RuntimeError("boom")

    number = MIGRATIONS[-1][0] + 1
    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, (number, "m999_broken", broken)])
    with pytest.raises(RuntimeError, match="boom"):
        migrate(con)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half_done'").fetchone()[0] == 0
    assert number not in migrations.applied(con)


def test_foreign_duckdb_file_is_refused_and_left_intact(tmp_path):
    con = fresh(tmp_path / "theirs.duckdb")
    con.execute("CREATE TABLE invoices (id INT); INSERT INTO invoices VALUES (7)")
    with pytest.raises(GapWatchError, match="not a GapWatch warehouse.*invoices"):
        migrate(con, label="theirs.duckdb")
    assert con.execute("SELECT * FROM invoices").fetchall() == [(7,)]
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == 1


def test_schema_from_a_newer_gapwatch_is_refused():
    con = fresh()
    migrate(con)
    con.execute("INSERT INTO gapwatch_migrations VALUES (999, 'm999_future', now())")
    with pytest.raises(GapWatchError, match="migration 999, newer than this GapWatch"):
        migrate(con)
