"""Sections about the user's own measurements that pages show (UI only; data from `data`):
cost per solved item with a one-line reason per model that has none, and comparing two runs.

Why a module: these read the same way on every page and must say the same things (what is
missing and which command fills it), so they are written once.
"""

import pandas as pd
import streamlit as st

from pages.ui import data, figure, tables
from pages.ui.charts import prices as price_charts
from warehouse.analysis import labels

PRICES_CMD = "python -m collectors run prices"


def cost_reason(model_id: str, note, provider: str, packs=()) -> str:
    """Why a model has no cost per solved item, and what fills it, in one line."""
    note = str(note or "")
    if note.startswith("nothing solved"):
        where = f" in {', '.join(packs)}" if len(packs) else ""
        return f"{model_id}: solved no item{where}, so a cost per solved item is undefined there."
    if provider == "local":
        return (f"{model_id}: no machine-time price yet (runs before prices were taken at run "
                f"time); `{PRICES_CMD} --models {model_id}` prices it, and every new "
                "capability run prices it itself.")
    if note.startswith("no price in force"):
        return (f"{model_id}: {note}: `{PRICES_CMD}` fetches current prices, or add a "
                f"`[[prices]]` entry for {model_id} with that date to gapwatch.toml.")
    if note == "no token counts":
        return f"{model_id}: its API reported no token counts, so its items cannot be priced."
    return (f"{model_id}: no price known: `{PRICES_CMD}` (OpenRouter and LiteLLM lists), or a "
            f"`[[prices]]` entry for {model_id} in gapwatch.toml.")


def rate_text(price: dict) -> str:
    """`$0.10 per hour of this machine (the default; ...)`: how local models were priced."""
    if not price:
        return ("local models are priced from this machine's time at the `[machine]` rate in "
                "gapwatch.toml (default $0.10 per hour)")
    rate = f"${price['usd_per_hour']:.2f} per hour of this machine"
    how = ("your `[machine] usd_per_hour = ...` in gapwatch.toml" if price.get("rate_from") ==
           "config" else "the default; set yours with `[machine] usd_per_hour = 0.25` in "
           "gapwatch.toml, or what your hour costs")
    return f"local models are priced from machine time at {rate} ({how})"


def cost_per_solved(snap) -> None:
    """Price page: cost per solved item of the measured models, never an empty chart."""
    st.subheader("Cost per solved item")
    costs = data.cost_per_solved(*snap)
    missing = data.cost_gaps(*snap)
    if not len(costs):
        st.info("No capability runs yet, so no cost per solved item: `python -m collectors run "
                "capability` measures your models and prices each answer on its day.")
        return
    priced = costs[costs["usd_per_solved_item"] > 0]
    if len(priced):
        models = data.measured_models(*snap)
        figure.show(price_charts.cost_figure(priced, dict(zip(models["model_id"],
                                                              models["open_weights"]))))
    for line in (cost_reason(r.model_id, r.cost_note, r.provider, list(r.packs))
                 for r in missing.itertuples()):
        st.markdown(f"- {line}")
    estimated = bool(priced["estimated"].fillna(False).any()) if len(priced) else False
    st.caption("Source: the `cost_per_solved` view: dollars for the items asked that day at that "
               "day's price, over the sum of item scores. "
               + (rate_text(data.machine_price(*snap)).capitalize() + "." if estimated or
                  (missing["provider"] == "local").any() else ""))
    st.download_button("Cost per solved (CSV)", costs.to_csv(index=False), "cost_per_solved.csv")


