"""Append-only, numbered schema migrations, recorded in `gapwatch_migrations`.

Never edit a migration that has shipped: add a new one. Each runs in its own
transaction, so a failure leaves the file at the previous version. Tables are
private; people query the views in `views.py`, which are rebuilt after
migrating so that the contract always matches the code.
"""

from typing import Callable

import duckdb

from core.errors import GapWatchError

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []
LEDGER = "gapwatch_migrations"


def migration(fn: Migration) -> Migration:
    """Register `mNNN_name` as migration number NNN."""
    number = int(fn.__name__[1:4])
    if MIGRATIONS and number != MIGRATIONS[-1][0] + 1:
        raise RuntimeError(f"migration {fn.__name__} is out of sequence")
    MIGRATIONS.append((number, fn.__name__, fn))
    return fn


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    if not _has_table(con, LEDGER):
        return set()
    return {row[0] for row in con.execute(f"SELECT id FROM {LEDGER}").fetchall()}


def migrate(con: duckdb.DuckDBPyConnection, label: str = "database") -> list[str]:
    """Apply pending migrations; return the names applied."""
    _refuse_foreign(con, label)
    con.execute(f"CREATE TABLE IF NOT EXISTS {LEDGER} (id INTEGER PRIMARY KEY, "
                "name VARCHAR NOT NULL, applied_at_utc TIMESTAMPTZ NOT NULL)")
    done = applied(con)
    _refuse_newer(done, label)
    names = []
    for number, name, fn in MIGRATIONS:
        if number in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            fn(con)
            con.execute(f"INSERT INTO {LEDGER} VALUES (?, ?, now())", [number, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        names.append(name)
    return names


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                            [name]).fetchone()[0])


def _refuse_foreign(con: duckdb.DuckDBPyConnection, label: str) -> None:
    """A DuckDB file with tables but no ledger belongs to someone else: leave it alone."""
    if _has_table(con, LEDGER):
        return
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary "
        "ORDER BY 1 LIMIT 5").fetchall()]  # temp tables: init's staged public files
    if tables:
        raise GapWatchError(f"{label} is a DuckDB file but not a GapWatch warehouse (it has tables "
                            f"{', '.join(tables)} and no {LEDGER}); GapWatch will not modify it.")


def _refuse_newer(done: set[int], label: str) -> None:
    known = {number for number, _, _ in MIGRATIONS}
    unknown = sorted(done - known)
    if unknown:
        raise GapWatchError(f"{label} has schema migration {unknown[-1]}, newer than this GapWatch "
                            f"knows (up to {max(known)}): upgrade GapWatch before writing to it.")


