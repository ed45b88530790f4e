"""Figures, one module per page: plain functions, DataFrame in, Plotly figure out, so each can
be tested without Streamlit. `gaps` (Overview and Gaps), `capability` (Capability and
Leaderboard vs fresh), `prices` (Price and cost), `speed` (Speed); `colours` is their palette."""
