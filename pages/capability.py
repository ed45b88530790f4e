"""Capability: scores over time per model with intervals, per dimension; the leader's margin."""

import streamlit as st

from pages import charts, charts_more, data

snap = data.snapshot()
st.title("Capability")
packs = data.capability_packs(*snap)
dims = sorted(packs["dimension"].unique(), key=lambda d: (d != "overall", d))
c1, c2, c3 = st.columns([1, 2, 1])
dim = c1.selectbox("Dimension", dims)
in_dim = packs[packs["dimension"] == dim].reset_index(drop=True)
names = list(in_dim["pack"])
pack = c2.selectbox("Pack or leaderboard", names,
                    index=names.index("epoch:eci") if "epoch:eci" in names else 0)
n_models = c3.slider("Models shown (best first)", 3, 20, 8)
info = in_dim[in_dim["pack"] == pack].iloc[0]

scores = data.capability_top_models(pack, n_models, *snap)
changes = data.method_changes(*snap)
st.metric("Models scored", f"{info.n_models:,}")
figure = charts_more.capability_figure(scores, f"{pack}: the {n_models} best models")
st.plotly_chart(charts.mark_method_changes(figure, changes, {pack, *scores["model_id"]},
                                           scores["measured_at_utc"]), width="stretch")
st.caption(f"Source: `capability_scores` ({info.source}); error bars are 95% intervals where "
           "the source gives them. Values compare only within one pack version; Arena's "
           "rating methods use different scales. Dotted lines mark method changes (`method_changes`).")
st.download_button("Scores (CSV)", scores.to_csv(index=False), "capability_scores.csv")

st.subheader("The leader's margin")
margins = data.leader_margin(pack, *snap)
if len(margins):
    st.plotly_chart(charts.mark_method_changes(charts_more.margin_figure(margins), changes, {pack},
                                               margins["measured_at_utc"]), width="stretch")
    st.caption(f"Source: `capability_scores` ({info.source}): best minus second-best score on each "
               "date with at least two models.")
    st.download_button("Margins (CSV)", margins.to_csv(index=False), "leader_margin.csv")
else:
    st.info("No date has two or more models in this pack, so there is no margin to show.")
