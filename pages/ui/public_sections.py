"""Sections built on the public history that several pages show (UI only; data from `data`)."""

import pandas as pd
import streamlit as st

from pages.ui import data, figure
from pages.ui.charts import capability as capability_charts
from pages.ui.charts import prices as price_charts
from warehouse.analysis import labels
from warehouse.contract.board_queries import MEASURE_SPEED

EPOCH_CREDIT = "Epoch AI Benchmarking Hub and Epoch Capabilities Index (CC BY 4.0)"


def price_of_a_capability(snap) -> None:
    """Price page: the cheapest closed and open model at a fixed ECI level, with its verdict."""
    st.subheader("Price of a fixed capability, closed vs open")
    rows = data.gap_series("log10_cheapest_ratio", *snap)
    if rows.empty:
        st.info("No model has both an Epoch Capabilities Index and an OpenRouter price yet.")
        return
    series_id = rows["series_id"].iloc[0]
    level = series_id.rsplit("@eci", 1)[-1]
    rows = rows[rows["series_id"] == series_id]
    figure.show(price_charts.price_level_figure(rows, f"ECI {level}"))
    verdicts = data.gap_verdicts(*snap)
    mine = verdicts[(verdicts["series_id"] == series_id) & (verdicts["gap_kind"] == "log10_cheapest_ratio")]
    for v in mine.itertuples():
        slope = "" if pd.isna(v.slope_per_year) else (
            f": ratio ×{10 ** v.slope_per_year:.2f} per year "
            f"[×{10 ** v.ci_low:.2f}, ×{10 ** v.ci_high:.2f}]")
        st.markdown(f"**{getattr(v, 'period', 'whole history')}**: {v.verdict}{slope} "
                    f"({v.n_points} months; `widening` = {v.group_a} weights' price advantage "
                    "grows)")
    st.caption(f"Sources: OpenRouter price history (jvrck/openrouterlist, MIT) and the {EPOCH_CREDIT}. "
               f"Each month, the cheapest model whose ECI is at least {level} (a level both "
               "groups reached when the price history starts), at the price in force on the 1st, "
               "blended 3 input : 1 output tokens; a model counts from its release. Unlike the "
               "median of the whole catalogue, this compares models of equal capability.")
    st.download_button("Price of a capability (CSV)", rows.to_csv(index=False),
                       "price_of_a_capability.csv")


def public_vs_heldout(snap) -> None:
    """Leaderboard-vs-fresh page: public minus held-out scores per model, before any local run."""
    st.subheader("Public history: public test vs held-out test")
    per_model = data.public_vs_heldout(*snap)
    if per_model.empty:
        st.info("The public history has no model scored on both a public and a held-out test.")
        return
    pairs = sorted(per_model["metric"].unique())
    names = {m: f"{r.public} vs {r.heldout}" for m, r in
             per_model.drop_duplicates("metric").set_index("metric").iterrows()}
    metric = st.selectbox("Pair", pairs, format_func=names.get, key="heldout_pair")
    rows = per_model[per_model["metric"] == metric]
    monthly = data.gap_series("public_minus_heldout_logit", *snap)
    monthly = monthly[monthly["series_id"] == metric]
    c1, c2 = st.columns(2)
    c1.metric("Models scored on both", f"{rows['model_id'].nunique():,}")
    c2.metric("Median gap", f"{rows['logit_gap'].median():.2f} logits",
              help="A logit is log(p / (1 − p)): 50% is 0, 73% is 1, 88% is 2, 95% is 3.")
    figure.show(capability_charts.heldout_figure(rows, monthly))
    st.caption(f"Source: {EPOCH_CREDIT}, both tests run by Epoch. Gap = logit(public score) − "
               "logit(held-out score), scores clipped to 1–99%; a logit is log(p / (1 − p)), "
               "so 50% is 0, 73% is 1 and 88% is 2 logits. If both tests measure one skill, "
               "this difference is about the same for every model (a one-parameter item-response "
               "model); a model far above the others does better on the public test than its "
               "held-out score predicts, the pattern memorised test items leave. A rising median "
               "line would mean newer models lean more on the public test. See docs/dimensions.md.")
    st.dataframe(heldout_table(rows), hide_index=True, width="stretch")


def heldout_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per model: the pair is in the selector above, so no column repeats it; dates
    as dates, scores as percentages, the gap in logits."""
    return pd.DataFrame({
        "Model": rows["model_id"], "Released": pd.to_datetime(rows["released"]).dt.strftime("%Y-%m-%d"),
        "Weights": rows["group"].fillna("unknown"),
        "Public test": [f"{v:.0%}" for v in rows["public_score"]],
        "Held-out test": [f"{v:.0%}" for v in rows["heldout_score"]],
        "Gap (logits)": [labels.number(v, 2, signed=True) for v in rows["logit_gap"]]})


def speed_history_note() -> None:
    """Speed page: what the public speed record is, what would fill it, and one command."""
    st.markdown("**Public speed history is thin:** one LLMPerf snapshot (December 2023, Llama 2 "
                "7B/13B/70B on 8 hosts), so there is no public speed *trend* to test. A dated record of latency "
                "and throughput (Artificial Analysis or OpenRouter endpoint statistics over time) "
                "would fill it; until then, measure the three bundled local models in a few "
                "minutes (the Speed and Leaderboard-vs-fresh pages then show your own data):")
    st.code(MEASURE_SPEED + "\npython -m collectors run capability --models 'local/*'",
            language="bash")
