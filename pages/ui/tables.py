"""Display helpers shared by the pages: number formats, verdict wording, local times (pure)."""

import math
from datetime import datetime

import numpy as np
import pandas as pd

from warehouse.analysis import labels

DASH = "—"
MONTH = "%Y-%m"
SPARK = "▁▂▃▄▅▆▇█"
# The board's and the series table's source filter: `gap_overview`'s keys, in words.
SOURCE_CHOICES = {"both": "Public history and my measurements", "public": "Public history",
                  "measured": "My measurements"}


def number(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return DASH
    return f"{value:,.{digits}f}"


def slope_text(row, with_unit: bool = True) -> str:
    """`−1.7 ECI points/yr [−2.5, −0.9]` (or `−1.7/yr [...]`), rounded to what the interval
    supports (the Gaps page rounds the same way), a dash without a slope."""
    if pd.isna(row.get("slope_per_year")):
        return DASH
    d = labels.decimals_for(row.get("ci_low"), row.get("ci_high"))
    low, high = (labels.number(row.get(k), d, signed=True) for k in ("ci_low", "ci_high"))
    unit = f" {row.get('unit') or ''}" if with_unit else ""
    return f"{labels.number(row['slope_per_year'], d, signed=True)}{unit}/yr [{low}, {high}]"


def sparkline(values, width: int = 12) -> str:
    """The gap over its whole history as text, `▁▃▅█`: eight heights from its lowest to its highest
    value, at most `width` characters (neighbouring points averaged). Why text: the board is a
    static table, and a text sparkline costs its first load nothing."""
    points = np.asarray([v for v in (values if values is not None else []) if not pd.isna(v)],
                        dtype=float)
    if len(points) < 2:
        return DASH
    means = np.array([chunk.mean() for chunk in np.array_split(points, min(width, len(points)))])
    low, high = means.min(), means.max()
    if high == low:
        return SPARK[3] * len(means)
    return "".join(SPARK[i] for i in np.rint((means - low) / (high - low) * 7).astype(int))


def levels(*values, digits: int = 3) -> list[str]:
    """Levels of one gap side by side with the same decimals: `digits` significant figures of
    the largest, so `5.22` and `10.23` read `5.2` and `10.2`, and `60.0` beside `54.0`."""
    present = [abs(float(v)) for v in values if not pd.isna(v) and float(v) != 0]
    if not present:
        return [labels.number(v, 0) for v in values]
    d = min(6, labels.significant_decimals(max(present), digits))
    return [labels.number(v, d) for v in values]


def series_label(row) -> str:
    if pd.isna(row.get("series_id")):
        return row["note"] if isinstance(row.get("note"), str) else DASH
    return labels.gap_series(row["series_id"], row.get("gap_kind"), row["group_a"], row["group_b"])


def board_series(row) -> str:
    """The series in words without the dimension its board row already names in the first
    column (`understanding: Epoch AI benchmarks combined: …` -> `Epoch AI benchmarks …`)."""
    text = series_label(row)
    prefix = f"{row.get('dimension')}: "
    return text.removeprefix(prefix) if text.startswith(prefix) else text


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as people read it: column names in words, yes/no for flags, floats rounded to
    three significant figures. For display only; downloads keep the view's columns."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == bool:
            out[name] = out[name].map({True: "yes", False: "no"})
        elif pd.api.types.is_float_dtype(out[name]):
            out[name] = [labels.significant(v) for v in out[name]]
    return out.rename(columns={c: labels.column(c) for c in out.columns})


def overview_table(overview: pd.DataFrame) -> pd.DataFrame:
    """Every gap series behind the board, in words (the CSV keeps the view's ids)."""
    shown = overview.drop(columns=[c for c in ("trend",) if c in overview]).assign(
        series_id=[labels.series(m) for m in overview["series_id"]],
        gap_kind=[labels.gap_kind(k) for k in overview["gap_kind"]],
        group_a=[labels.group(g) for g in overview["group_a"]],
        group_b=[labels.group(g) for g in overview["group_b"]],
        unit=[labels.unit(u) for u in overview["unit"]],
        verdict=[labels.verdict(v) for v in overview["verdict"]],
        source=[labels.source(s) for s in overview["source"]])
    return readable(shown)


def run_name(run_id) -> str:
    """A run as people read it: an import of the public history is named by its source; a
    collection keeps its id (`latency-20261202T020932Z-0dcf0f`), which the CLI takes."""
    text = str(run_id)
    return f"import: {labels.source(text)}" if text.startswith("public:") else text


def board_table(board: pd.DataFrame) -> pd.DataFrame:
    """The verdict board as people read it: one row per dimension, words and numbers.

    `Verdict` is the last 12 months (never across a break) and the two gap columns are that
    period's first and last points, so the row cannot contradict itself; the whole history
    (or, for a series with breaks, its latest segment) sits beside it.
    """
    then_now = [levels(a, b) for a, b in zip(board.get("gap_then", board["gap_12m_ago"]),
                                               board["gap_now"])]
    return pd.DataFrame({
        "Dimension": board["dimension"],
        "Series": [board_series(r) for _, r in board.iterrows()],
        "Verdict": board["verdict"],
        "Last 12 months": [span_text(r, "period_start", "period_end", MONTH) for _, r in board.iterrows()],
        "Gap then": [then for then, _ in then_now],
        "Gap now": [now for _, now in then_now],
        "Unit": board["unit"].astype(object).fillna(DASH),
        "Trend per year [95% interval]": [slope_text(r) for _, r in board.iterrows()],
        "Whole history": [whole_text(r) for _, r in board.iterrows()],
        "History": [sparkline(t) for t in board["trend"]],
    })


def span_text(row, start: str, end: str, fmt: str = "%Y-%m-%d") -> str:
    if pd.isna(row.get(start)) or pd.isna(row.get(end)):
        return DASH
    return f"{pd.Timestamp(row[start]):{fmt}} → {pd.Timestamp(row[end]):{fmt}}"


def whole_text(row) -> str:
    """`narrowing, −1.72/yr [−2.53, −0.51], 2023-03 → 2026-03` (the unit is the row's)."""
    if pd.isna(row.get("whole_verdict")):
        return DASH
    slope = slope_text({"slope_per_year": row.get("whole_slope_per_year"), "unit": row.get("unit"),
                        "ci_low": row.get("whole_ci_low"), "ci_high": row.get("whole_ci_high")},
                       with_unit=False)
    which = "" if row.get("whole_period") == "whole history" else " (latest segment)"
    parts = [f"{row['whole_verdict']}{which}", slope if slope != DASH else None,
             span_text(row, "whole_period_start", "whole_period_end", MONTH)]
    return ", ".join(p for p in parts if p)


def local_time(ts, tz_name: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp in the viewer's time zone (UTC when the browser did not say)."""
    if ts is None or pd.isna(ts):
        return DASH
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    try:
        stamp = stamp.tz_convert(tz_name or "UTC")
    except Exception:  # an unknown zone name from the browser: fall back to UTC
        stamp = stamp.tz_convert("UTC")
    return stamp.strftime(fmt)


def viewer_timezone(context) -> str | None:
    return getattr(context, "timezone", None)


def age_text(ts, now: datetime | None = None) -> str:
    if ts is None or pd.isna(ts):
        return DASH
    now = pd.Timestamp(now or pd.Timestamp.now(tz="UTC"))
    hours = (now - pd.Timestamp(ts)).total_seconds() / 3600
    return f"{hours:.0f} h ago" if hours < 48 else f"{hours / 24:.0f} days ago"


# Imports that add names, labs and release dates but no score rows (`Dataset.inserts` empty).
NAMES_ONLY = {"epoch_notable_language_models"}


def ledger_rows(row) -> str:
    """Rows written, in words where a bare 0 would look like a failure."""
    text = f"{int(row['n_rows']):,}" if not pd.isna(row.get("n_rows")) else DASH
    name = str(row["collector"]).removeprefix("public:")
    if name in NAMES_ONLY and row.get("status") == "ok":
        return f"{text} (model names, labs and release dates only)"
    return text


def host_state(row) -> str:
    if str(row["collector"]).startswith("public:"):
        return DASH
    flag = row.get("contended")
    if flag is None or pd.isna(flag):
        return "not recorded"
    return f"busy: {row.get('contention')}" if flag else "quiet"


def ledger_table(ledger: pd.DataFrame, tz: str | None) -> pd.DataFrame:
    """The run ledger in columns that fit 1280 px: what ran, when, for how long, its outcome,
    whether the host was busy, and its error or invalidation reason in one note."""
    took = [DASH if pd.isna(a) or pd.isna(b) else f"{(b - a).total_seconds():,.0f} s"
            for a, b in zip(ledger["started_at_utc"], ledger["finished_at_utc"])]
    notes = [", ".join(str(v) for v in (r.get("error"), r.get("invalid_reason"))
                       if v is not None and not pd.isna(v)) or DASH
             for _, r in ledger.iterrows()]
    return pd.DataFrame({
        "Run": [run_name(r) for r in ledger["run_id"]],
        "Started": [local_time(t, tz) for t in ledger["started_at_utc"]], "Took": took,
        "Status": ledger["status"] + ledger["valid"].map({True: "", False: " (invalidated)"}),
        "Rows": [ledger_rows(r) for _, r in ledger.iterrows()],
        "Host while measuring": [host_state(r) for _, r in ledger.iterrows()],
        "Note": notes})
