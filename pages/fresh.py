"""Leaderboard vs fresh: fixed-item minus fresh-item scores per model, the overfitting signal."""

import streamlit as st

from pages.ui import data, figure, measured_sections, public_sections
from pages.ui.charts import capability as capability_charts

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
figure.show(capability_charts.fixed_fresh_figure(rows))
st.caption("Source: `capability_scores` (the fixed-minus-fresh metrics of your own runs): a "
           "model's mean score on the pack's fixed, public items minus its mean on fresh items "
           "generated for the run; error bars are 95% intervals. Above 0: better on the items "
           "it may have seen than on new ones of the same kind.")
st.table(measured_sections.fixed_fresh_table(rows), hide_index=True)
st.download_button("Fixed minus fresh (CSV)", rows.to_csv(index=False), "fixed_minus_fresh.csv")
