"""Capability: the best models of a pack, named on the chart with their intervals; the leader's
margin; and every gap series of the dimension over time."""

import streamlit as st

from pages.ui import data, dimension_story, figure
from pages.ui.charts import capability as capability_charts
from pages.ui.charts import gaps as gap_charts
from warehouse.analysis import labels

MAX_GAP_SERIES = 4

snap = data.snapshot()
st.title("Capability")
packs = data.capability_packs(*snap)
if not len(packs):
    st.info("No capability scores yet: `python -m warehouse init` imports the public history.")
    st.stop()
dims = sorted(packs["dimension"].unique(), key=lambda d: (d != "overall", d))
c1, c2, c3 = st.columns([1, 2, 1])
dim = c1.selectbox("Dimension", dims, format_func=labels.dimension)
in_dim = packs[packs["dimension"] == dim].reset_index(drop=True)
names = list(in_dim["pack"])
pack = c2.selectbox("Benchmark or leaderboard", names, format_func=labels.series,
                    index=names.index("epoch:eci") if "epoch:eci" in names else 0)
n_models = c3.slider("Models shown (best first)", 3, 20, 8)
info = in_dim[in_dim["pack"] == pack].iloc[0]
metrics = data.pack_metrics(pack, *snap)
metric = None
if len(metrics) > 1:  # a measured pack: all, fixed and fresh items are separate scores
    metric = st.segmented_control("Items", metrics, default=metrics[0], key="pack_metric",
                                  format_func=capability_charts.metric_words) or metrics[0]

scores = data.capability_top_models(pack, n_models, metric, *snap)
changes = data.method_changes(*snap)
st.metric("Models scored", f"{info.n_models:,}")
drawn = scores["model_id"].nunique()
title = f"{labels.series(pack)}: the {drawn} best {'model' if drawn == 1 else 'models'}"
over_time = capability_charts.spans_days(scores["measured_at_utc"])
if over_time:
    best = gap_charts.mark_method_changes(capability_charts.capability_figure(scores, title),
                                          changes, {pack, *scores["model_id"]},
                                          scores["measured_at_utc"])
else:  # a few runs minutes apart: the models side by side, not a time axis of minutes
    best = capability_charts.models_figure(scores, title + " (newest run)",
                                           capability_charts.metric_words(metric or info.metric))
figure.show(best)
has_interval = scores["ci_low"].notna().any()
st.caption(f"Source: {labels.source(info.source)}, via the `capability_scores` view. "
           + ("Error bars: 95% intervals as the source gives them. " if has_interval else
              "This source gives no interval, so no error bars are drawn. ")
           + ("Each model is named at its newest point. " if over_time else
              "Measured on fewer than three days, so each model's newest score is shown, not a "
              "time line. ")
           + "Values compare only within one pack version; Arena's rating methods use "
           "different scales. Dotted lines mark method changes.")
st.download_button("Scores (CSV)", scores.to_csv(index=False), "capability_scores.csv")

st.subheader("The leader's margin")
margins = data.leader_margin(pack, None, *snap)  # every metric, each against its own runner-up
if len(margins):
    shown = margins[margins["metric"] == metric] if metric in set(margins["metric"]) else margins
    newest = shown.sort_values("measured_at_utc").iloc[-1]
    digits = 3 if abs(newest.margin) < 1 else 1
    st.metric(f"Leader's margin, {capability_charts.metric_words(newest.metric)}",
              labels.number(newest.margin, digits, signed=True))
    st.caption(f"Newest {'run' if newest.snapshot.startswith('capability-') else 'date'}: "
               f"{newest.leader} {labels.number(newest.leader_value, digits)} − "
               f"{newest.runner_up} {labels.number(newest.runner_up_value, digits)} = "
               f"{labels.number(newest.margin, digits, signed=True)}, the runner-up in the same "
               "metric.")
    fig = capability_charts.margin_figure(margins)
    if capability_charts.spans_days(margins["measured_at_utc"]):
        fig = gap_charts.mark_method_changes(fig, changes, {pack}, margins["measured_at_utc"])
    figure.show(fig)
    st.caption(f"Source: {labels.source(info.source)}: the best score minus the second best in "
               "the same metric, on each date (public history) or in each run (your "
               "measurements) with at least two models.")
    st.download_button("Margins (CSV)", margins.to_csv(index=False), "leader_margin.csv")
else:
    st.info("No date or run has two or more models in this pack, so there is no margin to show.")

st.subheader(f"The gap in {labels.dimension(dim)} over time")
overview = data.gap_overview("both", *snap)
mine = overview[overview["dimension"] == labels.dimension(dim)]
mine = mine.drop_duplicates(["series_id", "gap_kind", "group_a", "group_b"]).head(MAX_GAP_SERIES)
if len(mine):
    series = [(row, data.one_gap_series(row["series_id"], row["gap_kind"], row["group_a"],
                                        row["group_b"], *snap)) for row in mine.to_dict("records")]
    figure.show(capability_charts.dimension_gaps_figure(series))
    st.caption("Source: the `gap_series` and `gap_verdicts` views; each panel's verdict is the one "
               "the Gaps page explains, with its trend and interval.")
else:
    st.info(f"No gap series covers {labels.dimension(dim)} yet.")

dimension_story.show(dim, snap)  # the dimension's answer and each benchmark's story
