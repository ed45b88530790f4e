"""Figures for the Overview and Gaps pages: plain functions, DataFrame in, Plotly figure out
(testable without Streamlit). Gaps over time with their trend, lags, and the method-change marks
that every page with a time axis of scores draws (Speed re-uses the gap trend figure)."""

import textwrap

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pages.ui.charts.colours import COLOURS, NEUTRAL
from warehouse.analysis import labels

ARENA_METHODS = {
    "elo_online": "online Elo (2023–24 H1)",
    "displayed_rating": "displayed rating",
    "bt_rating": "Bradley–Terry rating",
}


def arena_method_label(pack: str) -> str:
    """`arena:fboulnois_lmsys_csv:displayed_rating` ->
    `displayed rating · LMSYS via fboulnois/llm-leaderboard-csv`."""
    _, source, metric = pack.split(":", 2)
    return f"{ARENA_METHODS.get(metric, labels.humanize(metric))} · {labels.source(source)}"


def arena_top_gap_figure(gaps: pd.DataFrame) -> go.Figure:
    """Leader minus k-th model per Arena snapshot, one trace per method (scales differ)."""
    fig = go.Figure()
    for pack, rows in gaps.groupby("pack", sort=False):
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
                             line={"shape": "hv", "color": COLOURS.get(a, NEUTRAL[0])}))
    fig.add_trace(go.Scatter(x=gaps["bucket_start"], y=gaps["follower_value"], name=f"{b} frontier",
                             line={"shape": "hv", "color": COLOURS.get(b, NEUTRAL[1])}))
    fig.add_trace(go.Bar(x=gaps["bucket_start"], y=gaps["value"], name=f"gap ({a} − {b})",
                         marker={"color": NEUTRAL[2]}, opacity=0.3), secondary_y=True)
    fig.update_layout(title=f"Best {a} vs best {b} model released so far",
                      legend={"orientation": "h", "y": -0.2}, margin={"t": 50})
    fig.update_yaxes(title_text=unit, secondary_y=False)
    fig.update_yaxes(title_text=f"gap, {unit}", secondary_y=True, rangemode="tozero",
                     tickformat=".0f", showgrid=False)
    return fig


def trend_lines(gaps: pd.DataFrame, verdict: dict) -> pd.DataFrame:
    """The verdict's slope and its 95% interval as lines through the period's median point."""
    if not len(gaps) or pd.isna(verdict.get("slope_per_year")):
        return pd.DataFrame(columns=["bucket_start", "trend", "low", "high"])
    when = pd.to_datetime(gaps["bucket_start"])
    years = (when - when.min()).dt.total_seconds() / (365.25 * 86400)
    t0, y0 = years.median(), gaps["value"].median()
    ends = pd.Series([years.min(), years.max()])
    line = lambda slope: y0 + slope * (ends - t0)  # noqa: E731
    return pd.DataFrame({"bucket_start": [when.min(), when.max()],
                         "trend": line(verdict["slope_per_year"]),
                         "low": line(verdict["ci_low"]), "high": line(verdict["ci_high"])})


def gap_trend_figure(gaps: pd.DataFrame, verdict: dict) -> go.Figure:
    """One gap series over the verdict's period, the verdict's trend line (GLS slope) and the band
    of slopes in its 95% interval: the line drawn is the slope the verdict was decided on."""
    unit = verdict.get("unit") or "gap"
    fig = go.Figure(go.Scatter(x=gaps["bucket_start"], y=gaps["value"], mode="lines+markers",
                               name="gap", marker={"size": 5}, line={"width": 1.5}))
    lines = trend_lines(gaps, verdict)
    if len(lines):
        fig.add_trace(go.Scatter(x=lines["bucket_start"], y=lines["low"], name="slope 95% low",
                                 line={"dash": "dot", "width": 1, "color": "grey"}))
        fig.add_trace(go.Scatter(x=lines["bucket_start"], y=lines["high"], name="slope 95% high",
                                 line={"dash": "dot", "width": 1, "color": "grey"},
                                 fill="tonexty", fillcolor="rgba(128,128,128,0.15)"))
        fig.add_trace(go.Scatter(x=lines["bucket_start"], y=lines["trend"],
                                 name="trend (the verdict's slope)", line={"width": 3, "color": NEUTRAL[2]}))
    fig.update_layout(title=f"{labels.gap_series(verdict.get('series_id'), verdict.get('gap_kind'), verdict.get('group_a', 'A'), verdict.get('group_b', 'B'))}"
                            f" ({labels.verdict(verdict.get('verdict'))})",
                      yaxis_title=labels.unit(unit), xaxis_title="period start",
                      legend={"orientation": "h", "y": -0.2}, margin={"t": 50})
    return fig


