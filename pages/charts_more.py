"""Figures for the capability, speed, price and leaderboard pages (DataFrame in, figure out)."""

import pandas as pd
import plotly.graph_objects as go


def _errors(rows: pd.DataFrame, low: str, high: str, value: str = "value") -> dict | None:
    """Asymmetric error bars from interval columns; None when there is no interval."""
    if low not in rows or rows[low].isna().all():
        return None
    return {"type": "data", "symmetric": False, "array": (rows[high] - rows[value]).tolist(),
            "arrayminus": (rows[value] - rows[low]).tolist(), "thickness": 1}


def capability_figure(scores: pd.DataFrame, title: str) -> go.Figure:
    """Scores over time per model, with 95% intervals as error bars where known."""
    fig = go.Figure()
    for model, rows in scores.groupby("model_id", sort=False):
        fig.add_trace(go.Scatter(x=rows["measured_at_utc"], y=rows["value"], name=model,
                                 mode="lines+markers", marker={"size": 5},
                                 error_y=_errors(rows, "ci_low", "ci_high")))
    fig.update_layout(title=title, yaxis_title="score", xaxis_title="measured / released",
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50})
    return fig


def margin_figure(margins: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Scatter(x=margins["measured_at_utc"], y=margins["margin"], name="leader's margin",
                               mode="lines+markers", customdata=margins[["leader"]],
                               hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} (%{customdata[0]})"))
    fig.update_layout(title="Leader's margin over the runner-up, per snapshot",
                      yaxis_title="score difference", margin={"t": 50})
    return fig


def latency_figure(stats: pd.DataFrame, measure: str, unit: str) -> go.Figure:
    """p50 per model, host and day; the error bar reaches p90 where it is known."""
    fig = go.Figure()
    for (model, host, source), rows in stats.groupby(["model_id", "host_provider", "source"],
                                                     dropna=False, sort=False):
        p50, p90 = rows[f"{measure}_p50"], rows[f"{measure}_p90"]
        error = None if p90.isna().all() else {"type": "data", "symmetric": False,
                                               "array": (p90 - p50).tolist(),
                                               "arrayminus": [0] * len(rows)}
        label = f"{model} · {host if isinstance(host, str) else 'own'} ({source})"
        fig.add_trace(go.Scatter(x=rows["day"], y=p50, name=label, mode="markers+lines",
                                 error_y=error))
    fig.update_layout(title=f"{measure} p50 (bar to p90 where measured)", yaxis_title=unit,
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50})
    return fig


def latency_histogram(samples: pd.DataFrame, measure: str, unit: str) -> go.Figure:
    fig = go.Figure()
    for model, rows in samples.groupby("model_id", sort=False):
        fig.add_trace(go.Histogram(x=rows[measure], name=model, opacity=0.6))
    fig.update_layout(title=f"Distribution of {measure}", xaxis_title=unit, barmode="overlay",
                      margin={"t": 50})
    return fig


def price_figure(steps: pd.DataFrame, column: str = "usd_per_mtok_out") -> go.Figure:
    """Cheapest listed price over time per model, as steps, on a log scale."""
    fig = go.Figure()
    for model, rows in steps.groupby("model_id", sort=False):
        fig.add_trace(go.Scatter(x=rows["day"], y=rows[column], name=model, mode="lines+markers",
                                 line={"shape": "hv"}, marker={"size": 4}))
    fig.update_layout(title="Cheapest listed price in force, USD per million tokens",
                      yaxis_type="log", yaxis_title=column, xaxis_title="price change day",
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50})
    return fig


def cost_figure(costs: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for (model, dim), rows in costs.groupby(["model_id", "dimension"], sort=False):
        fig.add_trace(go.Scatter(x=rows["day"], y=rows["usd_per_solved_item"], mode="lines+markers",
                                 name=f"{model} · {dim}"))
    fig.update_layout(title="USD per solved item", yaxis_type="log", margin={"t": 50})
    return fig


def fixed_fresh_figure(rows: pd.DataFrame) -> go.Figure:
    """Fixed-item minus fresh-item score per model: above 0 suggests the fixed items leaked."""
    fig = capability_figure(rows, "Fixed minus fresh items, per model (above 0: overfitting?)")
    fig.add_hline(y=0, line_dash="dot")
    return fig


def frontier_figure(points: pd.DataFrame, fronts: pd.DataFrame, score_label: str) -> go.Figure:
    """Each half-year's price-capability frontier as a step line; the newest day's models as dots."""
    fig = go.Figure()
    if len(points):
        newest = points[points["day"] == points["day"].max()]
        fig.add_trace(go.Scatter(x=newest["usd_per_mtok_blended"], y=newest["score"], mode="markers",
                                 name=f"models priced on {newest['day'].iloc[0]:%Y-%m-%d}",
                                 text=newest["model_id"], marker={"color": "lightgrey", "size": 6},
                                 hovertemplate="%{text}: %{y:.1f} at USD %{x:.3g}"))
    for day, rows in fronts.groupby("day"):
        fig.add_trace(go.Scatter(x=rows["usd_per_mtok_blended"], y=rows["score"], name=f"{day:%Y-%m-%d}",
                                 mode="lines+markers", line={"shape": "hv"}, text=rows["model_id"],
                                 hovertemplate="%{text}: %{y:.1f} at USD %{x:.3g}"))
    fig.update_layout(title="Price–capability frontier: the best score each price bought, by date",
                      xaxis_type="log", xaxis_title="blended USD per million tokens (3 in : 1 out)",
                      yaxis_title=score_label, legend_title="frontier on", margin={"t": 50})
    return fig
