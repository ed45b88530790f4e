"""Read a fetched public file, check it, and stage its rows as a small Parquet file.

Everything here runs in a private in-memory DuckDB, before any lock is taken: a file that
cannot be read (a partial download), lacks a column, has a column of the wrong type, or holds
a value that is not what its column says is refused whole with one line naming the source,
the URL and the problem (`SourceProblem`). Nothing of it reaches the warehouse.

Formats, each the real one:

* Arena: LMArena's leaderboard dataset on Hugging Face, `text/full-*.parquet` (and
  `text_style_control/full-*.parquet`): model_name, organization, license, rating,
  rating_lower, rating_upper, variance, vote_count, rank, category, leaderboard_publish_date
  (a `YYYY-MM-DD` string). Category `overall` is kept, the others are counted as skipped.
* Epoch: `benchmark_data.zip` as Epoch publishes it (`epoch_capabilities_index/eci_scores.csv`,
  `benchmark_metadata.csv`, `model_metadata.csv` and one CSV per benchmark), an `eci_scores.csv`
  alone, or a CSV in the shape GapWatch ships (`public_data/epoch_*.csv`). Epoch's shapes are
  converted to the shipped ones, so the shipped import's SQL turns them into rows.
"""

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from core.errors import GapWatchError
from warehouse.ingestion.public_loaders import DATASETS

SHIPPED = {d.name: d for d in DATASETS}
NUMERIC = {"DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT",
           "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"}
TEXT = {"VARCHAR"}
DATELIKE = {"VARCHAR", "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS"}
ARENA_REQUIRED = {"model_name": TEXT, "rating": NUMERIC, "category": TEXT,
                  "leaderboard_publish_date": DATELIKE}
ARENA_OPTIONAL = {"organization": TEXT, "license": TEXT, "rating_lower": NUMERIC,
                  "rating_upper": NUMERIC, "variance": NUMERIC, "vote_count": NUMERIC,
                  "rank": NUMERIC}
ECI_MEMBER = "epoch_capabilities_index/eci_scores.csv"
EPOCH_ECI = ["Model", "eci", "date"]  # the columns of Epoch's eci_scores.csv GapWatch needs


class SourceProblem(GapWatchError):
    """One source's file is unusable: nothing from it is stored."""


@dataclass
class Prepared:
    """A checked file, its rows staged (`staged`, Parquet) in the shape the import reads."""

    family: str
    dataset: str
    url: str
    staged: Path
    content_sha256: str
    n_bytes: int
    n_rows: int
    n_skipped: int
    data_from: date | None
    data_through: date | None


def _problem(family: str, url: str, what: str) -> SourceProblem:
    return SourceProblem(f"{family}: {url}: {what}")


def _describe(con, sql: str) -> dict[str, str]:
    return {name: dtype for name, dtype, *_ in con.execute(f"DESCRIBE {sql}").fetchall()}


def _check_types(family: str, url: str, columns: dict[str, str], required: dict,
                 optional: dict) -> None:
    for name, allowed in required.items():
        if name not in columns:
            raise _problem(family, url, f"column `{name}` is missing (columns: "
                                        f"{', '.join(columns) or 'none'}); the format changed")
    for name, allowed in {**required, **optional}.items():
        decimal = allowed is NUMERIC and columns.get(name, "").startswith("DECIMAL")
        if name in columns and columns[name] not in allowed and not decimal:
            kind = "a number" if allowed is NUMERIC else "text" if allowed is TEXT else "a date"
            raise _problem(family, url, f"column `{name}` is {columns[name]}, expected {kind}; "
                                        "the format changed")


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0]


# --- Arena ----------------------------------------------------------------------------------