def lag_figure(lag_rows: pd.DataFrame) -> go.Figure:
    """Months the follower took to match each record the leader set. A record not matched yet
    (`censored`) is an open upward triangle at its lower bound (at least that many months),
    not joined to the line: the line would read as a lag falling to 0 at the newest records."""
    fig = go.Figure()
    for (leader, follower), rows in lag_rows.groupby(["leader_group", "follower_group"], sort=False):
        waiting = rows.get("censored", pd.Series(False, index=rows.index)).fillna(False).astype(bool)
        fig.add_trace(go.Scatter(
            x=rows.loc[~waiting, "level"], y=rows.loc[~waiting, "lag_months"],
            mode="markers+lines", name=f"{follower} behind {leader}",
            hovertemplate="record %{x:.1f}: matched after %{y:.1f} months<extra></extra>"))
        if waiting.any():
            fig.add_trace(go.Scatter(
                x=rows.loc[waiting, "level"], y=rows.loc[waiting, "lag_months"], mode="markers",
                name="not matched yet (at least)",
                marker={"symbol": "triangle-up-open", "size": 11},
                hovertemplate="record %{x:.1f}: not matched yet, at least %{y:.1f} months"
                              "<extra></extra>"))
    fig.update_layout(title="Lag to match each record", xaxis_title="record (score)",
                      yaxis_title="months", legend={"orientation": "h", "y": -0.2},
                      margin={"t": 50})
    return fig


def own_steps_only(changes: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """`changes` without the fitted steps of other pairs or gap kinds of the same series.

    Why: a fitted step is stored under its series id only (`scope`), so the ECI closed-vs-open
    chart drew Mistral AI's and xAI's lag resets as if its own gap had stepped. A step is kept
    when one of the shown pair's own verdicts (`periods`: every period of one series, gap kind
    and pair) fitted it on that date; recorded changes (listings, methods) are all kept."""
    steps = changes["kind"].eq("level shift")
    if periods.empty:
        return changes[~steps]
    pair = periods.iloc[0]
    words = labels.gap_series(pair["series_id"], pair["gap_kind"], pair["group_a"], pair["group_b"])
    own_dates = set(pd.to_datetime(periods["step_at"].dropna(), utc=True))
    own = (pd.to_datetime(changes["changed_at_utc"], utc=True).isin(own_dates)
           & changes["label"].fillna("").str.startswith(words + ":"))
    return changes[~steps | own]


def mark_method_changes(fig: go.Figure, changes: pd.DataFrame, scopes, when) -> go.Figure:
    """Dotted vertical lines where a shown series changes method (`method_changes` view), inside
    the span of `when` (the figure's x values): values on either side may not compare."""
    when = pd.to_datetime(pd.Series(when), utc=True).dropna()
    if not len(changes) or not len(when):
        return fig
    at = pd.to_datetime(changes["changed_at_utc"], utc=True)
    shown = changes[changes["scope"].isin(set(scopes)) & (at > when.min()) & (at <= when.max())]
    for change in shown.itertuples():
        x = pd.Timestamp(change.changed_at_utc).isoformat()
        fig.add_shape(type="line", x0=x, x1=x, yref="paper", y0=0, y1=1,
                      line={"dash": "dot", "width": 1, "color": "grey"})
        # Wrapped so that a long label stays inside the plot instead of running into the legend.
        fig.add_annotation(x=x, yref="paper", y=1, text="<br>".join(textwrap.wrap(change.label, 44)),
                           showarrow=False,
                           textangle=-90, xanchor="right", yanchor="top", font={"size": 9},
                           hovertext=f"{change.kind}: {change.label}")
    return fig
