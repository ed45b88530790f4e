"""Leaderboard vs fresh: fixed-item minus fresh-item scores per model, the overfitting signal."""

import streamlit as st

from pages import charts_more, data

snap = data.snapshot()
st.title("Leaderboard vs fresh")
st.caption("Each capability run asks a pack's fixed, public items and freshly generated items of "
           "the same kind. A model that scores clearly higher on the fixed items may have seen "
           "them in training.")
rows = data.fixed_minus_fresh(*snap)
st.metric("Models compared", f"{rows['model_id'].nunique():,}")
if not len(rows):
    st.info("No capability runs yet, so no fixed-minus-fresh scores: run "
            "`python -m collectors run capability` (or collect now on Runs and health).")
    st.stop()
st.plotly_chart(charts_more.fixed_fresh_figure(rows), width="stretch")
st.caption("Source: `capability_scores` (metrics `*_fixed_minus_fresh` from your own runs); "
           "error bars are 95% intervals.")
st.dataframe(rows, hide_index=True)
st.download_button("Fixed minus fresh (CSV)", rows.to_csv(index=False), "fixed_minus_fresh.csv")