def prepare_arena(files: dict[str, tuple[str, Path]], out: Path) -> Prepared:
    """`files`: subset (`text`, `text_style_control`) -> (url, downloaded file)."""
    con = duckdb.connect()
    parts, skipped, digest = [], 0, hashlib.sha256()
    for subset, (url, path) in sorted(files.items()):
        source = f"read_parquet('{_quote(path)}')"
        try:
            columns = _describe(con, f"SELECT * FROM {source}")
        except duckdb.Error as exc:
            raise _problem("arena", url, f"not a readable Parquet file (a partial download?): "
                                         f"{_first_line(exc)}") from None
        _check_types("arena", url, columns, ARENA_REQUIRED, ARENA_OPTIONAL)
        bad = con.execute(f"""SELECT leaderboard_publish_date::VARCHAR FROM {source}
            WHERE leaderboard_publish_date IS NOT NULL
              AND try_cast(leaderboard_publish_date AS DATE) IS NULL LIMIT 1""").fetchone()
        if bad:
            raise _problem("arena", url, f"column `leaderboard_publish_date` holds "
                                         f"{bad[0]!r}, not a date (YYYY-MM-DD)")
        pick = {c: (c if c in columns else "NULL") for c in ARENA_OPTIONAL}
        parts.append(f"""SELECT CAST(leaderboard_publish_date AS DATE) AS date, '{subset}' AS subset,
                model_name, {pick['organization']}::VARCHAR AS organization,
                {pick['license']}::VARCHAR AS license, rating::DOUBLE AS rating,
                {pick['rating_lower']}::DOUBLE AS rating_lower,
                {pick['rating_upper']}::DOUBLE AS rating_upper,
                round({pick['vote_count']})::BIGINT AS vote_count, round({pick['rank']})::BIGINT AS rank
            FROM {source} WHERE category = 'overall' AND model_name IS NOT NULL
              AND leaderboard_publish_date IS NOT NULL AND rating IS NOT NULL AND NOT isnan(rating)""")
        total = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        kept = con.execute(f"SELECT count(*) FROM ({parts[-1]})").fetchone()[0]
        if not kept:
            raise _problem("arena", url, f"no usable rows of category `overall` among {total}")
        skipped += total - kept
        with path.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    con.execute(f"CREATE TABLE staged AS {' UNION ALL '.join(parts)}")
    return _finish(con, "arena", "lmarena_leaderboard", files["text"][0], out, digest.hexdigest(),
                   sum(p.stat().st_size for _, p in files.values()), skipped, "date", "WHERE true")


def _finish(con, family: str, dataset: str, url: str, out: Path, sha: str, n_bytes: int,
            skipped: int, date_column: str, kept: str) -> Prepared:
    """Stage the rows; the dates covered are those of the rows the import will keep."""
    staged = out / f"{dataset}.parquet"
    con.execute(f"COPY staged TO '{_quote(staged)}' (FORMAT parquet)")
    n_rows, first, last = con.execute(f"SELECT count(*), min({date_column}) FILTER ({kept}), "
                                      f"max({date_column}) FILTER ({kept}) FROM staged").fetchone()
    con.close()
    return Prepared(family, dataset, url, staged, sha, n_bytes, n_rows, skipped, first, last)


# --- Epoch ----------------------------------------------------------------------------------

def _members(family: str, url: str, path: Path) -> dict[str, bytes] | None:
    """The zip's files by name, or None when the download is not a zip (a CSV)."""
    if not zipfile.is_zipfile(path):
        head = path.read_bytes()[:4]
        if head.startswith(b"PK"):
            raise _problem(family, url, "a damaged zip file (a partial download?)")
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist()
                    if not info.is_dir()}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _problem(family, url, f"a damaged zip file (a partial download?): {exc}") from None


def _header(data: bytes) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(data.decode("utf-8-sig"))), [])
    except UnicodeDecodeError:
        return []


def _write(out: Path, name: str, data: bytes) -> Path:
    path = out / name.replace("/", "__")
    path.write_bytes(data)
    return path


def _read_shipped(con, family: str, url: str, dataset: str, path: Path) -> None:
    """A CSV in the shipped shape, read with the shipped types; a broken row refuses it."""
    types = ", ".join(f"'{c}': '{t}'" for c, t in SHIPPED[dataset].columns.items())
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    con.execute(f"""CREATE TABLE staged AS SELECT * FROM read_csv('{_quote(path)}', header = true,
        columns = {{{types}}}, delim = ',', quote = '"', escape = '"', dateformat = '%Y-%m-%d',
        store_rejects = true)""")
    reject = con.execute("SELECT line, column_name, error_message FROM reject_errors "
                         "ORDER BY line LIMIT 1").fetchone()
    if reject:
        raise _problem(family, url, f"line {reject[0]}: broken row (column {reject[1]}): "
                                    f"{_first_line(Exception(reject[2]))}")


def _as_varchar(con, path: Path) -> str:
    return (f"read_csv('{_quote(path)}', header = true, all_varchar = true, delim = ',', "
            "quote = '\"', escape = '\"')")


