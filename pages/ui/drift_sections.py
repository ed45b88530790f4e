"""The drift sentinel on the pages: one row per model under the Overview's board, and a
section on Runs and health (`drift_checks`, collectors/drift.py)."""

import pandas as pd
import streamlit as st

from pages.ui import data, tables
from warehouse.analysis import labels

SHOWN = 20  # checks on Runs and health; the CSV has more
ABOUT = ("Each drift run asks every model a fixed canary set at temperature 0 and compares the "
         "answers item by item with its baseline run (`python -m collectors run drift`, the "
         "`drift_checks` view). *changed*: another model, or the same model served differently, "
         "answers behind the name; time axes mark it and no trend spans it.")


def model_rows(checks: pd.DataFrame, tz: str | None, clauses: int | None = None) -> pd.DataFrame:
    """Each model's newest check in words: verdict, when, changed answers, evidence (its first
    `clauses` clauses when given: the full sentence is on Runs and health)."""
    return pd.DataFrame({
        "Model": checks["model_id"],
        "Same model?": checks["verdict"],
        "Checked": [tables.local_time(t, tz) for t in checks["checked_at_utc"]],
        "Answers changed": [_changed(r) for _, r in checks.iterrows()],
        "p": [labels.p_value(p) for p in checks["p_value"]],
        "Last found changed": [tables.local_time(t, tz, "%Y-%m-%d") for t in
                               checks.get("last_changed_at_utc", pd.Series(pd.NaT, checks.index))],
        "Evidence": [short(text, clauses) for text in checks["evidence"]],
    })


def short(evidence: str, clauses: int | None) -> str:
    parts = str(evidence).split("; ")
    if clauses is None or len(parts) <= clauses:
        return str(evidence)
    return "; ".join(parts[:clauses]) + "; … (all of it: Runs and health)"


def _changed(row) -> str:
    if pd.isna(row["n_changed_answers"]):
        return tables.DASH
    return f"{int(row['n_changed_answers'])} of {int(row['n_items'])}"


def overview(snap, tz: str | None) -> None:
    """Under the board: is each model still the one measured? Nothing before a drift run."""
    checks = data.drift_latest(*snap)
    if not len(checks):
        return
    st.markdown("**Is each model still the one you measured?**")
    st.table(model_rows(checks, tz, clauses=4).drop(columns="p"), hide_index=True)  # static: light load
    st.caption(ABOUT)


def runs_section(snap, tz: str | None) -> None:
    """Runs and health: every recent drift check, newest first."""
    st.subheader("Drift checks: is each model still the one measured?")
    checks = data.drift_recent(*snap)
    if not len(checks):
        st.info("No drift check yet: `python -m collectors run drift` asks each model the canary "
                "set; its first run is the baseline later runs are compared with.")
        return
    shown = model_rows(checks.head(SHOWN), tz).drop(columns="Last found changed")
    shown.insert(4, "Baseline run", [tables.run_name(r) for r in
                                     checks["baseline_run_id"].head(SHOWN).fillna(tables.DASH)])
    st.table(shown, hide_index=True)  # static: the evidence wraps instead of being cut
    st.caption(ABOUT + f" The newest {SHOWN} checks; times in {tz or 'UTC'}. The CSV holds the "
               f"newest {len(checks)} with every column of the view.")
    st.download_button("Drift checks (CSV)", checks.to_csv(index=False), "drift_checks.csv")
