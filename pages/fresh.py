"""Leaderboard vs fresh: fixed-item minus fresh-item scores per model, the overfitting signal."""

import streamlit as st

from pages.ui import data, figure, public_sections
from pages.ui.charts import capability as capability_charts
from pages.ui.charts import gaps as gap_charts

snap = data.snapshot()
st.title("Leaderboard vs fresh")
st.caption("Each capability run asks a pack's fixed, public items and freshly generated items of "
           "the same kind. A model that scores clearly higher on the fixed items may have seen "
           "them in training.")
public_sections.public_vs_heldout(snap)

st.subheader("Your runs: fixed items vs fresh items")
rows = data.fixed_minus_fresh(*snap)
st.metric("Models compared", f"{rows['model_id'].nunique():,}")
if not len(rows):
    st.info("No capability runs yet, so no fixed-minus-fresh scores: run "
            "`python -m collectors run capability` (or collect now on Runs and health).")
    st.stop()
scopes = {*rows["model_id"], *rows["pack"]}
figure.show(gap_charts.mark_method_changes(capability_charts.fixed_fresh_figure(rows), data.method_changes(*snap),
                                       scopes, rows["measured_at_utc"]))
st.caption("Source: `capability_scores` (metrics `*_fixed_minus_fresh` from your own runs); "
           "error bars are 95% intervals; dotted lines mark a new pack version or run context.")
st.dataframe(rows, hide_index=True)
st.download_button("Fixed minus fresh (CSV)", rows.to_csv(index=False), "fixed_minus_fresh.csv")
