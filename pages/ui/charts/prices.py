"""Figures for the Price and cost page: plain functions, DataFrame in, Plotly figure out,
testable without Streamlit. Prices in force, cost per solved item, the price-capability
frontier, and the price of one capability level (a public-history section), all on log axes
labelled in dollars."""

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pages.ui.charts.colours import COLOURS, OPENNESS, by_model, openness
from warehouse.analysis import labels


def price_level_figure(rows: pd.DataFrame, level_text: str) -> go.Figure:
    """Cheapest closed and cheapest open price of one capability level per month (log y).

    `rows`: gap_series rows of one fixed-level price series (bucket_start, group_a, group_b,
    leader_value = group_a's cheapest price, follower_value = group_b's).
    """
    fig = go.Figure()
    rows = rows.sort_values("bucket_start")
    for group_col, value_col in (("group_a", "leader_value"), ("group_b", "follower_value")):
        if rows.empty:
            continue
        group = str(rows[group_col].iloc[0])
        fig.add_trace(go.Scatter(
            x=rows["bucket_start"], y=rows[value_col], mode="lines+markers", name=f"cheapest {group}",
            line={"shape": "hv", "color": COLOURS.get(group)},
            hovertemplate="%{x|%Y-%m}: $%{y:.3g} per million tokens<extra>" + group + "</extra>"))
    fig.update_layout(title=f"Cheapest model at or above {level_text}, closed vs open weights",
                      xaxis_title="Month (price in force on the 1st)",
                      yaxis_title="USD per million tokens, blended 3:1 (log scale)",
                      yaxis_type="log", legend_title_text="", margin={"t": 60})
    values = pd.concat([rows["leader_value"], rows["follower_value"]]).dropna()
    if len(values) and (values > 0).all():
        ticks = dollar_ticks(values.min(), values.max())
        fig.update_yaxes(tickvals=ticks, ticktext=[f"${t:g}" for t in ticks])
    return fig


def dollar_ticks(low: float, high: float) -> list[float]:
    """1-2-5 steps covering [low, high]: a log axis labelled in plain dollars, no minor digits."""
    exponents = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    steps = [m * 10.0 ** e for e in exponents for m in (1, 2, 5)]
    inside = [t for t in steps if low / 1.5 <= t <= high * 1.5]
    return inside or [low, high]


def decade_axis(values, money: bool = True) -> dict:
    """A log axis labelled at each power of ten (`$0.01`, `$0.1`, `$1`, `$10`), with grid lines
    between: Plotly's own log ticks read "5, 2, 1, 5, 2, 0.1" with no decades."""
    v = pd.to_numeric(pd.Series(values), errors="coerce")
    v = v[v > 0]
    if not len(v):
        return {"type": "log"}
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    hi = max(hi, lo + 1)
    ticks = [10.0 ** k for k in range(lo, hi + 1)]
    text = [("$" if money else "") + (f"{t:,.0f}" if t >= 1 else f"{t:.{-int(math.log10(t))}f}")
            for t in ticks]
    return {"type": "log", "tickvals": ticks, "ticktext": text, "range": [lo - 0.05, hi + 0.05],
            "minor": {"showgrid": True, "dtick": "D1", "gridcolor": "rgba(128,128,128,0.12)"},
            "ticklabelstandoff": 6}  # minor tick marks beside a label read as a digit ("$10ı")


def price_figure(steps: pd.DataFrame, column: str = "usd_per_mtok_out",
                 open_weights: dict | None = None) -> go.Figure:
    """Cheapest paid price in force over time per model, as steps on a log scale labelled in
    decades; each line ends where the model's last listing ends. Closed-weights models in warm
    colours and solid lines, open-weights in cool colours and dashed."""
    fig = go.Figure()
    open_weights = open_weights or {}
    models = list(dict.fromkeys(steps["model_id"]))
    colours = by_model({m: open_weights.get(m) for m in models})
    for model, rows in steps.groupby("model_id", sort=False):
        kind, colour = openness(open_weights.get(model)), colours[model]
        group = OPENNESS.get(kind, "weights unknown")
        fig.add_trace(go.Scatter(x=rows["day"], y=rows[column], name=model, mode="lines",
                                 line={"shape": "hv", "color": colour, "width": 2,
                                       "dash": "dash" if kind else None},
                                 legendgroup=group, legendgrouptitle={"text": group},
                                 hovertemplate="%{x|%Y-%m-%d}: $%{y:.3g}<extra>" + model + "</extra>"))
    fig.update_layout(title=f"Cheapest paid {_side(column)} price in force",
                      yaxis={**(decade_axis(steps[column]) if len(steps) else {"type": "log"}),
                             "title": {"text": labels.unit(column)}},
                      xaxis_title="date", legend={"orientation": "h", "y": -0.2,
                                                  "groupclick": "toggleitem"},
                      margin={"t": 50})
    return fig


