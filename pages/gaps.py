"""Gaps: pick a metric and a gap kind; the series, its trend line and interval, verdict, lag."""

import pandas as pd
import streamlit as st

from pages.ui import data, figure, tables
from pages.ui.charts import gaps as gap_charts
from warehouse.analysis import lag_report, labels

SOURCE = ("Source: `gap_series` and `gap_verdicts` views, built from {source}. The trend is the "
          "period's GLS slope (monthly means, AR(1) errors, a step with no recorded cause fitted "
          "with it; the last 12 months' noise model from the whole stretch since the latest "
          "break); its t statistic is calibrated by a parametric bootstrap; the grey band spans "
          "the slopes in its 95% interval, drawn through the series' median point. The verdict "
          "needs a Benjamini–Hochberg adjusted p < 0.05 (headlines in one family, whole "
          "histories and segments in another), an interval that excludes 0 and a change of at "
          "least the unit's minimum effect. Dotted lines mark recorded breaks and fitted steps "
          "(`method_changes`); no period spans a recorded break.")

snap = data.snapshot()
st.title("Gaps")
verdicts = data.gap_verdicts(*snap)
series_rows = verdicts
if not len(series_rows):
    st.info("No gap series yet: run `python -m warehouse init` to import the public history.")
    st.stop()

kinds = sorted(series_rows["gap_kind"].unique())
default_kind = kinds.index("frontier_a_minus_b") if "frontier_a_minus_b" in kinds else 0
c1, c2, c3 = st.columns([1.3, 2.7, 1])
kind = c1.selectbox("Gap kind", kinds, index=default_kind, format_func=labels.gap_kind)
key = ["series_id", "group_a", "group_b", "source"]
choices = series_rows[series_rows["gap_kind"] == kind].drop_duplicates(key).reset_index(drop=True)
names = [tables.series_label(r) for _, r in choices.iterrows()]
default_pick = next((i for i, m in enumerate(choices["series_id"]) if m == "epoch:eci"), 0)
pick = c2.selectbox("Series and groups", range(len(choices)), index=default_pick,
                    format_func=names.__getitem__)
periods = series_rows[(series_rows["gap_kind"] == kind)
                      & (series_rows[key] == choices.iloc[pick][key]).all(axis=1)]
periods = periods.sort_values(["period", "period_start"], ascending=[True, False],
                              key=lambda c: c.ne("last 12 months") if c.name == "period" else c)
period = c3.selectbox("Period", list(periods["period"]), key="gap_period",
                      help="The last 12 months is the headline (as on the Overview); no period "
                           "spans a break, so a series with breaks has one segment per stretch.")
verdict = periods[periods["period"] == period].iloc[0].to_dict()
whole = data.one_gap_series(verdict["series_id"], kind, verdict["group_a"], verdict["group_b"], *snap)
days = whole["bucket_start"].astype("datetime64[ns]")
gaps = whole[(days >= pd.Timestamp(verdict["period_start"]))
             & (days <= pd.Timestamp(verdict["period_end"]))]

unit = labels.unit(verdict["unit"])
m1, m2, m4, m5 = st.columns([2, 1.2, 1, 1])
m1.metric("Verdict", labels.verdict(verdict["verdict"]),
          help=f"{period}: {tables.span_text(verdict, 'period_start', 'period_end')}")
m2.metric("Trend per year", labels.number(verdict["slope_per_year"], labels.decimals_for(
    verdict["ci_low"], verdict["ci_high"]), signed=True), help=f"{unit} per year")
start_gap, end_gap = tables.levels(*(gaps["value"].iloc[[0, -1]] if len(gaps) else (None, None)))
m4.metric("Gap at start", start_gap, help=unit)
m5.metric("Gap now" if period == "last 12 months" else "Gap at end", end_gap, help=unit)
st.caption(f"Trend: {labels.with_interval(verdict['slope_per_year'], verdict['ci_low'], verdict['ci_high'], f'{unit} per year', signed=True)} (95% interval), {period}.")
if isinstance(verdict.get("note"), str) and verdict["note"]:
    st.info(verdict["note"])

changes = gap_charts.own_steps_only(data.method_changes(*snap), periods)
measured = verdict["source"] == "measured"
scopes = {verdict["series_id"], *(changes["scope"] if measured else [])}
figure.show(gap_charts.mark_method_changes(gap_charts.gap_trend_figure(gaps, verdict), changes, scopes,
                                       gaps["bucket_start"]))
st.caption(SOURCE.format(source=labels.source(verdict["source"])) + f" Points: {verdict['n_points']}, "
           f"{verdict['period_start']:%Y-%m-%d} → {verdict['period_end']:%Y-%m-%d}; adjusted "
           f"p = {labels.p_value(verdict['p_adjusted'])}.")
st.download_button("Gap series (CSV)", whole.to_csv(index=False), "gap_series.csv")
with st.expander("Every period of this series"):
    st.dataframe(tables.readable(periods[["period", "verdict", "slope_per_year", "ci_low", "ci_high",
                                          "n_points", "period_start", "period_end", "note"]]),
                 hide_index=True)

st.subheader("Lag in months")
lag = data.lags(verdict["series_id"], *snap)
measure = lag["measure"].fillna("record match") if "measure" in lag else pd.Series("record match", index=lag.index)
headline = lag[measure == "level-averaged"]
mine_pair = headline[(headline["leader_group"] == verdict["group_a"])
                     & (headline["follower_group"] == verdict["group_b"])]
