"""Figures for the Speed page (plain functions, DataFrame in, Plotly figure out), and a time axis that reads well
whatever the span: a run of two minutes, a day of scheduled runs, or a year of history.

Why a time axis helper: left alone, Plotly zooms a single day's points down to milliseconds
(ticks like "23:59:59.999"). `time_axis` pads the range, picks a whole step (minutes, hours,
days, months) and a tick format to match, so no tick shows seconds.
"""

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pages.ui.charts.colours import NEUTRAL, by_model
from warehouse.analysis import labels

MINUTE, HOUR, DAY = pd.Timedelta(minutes=1), pd.Timedelta(hours=1), pd.Timedelta(days=1)
STEPS = [(MINUTE, "%H:%M"), (2 * MINUTE, "%H:%M"), (5 * MINUTE, "%H:%M"),
         (10 * MINUTE, "%H:%M"), (15 * MINUTE, "%H:%M"), (30 * MINUTE, "%H:%M"),
         (HOUR, "%H:%M<br>%b %-d"), (3 * HOUR, "%H:%M<br>%b %-d"), (6 * HOUR, "%H:%M<br>%b %-d"),
         (12 * HOUR, "%H:%M<br>%b %-d"), (DAY, "%b %-d<br>%Y"), (2 * DAY, "%b %-d<br>%Y"),
         (7 * DAY, "%b %-d<br>%Y"), (14 * DAY, "%b %-d<br>%Y")]
MONTHS = [1, 2, 3, 6, 12]
# Measures, not models: neutral colours (warm and cool mean closed and open weights).
COLOURS = {"ttft_p50": NEUTRAL[0], "ttft_p90": NEUTRAL[0], "tps_p50": NEUTRAL[1], "tps_p90": NEUTRAL[1]}
BUCKETS = ["10s", "1min", "5min", "15min", "1h", "6h", "1D", "7D", "30D"]


def time_axis(stamps, ticks: int = 6) -> dict:
    """Plotly x-axis settings for these timestamps: a padded range, a whole tick step and a
    format at that step's resolution (never seconds)."""
    when = _naive_utc(stamps).dropna()
    if not len(when):
        return {"type": "date"}
    lo, hi = when.min(), when.max()
    pad = max((hi - lo) * 0.05, 5 * MINUTE if hi - lo < HOUR else HOUR)
    lo, hi = lo - pad, hi + pad
    wanted = (hi - lo) / ticks
    for step, fmt in STEPS:
        if step >= wanted:
            return {"type": "date", "range": [lo.isoformat(), hi.isoformat()],
                    "tick0": lo.normalize().isoformat(), "dtick": step.total_seconds() * 1000,
                    "tickformat": fmt, "title": {"text": "time (UTC)"}}
    months = next((m for m in MONTHS if m * 30.4 * DAY >= wanted), 12 * math.ceil(wanted / (365 * DAY)))
    return {"type": "date", "range": [lo.isoformat(), hi.isoformat()],
            "tick0": lo.to_period("Y").start_time.isoformat(), "dtick": f"M{months}",
            "tickformat": "%b %Y", "title": {"text": "date (UTC)"}}


def _naive_utc(stamps) -> pd.Series:
    when = pd.to_datetime(pd.Series(stamps), utc=True)
    return when.dt.tz_localize(None)


def several_days(stamps, days: int = 3) -> bool:
    """True when the stamps fall on at least `days` UTC days: only then is a line over time a
    trend rather than minutes between runs."""
    return _naive_utc(stamps).dropna().dt.date.nunique() >= days


def bucket_for(stamps, most: int = 60) -> str:
    """The finest bucket that leaves at most `most` buckets over the span."""
    when = _naive_utc(stamps).dropna()
    span = (when.max() - when.min()) if len(when) else pd.Timedelta(0)
    return next((b for b in BUCKETS if span / pd.Timedelta(b) <= most), BUCKETS[-1])


def speed_over_time(samples: pd.DataFrame) -> pd.DataFrame:
    """Per model and time bucket (sized to the span): TTFT p50/p90, output tokens/s p50/p90."""
    if not len(samples):
        return pd.DataFrame(columns=["model_id", "bucket", "n", "ttft_p50", "ttft_p90",
                                     "tps_p50", "tps_p90"])
    rows = samples.assign(bucket=_naive_utc(samples["measured_at_utc"]).dt.floor(
        bucket_for(samples["measured_at_utc"])).to_numpy())
    g = rows.groupby(["model_id", "bucket"])
    return pd.DataFrame({"n": g.size(), "ttft_p50": g["ttft_s"].median(),
                         "ttft_p90": g["ttft_s"].quantile(0.9),
                         "tps_p50": g["output_tokens_per_s"].median(),
                         "tps_p90": g["output_tokens_per_s"].quantile(0.9)}).reset_index()


