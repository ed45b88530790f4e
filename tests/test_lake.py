"""DuckLake with a real PostgreSQL catalog: moving a warehouse up, and reading it there.

PostgreSQL is real (tests/postgres_server.py); the lake's data path is a local folder.
"""

import hashlib
import os
import subprocess
import time
import sys
import uuid
from pathlib import Path

import duckdb
import pytest
from postgres_server import PostgresServer, binaries
from helpers import figure_specs, verdict_board
from streamlit.testing.v1 import AppTest
from test_gap_verdicts import add_measured_rows

from warehouse.storage import db, lake
from warehouse.bootstrap import refresh_public_gaps
from warehouse.storage.migrations import MIGRATIONS

REPO = Path(__file__).resolve().parent.parent

if binaries() is None:
    if os.environ.get("CI"):
        raise RuntimeError("PostgreSQL missing in CI: .ci/run must apt-get install postgresql")
    pytest.skip("no PostgreSQL here (apt-get install -y postgresql)", allow_module_level=True)


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def lake_address(postgres, tmp_path) -> str:
    """An empty lake: a new catalog database and a new data folder."""
    conninfo = postgres.create_database(f"lake_{uuid.uuid4().hex[:8]}")
    return f"ducklake:postgres:{conninfo} data_path={tmp_path / 'lake-data'}/"


def warehouse(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warehouse", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


def table_counts(con) -> dict[str, int]:
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE "
                                        "database_name = current_database()").fetchall()]
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_migrate_to_copies_every_row_and_keeps_every_verdict(db_copy, lake_address):
    with db.writing(db_copy, atomic=False) as con:  # public history plus measured runs
        add_measured_rows(con)
        refresh_public_gaps(con)
    before = hashlib.sha256(Path(db_copy).read_bytes()).hexdigest()
    done = warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address)
    assert done.returncode == 0, done.stderr
    assert "row counts and gap verdicts verified" in done.stdout
    assert hashlib.sha256(Path(db_copy).read_bytes()).hexdigest() == before  # untouched
    with db.reading(db_copy) as file_con, db.reading(lake_address) as lake_con:
        assert table_counts(lake_con) == table_counts(file_con)
        assert table_counts(file_con)["capability_item_result"] == 12 * 6 * 10
        query = "SELECT series_id, gap_kind, verdict, slope_per_year FROM gap_verdicts ORDER BY ALL"
        assert lake_con.execute(query).fetchall() == file_con.execute(query).fetchall()
        assert any(row[0].startswith("arith@1") for row in lake_con.execute(query).fetchall())


def test_migrate_to_refuses_a_lake_that_already_has_tables(db_copy, lake_address):
    assert warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address).returncode == 0
    again = warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "only fills an empty lake" in again.stderr


def test_the_dashboard_and_a_read_only_query_read_the_lake(db_copy, lake_address, monkeypatch):
    assert warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address).returncode == 0
    monkeypatch.setenv("GAPWATCH_DB", lake_address)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=180).run()
    assert not at.exception, at.exception
    board = verdict_board(at)
    assert board["Verdict"].str.contains("no clear change").any()  # verdicts, read from the lake
    pick = "SELECT series_id, gap_kind, period, verdict FROM gap_verdicts ORDER BY ALL"
    with db.reading(db_copy) as con:
        on_file = con.execute(pick).fetchall()
    with db.reading(lake_address) as con:
        assert con.execute(pick).fetchall() == on_file and len(on_file) > 50
    at.switch_page("pages/gaps.py").run()
    assert not at.exception and figure_specs(at)
    with db.reading(lake_address) as con:
        assert con.execute("SELECT count(*) FROM capability_scores").fetchone()[0] > 30_000


@pytest.mark.parametrize("address, message", [
    ("ducklake:postgres:dbname=x host=127.0.0.1", "has no data_path="),
    ("ducklake:postgres:dbname=x host=127.0.0.1 password=hunter2 data_path=/tmp/x/",
     "put the catalog's password in PGPASSWORD"),
    ("ducklake:postgres:dbname=nope host=127.0.0.1 port=1 user=postgres connect_timeout=2 data_path=/tmp/x/",
     "cannot open the lake"),
])
def test_a_bad_lake_address_is_one_clear_message(db_copy, address, message):
    done = warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", address)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert message in done.stderr and "hunter2" not in done.stderr


def test_init_on_an_empty_lake_says_to_fill_it_from_a_file(lake_address):
    done = warehouse({"GAPWATCH_DB": lake_address}, "init")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "this lake is empty: fill it from a DuckDB file with `python -m warehouse migrate-to`" \
        in done.stderr


