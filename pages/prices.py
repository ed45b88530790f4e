"""Price and cost: price periods over time (log scale) and cost per solved item."""

import streamlit as st

from pages import charts_more, data

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
