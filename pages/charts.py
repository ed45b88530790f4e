"""Figures: plain functions, DataFrame in, Plotly figure out (testable without Streamlit)."""

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

ARENA_METHODS = {
    "elo_online": "online Elo (2023–24 H1)",
    "displayed_rating": "displayed rating",
    "bt_rating": "Bradley–Terry rating",
}


def arena_method_label(pack: str) -> str:
    """`arena:fboulnois_lmsys_csv:displayed_rating` -> `displayed rating · fboulnois_lmsys_csv`."""
    _, source, metric = pack.split(":", 2)
    return f"{ARENA_METHODS.get(metric, metric)} · {source}"


def arena_top_gap_figure(gaps: pd.DataFrame) -> go.Figure:
    """Leader minus k-th model per Arena snapshot, one trace per method (scales differ)."""
    fig = go.Figure()
    for pack, rows in gaps.groupby("metric", sort=False):
        fig.add_trace(go.Scatter(x=rows["bucket_start"], y=rows["value"], mode="lines+markers",
                                 name=arena_method_label(pack), marker={"size": 4},
                                 customdata=rows[["leader_value", "follower_value"]],
                                 hovertemplate="%{x|%Y-%m-%d}: gap %{y:.0f} points<br>leader "
                                               "%{customdata[0]:.0f}, k-th %{customdata[1]:.0f}"))
    group_b = gaps["group_b"].iloc[0] if len(gaps) else "rank 10"
    fig.update_layout(title=f"Arena: rating of the leader minus {group_b}, per snapshot",
                      yaxis_title="rating points", xaxis_title="snapshot date",
                      legend_title="rating method (not comparable across methods)",
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50})
    return fig


def frontier_gap_figure(gaps: pd.DataFrame, unit: str = "ECI points") -> go.Figure:
    """Two frontiers and the gap between them, per bucket."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    a = gaps["group_a"].iloc[0] if len(gaps) else "A"
    b = gaps["group_b"].iloc[0] if len(gaps) else "B"
    fig.add_trace(go.Scatter(x=gaps["bucket_start"], y=gaps["leader_value"], name=f"{a} frontier",
                             line={"shape": "hv"}))
    fig.add_trace(go.Scatter(x=gaps["bucket_start"], y=gaps["follower_value"], name=f"{b} frontier",
                             line={"shape": "hv"}))
    fig.add_trace(go.Bar(x=gaps["bucket_start"], y=gaps["value"], name=f"gap ({a} − {b})",
                         opacity=0.35), secondary_y=True)
    fig.update_layout(title=f"Best {a} vs best {b} model released so far",
                      legend={"orientation": "h", "y": -0.2}, margin={"t": 50})
    fig.update_yaxes(title_text=unit, secondary_y=False)
    fig.update_yaxes(title_text=f"gap, {unit}", secondary_y=True, rangemode="tozero",
                     tickformat=".0f", showgrid=False)
    return fig