def test_three_collectors_write_one_lake_at_once_while_it_is_read(db_copy, lake_address, local_servers,
                                                                  monkeypatch):
    """Three processes measure the three real local models into one lake at the same time (the
    tiny smoke workload: three llama.cpp servers on two cores are slow), while a read-only
    query and the dashboard read it. Every row lands once and every run is in the ledger."""
    assert warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address).returncode == 0
    env = {**os.environ, "GAPWATCH_DB": lake_address, "GAPWATCH_CONFIG": str(REPO / "gapwatch.toml")}
    writers = [subprocess.Popen([sys.executable, "-m", "collectors", "run", "latency", "--models", model,
                                 "--workloads", "smoke-32-16", "--requests", "3", "--concurrency", "1,2",
                                 "--quiet"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for model in sorted(local_servers)]
    seen = []
    while any(w.poll() is None for w in writers):
        with db.reading(lake_address) as con:
            seen.append(con.execute("SELECT count(*) FROM latency_sample").fetchone()[0])
        time.sleep(0.2)  # a reader five times a second; a busy loop took a core from the writers
    outcomes = [w.communicate() for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], [err[-2000:] for _, err in outcomes]
    assert seen == sorted(seen)  # readers never saw rows disappear
    with db.reading(lake_address) as con:
        rows = con.execute("SELECT model_id, count(*), count(DISTINCT (run_id, concurrency, request_index)) "
                           "FROM latency_samples GROUP BY 1 ORDER BY 1").fetchall()
        runs = con.execute("SELECT status, n_rows, host FROM runs WHERE collector = 'latency'").fetchall()
    assert rows == [(model, 3 + 6, 3 + 6) for model in sorted(local_servers)]  # c=1: 3, c=2: 6
    assert len(runs) == 3 and all(status == "ok" and n == 9 and host for status, n, host in runs)
    monkeypatch.setenv("GAPWATCH_DB", lake_address)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=180).run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception, at.exception
    assert sum(len(d.value) for d in at.dataframe) >= 3  # the ledger, read from the lake


def test_upkeep_tries_a_step_again_when_a_writer_changed_the_catalog_first():
    """PostgreSQL refuses the flush of inlined data when a writer updated the same catalog rows
    (seen in CI: two hosts' schedulers, upkeep beside latency runs); DuckDB passes it on as a
    plain Error, not a TransactionException. Both are conflicts, other errors are not."""
    conflict = duckdb.Error('Failed to delete flushed inlined data in DuckLake from table '
                            'ducklake_inlined_data_37_1: Failed to execute query "DELETE FROM ...": '
                            'ERROR:  could not serialize access due to concurrent update')
    assert lake._upkeep_conflict(conflict) and lake._upkeep_conflict(duckdb.TransactionException("x"))
    assert not lake._upkeep_conflict(duckdb.Error("IO Error: No space left on device"))


def test_upkeep_merges_small_files_and_expires_old_snapshots(lake_address):
    """Thousands of small writes must not stay thousands of files: here 12 small inserts."""
    con = lake.connect(lake.parse_target(lake_address))
    con.execute("CREATE TABLE sample AS SELECT range AS i FROM range(1000)")
    for batch in range(1, 12):
        con.execute(f"INSERT INTO sample SELECT range + {batch * 1000} FROM range(1000)")
    con.close()
    done = warehouse({"GAPWATCH_DB": lake_address}, "maintain", "--keep-days", "0")
    assert done.returncode == 0, done.stderr
    counts = dict(line.split(": ") for line in done.stdout.splitlines())
    files_before, files_after = map(int, counts["data files"].split(" -> "))
    snapshots_before, snapshots_after = map(int, counts["snapshots"].split(" -> "))
    assert files_before == 12 and files_after < files_before
    assert snapshots_before >= 12 and snapshots_after == 1
    with db.reading(lake_address) as con:  # nothing lost
        assert con.execute("SELECT count(*), count(DISTINCT i) FROM sample").fetchone() == (12_000, 12_000)


def test_price_runs_write_the_lake_and_a_changed_price_closes_its_period(db_copy, lake_address):
    """The same price code as on a file (updates and deletes of periods, no ON CONFLICT); the
    importers read recorded payloads from a real local HTTP server."""
    from test_prices import OPENROUTER, PayloadServer, collect, make_config, openrouter_with

    assert warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address).returncode == 0
    server = PayloadServer()
    server.serve("/api/v1/models", OPENROUTER)
    book = [{"model_id": "openai/gpt-4o-mini", "effective_from": "2024-07-18", "usd_per_mtok_in": 0.15,
             "usd_per_mtok_out": 0.6}]
    try:
        config = make_config(server, litellm=None, prices=book)
        first, reports = collect(lake_address, config)
        assert first.status == "partial" and "2 of 27 names match no GapWatch model" in first.warnings[0]
        assert reports["openrouter"].changes.opened == 25 and reports["config"].changes.opened == 1
        server.serve("/api/v1/models", openrouter_with("openai/gpt-4o-mini", prompt="0.0000002"))
        book[0]["usd_per_mtok_in"] = 0.12
        _, reports = collect(lake_address, make_config(server, litellm=None, prices=book))
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
    assert (reports["openrouter"].changes.opened, reports["openrouter"].changes.closed) == (1, 1)
    with db.reading(lake_address) as con:
        mini = con.execute("SELECT source, usd_per_mtok_in, effective_to IS NULL FROM price_period WHERE "
                           "source_name = 'openai/gpt-4o-mini' AND source IN ('openrouter', 'config') "
                           "ORDER BY source, effective_from, effective_to NULLS LAST").fetchall()
    assert mini == [("config", 0.12, True), ("openrouter", 0.15, False), ("openrouter", 0.2, True)]