@migration
def m001_initial(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
    CREATE TABLE model_registry (
        model_id VARCHAR PRIMARY KEY, display_name VARCHAR, organization VARCHAR,
        open_weights BOOLEAN, release_date DATE, source VARCHAR NOT NULL);
    CREATE TABLE model_alias (
        alias VARCHAR NOT NULL, source VARCHAR NOT NULL, model_id VARCHAR NOT NULL,
        PRIMARY KEY (alias, source));
    CREATE TABLE run_ledger (
        run_id VARCHAR PRIMARY KEY, collector VARCHAR NOT NULL, host VARCHAR NOT NULL,
        started_at_utc TIMESTAMPTZ NOT NULL, finished_at_utc TIMESTAMPTZ,
        status VARCHAR NOT NULL, n_rows BIGINT NOT NULL DEFAULT 0,
        n_warnings INTEGER NOT NULL DEFAULT 0, error VARCHAR, context JSON,
        invalidated_at_utc TIMESTAMPTZ, invalid_reason VARCHAR);
    CREATE TABLE public_dataset (
        dataset VARCHAR PRIMARY KEY, file_sha256 VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
        imported_at_utc TIMESTAMPTZ NOT NULL, n_rows BIGINT NOT NULL, n_skipped BIGINT NOT NULL,
        licence VARCHAR NOT NULL, credit VARCHAR NOT NULL);
    CREATE TABLE capability_item_result (
        run_id VARCHAR NOT NULL, model_id VARCHAR NOT NULL, pack VARCHAR NOT NULL,
        pack_version VARCHAR NOT NULL, dimension VARCHAR NOT NULL, item_id VARCHAR NOT NULL,
        variant VARCHAR NOT NULL CHECK (variant IN ('fixed', 'fresh')), seed BIGINT NOT NULL,
        score DOUBLE, input_tokens INTEGER, output_tokens INTEGER, latency_s DOUBLE,
        measured_at_utc TIMESTAMPTZ NOT NULL, response VARCHAR, error_class VARCHAR, error VARCHAR,
        PRIMARY KEY (run_id, model_id, pack, pack_version, item_id, variant, seed));
    CREATE TABLE public_capability_score (
        run_id VARCHAR NOT NULL, source VARCHAR NOT NULL, pack VARCHAR NOT NULL,
        pack_version VARCHAR NOT NULL, metric VARCHAR NOT NULL, dimension VARCHAR NOT NULL,
        source_name VARCHAR NOT NULL, model_id VARCHAR NOT NULL,
        measured_at_utc TIMESTAMPTZ NOT NULL, value DOUBLE NOT NULL, ci_low DOUBLE,
        ci_high DOUBLE, n_items BIGINT, rank_in_snapshot INTEGER);
    CREATE TABLE latency_sample (
        run_id VARCHAR NOT NULL, model_id VARCHAR NOT NULL, workload VARCHAR NOT NULL,
        concurrency INTEGER NOT NULL, request_index INTEGER NOT NULL,
        measured_at_utc TIMESTAMPTZ NOT NULL, ttft_s DOUBLE, e2e_s DOUBLE,
        input_tokens INTEGER, output_tokens INTEGER, output_tokens_per_s DOUBLE, itl_s DOUBLE,
        http_status INTEGER, error_class VARCHAR, error VARCHAR,
        PRIMARY KEY (run_id, model_id, workload, concurrency, request_index));
    CREATE TABLE public_latency_summary (
        run_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_name VARCHAR NOT NULL,
        model_id VARCHAR NOT NULL, host_provider VARCHAR NOT NULL,
        measured_at_utc TIMESTAMPTZ NOT NULL, workload VARCHAR NOT NULL,
        concurrency INTEGER NOT NULL, n_requests INTEGER, ttft_s_p50 DOUBLE, e2e_s_p50 DOUBLE,
        output_tokens_per_s_p50 DOUBLE, itl_s_p50 DOUBLE);
    CREATE TABLE price_period (
        run_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_name VARCHAR NOT NULL,
        host_provider VARCHAR, model_id VARCHAR NOT NULL, effective_from DATE NOT NULL,
        effective_to DATE, usd_per_mtok_in DOUBLE, usd_per_mtok_out DOUBLE,
        usd_per_mtok_cached_in DOUBLE, first_seen_utc TIMESTAMPTZ NOT NULL,
        last_seen_utc TIMESTAMPTZ NOT NULL, estimated BOOLEAN NOT NULL DEFAULT false);
    CREATE TABLE gap_series_row (
        metric VARCHAR NOT NULL, gap_kind VARCHAR NOT NULL, group_a VARCHAR NOT NULL,
        group_b VARCHAR NOT NULL, bucket_start DATE NOT NULL, value DOUBLE,
        leader_value DOUBLE, follower_value DOUBLE, n_models INTEGER, source VARCHAR NOT NULL,
        computed_at_utc TIMESTAMPTZ NOT NULL);
    CREATE TABLE gap_verdict_row (
        metric VARCHAR NOT NULL, gap_kind VARCHAR NOT NULL, group_a VARCHAR NOT NULL,
        group_b VARCHAR NOT NULL, verdict VARCHAR NOT NULL, slope_per_year DOUBLE,
        ci_low DOUBLE, ci_high DOUBLE, p_value DOUBLE, p_adjusted DOUBLE, n_points INTEGER,
        period_start DATE, period_end DATE, source VARCHAR NOT NULL,
        computed_at_utc TIMESTAMPTZ NOT NULL);
    CREATE TABLE lag_row (
        metric VARCHAR NOT NULL, leader_group VARCHAR NOT NULL, follower_group VARCHAR NOT NULL,
        level DOUBLE, leader_date DATE, follower_date DATE, lag_months DOUBLE,
        ci_low DOUBLE, ci_high DOUBLE, is_summary BOOLEAN NOT NULL, source VARCHAR NOT NULL,
        computed_at_utc TIMESTAMPTZ NOT NULL);
    """)


@migration
def m002_gap_verdict_crossing(con: duckdb.DuckDBPyConnection) -> None:
    """Verdicts say when the two groups crossed, and in which unit the slope is."""
    con.execute("""
    ALTER TABLE gap_verdict_row ADD COLUMN crossed BOOLEAN;
    ALTER TABLE gap_verdict_row ADD COLUMN note VARCHAR;
    ALTER TABLE gap_verdict_row ADD COLUMN unit VARCHAR;
    """)


@migration
def m003_capability_scores(con: duckdb.DuckDBPyConnection) -> None:
    """Measured scores with bootstrap intervals per run, model, pack and metric (the SQL mean
    had no interval), and the hash of each prompt, so items compare across runs by content."""
    con.execute("""
    CREATE TABLE capability_score_row (
        run_id VARCHAR NOT NULL, model_id VARCHAR NOT NULL, pack VARCHAR NOT NULL,
        pack_version VARCHAR NOT NULL, dimension VARCHAR NOT NULL, metric VARCHAR NOT NULL,
        value DOUBLE NOT NULL, ci_low DOUBLE, ci_high DOUBLE, n_items INTEGER NOT NULL,
        n_unanswered INTEGER NOT NULL, measured_at_utc TIMESTAMPTZ NOT NULL,
        computed_at_utc TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (run_id, model_id, pack, pack_version, metric));
    ALTER TABLE capability_item_result ADD COLUMN prompt_sha256 VARCHAR;
    """)


@migration
def m004_view_fingerprint(con: duckdb.DuckDBPyConnection) -> None:
    """Which definition of the public views a file holds, so a new or changed view is noticed
    on the next open (views are rebuilt from code, never migrated one by one)."""
    con.execute("CREATE TABLE view_definition (fingerprint VARCHAR NOT NULL, "
                "created_at_utc TIMESTAMPTZ NOT NULL)")


@migration
def m005_series_periods_and_breaks(con: duckdb.DuckDBPyConnection) -> None:
    """Verdicts per period (whole history, each segment between breaks, the last 12 months);
    gap points say which pack and segment they belong to; breaks the warehouse detects itself
    (Arena listing changes) are stored to be listed in `method_changes`."""
    con.execute("""
    ALTER TABLE gap_series_row ADD COLUMN pack VARCHAR;
    ALTER TABLE gap_series_row ADD COLUMN segment_start DATE;
    ALTER TABLE gap_verdict_row ADD COLUMN period VARCHAR;
    CREATE TABLE series_break_row (
        changed_at_utc TIMESTAMPTZ NOT NULL, scope VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        label VARCHAR NOT NULL, computed_at_utc TIMESTAMPTZ NOT NULL);
    """)


@migration
def m006_lag_censoring(con: duckdb.DuckDBPyConnection) -> None:
    """Lags keep the records the follower has not matched yet (censored, a lower bound), under
    two rules (threshold, and catch-up within a tolerance), and the summary row carries the
    model-bootstrap interval apart from the Kaplan–Meier one: it is a sensitivity check."""
    con.execute("""
    ALTER TABLE lag_row ADD COLUMN tolerance_points DOUBLE;
    ALTER TABLE lag_row ADD COLUMN censored BOOLEAN;
    ALTER TABLE lag_row ADD COLUMN sensitivity_low_months DOUBLE;
    ALTER TABLE lag_row ADD COLUMN sensitivity_high_months DOUBLE;
    """)


@migration
def m007_verdict_effect_and_autocorrelation(con: duckdb.DuckDBPyConnection) -> None:
    """Verdicts carry what the calibrated trend test used: months with data, the estimated AR(1)
    φ and the upper φ tested, the change over the period with its 90% (equivalence) interval,
    and the minimum effect the unit declares."""
    con.execute("""
    ALTER TABLE gap_verdict_row ADD COLUMN n_months INTEGER;
    ALTER TABLE gap_verdict_row ADD COLUMN phi DOUBLE;
    ALTER TABLE gap_verdict_row ADD COLUMN phi_upper DOUBLE;
    ALTER TABLE gap_verdict_row ADD COLUMN change DOUBLE;
    ALTER TABLE gap_verdict_row ADD COLUMN change_low DOUBLE;
    ALTER TABLE gap_verdict_row ADD COLUMN change_high DOUBLE;
    ALTER TABLE gap_verdict_row ADD COLUMN min_effect DOUBLE;
    ALTER TABLE gap_verdict_row ADD COLUMN min_effect_declared BOOLEAN;
    """)


@migration
def m008_public_vintages(con: duckdb.DuckDBPyConnection) -> None:
    """Each refresh of a public source is a vintage (`python -m collectors run public`): where
    and when it was fetched, its content hash, the dates it covers, its licence and citation;
    and the model names it brought, so a rebuilt crosswalk keeps mapping its rows."""
    con.execute("""
    CREATE TABLE public_vintage (
        run_id VARCHAR NOT NULL, family VARCHAR NOT NULL, dataset VARCHAR NOT NULL,
        url VARCHAR NOT NULL, fetched_at_utc TIMESTAMPTZ NOT NULL,
        last_checked_utc TIMESTAMPTZ NOT NULL, content_sha256 VARCHAR NOT NULL,
        n_bytes BIGINT NOT NULL, n_rows BIGINT NOT NULL, n_skipped BIGINT NOT NULL,
        data_from DATE, data_through DATE, licence VARCHAR NOT NULL, citation VARCHAR NOT NULL);
    CREATE TABLE public_vintage_name (
        run_id VARCHAR NOT NULL, priority INTEGER NOT NULL, source VARCHAR NOT NULL,
        alias VARCHAR NOT NULL, group_key VARCHAR, organization VARCHAR, open_weights BOOLEAN,
        release_date DATE, display_name VARCHAR);
    """)


@migration
def m009_model_versions_and_dimension_checks(con: duckdb.DuckDBPyConnection) -> None:
    """Model ids are versions: each keeps its family (for display) and says which source
    labelled it open or closed. Each dimension composite keeps its robustness checks (leave
    one benchmark out, a second yardstick), and each benchmark its own story (gap first →
    last, coverage of the strongest known models, saturation, whether the composite uses it)."""
    con.execute("""
    CREATE TABLE model_lineage (
        model_id VARCHAR NOT NULL, family VARCHAR, open_weights_from VARCHAR);
    CREATE TABLE dimension_check_row (
        metric VARCHAR NOT NULL, gap_kind VARCHAR NOT NULL, period VARCHAR NOT NULL,
        check_kind VARCHAR NOT NULL, check_label VARCHAR NOT NULL, left_out VARCHAR,
        verdict VARCHAR NOT NULL, slope_per_year DOUBLE, ci_low DOUBLE, ci_high DOUBLE,
        change DOUBLE, unit VARCHAR, n_months INTEGER, period_start DATE, period_end DATE,
        disagrees BOOLEAN NOT NULL, first_month DATE, last_month DATE,
        computed_at_utc TIMESTAMPTZ NOT NULL);
    CREATE TABLE benchmark_story_row (
        metric VARCHAR NOT NULL, dimension VARCHAR NOT NULL, unit VARCHAR,
        first_month DATE, last_month DATE, gap_first DOUBLE, gap_last DOUBLE,
        recent_start DATE, gap_recent_start DOUBLE, n_closed INTEGER, n_open INTEGER,
        n_closed_recent INTEGER, n_open_recent INTEGER, strongest_closed VARCHAR,
        strongest_closed_scored BOOLEAN, strongest_open VARCHAR, strongest_open_scored BOOLEAN,
        bound VARCHAR, coverage_note VARCHAR, saturated_from DATE, in_composite BOOLEAN,
        composite_note VARCHAR, computed_at_utc TIMESTAMPTZ NOT NULL);
    """)


@migration
def m010_verdict_families_steps_and_level_lags(con: duckdb.DuckDBPyConnection) -> None:
    """Verdicts say which BH family adjusted them, where their noise model came from, the step
    fitted with the trend and any month left out; lags carry Epoch's level-averaged measure
    beside the record-match one, with the censored top and the number of catch-up events."""
    con.execute("""
    ALTER TABLE gap_verdict_row ADD COLUMN family VARCHAR;
    ALTER TABLE gap_verdict_row ADD COLUMN noise_start DATE;
    ALTER TABLE gap_verdict_row ADD COLUMN n_noise_months INTEGER;
    ALTER TABLE gap_verdict_row ADD COLUMN step_at DATE;
    ALTER TABLE gap_verdict_row ADD COLUMN step_size DOUBLE;
    ALTER TABLE gap_verdict_row ADD COLUMN dropped_months VARCHAR;
    ALTER TABLE lag_row ADD COLUMN measure VARCHAR;
    ALTER TABLE lag_row ADD COLUMN top_months_at_least DOUBLE;
    ALTER TABLE lag_row ADD COLUMN n_events INTEGER;
    """)


@migration
def m011_drift_sentinel(con: duckdb.DuckDBPyConnection) -> None:
    """The drift sentinel (collectors/drift.py): each canary answer, hashed, and one check per
    model and run against its baseline, so a model swapped behind its name is noticed."""
    con.execute("""
    CREATE TABLE drift_item_result (
        run_id VARCHAR NOT NULL, model_id VARCHAR NOT NULL, canary_version VARCHAR NOT NULL,
        item_id VARCHAR NOT NULL, dimension VARCHAR NOT NULL, answer_sha256 VARCHAR,
        response VARCHAR, score DOUBLE, output_chars INTEGER, input_tokens INTEGER,
        output_tokens INTEGER, latency_s DOUBLE, served_model VARCHAR,
        system_fingerprint VARCHAR, measured_at_utc TIMESTAMPTZ NOT NULL, error_class VARCHAR,
        error VARCHAR,
        PRIMARY KEY (run_id, model_id, canary_version, item_id));
    CREATE TABLE drift_check_row (
        run_id VARCHAR NOT NULL, model_id VARCHAR NOT NULL, canary_version VARCHAR NOT NULL,
        checked_at_utc TIMESTAMPTZ NOT NULL, baseline_run_id VARCHAR, n_items INTEGER NOT NULL,
        n_changed_answers INTEGER, n_correct_baseline INTEGER, n_correct INTEGER,
        output_tokens_median_baseline DOUBLE, output_tokens_median DOUBLE,
        probe_tokens_baseline INTEGER, probe_tokens INTEGER, p_mcnemar DOUBLE, p_scores DOUBLE,
        p_answers DOUBLE, p_output_length DOUBLE, p_value DOUBLE, verdict VARCHAR NOT NULL,
        evidence VARCHAR NOT NULL, served_identity JSON,
        PRIMARY KEY (run_id, model_id, canary_version));
    """)


@migration
def m012_model_country(con: duckdb.DuckDBPyConnection) -> None:
    """Each model's country as Epoch labels it (a lag of one country's models behind
    another's, issue 24); refreshed vintages keep their names' country for a rebuild."""
    con.execute("""
    ALTER TABLE model_registry ADD COLUMN country VARCHAR;
    ALTER TABLE public_vintage_name ADD COLUMN country VARCHAR;
    """)
