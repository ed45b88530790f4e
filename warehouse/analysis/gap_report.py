"""`python -m warehouse gaps` as text: the verdict board's rows first, one line each, then every
series' periods and the lags, in the words the pages use (`labels`), never ids. Pure."""

import numpy as np
import pandas as pd

from warehouse.analysis import labels, lag_report

RECENT = "last 12 months"


def board_lines(board: pd.DataFrame) -> list[str]:
    """One line per board row: dimension, series, the last 12 months' verdict with its change
    and trend, and the whole history's verdict."""
    lines = ["Verdict board (as on the Overview): the last 12 months of each dimension's "
             "headline series; widening = the leader's lead grows.", ""]
    rows = board.to_dict("records")
    width = max([26] + [len(str(r["dimension"])) + 1 for r in rows])  # one column for all
    for r in rows:
        if pd.isna(r.get("series_id")):  # no series: the verdict and why, if a note says
            note = r.get("note")
            lines.append(f"  {r['dimension']:<{width}} {r['verdict']}"
                         + (f": {note}" if isinstance(note, str) and note else ""))
            continue
        unit = labels.unit(r.get("unit"))
        then, now = (_level(r.get(k)) for k in ("gap_then", "gap_now"))
        slope = labels.with_interval(r.get("slope_per_year"), r.get("ci_low"), r.get("ci_high"),
                                     f"{unit}/yr", signed=True)
        whole = r.get("whole_verdict")
        lines.append(f"  {r['dimension']:<{width}} {_series(r)}: {r['verdict']} "
                     f"({_month(r.get('period_start'))} → {_month(r.get('period_end'))}: "
                     f"{then} → {now} {unit}; {slope})"
                     + (f"; whole history {whole}" if isinstance(whole, str) else ""))
    return lines + [""]


def _series(r) -> str:
    return labels.gap_series(r["series_id"], r.get("gap_kind"), r["group_a"], r["group_b"])


def _level(v) -> str:
    return labels.DASH if pd.isna(v) else labels.significant(v)


def _month(stamp) -> str:
    return "?" if pd.isna(stamp) else f"{pd.Timestamp(stamp):%Y-%m}"


def matches(verdicts: pd.DataFrame, series: str | None, dimension: str | None,
            dimension_of: pd.Series | None = None) -> pd.Series:
    """Rows whose series (id or words) contains `series` and whose dimension is `dimension`
    (both case-insensitive; None matches everything)."""
    keep = pd.Series(True, index=verdicts.index)
    if series:
        words = [f"{m} {_series(r)}".lower() for m, r in zip(verdicts["series_id"],
                                                           verdicts.to_dict("records"))]
        keep &= pd.Series([series.lower() in w for w in words], index=verdicts.index)
    if dimension and dimension_of is not None:
        keep &= dimension_of.reindex(verdicts.index).fillna("").str.lower().str.contains(
            dimension.lower(), regex=False)
    return keep


def detail_lines(verdicts: pd.DataFrame) -> list[str]:
    """Every period of every series given: the headline first, then whole history/segments."""
    lines = ["Every series: the last 12 months first (its noise model from the whole stretch "
             "since the latest recorded break), then the whole history, or one verdict per "
             "segment between recorded breaks. Steps with no recorded cause are fitted with the "
             "trend. p adjusted (Benjamini-Hochberg) within each family: all headlines "
             "together, all whole-history and segment verdicts together.", ""]
    keys = ["series_id", "gap_kind", "group_a", "group_b", "source"]
    for _, rows in verdicts.groupby(keys, sort=True):
        first = rows.iloc[0]
        lines.append(f"{_series(first)}  ({labels.gap_kind(first['gap_kind'])}; "
                     f"{labels.source(first['source'])})")
        order = rows.assign(_first=rows["period"].ne(RECENT)).sort_values(["_first", "period_start"])
        for r in order.itertuples():
            lines += [f"    {r.period:<36} {r.verdict:<16} {_slope(r)}".rstrip(),
                      f"        {r.n_points} points, {_day(r.period_start)} to "
                      f"{_day(r.period_end)}{_phi(r)}"]
            lines += [f"        note: {r.note}"] if isinstance(r.note, str) and r.note else []
    return lines


def _phi(r) -> str:
    """Months tested, the AR(1) φ per month (estimated, and the φ the test was calibrated at),
    and the change over the period against the unit's minimum effect."""
    phi = getattr(r, "phi", np.nan)
    if pd.isna(phi):
        return ""
    return (f" ({r.n_months:.0f} months); AR(1) φ = {phi:.2f} per month, null simulated at "
            f"{r.phi_upper:.2f}; change {r.change:+.3g} [{r.change_low:+.3g}, "
            f"{r.change_high:+.3g}] (90%), minimum effect {r.min_effect:.3g} {r.unit}")


def _slope(r) -> str:
    if pd.isna(r.slope_per_year):
        return ""
    text = (f"{r.slope_per_year:+.3g} {r.unit}/year [{r.ci_low:+.3g}, {r.ci_high:+.3g}]  "
            f"p={_p(r.p_value)} (adjusted {_p(r.p_adjusted)})")
    if str(r.unit).startswith("log10"):
        factor = [10 ** v for v in (r.slope_per_year, r.ci_low, r.ci_high)]
        text += f"  ratio x{factor[0]:.2f}/year [x{factor[1]:.2f}, x{factor[2]:.2f}]"
    return text


def _p(p: float) -> str:
    return "<1e-15" if p < 1e-15 else f"{p:.2g}"


def _day(stamp) -> str:
    return "?" if pd.isna(stamp) else f"{pd.Timestamp(stamp):%Y-%m-%d}"


def report(board: pd.DataFrame, verdicts: pd.DataFrame, lag_rows: pd.DataFrame,
           series: str | None = None, dimension: str | None = None,
           dimension_of: pd.Series | None = None) -> str:
    """The board (filtered like the rest), the series' periods, and the lags."""
    shown = board
    if series or dimension:
        shown = board[matches(board.fillna({"series_id": ""}), series, None)
                      & (board["dimension"].str.lower().str.contains((dimension or "").lower(),
                                                                     regex=False))]
    picked = verdicts[matches(verdicts, series, dimension, dimension_of)]
    lines = board_lines(shown) + detail_lines(picked)
    lag_picked = lag_rows[lag_rows["series_id"].isin(set(picked["series_id"]))] \
        if (series or dimension) else lag_rows
    lines += lag_report.report_lines(lag_picked)
    return "\n".join(lines)
