"""Figures for the capability, price and leaderboard pages (DataFrame in, figure out)."""

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from warehouse import labels

OPENNESS = {True: "open weights", False: "closed weights"}
CLOSED = ["#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#b5361c"]
OPEN = ["#1f77b4", "#2ca02c", "#17becf", "#9467bd", "#393b79", "#637939"]


def _errors(rows: pd.DataFrame, low: str, high: str, value: str = "value") -> dict | None:
    """Asymmetric error bars from interval columns; None when there is no interval."""
    if low not in rows or rows[low].isna().all():
        return None
    return {"type": "data", "symmetric": False, "array": (rows[high] - rows[value]).tolist(),
            "arrayminus": (rows[value] - rows[low]).tolist(), "thickness": 1.2, "width": 3}


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
            "minor": {"ticks": "outside", "showgrid": True, "dtick": "D1",
                      "gridcolor": "rgba(128,128,128,0.12)"}}


def short_model(model_id: str) -> str:
    """`anthropic/claude-opus-4.6` -> `claude-opus-4.6`: a point's label, the legend says more."""
    return str(model_id).split("/", 1)[-1]


def capability_figure(scores: pd.DataFrame, title: str) -> go.Figure:
    """Scores over time, each model named on the chart, with 95% intervals as error bars where
    the source gives them; colour says open or closed weights. A model with one score (a release
    date) is a labelled point; a model with many (leaderboard snapshots) a line labelled at its end."""
    fig = go.Figure()
    palette = {True: iter(OPEN * 4), False: iter(CLOSED * 4), None: iter(["#7f7f7f"] * 99)}
    for model, rows in scores.groupby("model_id", sort=False):
        openness = _openness(rows)
        colour = next(palette[openness])
        text = [""] * (len(rows) - 1) + [short_model(model)]
        fig.add_trace(go.Scatter(
            x=rows["measured_at_utc"], y=rows["value"], name=model, text=text,
            mode="lines+markers+text" if len(rows) > 1 else "markers+text",
            textposition="top center", cliponaxis=False,
            textfont={"size": 11, "color": colour}, marker={"size": 8, "color": colour},
            line={"color": colour, "width": 1.5}, error_y=_errors(rows, "ci_low", "ci_high"),
            hovertemplate="%{x|%Y-%m-%d}: %{y:.4g}<extra>" + model + " ("
                          + OPENNESS.get(openness, "weights unknown") + ")</extra>"))
    low = scores["ci_low"].fillna(scores["value"]) if "ci_low" in scores else scores["value"]
    high = scores["ci_high"].fillna(scores["value"]) if "ci_high" in scores else scores["value"]
    if len(scores):
        pad = max((high.max() - low.min()) * 0.12, 1e-9)
        fig.update_yaxes(range=[low.min() - pad, high.max() + pad])
    fig.update_layout(title=title, yaxis_title="score", xaxis_title="measured or released",
                      legend={"orientation": "h", "y": -0.22}, margin={"t": 60, "r": 60},
                      height=520)
    return fig


def _openness(rows: pd.DataFrame):
    if "open_weights" not in rows or rows["open_weights"].isna().all():
        return None
    return bool(rows["open_weights"].dropna().iloc[0])


def margin_figure(margins: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Scatter(x=margins["measured_at_utc"], y=margins["margin"], name="leader's margin",
                               mode="lines+markers", customdata=margins[["leader"]],
                               hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} (%{customdata[0]})"))
    fig.update_layout(title="Leader's margin over the runner-up, per date",
                      yaxis_title="score difference", margin={"t": 50})
    return fig


def dimension_gaps_figure(series: list[tuple[dict, pd.DataFrame]]) -> go.Figure:
    """Small multiples: each gap series of one dimension over time, its verdict in the title."""
    n = max(len(series), 1)
    cols = 1 if n == 1 else 2
    rows = math.ceil(n / cols)
    titles = [f"{labels.gap_series(v['series_id'], v['gap_kind'], v['group_a'], v['group_b'])}"
              f"<br><sup>{labels.verdict(v['verdict'])}</sup>" for v, _ in series]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles or [""],
                        vertical_spacing=0.16 if rows > 1 else 0.1, horizontal_spacing=0.1)
    for i, (verdict, gaps) in enumerate(series):
        row, col = i // cols + 1, i % cols + 1
        fig.add_trace(go.Scatter(x=gaps["bucket_start"], y=gaps["value"], mode="lines+markers",
                                 marker={"size": 4}, showlegend=False,
                                 name=labels.series(verdict["series_id"], short=True),
                                 hovertemplate="%{x|%Y-%m-%d}: %{y:.3g}<extra></extra>"),
                      row=row, col=col)
        fig.update_yaxes(title_text=labels.unit(verdict.get("unit")), row=row, col=col)
    fig.update_annotations(font={"size": 12})
    fig.update_layout(height=120 + 300 * rows, margin={"t": 90},
                      title="The gap in this dimension over time")
    return fig


def price_figure(steps: pd.DataFrame, column: str = "usd_per_mtok_out",
                 open_weights: dict | None = None) -> go.Figure:
    """Cheapest paid price in force over time per model, as steps on a log scale labelled in
    decades; each line ends where the model's last listing ends. Closed-weights models in warm
    colours and solid lines, open-weights in cool colours and dashed."""
    fig = go.Figure()
    open_weights = open_weights or {}
    palette = {True: iter(OPEN * 4), False: iter(CLOSED * 4), None: iter(["#7f7f7f"] * 99)}
    for model, rows in steps.groupby("model_id", sort=False):
        openness = open_weights.get(model)
        openness = None if openness is None or pd.isna(openness) else bool(openness)
        colour = next(palette[openness])
        group = OPENNESS.get(openness, "weights unknown")
        fig.add_trace(go.Scatter(x=rows["day"], y=rows[column], name=model, mode="lines",
                                 line={"shape": "hv", "color": colour, "width": 2,
                                       "dash": "dash" if openness else None},
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


def cost_figure(costs: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for (model, dim), rows in costs.groupby(["model_id", "dimension"], sort=False):
        fig.add_trace(go.Scatter(x=rows["day"], y=rows["usd_per_solved_item"], mode="lines+markers",
                                 name=f"{model} · {labels.dimension(dim)}"))
    fig.update_layout(title="Cost per solved item",
                      yaxis={**decade_axis(costs["usd_per_solved_item"]),
                             "title": {"text": labels.unit("usd_per_solved_item")}},
                      legend={"orientation": "h", "y": -0.2}, margin={"t": 50})
    return fig


def fixed_fresh_figure(rows: pd.DataFrame) -> go.Figure:
    """Fixed-item minus fresh-item score per model: above 0 suggests the fixed items leaked."""
    fig = capability_figure(rows, "Fixed minus fresh items, per model (above 0: overfitting?)")
    fig.add_hline(y=0, line_dash="dot")
    fig.update_layout(yaxis_title="score difference (fixed − fresh)")
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
