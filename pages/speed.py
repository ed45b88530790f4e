"""Speed: your measurements per model over time, every request's spread, the speed gap and its
verdict, and the thin public history (LLMPerf, one week of December 2023, Llama-2 only)."""

import streamlit as st

from pages.ui import data, figure, public_sections, tables
from pages.ui.charts import gaps as gap_charts
from pages.ui.charts import speed as speed_charts
from warehouse.analysis import labels

MEASURES = ["ttft_s", "output_tokens_per_s", "e2e_s"]

snap = data.snapshot()
st.title("Speed")
st.caption("How fast models answer: time to first token, output tokens per second and "
           "end-to-end time, from your own scheduled runs and the public record.")
public_sections.speed_history_note()
stats = data.latency_stats(*snap)
samples = data.latency_samples(*snap)
if not len(stats) and not len(samples):
    st.info("No latency data: the public LLMPerf 2023 snapshot is imported by "
            "`python -m warehouse init`; `python -m collectors run latency` measures your own.")
    st.stop()

public = stats[stats["source"].str.startswith("public:")]
workloads = sorted(set(samples["workload"]) | set(stats["workload"]))
c1, c2 = st.columns(2)
workload = c1.selectbox("Workload (input → output tokens)", workloads, format_func=labels.workload,
                        index=workloads.index(samples["workload"].iloc[0]) if len(samples) else 0)
measure = c2.selectbox("Spread of", MEASURES, format_func=labels.unit)
mine = samples[samples["workload"] == workload]

st.subheader("Your measurements")
if len(mine):
    busy = mine[mine["contended"].fillna(False)]
    m1, m2, m3 = st.columns(3)
    m1.metric("Requests", f"{len(mine):,}")
    m2.metric("Models", f"{mine['model_id'].nunique():,}")
    first, last = (tables.local_time(mine["measured_at_utc"].agg(f), None, "%Y-%m-%d")
                   for f in ("min", "max"))
    m3.metric("First measured" if first != last else "Measured on", first,
              help=None if first == last else f"newest: {last}")
    if len(busy):
        st.warning(f"{busy['run_id'].nunique()} of {mine['run_id'].nunique()} runs shown were "
                   "measured under contention (other processes busy on this host, see "
                   "`python -m collectors runs list`): their speeds say as much about the host "
                   "as about the models. They are marked below and left out of speed trends.")
    several_days = speed_charts.several_days(mine["measured_at_utc"])
    if several_days:
        keep = st.toggle("Include runs measured under contention", value=False,
                         key="include_contended") if len(busy) else True
        trend = mine if keep else mine[~mine["contended"].fillna(False)]
        if len(trend):
            figure.show(speed_charts.speed_multiples_figure(speed_charts.speed_over_time(trend)))
        else:
            st.info("Every run of this workload was measured under contention; switch them "
                    "on above to see them anyway.")
    else:  # runs minutes apart: side by side, not "over time"
        runs = data.latency_runs(*snap)
        figure.show(speed_charts.speed_runs_figure(runs[runs["workload"] == workload]))
    figure.show(speed_charts.speed_box_figure(mine, measure))
    st.caption("Source: the `latency_samples` view, successful requests only (the newest "
               "50,000). "
               + ("Over time: each point is one time bucket sized to the span shown. "
                  if several_days else "Measured on fewer than three days, so runs are shown "
                  "side by side (medians per run), not as a trend. ")
               + "Boxes: median, quartiles and mean (dashed), dots beyond 1.5× the quartile "
               "range.")
    st.download_button("Requests (CSV)", mine.to_csv(index=False), "latency_samples.csv")
else:
    st.info("No measured requests for this workload yet: `python -m collectors run latency` "
            "(or Runs and health → Collect now) measures your models.")

st.subheader("Speed gap: open vs closed weights")
verdicts = data.gap_verdicts(*snap)
speed = verdicts[verdicts["series_id"].str.startswith("latency:")].reset_index(drop=True)
if len(speed):
    names = [labels.gap_series(r.series_id, r.gap_kind, r.group_a, r.group_b) + f" · {labels.workload(r.series_id.split(':')[-1])}"
             for r in speed.itertuples()]
    verdict = speed.iloc[st.selectbox("Gap series", range(len(speed)), format_func=names.__getitem__)].to_dict()
    gaps = data.one_gap_series(verdict["series_id"], verdict["gap_kind"], verdict["group_a"],
                               verdict["group_b"], *snap)
    st.metric("Verdict", labels.verdict(verdict["verdict"]),
              help=labels.with_interval(verdict["slope_per_year"], verdict["ci_low"],
                                        verdict["ci_high"], f"{labels.unit(verdict['unit'])} per year",
                                        signed=True))
    figure.show(gap_charts.gap_trend_figure(gaps, verdict))
    st.caption("The gap is the log10 ratio of the two groups' median time to first token "
               "(positive: the leader is faster). Source: the `gap_series` and `gap_verdicts` views.")
else:
    st.info("No speed gap series yet: it needs open-weights and closed-weights models measured "
            "on the same workload on several days. The local models are all open-weights; add a "
            "closed model (an API model in gapwatch.toml) to the latency job.")

st.subheader("Public history: thin")
if len(public):
    st.markdown(f"The only public speed record here is the **LLMPerf leaderboard** "
                f"(Anyscale, Apache-2.0): {len(public)} rows from one week of December 2023, "
                f"**Llama-2 models only** ({public['model_id'].nunique()} sizes) on "
                f"{public['host_provider'].nunique()} serving providers, medians only. It is one "
                "point in time, so it shows how providers differed then, not a trend.")
    shown = public[public["workload"] == workload]
    shown = shown if len(shown) else public
    pick = measure if shown[f"{measure}_p50"].notna().any() else "ttft_s"
    figure.show(speed_charts.llmperf_2023_figure(shown, pick))
    st.caption("Source: the `latency_stats` view, LLMPerf leaderboard rows "
               f"({labels.workload(shown['workload'].iloc[0])}, "
               f"{shown['concurrency'].iloc[0]} requests at once).")
    st.download_button("Latency stats (CSV)", stats.to_csv(index=False), "latency_stats.csv")
else:
    st.info("The public LLMPerf 2023 snapshot is not imported: `python -m warehouse init`.")
