"""`python -m collectors runs compare RUN_A RUN_B`: did a model get better or worse between two
capability runs, over the very items both runs asked?

Per model and dimension: the items both runs answered (same pack, version, item and prompt:
fixed items always, fresh items only when both runs used the same seed), the mean score in
each run, the paired change (B − A) with its 95% interval, an exact p (Holm-adjusted over all
cells of the comparison), and which items flipped. The statistics are
`warehouse.analysis.paired`'s, the same as Overview's "My measurements".
"""

import pandas as pd

from core.errors import GapWatchError
from warehouse.analysis import labels
from warehouse.contract import measured

MAX_NAMED = 6  # flipped items named per cell; the rest are counted


def compare(run_a: str, run_b: str, db_path=None) -> pd.DataFrame:
    """The comparison frame; GapWatchError naming a run that is not a capability run with items."""
    known = set(measured.capability_runs(db_path)["run_id"])
    for run in (run_a, run_b):
        if run not in known:
            raise GapWatchError(f"run {run!r} is not a valid capability run with answered items "
                                "(`python -m collectors runs list` shows the runs)")
    return measured.compare_runs(run_a, run_b, db_path)


def report(frame: pd.DataFrame, run_a: str, run_b: str) -> str:
    """The table a person reads: scores, change with interval, p, and the flipped items."""
    head = [f"A = {run_a}", f"B = {run_b}"]
    if frame.empty:
        return "\n".join(head + ["no shared items: the runs asked no model the same items "
                                 "(fresh items pair only when both runs used the same seed)"])
    table = pd.DataFrame({
        "model": frame["model_id"], "dimension": frame["dimension"].map(labels.dimension),
        "shared items": frame["n_shared"],
        "score in A": frame["mean_a"].map(lambda v: f"{v:.2f}"),
        "score in B": frame["mean_b"].map(lambda v: f"{v:.2f}"),
        "change B − A [95%]": [labels.with_interval(r.difference, r.ci_low, r.ci_high, signed=True)
                               for r in frame.itertuples()],
        "p (Holm)": frame["p_adjusted"].map(labels.p_value),
        "items better in B": frame["gained"].map(_named),
        "items worse in B": frame["lost"].map(_named)})
    return "\n".join(head + [table.to_string(index=False),
                             "change: mean per-item score difference over the shared items; "
                             "p: exact test (McNemar), Holm-adjusted over the rows"])


def _named(items: list[str]) -> str:
    if not items:
        return "none"
    more = len(items) - MAX_NAMED
    return ", ".join(items[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")