def undo_after_m003(con) -> None:
    """Take away what migrations 4 and later add (tables and columns), to fake a lake from before
    them. Generated from the migrations themselves, so a new migration needs no undo written here."""
    old, new = duckdb.connect(), duckdb.connect()
    for number, _, fn in MIGRATIONS:
        fn(new)
        if number <= 3:
            fn(old)
    old_cols, new_cols = (set(c.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                        "WHERE NOT internal").fetchall()) for c in (old, new))
    old_tables = {t for t, _ in old_cols}
    for table in sorted({t for t, _ in new_cols} - old_tables):
        con.execute(f"DROP TABLE {table}")
    for table, column in sorted(c for c in new_cols - old_cols if c[0] in old_tables):
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def test_init_upgrades_an_older_lake_in_place_and_keeps_its_rows(db_copy, lake_address, tmp_path):
    """A lake made by an older GapWatch (schema version 3, an older public history) is brought
    up to this code: the table migration, the views, the public history, the configured
    models; rows collected into it and every verdict stay."""
    with db.writing(db_copy, atomic=False) as con:
        add_measured_rows(con)
        refresh_public_gaps(con)
    assert warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address).returncode == 0
    with db.reading(lake_address) as con:
        before = table_counts(con)
        verdicts = con.execute("SELECT series_id, gap_kind, verdict FROM gap_verdicts ORDER BY ALL").fetchall()
    with db.writing(lake_address) as con:  # back to what migrations 1-3 left
        con.execute("DROP VIEW runs")
        undo_after_m003(con)
        con.execute("DELETE FROM gapwatch_migrations WHERE id > 3; "
                    "UPDATE public_dataset SET file_sha256 = 'older' WHERE dataset = 'epoch_capabilities_index'")
    config = tmp_path / "gapwatch.toml"
    config.write_text('[[models]]\nid = "acme/new-model"\nprovider = "openai-compatible"\n'
                      'base_url = "http://127.0.0.1:9/v1"\norganization = "Acme"\nopen_weights = true\n')
    env = {"GAPWATCH_DB": lake_address, "GAPWATCH_CONFIG": str(config)}
    done = warehouse(env, "init")
    assert done.returncode == 0, done.stderr
    assert "migrations applied: m004_view_fingerprint" in done.stdout
    assert "configured models registered: 1" in done.stdout and "public:epoch_capabilities_index" in done.stdout
    again = warehouse(env, "init")  # twice: the second changes nothing
    assert "migrations applied: none" in again.stdout and "already imported, unchanged" in again.stdout
    with db.reading(lake_address) as con:
        after = table_counts(con)
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] > 0  # the views are back
        assert con.execute("SELECT organization, open_weights FROM model_registry WHERE model_id = "
                           "'acme/new-model'").fetchall() == [("Acme", True)]
        assert con.execute("SELECT series_id, gap_kind, verdict FROM gap_verdicts ORDER BY ALL").fetchall() \
            == verdicts
    expected = {**before, "model_registry": before["model_registry"] + 1,
                "model_alias": before["model_alias"] + 1}
    assert after == expected  # the measured rows and every public table as before


