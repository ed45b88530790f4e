"""Display helpers shared by the pages: number formats, verdict wording, local times (pure)."""

import math
from datetime import datetime

import pandas as pd

DASH = "—"


def number(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return DASH
    return f"{value:,.{digits}f}"


def slope_text(row) -> str:
    """`−1.72 ECI points/yr [−2.53, −0.51]`, or a dash without a slope."""
    if pd.isna(row.get("slope_per_year")):
        return DASH
    unit = row.get("unit") or ""
    return (f"{row['slope_per_year']:+.2f} {unit}/yr "
            f"[{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]")


def series_label(row) -> str:
    if pd.isna(row.get("metric")):
        return DASH
    return f"{row['metric']} · {row['group_a']} − {row['group_b']}"


def board_table(board: pd.DataFrame) -> pd.DataFrame:
    """The verdict board as people read it: one row per dimension, words and numbers."""
    return pd.DataFrame({
        "Dimension": board["dimension"],
        "Series": [series_label(r) for _, r in board.iterrows()],
        "Gap now": [number(v) for v in board["gap_now"]],
        "6 months ago": [number(v) for v in board["gap_6m_ago"]],
        "12 months ago": [number(v) for v in board["gap_12m_ago"]],
        "Unit": board["unit"].astype(object).fillna(DASH),
        "Verdict": board["verdict"],
        "Trend per year [95% interval]": [slope_text(r) for _, r in board.iterrows()],
        "Gap over time": [list(t) if isinstance(t, (list, tuple)) or hasattr(t, "tolist")
                          else [] for t in board["trend"]],
    })


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