def compare_runs(snap) -> None:
    """Runs page: two capability runs, per model and dimension, over the items both asked."""
    st.subheader("Compare two capability runs")
    runs = data.capability_runs(*snap)
    if len(runs) < 2:
        st.info("Comparing needs two capability runs: run `python -m collectors run capability` "
                "again (the same `--seed` asks the same fresh items too).")
        return
    names = {r.run_id: f"{tables.local_time(r.started_at_utc, None)} · {r.n_models} "
                       f"{'model' if r.n_models == 1 else 'models'}, {r.n_items} items"
             for r in runs.itertuples()}
    ids = list(runs["run_id"])
    c1, c2 = st.columns(2)
    run_a = c1.selectbox("Run A (before)", ids, index=1, format_func=names.get, key="run_a")
    run_b = c2.selectbox("Run B (after)", ids, index=0, format_func=names.get, key="run_b")
    frame = data.compare_runs(run_a, run_b, *snap)
    if frame.empty:
        st.info("These runs share no item: fixed items always pair, fresh items only when both "
                "runs used the same seed.")
        return
    st.table(compare_table(frame), hide_index=True)
    st.caption("Per model and dimension, over the items both runs asked: mean item score in "
               "each run, the change B − A with its 95% interval (paired bootstrap over the "
               "items), p from an exact test (McNemar), Holm-adjusted over the rows, and the "
               f"items that flipped. The same as `python -m collectors runs compare {run_a} "
               f"{run_b}`.")


def compare_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Model": frame["model_id"], "Dimension": frame["dimension"].map(labels.dimension),
        "Items": frame["n_shared"],
        "A → B": [f"{a:.2f} → {b:.2f}" for a, b in zip(frame["mean_a"], frame["mean_b"])],
        "Change [95%]": [labels.with_interval(r.difference, r.ci_low, r.ci_high, signed=True)
                         for r in frame.itertuples()],
        "p (Holm)": frame["p_adjusted"].map(labels.p_value),
        "Flipped": [flipped(g, lost) for g, lost in zip(frame["gained"], frame["lost"])]})


def flipped(gained: list, lost: list, most: int = 3) -> str:
    parts = [f"{sign}{len(items)}: {', '.join(items[:most])}{' …' if len(items) > most else ''}"
             for sign, items in (("+", list(gained)), ("−", list(lost))) if len(items)]
    return "; ".join(parts) or "none"


CLOSED_MODEL_LINE = ('[[models]] id = "openai/gpt-4o-mini" … open_weights = false (the commented '
                     'example at the top of gapwatch.toml; export its key)')
OPEN_MODEL_LINE = ('[[models]] id = "local/qwen2.5-coder-0.5b" provider = "local" … '
                   'open_weights = true (one of the three bundled models)')


def short(model_id) -> str:
    return str(model_id).split("/", 1)[-1]


def ranks_text(tiers: pd.DataFrame) -> str:
    """`qwen2.5-coder-0.5b > gemma3-270m ≈ smollm2-135m`: tiers best first, ≈ inside a tier."""
    if tiers is None or not len(tiers):
        return tables.DASH
    return " > ".join(" ≈ ".join(short(m) for m in group["model_id"])
                      for _, group in tiers.groupby("tier", sort=True))


def capability_row(dim: str, ranking: dict) -> dict:
    lead = ranking["leader"]
    if lead is None:
        return {"Dimension": dim, "Leader": tables.DASH, "Runner-up": tables.DASH,
                "Margin [95%], p": "needs two models asked the same items",
                "Ranks (> ahead, ≈ tied)": ", ".join(short(m) for m in ranking["models"]),
                "Items": f"{ranking['n_items']}"}
    return {"Dimension": dim, "Leader": f"{short(lead['model_a'])} {lead['mean_a']:.2f}",
            "Runner-up": f"{short(lead['model_b'])} {lead['mean_b']:.2f}",
            "Margin [95%], p": labels.with_interval(lead["difference"], lead["ci_low"],
                                                    lead["ci_high"], signed=True)
                               + f", p = {labels.p_value(lead['p_adjusted'])}",
            "Ranks (> ahead, ≈ tied)": ranks_text(ranking["tiers"]),
            "Items": f"{ranking['n_items']}"}


