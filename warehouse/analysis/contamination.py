"""A public contamination signal: how much better models do on a public test set than on a
held-out or newer one for the same skill (pure; no database).

Pairs from the Epoch Benchmarking Hub scores (both run by Epoch with one harness):

* MATH Level 5 (public since 2021, long in web crawls) vs OTIS Mock AIME 2024-2025 (competition
  problems written in 2024-2025, after most models' training data was collected);
* MATH Level 5 vs FrontierMath (research-level problems Epoch keeps private).

Per model, the gap is logit(public score) − logit(held-out score). Why logits: under a
one-parameter item-response model (Rasch) a model's logit score is its ability minus the
test's difficulty, so the difference between two tests of one skill is the same for every
model, strong or weak. A model (or a generation of models) whose difference is larger than
others' does better on the public test than its held-out ability predicts: the pattern
memorised test items leave. Scores are clipped to [`FLOOR`, 1 − `FLOOR`] first, because a 0 or
100% score has no finite logit; differences near the clip say less. Over time, the monthly
median difference of models released that month is a gap series with its own verdict:
`widening` means newer models' public scores run further ahead of their held-out ones.
This is a signal, not proof: the two tests differ in format as well as in exposure, and
tests of unequal discrimination make the difference drift with ability even without leakage.
"""

import numpy as np
import pandas as pd

from warehouse.analysis import gaps

PAIRS = [("epoch:math_level_5", "epoch:otis_mock_aime_2024_2025"),
         ("epoch:math_level_5", "epoch:frontiermath")]
NAMES = {"epoch:math_level_5": "MATH Level 5", "epoch:otis_mock_aime_2024_2025":
         "OTIS Mock AIME 2024-2025", "epoch:frontiermath": "FrontierMath"}
FLOOR = 0.01
KIND = "public_minus_heldout_logit"
# One row per model version and release: a version's two scores pair up at its own release,
# never a later snapshot's score at an earlier one's date.
SQL = {"heldout_pairs": f"""
    SELECT s.pack, s.model_id, max(s.value) AS value, s.measured_at_utc,
           any_value(m.open_weights) AS open_weights, any_value(s.source) AS source
    FROM capability_scores s LEFT JOIN models m USING (model_id)
    WHERE s.pack IN ({", ".join(sorted({f"'{p}'" for pair in PAIRS for p in pair}))})
    GROUP BY s.pack, s.model_id, s.measured_at_utc"""}
KEY = ["model_id", "measured_at_utc"]


def metric_name(public: str, heldout: str) -> str:
    return f"contamination:{public.removeprefix('epoch:')}_vs_{heldout.removeprefix('epoch:')}"


def logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), FLOOR, 1 - FLOOR)
    return np.log(p / (1 - p))


def per_model(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per (pair, model version scored on both): both scores and the logit difference."""
    parts = []
    for public, heldout in PAIRS:
        a = scores[scores["pack"] == public].set_index(KEY)
        b = scores[scores["pack"] == heldout].set_index(KEY)
        both = a.join(b[["value"]].rename(columns={"value": "value_heldout"}), how="inner")
        if both.empty:
            continue
        both = both.reset_index()
        parts.append(pd.DataFrame({
            "metric": metric_name(public, heldout), "public": NAMES[public],
            "heldout": NAMES[heldout], "model_id": both["model_id"].to_numpy(),
            "released": gaps._day(both["measured_at_utc"]).to_numpy(),
            "group": both["open_weights"].map({True: "open", False: "closed"}).to_numpy(),
            "public_score": both["value"].to_numpy(), "heldout_score": both["value_heldout"].to_numpy(),
            "logit_gap": logit(both["value"]) - logit(both["value_heldout"]),
            "source": both["source"].to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["metric", "public", "heldout", "model_id", "released", "group", "public_score",
                 "heldout_score", "logit_gap", "source"])


def series(scores: pd.DataFrame) -> pd.DataFrame:
    """Monthly median logit gap of the models released that month, per pair (GAP_COLUMNS)."""
    rows = per_model(scores)
    if rows.empty:
        return pd.DataFrame(columns=gaps.GAP_COLUMNS)
    rows = rows.assign(bucket_start=gaps.bucket_start(rows["released"], "MS"))
    out = (rows.groupby(["metric", "public", "heldout", "bucket_start"], as_index=False)
           .agg(value=("logit_gap", "median"), n_models=("model_id", "nunique"),
                leader_value=("public_score", "median"), follower_value=("heldout_score", "median"),
                source=("source", "first")))
    return out.assign(gap_kind=KIND, group_a="public: " + out["public"],
                      group_b="held out: " + out["heldout"])[gaps.GAP_COLUMNS]
