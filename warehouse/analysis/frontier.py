"""The price-capability frontier: the best score money could buy at each price, and how it moves.

On a given day every model with a score released by then and a price in force that day is a
point (blended USD per million tokens, score). The frontier is the points no other point beats
on both (cheaper or equal and better): a step line, cheapest first. Drawn for several days, it
shows whether a given capability got cheaper and whether the best got better at a given price.

The blended price is 3 input : 1 output (as Artificial Analysis blends), the cheapest any listed
seller charged that day; local models have estimated prices (machine time) and say so.
Pure: `queries.frontier_points` reads the points (its `FRONTIER_POINTS_SQL`) and hands them here.
"""

from datetime import date

import pandas as pd


def half_years(first: date, last: date) -> list[date]:
    """1 January and 1 July from `first` on, and `last` itself."""
    days = [date(y, m, 1) for y in range(first.year, last.year + 1) for m in (1, 7)]
    return [d for d in days if first <= d < last] + [last]


def pareto(points_on_a_day: pd.DataFrame) -> pd.DataFrame:
    """The points nobody beats: walking from cheap to dear, each one better than all cheaper."""
    ordered = points_on_a_day.sort_values(["usd_per_mtok_blended", "score"], ascending=[True, False])
    best_cheaper = ordered["score"].astype(float).cummax().shift(fill_value=float("-inf"))
    return ordered[ordered["score"] > best_cheaper]


def frontiers(all_points: pd.DataFrame) -> pd.DataFrame:
    """The frontier of each day, stacked."""
    if all_points.empty:
        return all_points
    return pd.concat([pareto(rows) for _, rows in all_points.groupby("day")], ignore_index=True)
