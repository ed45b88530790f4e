"""Speed: TTFT, output tokens per second and end-to-end time; public 2023 snapshot beside ours."""

import streamlit as st

from pages import charts, charts_more, data, public_sections

MEASURES = {"ttft_s": "seconds to first token", "output_tokens_per_s": "output tokens per second",
            "e2e_s": "end-to-end seconds"}

snap = data.snapshot()
st.title("Speed")
public_sections.speed_history_note()
stats = data.latency_stats(*snap)
if not len(stats):
    st.info("No latency data: the public LLMPerf 2023 snapshot is imported by "
            "`python -m warehouse init`; `python -m collectors run latency` measures your own.")
    st.stop()
c1, c2 = st.columns(2)
measure = c1.selectbox("Measure", list(MEASURES), format_func=MEASURES.get)
workload = c2.selectbox("Workload (input→output tokens)", sorted(stats["workload"].unique()))
rows = stats[stats["workload"] == workload]
public = rows["source"].str.startswith("public:")
m1, m2 = st.columns(2)
m1.metric("Public snapshot rows", f"{public.sum():,}")
m2.metric("Measured rows", f"{(~public).sum():,}")
figure = charts_more.latency_figure(rows, measure, MEASURES[measure])
st.plotly_chart(charts.mark_method_changes(figure, data.method_changes(*snap), set(rows["model_id"]),
                                           rows["day"]), width="stretch")
st.caption("Source: `latency_stats`. Public rows: Anyscale LLMPerf leaderboard, December 2023 "
           "(p50 only, per serving provider). Measured rows: your scheduled runs, p50 with the "
           "bar reaching p90. Dotted lines: a model measured on a new machine, server build or model "
           "file (`method_changes`).")
st.download_button("Latency stats (CSV)", rows.to_csv(index=False), "latency_stats.csv")
if not (~public).any():
    st.info("No measured rows yet: `python -m collectors run latency` (or Runs and health → "
            "collect now) adds your own beside the 2023 snapshot.")

samples = data.latency_samples(*snap)
if len(samples):
    st.subheader("Distributions of your measured requests")
    st.plotly_chart(charts_more.latency_histogram(samples[samples["workload"] == workload],
                                                  measure, MEASURES[measure]), width="stretch")
    st.caption("Source: `latency_samples`, successful requests (newest 50,000).")
    st.download_button("Samples (CSV)", samples.to_csv(index=False), "latency_samples.csv")
