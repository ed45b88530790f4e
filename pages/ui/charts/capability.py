"""Figures for the Capability and Leaderboard-vs-fresh pages: plain functions, DataFrame in,
Plotly figure out, testable without Streamlit. Scores over time, the leader's margin, one
dimension's gaps, fixed minus fresh items, and public minus held-out scores."""

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pages.ui.charts.colours import COLOURS, NEUTRAL, OPENNESS, UNKNOWN, by_model, openness
from warehouse.analysis import labels
from warehouse.analysis.benchmark_dimensions import DIMENSIONS


def _errors(rows: pd.DataFrame, low: str, high: str, value: str = "value") -> dict | None:
    """Asymmetric error bars from interval columns; None when there is no interval."""
    if low not in rows or rows[low].isna().all():
        return None
    return {"type": "data", "symmetric": False, "array": (rows[high] - rows[value]).tolist(),
            "arrayminus": (rows[value] - rows[low]).tolist(), "thickness": 1.2, "width": 3}


def short_model(model_id: str) -> str:
    """`anthropic/claude-opus-4.6` -> `claude-opus-4.6`: a point's label, the legend says more."""
    return str(model_id).split("/", 1)[-1]


def capability_figure(scores: pd.DataFrame, title: str) -> go.Figure:
    """Scores over time, each model named on the chart, with 95% intervals as error bars where
    the source gives them; colour says open or closed weights. A model with one score (a release
    date) is a labelled point; a model with many (leaderboard snapshots) a line labelled at its end."""
    fig = go.Figure()
    colours = by_model({m: _openness(rows) for m, rows in scores.groupby("model_id", sort=False)})
    for model, rows in scores.groupby("model_id", sort=False):
        kind, colour = _openness(rows), colours[model]
        text = [""] * (len(rows) - 1) + [short_model(model)]
        fig.add_trace(go.Scatter(
            x=rows["measured_at_utc"], y=rows["value"], name=model, text=text,
            mode="lines+markers+text" if len(rows) > 1 else "markers+text",
            textposition="top center", cliponaxis=False,
            textfont={"size": 11, "color": colour}, marker={"size": 8, "color": colour},
            line={"color": colour, "width": 1.5}, error_y=_errors(rows, "ci_low", "ci_high"),
            hovertemplate="%{x|%Y-%m-%d}: %{y:.4g}<extra>" + model + " ("
                          + OPENNESS.get(kind, "weights unknown") + ")</extra>"))
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
    return openness(rows["open_weights"].dropna().iloc[0])


SEVERAL_DAYS = 3  # fewer distinct days than this: compare runs side by side, not over time


def spans_days(stamps, days: int = SEVERAL_DAYS) -> bool:
    """True when the stamps fall on at least `days` distinct UTC days: a time axis then shows
    a change over time, not minutes between runs."""
    when = pd.to_datetime(pd.Series(stamps), utc=True).dropna()
    return when.dt.date.nunique() >= days


def models_figure(scores: pd.DataFrame, title: str, y_title: str = "score") -> go.Figure:
    """Each model's newest score as a point with its interval, best first, coloured by its
    weights: the day-one view of a measured pack, where a time axis would span minutes."""
    newest = scores.sort_values("measured_at_utc").groupby("model_id", sort=False).tail(1)
    newest = newest.sort_values("value", ascending=False)
    colours = by_model({m: _openness(r) for m, r in newest.groupby("model_id", sort=False)})
    fig = go.Figure()
    for row in newest.itertuples():
        frame = pd.DataFrame([row._asdict()])
        fig.add_trace(go.Scatter(
            x=[short_model(row.model_id)], y=[row.value], mode="markers", name=row.model_id,
            marker={"size": 11, "color": colours[row.model_id]}, showlegend=False,
            error_y=_errors(frame, "ci_low", "ci_high"),
            hovertemplate="%{y:.3g}<extra>" + row.model_id + "</extra>"))
    fig.update_layout(title=title, yaxis_title=y_title, xaxis_title="model (best first)",
                      margin={"t": 60}, height=420)
    return fig