def speed_multiples_figure(over_time: pd.DataFrame, max_models: int = 8) -> go.Figure:
    """One row per model (the most measured first): time to first token (median and 90th
    percentile) on the left, output tokens per second (median) on the right, over time."""
    models = over_time.groupby("model_id")["n"].sum().sort_values(ascending=False).index[:max_models]
    fig = make_subplots(rows=max(len(models), 1), cols=2, shared_xaxes=True,
                        horizontal_spacing=0.08, vertical_spacing=0.06 if len(models) > 1 else 0.1,
                        subplot_titles=[t for m in models for t in
                                        (f"{m}: time to first token", f"{m}: output speed")])
    for row, model in enumerate(models, start=1):
        rows = over_time[over_time["model_id"] == model].sort_values("bucket")
        for col, key, name, dash in ((1, "ttft_p50", "time to first token, median", None),
                                     (1, "ttft_p90", "time to first token, 90th percentile", "dot"),
                                     (2, "tps_p50", "output tokens per second, median", None)):
            fig.add_trace(go.Scatter(x=rows["bucket"], y=rows[key], name=name, legendgroup=key,
                                     showlegend=row == 1, mode="lines+markers",
                                     line={"color": COLOURS[key], "dash": dash}, marker={"size": 5},
                                     hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y:.3g}<extra>" + model
                                                   + "</extra>"), row=row, col=col)
        fig.update_yaxes(title_text="seconds", rangemode="tozero", row=row, col=1)
        fig.update_yaxes(title_text="tokens/s", rangemode="tozero", row=row, col=2)
    axis = time_axis(over_time["bucket"])
    axis.pop("title", None)
    fig.update_xaxes(**axis)
    fig.update_xaxes(title_text=time_axis(over_time["bucket"]).get("title", {}).get("text"),
                     row=max(len(models), 1))
    fig.update_annotations(font={"size": 12})
    height = 170 + 210 * max(len(models), 1)
    fig.update_layout(height=height, margin={"t": 110},
                      title={"text": "Your measurements over time, per model", "y": 1 - 12 / height,
                             "yanchor": "top"},
                      legend={"orientation": "h", "yref": "container", "y": 1 - 48 / height,
                              "yanchor": "top", "x": 0, "xanchor": "left"})
    return fig


def speed_box_figure(samples: pd.DataFrame, measure: str) -> go.Figure:
    """The spread of one measure over every successful request, one box per model."""
    fig = go.Figure()
    order = samples.groupby("model_id")[measure].median().sort_values().index
    flags = samples.groupby("model_id")["open_weights"].first() if "open_weights" in samples else {}
    colours = by_model({m: flags.get(m) for m in order})
    for model in order:
        values = samples.loc[samples["model_id"] == model, measure].dropna()
        fig.add_trace(go.Box(y=values, name=model, boxpoints="outliers", boxmean=True,
                             marker={"color": colours[model]}, line={"color": colours[model]},
                             hovertemplate="%{y:.3g}<extra>" + model + "</extra>"))
    medians = samples.groupby("model_id")[measure].median()
    spread = medians.max() / medians[medians > 0].min() if (medians > 0).any() else 1
    axis = {"type": "log"} if spread > 10 else {"rangemode": "tozero"}
    fig.update_layout(title=f"Every request: {labels.unit(measure)}, per model"
                            + (" (log scale)" if spread > 10 else ""),
                      yaxis={**axis, "title": {"text": labels.unit(measure)}}, showlegend=False,
                      margin={"t": 50})
    return fig


def llmperf_2023_figure(stats: pd.DataFrame, measure: str) -> go.Figure:
    """The public LLMPerf snapshot (one week of December 2023, Llama-2 models only): median per
    serving provider, one bar colour per model."""
    fig = go.Figure()
    column = f"{measure}_p50"
    for model, rows in stats.groupby("model_id", sort=True):
        rows = rows.sort_values("host_provider")
        fig.add_trace(go.Bar(x=rows[column], y=rows["host_provider"], name=model, orientation="h",
                             hovertemplate="%{y}: %{x:.3g}<extra>" + model + "</extra>"))
    fig.update_layout(title=f"LLMPerf, December 2023: {labels.unit(measure)}, median per provider",
                      xaxis_title=labels.unit(measure), yaxis_title="serving provider",
                      barmode="group", height=420, margin={"t": 50},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def run_label(started, contended) -> str:
    """`Dec 5 05:17 (busy host)`: a run on the per-run axis, flagged when under contention."""
    text = f"{pd.Timestamp(started):%b %-d %H:%M}"
    return text + (" (busy host)" if contended else "")


def speed_runs_figure(runs: pd.DataFrame) -> go.Figure:
    """Run against run, for runs on fewer than three days (a time axis would span minutes):
    per run, each model's median time to first token (left) and output tokens per second
    (right), one bar per model coloured by its weights; a run measured under contention is
    named so under its bars."""
    runs = runs.sort_values("started_at_utc")
    starts = runs.groupby("run_id")["started_at_utc"].min().sort_values()
    busy = runs.groupby("run_id")["contended"].max()
    names = {r: run_label(t, bool(busy.get(r))) for r, t in starts.items()}
    flags = runs.groupby("model_id")["open_weights"].first()
    colours = by_model({m: flags.get(m) for m in dict.fromkeys(runs["model_id"])})
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=["time to first token, median (s)",
                                        "output tokens per second, median"])
    for model, rows in runs.groupby("model_id", sort=False):
        x = [names[r] for r in rows["run_id"]]
        for col, key in ((1, "ttft_s_p50"), (2, "output_tokens_per_s_p50")):
            fig.add_trace(go.Bar(x=x, y=rows[key], name=model, legendgroup=model,
                                 showlegend=col == 1, marker={"color": colours[model]},
                                 hovertemplate="%{x}: %{y:.3g}<extra>" + model + "</extra>"),
                          row=1, col=col)
    fig.update_yaxes(title_text="seconds", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="tokens/s", rangemode="tozero", row=1, col=2)
    fig.update_xaxes(type="category", title_text="run (start, UTC)")
    n = len(starts)
    fig.update_layout(barmode="group", height=460, margin={"t": 80},
                      title=f"Your {n} {'run' if n == 1 else 'runs'} side by side, "
                            f"{runs['model_id'].nunique()} models",
                      legend={"orientation": "h", "y": -0.3})
    fig.update_annotations(font={"size": 12})
    return fig