def prepare_eci(url: str, path: Path, out: Path) -> Prepared:
    """Epoch's ECI: the zip's eci_scores.csv, an eci_scores.csv, or the shipped shape."""
    members = _members("epoch", url, path)
    if members is None:
        data = path.read_bytes()
    elif ECI_MEMBER in members:
        data = members[ECI_MEMBER]
    else:
        raise _problem("epoch", url, f"the zip has no {ECI_MEMBER}; the format changed")
    csv_path, header = _write(out, "eci_scores.csv", data), _header(data)
    con = duckdb.connect()
    shipped = SHIPPED["epoch_capabilities_index"]
    if header == list(shipped.columns):
        _read_shipped(con, "epoch", url, shipped.name, csv_path)
    else:
        missing = [c for c in EPOCH_ECI if c not in header]
        if missing:
            raise _problem("epoch", url, f"eci_scores.csv has no column {', '.join(map(repr, missing))} "
                                         f"(columns: {', '.join(header[:12]) or 'none'}); the format changed")
        _convert_eci(con, url, csv_path, header)
    return _finish(con, "epoch_eci", "epoch_eci", url, out, hashlib.sha256(data).hexdigest(),
                   path.stat().st_size, 0, "release_date", f"WHERE {shipped.kept}")


def _col(header: list[str], name: str, cast: str = "VARCHAR") -> str:
    return f'try_cast(trim("{name}") AS {cast})' if name in header else f"NULL::{cast}"


def _convert_eci(con, url: str, path: Path, header: list[str]) -> None:
    source = _as_varchar(con, path)
    for column, cast in (("eci", "DOUBLE"), ("date", "DATE")):
        bad = con.execute(f"""SELECT "{column}" FROM {source} WHERE nullif(trim("{column}"), '') IS NOT NULL
                              AND try_cast(trim("{column}") AS {cast}) IS NULL LIMIT 1""").fetchone()
        if bad:
            raise _problem("epoch", url, f"eci_scores.csv column `{column}` holds {bad[0]!r}, not "
                                         f"{'a number' if cast == 'DOUBLE' else 'a date'}")
    access = _col(header, "Model accessibility")
    con.execute(f"""CREATE TABLE staged AS SELECT
        NULL::VARCHAR AS model_version, trim("Model") AS model_name,
        {_col(header, 'Display name')} AS display_name, {_col(header, 'date', 'DATE')} AS release_date,
        {_col(header, 'Organization')} AS organization,
        {_col(header, 'Country (of organization)')} AS country, {access} AS model_accessibility,
        CASE WHEN {access} ILIKE 'Open weights%' THEN true WHEN {access} IS NOT NULL THEN false END
            AS open_weights,
        NULL::VARCHAR AS accessibility_filled_from, {_col(header, 'eci', 'DOUBLE')} AS eci_score,
        NULL::VARCHAR AS confidence, NULL::DOUBLE AS training_compute_flop
        FROM {source} WHERE nullif(trim("Model"), '') IS NOT NULL""")


def prepare_benchmarks(url: str, path: Path, out: Path) -> Prepared:
    """Epoch's benchmark scores: the zip (one CSV per benchmark) or the shipped shape."""
    members = _members("epoch", url, path)
    con = duckdb.connect()
    shipped = SHIPPED["epoch_benchmark_scores"]
    if members is None:
        data = path.read_bytes()
        if _header(data) != list(shipped.columns):
            raise _problem("epoch", url, f"header is {_header(data)[:8]}, expected Epoch's "
                                         "benchmark_data.zip or the shipped epoch_benchmark_scores "
                                         "columns; the format changed")
        _read_shipped(con, "epoch", url, shipped.name, _write(out, "benchmarks.csv", data))
        sha, skipped = hashlib.sha256(data).hexdigest(), 0
    else:
        sha, skipped = _convert_zip(con, url, members, out)
    return _finish(con, "epoch_benchmarks", "epoch_benchmarks", url, out, sha,
                   path.stat().st_size, skipped, "release_date", f"WHERE {shipped.kept}")