def margin_figure(margins: pd.DataFrame) -> go.Figure:
    """The leader's margin over the runner-up in the same metric: over time when the snapshots
    span several days, else one bar per metric for the newest snapshot."""
    fig = go.Figure()
    metrics = list(dict.fromkeys(margins["metric"]))
    label = {m: metric_words(m) for m in metrics}
    if spans_days(margins["measured_at_utc"]):
        for metric, rows in margins.groupby("metric", sort=False):
            fig.add_trace(go.Scatter(
                x=rows["measured_at_utc"], y=rows["margin"], mode="lines+markers",
                name="leader's margin" if len(metrics) == 1 else f"leader's margin, {label[metric]}",
                customdata=rows[["leader", "runner_up"]],
                hovertemplate="%{x|%Y-%m-%d}: %{y:.3g} (%{customdata[0]} over "
                              "%{customdata[1]})<extra></extra>"))
        fig.update_layout(title=f"Leader's margin over the runner-up, per date ({len(metrics)} "
                                f"{'metric' if len(metrics) == 1 else 'metrics'})")
    else:
        newest = margins.sort_values("measured_at_utc").groupby("metric", sort=False).tail(1)
        fig.add_trace(go.Bar(
            x=[label[m] for m in newest["metric"]], y=newest["margin"], name="leader's margin",
            marker={"color": NEUTRAL[0]}, customdata=newest[["leader", "runner_up"]],
            text=[f"{short_model(a)} over {short_model(b)}"
                  for a, b in zip(newest["leader"], newest["runner_up"])],
            textposition="outside", cliponaxis=False,
            hovertemplate="%{x}: %{y:.3g} (%{customdata[0]} over %{customdata[1]})"
                          "<extra></extra>"))
        fig.update_layout(title=f"Leader's margin over the runner-up in the newest run, "
                                f"{len(newest)} {'metric' if len(newest) == 1 else 'metrics'}",
                          xaxis_title="metric")
    fig.update_layout(yaxis_title="score difference (leader − runner-up)", margin={"t": 60},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def metric_words(metric) -> str:
    """`reasoning` -> `reasoning, all items`; `reasoning_fresh` -> `reasoning, fresh items`;
    a public metric by its unit (`eci` -> `ECI points`)."""
    text = str(metric)
    if text in DIMENSIONS:
        return f"{text}, all items"
    if text.endswith(("_fixed", "_fresh")):
        return labels.measured_metric(text)
    return labels.unit(text)


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


def fixed_fresh_figure(rows: pd.DataFrame) -> go.Figure:
    """Fixed-item minus fresh-item score per model and pack: above 0 suggests the fixed items
    leaked. Over time (one line per model and pack, never joining packs) when the runs span
    several days; else the newest value per pack, one marker per model, side by side."""
    if spans_days(rows["measured_at_utc"]):
        fig = go.Figure()
        keyed = rows.assign(key=rows["model_id"] + " · " + rows["pack"])
        colours = by_model({m: _openness(r) for m, r in keyed.groupby("model_id", sort=False)})
        for key, part in keyed.groupby("key", sort=False):
            model = part["model_id"].iloc[0]
            fig.add_trace(go.Scatter(x=part["measured_at_utc"], y=part["value"], name=key,
                                     mode="lines+markers", line={"color": colours[model]},
                                     error_y=_errors(part, "ci_low", "ci_high")))
        fig.update_layout(title=f"Fixed minus fresh items over time, {rows['model_id'].nunique()} "
                                f"models in {rows['pack'].nunique()} packs")
    else:
        newest = rows.sort_values("measured_at_utc").groupby(["model_id", "pack"]).tail(1)
        colours = by_model({m: _openness(r) for m, r in newest.groupby("model_id", sort=False)})
        fig = go.Figure()
        for model, part in newest.groupby("model_id", sort=False):
            fig.add_trace(go.Scatter(
                x=[labels.dimension(d) for d in part["dimension"]], y=part["value"],
                mode="markers", name=model, marker={"size": 10, "color": colours[model]},
                error_y=_errors(part, "ci_low", "ci_high"),
                hovertemplate="%{x}: %{y:+.2f}<extra>" + model + "</extra>"))
        fig.update_layout(title=f"Fixed minus fresh items in the newest run, "
                                f"{newest['model_id'].nunique()} models in "
                                f"{newest['dimension'].nunique()} dimensions",
                          xaxis_title="dimension", scattermode="group")
    fig.add_hline(y=0, line_dash="dot")
    fig.update_layout(yaxis_title="score difference (fixed − fresh)", margin={"t": 60},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def heldout_figure(per_model: pd.DataFrame, monthly: pd.DataFrame) -> go.Figure:
    """Per model: logit(public score) − logit(held-out score) by release date, with the monthly
    median line. Higher = better on the public test than the held-out one predicts."""
    fig = go.Figure()
    for group, rows in per_model.groupby("group", dropna=False):
        name = f"{group} weights" if isinstance(group, str) else "weights unknown"
        fig.add_trace(go.Scatter(
            x=rows["released"], y=rows["logit_gap"], mode="markers", name=name,
            marker={"color": COLOURS.get(group, UNKNOWN), "size": 8, "opacity": 0.75},
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
