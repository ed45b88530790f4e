"""Overview: what the history covers, and two real gaps over time."""

import streamlit as st

from pages import charts, data

SOURCES = {
    "arena": "Source: LMArena / Chatbot Arena text leaderboard ratings (nakasyou/lmarena-history, "
             "MIT; fboulnois/llm-leaderboard-csv, MPL-2.0; LMSYS tables, Apache-2.0). The gap is "
             "computed within each snapshot; colours mark rating methods, whose scales differ.",
    "eci": "Source: Epoch AI, Epoch Capabilities Index (CC BY 4.0), by release date; open = "
           "downloadable weights. A group's frontier is its best model released by that month.",
}

snap = data.snapshot()
st.title("GapWatch: are the gaps between LLMs widening?")
st.caption("Public history now; your own scheduled measurements join it as they arrive.")

cov = data.coverage(*snap).iloc[0]
eci = data.gap_series("frontier_a_minus_b", *snap)
eci = eci[eci["metric"] == "epoch:eci"]
arena = data.gap_series("top1_minus_top10", *snap)

c1, c2, c3, c4 = st.columns(4)
c1.metric("Models with scores", f"{cov.n_models:,}")
c2.metric("History", f"{cov.first_utc:%Y-%m} → {cov.last_utc:%Y-%m}")
c3.metric("Arena snapshots", f"{cov.n_arena_snapshots:,}")
if len(eci) > 12:
    now, year_ago = eci.iloc[-1], eci.iloc[-13]
    c4.metric("ECI gap, closed − open", f"{now.value:.1f}",
              delta=f"{now.value - year_ago.value:+.1f} vs 12 months earlier", delta_color="inverse")

st.subheader("Leader vs 10th model on Arena")
st.plotly_chart(charts.arena_top_gap_figure(arena), width="stretch")
st.caption(SOURCES["arena"])
st.download_button("Arena gap data (CSV)", arena.to_csv(index=False), "arena_top_gap.csv")

st.subheader("Closed vs open weights on the Epoch Capabilities Index")
st.plotly_chart(charts.frontier_gap_figure(eci), width="stretch")
st.caption(SOURCES["eci"])
st.download_button("ECI gap data (CSV)", eci.to_csv(index=False), "eci_open_closed_gap.csv")

with st.expander("Data freshness"):
    st.dataframe(data.freshness(*snap), hide_index=True)
