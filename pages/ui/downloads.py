"""The SQL page's downloads: a CSV and a Parquet file of any result, never a crash.

Why a module: a result may hold any DuckDB type, and pyarrow cannot write every one as
Parquet (an empty MAP reaches it as a struct with no fields: "Cannot write struct type with no
child field"; building that download unguarded crashed the page, issue #26). The page must still
offer a file, and say what it changed.
"""

import io

import pandas as pd


def csv_text(rows: pd.DataFrame) -> str:
    """CSV of the rows; nested values as their text (pandas writes `str()` of each)."""
    return rows.to_csv(index=False)


def parquet_bytes(rows: pd.DataFrame) -> tuple[bytes | None, str | None]:
    """(the Parquet file, a note) with the columns' own types; where Parquet cannot hold a column,
    that column as text and a note naming it; (None, why) when even that cannot be written."""
    try:
        return _parquet(rows), None
    except Exception as exc:  # pyarrow's errors for a type it cannot write have no common base
        reason = _first_line(exc)
    unwritable = [c for c in rows.columns if not _writes(rows[[c]])]
    try:
        data = _parquet(rows.astype({c: "string" for c in unwritable}))
    except Exception as exc:
        return None, f"Parquet is not offered for this result: {_first_line(exc)}"
    return data, (f"In the Parquet file, {', '.join(map(str, unwritable))} "
                  f"{'is' if len(unwritable) == 1 else 'are'} text (pyarrow: "
                  f"{reason.split('. ')[0]}).")


def _writes(column: pd.DataFrame) -> bool:
    try:
        _parquet(column)
    except Exception:
        return False
    return True


def _parquet(rows: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    rows.to_parquet(out, index=False)
    return out.getvalue()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