def test_every_migration_applies_to_an_empty_lake_through_the_lake_dialect(lake_address):
    """Migrations are written for DuckDB files (PRIMARY KEY, UNIQUE); through LakeDialect each
    one applies to a DuckLake catalog and leaves the same tables and columns as on a file."""
    from warehouse.storage.migrations import MIGRATIONS, migrate

    def columns(con, database):
        return con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE "
                           "database_name = ? ORDER BY ALL", [database]).fetchall()

    con = lake.connect(lake.parse_target(lake_address))
    try:
        assert migrate(lake.LakeDialect(con)) == [name for _, name, _ in MIGRATIONS]
        on_lake = columns(con, "lake")
    finally:
        con.close()
    file_con = duckdb.connect()
    migrate(file_con)
    assert on_lake == columns(file_con, "memory") and len(on_lake) > 50


def test_pages_stay_cached_until_a_writer_commits_to_the_lake(db_copy, lake_address):
    """The pages' cache key on a lake is its newest snapshot (asked of PostgreSQL directly), so a
    page is not recomputed every minute, yet a new commit shows on the next rerun."""
    assert warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address).returncode == 0
    first = db.version_key(lake_address)
    time.sleep(1)
    assert db.version_key(lake_address) == first and first[1] > 0
    with db.writing(lake_address) as con:
        con.execute("INSERT INTO model_alias VALUES ('acme/x', 'config', 'acme/x')")
    assert db.version_key(lake_address)[1] > first[1]


def test_two_hosts_upgrading_one_lake_at_once_both_succeed_and_apply_everything_once(db_copy,
                                                                                     lake_address):
    """Two `init`s start together on a lake behind the code; DuckLake lets one commit first and
    the other, whose commit conflicts, is tried again and finds the work done."""
    assert warehouse({"GAPWATCH_DB": str(db_copy)}, "migrate-to", lake_address).returncode == 0
    with db.writing(lake_address) as con:
        undo_after_m003(con)
        con.execute("DELETE FROM gapwatch_migrations WHERE id > 3; "
                    "UPDATE public_dataset SET file_sha256 = 'older' WHERE dataset = 'arena_elo_history'")
    env = {**os.environ, "GAPWATCH_DB": lake_address, "GAPWATCH_CONFIG": str(REPO / "gapwatch.toml")}
    both = [subprocess.Popen([sys.executable, "-m", "warehouse", "init"], cwd=REPO, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outcomes = [proc.communicate(timeout=300) for proc in both]
    assert [proc.returncode for proc in both] == [0, 0], [err[-1500:] for _, err in outcomes]
    with db.reading(lake_address) as con:
        assert con.execute("SELECT id, count(*) FROM gapwatch_migrations GROUP BY id ORDER BY id").fetchall() \
            == [(mid, 1) for mid, _, _ in MIGRATIONS]
        assert con.execute("SELECT count(*), count(DISTINCT dataset) FROM public_dataset").fetchone() == (8, 8)
        assert con.execute("SELECT count(*) FROM view_definition").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM capability_scores WHERE pack LIKE 'arena:%'").fetchone()[0] > 0


def test_reads_share_one_attached_reader_and_still_see_every_commit(lake_address, monkeypatch):
    """Attaching the catalog is 0.3-0.5 s; a cold page runs several reads in a row. They share
    one reader, which still sees each new commit, and a failed read does not pass its
    connection on."""
    target = lake.parse_target(lake_address)
    writer = lake.connect(target)
    writer.execute("CREATE TABLE readings (n INTEGER)")
    writer.execute("INSERT INTO readings VALUES (1)")
    attaches = []
    real_connect = lake.connect
    monkeypatch.setattr(lake, "connect", lambda *a, **k: attaches.append(k) or real_connect(*a, **k))

    def count() -> int:
        with db.reading(lake_address) as con:
            return con.execute("SELECT count(*) FROM readings").fetchone()[0]

    assert count() == 1
    writer.execute("INSERT INTO readings VALUES (2)")
    writer.execute("CREATE VIEW doubled AS SELECT n * 2 AS n2 FROM readings")
    assert count() == 2
    with db.reading(lake_address) as con:
        assert con.execute("SELECT sum(n2) FROM doubled").fetchone()[0] == 6
    assert attaches == [{"read_only": True}]
    with pytest.raises(duckdb.Error, match="no_such_table"):
        with db.reading(lake_address) as con:
            con.execute("SELECT * FROM no_such_table")
    assert count() == 2 and len(attaches) == 2
    writer.close()