headline = mine_pair if len(mine_pair) else headline[headline["leader_group"] == "closed"]
lag = lag[measure != "level-averaged"]
summary = lag[lag["is_summary"]]
if not len(summary) and not len(headline):
    st.info(f"No lag is computed for {labels.series(verdict['series_id'])}: lags need two groups that reach the "
            "same levels (the Epoch Capabilities Index, closed vs open and labs vs the frontier).")
for r in headline.itertuples():
    h1, h2 = st.columns([1, 1])
    h1.metric(f"{labels.group(r.follower_group)} behind {labels.group(r.leader_group)}, months",
              tables.number(r.lag_months, 1),
              help="Epoch AI's measure: the horizontal distance between the two frontiers, "
                   "averaged over the capability levels both reached.")
    h2.metric("At the top, at least (months)", tables.number(r.top_months_at_least, 1))
    st.markdown(f"**Level-averaged lag (the headline):** {lag_report.level_averaged_text(r)}.")
over_time = verdicts[(verdicts["series_id"] == verdict["series_id"])
                     & (verdicts["gap_kind"] == "lag_months")]
same_pair = over_time[(over_time["group_a"] == verdict["group_a"])
                      & (over_time["group_b"] == verdict["group_b"])]
over_time = same_pair if len(same_pair) else over_time[over_time["group_a"] == "closed"]
if len(over_time):
    head = over_time.sort_values("period", key=lambda c: c.ne("last 12 months")).iloc[0].to_dict()
    months = data.one_gap_series(head["series_id"], "lag_months", head["group_a"], head["group_b"],
                                 *snap)
    st.markdown(f"**Lag over time, is the gap widening in months?** {labels.verdict(head['verdict'])} "
                f"over the {head['period']} "
                f"({labels.with_interval(head['slope_per_year'], head['ci_low'], head['ci_high'], 'months per year', signed=True)}). "
                f"Each month: how many months ago the {labels.group(head['group_a'])} frontier "
                f"first passed the best {labels.group(head['group_b'])} model so far (0 when "
                f"{labels.group(head['group_b'])} is at the top).")
    days = months["bucket_start"].astype("datetime64[ns]")
    shown = months[(days >= pd.Timestamp(head["period_start"])) | (head["period"] != "last 12 months")]
    figure.show(gap_charts.gap_trend_figure(shown if len(shown) else months, head))
if len(summary):
    pair = summary[(summary["leader_group"] == verdict["group_a"])
                   & (summary["follower_group"] == verdict["group_b"])]
    head = (pair if len(pair) else summary).iloc[0]
    mine = lag[(lag["leader_group"] == head.leader_group)
               & (lag["follower_group"] == head.follower_group)]
    rules = mine[mine["is_summary"]].sort_values("tolerance_points")
    records = mine[~mine["is_summary"]]
    st.markdown("**Record-match lag (second measure):** months until the follower matched each "
                "record of the leader; a record is the longest wait of its step, so it reads "
                "longer than the level-averaged lag.")
    cols = st.columns(len(rules) + 1)
    for col, r in zip(cols, rules.itertuples()):
        who = (f"{head.follower_group} behind {head.leader_group}" if r.tolerance_points == 0
               else f"near tie within {r.tolerance_points:g} point")
        col.metric(f"{who} (median months)",
                   ("≥ " if r.censored else "") + tables.number(r.lag_months, 1),
                   help=lag_report.median_help(r))
    top = lag_report.top_bound(records[records["tolerance_points"] == 0])
    cols[-1].metric("At the top, at least (months)",
                    tables.number(top["months"], 1) if top else "caught up",
                    help=(f"The {head.follower_group} group has not reached "
                          f"{top['level_low']:.1f}, which the {head.leader_group} group passed on "
                          f"{top['since']:%Y-%m-%d}." if top else None))
    for r in rules.itertuples():
        levels = records[records["tolerance_points"] == r.tolerance_points]
        st.markdown(f"**{lag_report.rule_text(r.tolerance_points, head.leader_group, head.follower_group)}**"
                    f": {lag_report.meaning(r, levels)}")
    st.table(lag_report.summary_table(summary), hide_index=True)  # cells wrap: no name cut
    figure.show(gap_charts.lag_figure(records[records["tolerance_points"] == 0]))
    st.caption(f"Source: `lags` view ({labels.source(head.source)}). Each point is a record of the "
               f"{head.leader_group} group; a triangle is a record not matched yet (at least that "
               "many months). Median: Kaplan–Meier over records, with its 95% confidence "
               "interval. Sensitivity: how far the median moves when the models are resampled "
               "(bootstrap over models), not a confidence interval.")
    st.download_button("Lags (CSV)", data.lags(verdict["series_id"], *snap).to_csv(index=False),
                       "lags.csv")

st.subheader("Every gap series")
# Drawn on request: a 97-row, 29-column grid cost the page's cold load 0.16 s (issue 18).
if st.toggle("Show every series behind the Overview's board, with its verdicts", key="all_series"):
    source = st.segmented_control("Source", list(tables.SOURCE_CHOICES), default="both",
                                  format_func=tables.SOURCE_CHOICES.get,
                                  key="series_source") or "both"
    st.dataframe(tables.overview_table(data.gap_overview(source, *snap)), hide_index=True)
    st.caption("Source: the `gap_verdicts` and `gap_series` views: the verdict of each series' "
               "last 12 months and of its whole history.")
