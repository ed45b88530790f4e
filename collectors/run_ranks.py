"""`python -m collectors runs ranks`: what Overview's "My measurements" says, in a terminal.

Per dimension, over the items every model answered in its newest capability run: each model's
mean score, its rank with ties (models the items cannot tell apart share a rank), and every
pair's paired difference with its 95% interval and Holm-adjusted exact p
(`warehouse.analysis.paired`).
"""

import pandas as pd

from warehouse.analysis import labels
from warehouse.contract import measured


def report(db_path=None) -> str:
    mine = measured.my_rankings(db_path)
    if not mine["rankings"]:
        return "no capability runs yet: `python -m collectors run capability --models 'local/*'`"
    out = []
    for dim, ranking in mine["rankings"].items():
        out.append(f"{labels.dimension(dim)}: {ranking['n_items']} items every model answered")
        if ranking["leader"] is None:
            out.append("  needs two models asked the same items")
            continue
        tiers = ranking["tiers"]
        out.append("  ranks: " + "; ".join(
            f"{r.rank}. {r.model_id} {r.mean:.2f}" for r in tiers.itertuples()))
        pairs = ranking["pairs"]
        table = pd.DataFrame({
            "pair": pairs["model_a"] + " − " + pairs["model_b"],
            "difference [95%]": [labels.with_interval(r.difference, r.ci_low, r.ci_high,
                                                      signed=True) for r in pairs.itertuples()],
            "p": pairs["p_value"].map(labels.p_value),
            "p (Holm)": pairs["p_adjusted"].map(labels.p_value),
            "tied": pairs["different"].map({True: "no", False: "yes"})})
        out.append("  " + table.to_string(index=False).replace("\n", "\n  "))
    out.append("difference: mean per-item score difference over the shared items, 95% interval "
               "by paired bootstrap (stretched to 0 where the exact test cannot reject); p: "
               "McNemar's exact test; tied: Holm-adjusted p ≥ 0.05")
    return "\n".join(out)
