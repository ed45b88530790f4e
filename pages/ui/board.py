"""The Overview's verdict board as people read it at 1280 × 900: one short line per dimension on
the first screen, every detail one click away, units explained in one line.

Why its own module: the board is where several issues add things (a lag row, a drift row, a
"source as of" date). Each adds a column to `COLUMNS` (name -> function of a board row), a row
through `board_queries.verdict_board`, or a column of its own through `compact(..., extra)` (how
recent each row's source is, pages/ui/freshness.py, arrives that way); the detail table and the
legend follow.
"""

import pandas as pd

from pages.ui import tables
from warehouse.analysis import labels

# Short unit names for the compact row, and what each unit means (the legend under the board).
SHORT_UNITS = {"benchmark SDs": "SD", "ECI points": "ECI", "Arena rating points": "pts",
               "log10(closed/open)": "log₁₀", "log10(open/closed)": "log₁₀", "logits": "logits",
               "months": "months", "benchmark score units": "score"}
UNIT_NOTES = {
    "benchmark SDs": "SD: standard deviations of a benchmark's scores across the models it "
                     "lists, so benchmarks on different scales combine (0.25 SD is the "
                     "smallest change called)",
    "ECI points": "ECI: Epoch Capabilities Index points",
    "Arena rating points": "pts: Arena rating points (100 points: the higher model wins about "
                           "64% of votes)",
    "log10(closed/open)": "log₁₀: log10 of the cheapest closed price over the cheapest open one "
                          "at the same capability (0.3: closed costs 2×; 0: the same)",
    "log10(open/closed)": "log₁₀: log10 of the cheapest open price over the cheapest closed one",
    "logits": "logits: log-odds, logit(public score) − logit(held-out score)",
    "benchmark score units": "score: the benchmark's own units",
}


def gap_then_now(row) -> str:
    """`−0.08 → 0.13 SD`: the period's first and last gap, the same decimals, a short unit."""
    then, now = tables.levels(row.get("gap_then", row.get("gap_12m_ago")), row.get("gap_now"))
    if now == tables.DASH:
        return tables.DASH
    unit = SHORT_UNITS.get(str(row.get("unit")), labels.unit(row.get("unit")))
    return f"{then} → {now} {unit}".strip()


def trend(row) -> str:
    return tables.slope_text(row, with_unit=False).replace("/yr ", " ")


COLUMNS = {  # header -> cell of one board row; add a column here
    "Dimension": lambda r: r["dimension"],
    "Verdict, last 12 months": lambda r: labels.verdict(r["verdict"]),
    "Gap then → now": gap_then_now,
    "Trend per year [95%]": trend,
    "History": lambda r: tables.sparkline(r.get("trend")),
}


def compact(board: pd.DataFrame, extra: dict[str, list] | None = None) -> pd.DataFrame:
    """One line per dimension: the verdict and the numbers it rests on; `extra` columns (one
    value per row, e.g. how recent each row's source is) go before the sparkline."""
    rows = [{name: cell(row) for name, cell in COLUMNS.items()} for _, row in board.iterrows()]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    for name, values in (extra or {}).items():
        table.insert(len(table.columns) - 1, name, list(values))
    return table


def unit_legend(board: pd.DataFrame) -> str:
    """One line explaining the units the board shows (those it shows only)."""
    shown = [UNIT_NOTES[u] for u in dict.fromkeys(board["unit"].dropna()) if u in UNIT_NOTES]
    return ("Units: " + "; ".join(shown) + ". Trend: change of the gap per year, its 95% "
            "interval in brackets; History: the whole series, lowest to highest.") if shown else ""
