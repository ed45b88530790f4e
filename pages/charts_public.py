"""Figures for the public-history sections (price of a capability level, public vs held-out):
plain functions, DataFrame in, Plotly figure out, testable without Streamlit."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

COLOURS = {"closed": "#d62728", "open": "#1f77b4"}


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


def heldout_figure(per_model: pd.DataFrame, monthly: pd.DataFrame) -> go.Figure:
    """Per model: logit(public score) − logit(held-out score) by release date, with the monthly
    median line. Higher = better on the public test than the held-out one predicts."""
    fig = go.Figure()
    for group, rows in per_model.groupby("group", dropna=False):
        name = f"{group} weights" if isinstance(group, str) else "weights unknown"
        fig.add_trace(go.Scatter(
            x=rows["released"], y=rows["logit_gap"], mode="markers", name=name,
            marker={"color": COLOURS.get(group, "#7f7f7f"), "size": 8, "opacity": 0.75},
            text=rows["model_id"], customdata=rows[["public_score", "heldout_score"]],
            hovertemplate=("%{text}<br>released %{x|%Y-%m-%d}<br>public %{customdata[0]:.0%}, "
                           "held out %{customdata[1]:.0%}<br>gap %{y:.2f} logits<extra></extra>")))
    if len(monthly):
        middle = pd.to_datetime(monthly["bucket_start"]) + pd.Timedelta(days=14)  # mid-month
        fig.add_trace(go.Scatter(x=middle, y=monthly["value"], mode="lines",
                                 name="monthly median", line={"color": "black", "width": 2},
                                 hovertemplate="%{x|%Y-%m}: median %{y:.2f} logits<extra></extra>"))
    fig.update_layout(xaxis_title="Model release date",
                      yaxis_title="Public minus held-out score (logits)", legend_title_text="",
                      margin={"t": 30})
    return fig
