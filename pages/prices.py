"""Price and cost: closed vs open prices over time (log scale), cost per solved item, the frontier."""

import streamlit as st

from pages.ui import data, figure, measured_sections, public_sections
from pages.ui.charts import prices as price_charts
from warehouse.analysis import labels

# Well-known models, tried in this order; the first three present of each kind are the defaults,
# so the chart opens on closed vs open weights rather than on whichever models changed price most.
KNOWN_CLOSED = ["openai/gpt-4o-2024-05-13", "anthropic/claude-3.5-sonnet",
                "google/gemini-2.5-flash-2025-06-17",
                "openai/gpt-5", "anthropic/claude-3.7-sonnet", "openai/gpt-4o-mini"]
KNOWN_OPEN = ["meta-llama/llama-3.3-70b", "deepseek/deepseek-r1", "qwen/qwen2.5-72b",
              "meta-llama/llama-3.1-8b", "mistralai/mistral-nemo", "deepseek/deepseek-v3.2"]
PRICE_COLUMNS = {"usd_per_mtok_out": "output tokens", "usd_per_mtok_in": "input tokens"}


def defaults(models, per_kind: int = 3) -> list[str]:
    """The best-known closed and open models present, else the most-changed of each kind."""
    picked = []
    for known, flag in ((KNOWN_CLOSED, False), (KNOWN_OPEN, True)):
        kind = models[models["open_weights"] == flag]["model_id"]
        present = [m for m in known if m in set(kind)]
        picked += (present + [m for m in kind if m not in present])[:per_kind]
    return picked or list(models["model_id"][:6])


snap = data.snapshot()
st.title("Price and cost")
models = data.price_models(*snap)
openness = dict(zip(models["model_id"], models["open_weights"]))
kind_of = {True: "open weights", False: "closed weights"}
picked = st.multiselect("Models", list(models["model_id"]), default=defaults(models),
                        format_func=lambda m: f"{m} ({kind_of.get(openness.get(m), 'weights unknown')})")
if picked:
    steps = data.cheapest_price_steps(tuple(picked), *snap)
    column = st.radio("Price of", list(PRICE_COLUMNS), horizontal=True, format_func=PRICE_COLUMNS.get)
    figure.show(price_charts.price_figure(steps, column, openness))
    st.caption("Source: OpenRouter and LiteLLM price histories (the `prices` view). Each step is "
               "the cheapest paid price any listed seller charged from that day on; free "
               "offerings are left out, and a line ends on the day its last listing ended or was "
               f"last seen. {len(steps):,} price changes shown. Solid lines: closed weights; "
               "dashed: open.")
    st.download_button("Price periods (CSV)",
                       data.price_periods(tuple(picked), *snap).to_csv(index=False),
                       "price_periods.csv")

measured_sections.cost_per_solved(snap)

st.subheader("Price–capability frontier")
choices = data.frontier_choices(*snap)
if len(choices):
    names = [f"{labels.series(r.pack)} ({r.n_models} priced models)" for r in choices.itertuples()]
    pick = choices.iloc[st.selectbox("Score", range(len(choices)), format_func=names.__getitem__)]
    points, fronts = data.price_capability_frontier(pick["pack"], pick["metric"], *snap)
    figure.show(price_charts.frontier_figure(points, fronts, labels.series(pick["pack"], short=True)))
    st.caption("Sources: the `capability_scores` and `prices` views. On each date (1 January and "
               "1 July, and today), every model scored by then with a price in force; the line "
               "joins the models no cheaper model beats. Left-up is better; a line moving left "
               "means that level got cheaper. Local models' prices are estimates from machine time.")
    st.download_button("Frontier points (CSV)", points.to_csv(index=False), "price_capability_points.csv")
else:
    st.info("No model has both a score and a price yet.")

public_sections.price_of_a_capability(snap)