def _side(column: str) -> str:
    return {"usd_per_mtok_out": "output", "usd_per_mtok_in": "input"}.get(column, "")


def cost_figure(costs: pd.DataFrame, open_weights: dict | None = None) -> go.Figure:
    """Cost per solved item per model and dimension, on a log axis in dollars: over time when
    the days measured span several days, else one bar per model in each dimension (a time axis
    over one day would read 23:59:59.999). Rows without a cost are left out (the page names
    them with their reason)."""
    costs = costs[costs["usd_per_solved_item"] > 0]
    open_weights = open_weights or {}
    colours = by_model({m: open_weights.get(m) for m in dict.fromkeys(costs["model_id"])})
    fig = go.Figure()
    days = pd.to_datetime(costs["day"]).dt.date.nunique() if len(costs) else 0
    if days >= 3:
        for (model, dim), rows in costs.groupby(["model_id", "dimension"], sort=False):
            fig.add_trace(go.Scatter(x=rows["day"], y=rows["usd_per_solved_item"],
                                     mode="lines+markers", name=f"{model} · {labels.dimension(dim)}",
                                     line={"color": colours[model]}))
        title = f"Cost per solved item over time ({costs['model_id'].nunique()} models)"
    else:
        newest = costs.sort_values("day").groupby(["model_id", "dimension"]).tail(1)
        for model, rows in newest.groupby("model_id", sort=False):
            fig.add_trace(go.Bar(x=[labels.dimension(d) for d in rows["dimension"]],
                                 y=rows["usd_per_solved_item"], name=model,
                                 marker={"color": colours[model]},
                                 hovertemplate="%{x}: $%{y:.3g} per solved item<extra>" + model
                                               + "</extra>"))
        title = (f"Cost per solved item, {newest['model_id'].nunique()} models in "
                 f"{newest['dimension'].nunique()} dimensions (newest day measured)")
        fig.update_layout(barmode="group", xaxis_title="dimension")
    fig.update_layout(title=title,
                      yaxis={**decade_axis(costs["usd_per_solved_item"]),
                             "title": {"text": labels.unit("usd_per_solved_item")}},
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50})
    return fig


def frontier_figure(points: pd.DataFrame, fronts: pd.DataFrame, score_label: str) -> go.Figure:
    """Each half-year's price-capability frontier as a step line; the newest day's models as dots."""
    fig = go.Figure()
    if len(points):
        newest = points[points["day"] == points["day"].max()]
        fig.add_trace(go.Scatter(x=newest["usd_per_mtok_blended"], y=newest["score"], mode="markers",
                                 name=f"models priced on {newest['day'].iloc[0]:%Y-%m-%d}",
                                 text=newest["model_id"], marker={"color": "lightgrey", "size": 6},
                                 hovertemplate="%{text}: %{y:.1f} at $%{x:.3g}"))
    for day, rows in fronts.groupby("day"):
        fig.add_trace(go.Scatter(x=rows["usd_per_mtok_blended"], y=rows["score"], name=f"{day:%Y-%m-%d}",
                                 mode="lines+markers", line={"shape": "hv"}, text=rows["model_id"],
                                 hovertemplate="%{text}: %{y:.1f} at $%{x:.3g}"))
    prices = points["usd_per_mtok_blended"] if len(points) else []
    fig.update_layout(title="Price–capability frontier: the best score each price bought, by date",
                      xaxis={**decade_axis(prices),
                             "title": {"text": labels.unit("usd_per_mtok_blended")}},
                      yaxis_title=score_label, legend_title="frontier on", margin={"t": 50})
    return fig