def speed_row(samples: pd.DataFrame) -> dict | None:
    """Output tokens per second in each model's newest latency run (one workload)."""
    if not len(samples):
        return None
    newest = samples[samples["run_id"] == samples.groupby("model_id")["run_id"].transform("max")]
    workload = newest["workload"].mode().iloc[0]
    newest = newest[newest["workload"] == workload]
    values = {m: rows["output_tokens_per_s"] for m, rows in newest.groupby("model_id")}
    from warehouse.analysis import paired

    ranked = paired.unpaired_ranking(values)
    medians = ranked["medians"].sort_values(ascending=False)
    busy = bool(newest["contended"].fillna(False).any())
    row = {"Dimension": "speed" + (" (measured under contention)" if busy else ""),
           "Leader": f"{short(medians.index[0])} {medians.iloc[0]:.3g} tokens/s",
           "Runner-up": tables.DASH, "Margin [95%], p": tables.DASH,
           "Ranks (> ahead, ≈ tied)": ranks_text(ranked["tiers"]),
           "Items": f"{len(newest)} requests ({labels.workload(workload)})"}
    if len(medians) > 1:
        pair = ranked["pairs"].iloc[0]
        row.update({"Runner-up": f"{short(medians.index[1])} {medians.iloc[1]:.3g} tokens/s",
                    "Margin [95%], p": f"×{medians.iloc[0] / medians.iloc[1]:.2g} faster, "
                                       f"p = {labels.p_value(pair['p_adjusted'])}"})
    return row


def openness_note(models: pd.DataFrame) -> str | None:
    """What the measured models can never show, and the config line that changes it."""
    flags = models["open_weights"].dropna().astype(bool)
    if not len(flags):
        return None
    if flags.all():
        return (f"All {len(flags)} models you measured have open weights, so your own runs "
                "cannot form a closed − open gap yet. Add a closed model to gapwatch.toml: "
                f"`{CLOSED_MODEL_LINE}`.")
    if not flags.any():
        return (f"All {len(flags)} models you measured have closed weights, so your own runs "
                f"cannot form a closed − open gap yet. Add an open one: `{OPEN_MODEL_LINE}`.")
    return None


def my_measurements(snap) -> None:
    """Overview: what the user's own runs say today, per dimension: leader, runner-up, margin
    with its paired interval and the groups the items cannot tell apart."""
    st.subheader("My measurements")
    mine = data.my_rankings(*snap)
    samples = data.latency_samples(*snap)
    if not mine["rankings"] and not len(samples):
        st.caption("None yet: `python -m collectors local up`, then `python -m collectors run "
                   "latency --models 'local/*'` and `python -m collectors run capability "
                   "--models 'local/*'` measure the three bundled models in a few minutes.")
        return
    rows = [capability_row(dim, r) for dim, r in mine["rankings"].items()]
    rows += [row for row in [speed_row(samples)] if row]
    st.table(pd.DataFrame(rows), hide_index=True)
    when = tables.local_time(mine["measured_at_utc"], None, "%Y-%m-%d") if mine[
        "measured_at_utc"] is not None else tables.DASH
    st.caption(f"Your newest capability run per model (to {when}): mean item score (0 to 1) over "
               "the items every model answered; margin = leader − runner-up per item, with its "
               "95% interval (paired bootstrap); p: exact test (McNemar), Holm-adjusted over the "
               "dimension's pairs; ≈: the items cannot tell the models apart (adjusted p ≥ "
               "0.05). Speed: median output tokens per second, Mann–Whitney p. Trends over time "
               "need 8 months of runs (the board above).")
    note = openness_note(mine["models"])
    if note:
        st.info(note)


def fixed_fresh_table(rows):
    """The newest value per model and pack, in words (the CSV keeps the view's columns)."""
    newest = rows.sort_values("measured_at_utc").groupby(["model_id", "pack"]).tail(1)
    return pd.DataFrame({
        "Model": newest["model_id"], "Dimension": newest["dimension"].map(labels.dimension),
        "Pack": newest["pack"] + " v" + newest["pack_version"].astype(str),
        "Fixed − fresh [95%]": [labels.with_interval(r.value, r.ci_low, r.ci_high, signed=True)
                                for r in newest.itertuples()],
        "Items": newest["n_items"],
        "Measured": [tables.local_time(t, None, "%Y-%m-%d") for t in newest["measured_at_utc"]]})