def _convert_zip(con, url: str, members: dict[str, bytes], out: Path) -> tuple[str, int]:
    """Each benchmark `benchmark_metadata.csv` names (file and score column) in the shipped
    shape; rows whose score is not a number are counted as skipped, a score column with no
    number at all refuses the file (its type changed). (content hash, rows skipped)."""
    if "benchmark_metadata.csv" not in members:
        raise _problem("epoch", url, "the zip has no benchmark_metadata.csv; the format changed")
    meta = _write(out, "benchmark_metadata.csv", members["benchmark_metadata.csv"])
    for column in ("source_file", "score_column"):
        if column not in _header(members["benchmark_metadata.csv"]):
            raise _problem("epoch", url, f"benchmark_metadata.csv has no column `{column}`; "
                                         "the format changed")
    listed = con.execute(f"""SELECT DISTINCT trim(source_file), trim(score_column) FROM {_as_varchar(con, meta)}
                             WHERE nullif(trim(source_file), '') IS NOT NULL
                               AND nullif(trim(score_column), '') IS NOT NULL ORDER BY 1""").fetchall()
    if not listed:
        raise _problem("epoch", url, "benchmark_metadata.csv lists no score file")
    models = _model_metadata(con, members, out)
    parts, digest, total = [], hashlib.sha256(), 0
    for file, score in listed:
        if file not in members:
            raise _problem("epoch", url, f"benchmark_metadata.csv names {file}, which the zip "
                                         "lacks; the format changed")
        digest.update(file.encode() + hashlib.sha256(members[file]).digest())
        header, path = _header(members[file]), _write(out, file, members[file])
        for needed in ("Model version", score):
            if needed not in header:
                raise _problem("epoch", url, f"{file} has no column `{needed}`; the format changed")
        source = _as_varchar(con, path)
        number = f"""try_cast(replace(trim("{score}"), '%', '') AS DOUBLE)"""
        counts = con.execute(f"SELECT count(*), count({number}), count(nullif(trim(\"{score}\"), '')) "
                             f"FROM {source}").fetchone()
        if counts[2] and not counts[1]:
            raise _problem("epoch", url, f"{file} column `{score}` holds no number; the format changed")
        total += counts[0]
        stem = file.removesuffix(".csv")
        parts.append(f"""SELECT '{stem.removesuffix('_external')}' AS benchmark,
            '{'external' if stem.endswith('_external') else 'epoch_run'}' AS origin,
            nullif(trim("Model version"), '') AS model_version, {_col(header, 'Name')} AS name,
            {_col(header, 'Release date', 'DATE')} AS release_date,
            {_col(header, 'Organization')} AS organization, {_col(header, 'Country')} AS country,
            {number} AS score, '{score.replace("'", "''")}' AS score_column,
            {_col(header, 'Shots')} AS shots, {_col(header, 'stderr', 'DOUBLE')} AS stderr,
            {_col(header, 'Source')} AS source,
            strftime({_col(header, 'Started at', 'TIMESTAMP')}, '%Y-%m-%d') AS evaluated_on
            FROM {source}""")
    con.execute(f"""CREATE TABLE staged AS SELECT s.benchmark, s.origin, s.model_version,
        coalesce(m.model_group, s.name, s.model_version) AS model_name, s.release_date,
        s.organization, s.country, m.accessibility AS model_accessibility,
        CASE WHEN m.accessibility ILIKE 'Open weights%' THEN true
             WHEN m.accessibility IS NOT NULL THEN false END AS open_weights,
        s.score, s.score_column, NULL::VARCHAR AS setting, s.shots, s.stderr, s.source,
        s.evaluated_on
        FROM ({' UNION ALL '.join(parts)}) s LEFT JOIN ({models}) m USING (model_version)
        WHERE s.score IS NOT NULL AND coalesce(s.model_version, s.name) IS NOT NULL""")
    kept = con.execute("SELECT count(*) FROM staged").fetchone()[0]
    return digest.hexdigest(), total - kept


def _model_metadata(con, members: dict[str, bytes], out: Path) -> str:
    """`model_metadata.csv` (version -> group, accessibility) as SQL; empty when absent."""
    data = members.get("model_metadata.csv")
    header = _header(data) if data else []
    if not {"model_version", "model_group", "accessibility"} <= set(header):
        return ("SELECT NULL::VARCHAR AS model_version, NULL::VARCHAR AS model_group, "
                "NULL::VARCHAR AS accessibility WHERE false")
    path = _write(out, "model_metadata.csv", data)
    return (f"SELECT trim(model_version) AS model_version, any_value(nullif(trim(model_group), '')) "
            f"AS model_group, any_value(nullif(trim(accessibility), '')) AS accessibility "
            f"FROM {_as_varchar(con, path)} WHERE nullif(trim(model_version), '') IS NOT NULL "
            "GROUP BY 1")
