"""Price and cost: price periods over time (log scale), cost per solved item, the frontier."""

import streamlit as st

from pages import charts_more, data, public_sections

snap = data.snapshot()
st.title("Price and cost")
models = data.price_models(*snap)
picked = st.multiselect("Models", list(models["model_id"]), default=list(models["model_id"][:6]))
if picked:
    steps = data.cheapest_price_steps(tuple(picked), *snap)
    column = st.radio("Price", ["usd_per_mtok_out", "usd_per_mtok_in"], horizontal=True,
                      format_func={"usd_per_mtok_out": "output", "usd_per_mtok_in": "input"}.get)
    st.metric("Price changes shown", f"{len(steps):,}")
    st.plotly_chart(charts_more.price_figure(steps, column), width="stretch")
    st.caption("Source: `prices` (OpenRouter and LiteLLM price histories, the price book). Each "
               "step is the cheapest price any listed seller charged from that day on.")
    st.download_button("Price periods (CSV)",
                       data.price_periods(tuple(picked), *snap).to_csv(index=False),
                       "price_periods.csv")

st.subheader("Cost per solved item")
costs = data.cost_per_solved(*snap)
if len(costs):
    st.plotly_chart(charts_more.cost_figure(costs), width="stretch")
    st.caption("Source: `cost_per_solved`: USD for the items asked that day at that day's price, "
               "over the sum of item scores.")
    st.download_button("Cost per solved (CSV)", costs.to_csv(index=False), "cost_per_solved.csv")
else:
    st.info("No capability runs yet, so no cost per solved item: `python -m collectors run "
            "capability` measures your models and prices each answer on its day.")

st.subheader("Price–capability frontier")
choices = data.frontier_choices(*snap)
if len(choices):
    labels = [f"{r.pack} · {r.metric} ({r.n_models} priced models)" for r in choices.itertuples()]
    pick = choices.iloc[st.selectbox("Score", range(len(choices)), format_func=labels.__getitem__)]
    points, fronts = data.price_capability_frontier(pick["pack"], pick["metric"], *snap)
    st.plotly_chart(charts_more.frontier_figure(points, fronts, pick["metric"]), width="stretch")
    st.caption("Sources: `capability_scores` and `prices`. On each date (1 January and 1 July, and "
               "today), every model scored by then with a price in force; the line joins the models "
               "no cheaper model beats. Left-up is better; a line moving left means that level got "
               "cheaper. Local models' prices are estimates from machine time.")
    st.download_button("Frontier points (CSV)", points.to_csv(index=False), "price_capability_points.csv")
else:
    st.info("No model has both a score and a price yet.")

public_sections.price_of_a_capability(snap)
