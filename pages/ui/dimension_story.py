"""Capability page, one dimension: its composite answer, the checks behind it, every benchmark's
own story, and the scored models no source labels open or closed (UI; data from `data`).

Why a section of its own: the dimension's headline is a composite of benchmarks that move in
different directions and rest on different coverage. Shown above the table of what it is made
of, the headline can be read against each benchmark, and where they differ it says why.
"""

import pandas as pd
import streamlit as st

from pages.ui import data, tables
from warehouse.analysis import dimension_checks, labels
from warehouse.analysis.benchmark_dimensions import DIMENSIONS

MONTH = "%Y-%m"
TRENDS = {"widening", "narrowing"}


def show(dimension: str, snap) -> None:
    if dimension not in DIMENSIONS:
        return
    name = labels.dimension(dimension)
    st.subheader(f"{name.capitalize()}: the answer and every benchmark behind it")
    stories = data.benchmark_stories(dimension, *snap)
    headline = data.dimension_headline(dimension, *snap)
    st.markdown(headline_text(headline, stories))
    checks = data.dimension_checks(dimension, *snap)
    recent = checks[checks["period"] == "last 12 months"]
    if len(recent):
        with st.expander("Checks of the headline: without each benchmark, and on a second yardstick"):
            st.table(checks_table(recent))
            st.caption("Each check re-runs the trend test on the composite built without one "
                       "benchmark, or with each benchmark's gap divided by the spread of its "
                       "frontier scores instead of on the logit scale. Where a check points the "
                       "other way, the headline calls no trend and says what it depends on. "
                       "Checks are single tests; the headline is adjusted for the many verdicts "
                       "computed together. The `dimension_checks` view holds every period's checks.")
    if stories.empty:
        st.info(f"No benchmark of {name} has both a closed and an open model scored.")
        return
    st.markdown("**Every benchmark's own story** (best closed minus best open model released by "
                "each month; its verdict is its own series' last 12 months):")
    st.table(story_table(stories))
    st.caption("Coverage: a side is covered when one of its three strongest model families "
               "known by then (Epoch Capabilities Index) has a score; when the open side is not, "
               "the closed lead is an upper bound, and a bound stays out of the composite. "
               "Saturated: from the month the best score reached 0.90 of the scale (the gap then "
               "shrinks because of the ceiling). The `benchmark_stories` view holds the table; "
               "docs/dimensions.md explains the rules.")
    unlabelled_models(dimension, snap)


def headline_text(headline: pd.DataFrame, stories: pd.DataFrame) -> str:
    """The composite's verdicts in words, then what its benchmarks say on their own."""
    if headline.empty:
        return "No composite: too few benchmarks share months with both sides covered."
    lines = []
    for row in headline.to_dict("records"):
        period = (f"{row['period']} ({pd.Timestamp(row['period_start']):{MONTH}} → "
                  f"{pd.Timestamp(row['period_end']):{MONTH}})")
        slope = tables.slope_text(row)
        notes = [n for n in (dimension_checks.why_not_called(row), row.get("note"))
                 if isinstance(n, str) and n]
        note = f" — {'; '.join(notes)}" if notes else ""
        lines.append(f"- **Closed − open, {period}: {row['verdict']}** ({slope}){note}")
    text = "\n".join(lines)
    newest = pd.Timestamp(headline["newest_month"].max())
    later = stories[pd.to_datetime(stories["last_month"]) > newest]
    if len(later):
        names = ", ".join(f"{labels.series(s, short=True)} (to {pd.Timestamp(m):{MONTH}})"
                          for s, m in zip(later["series_id"], later["last_month"]))
        text += (f"\n\nThe composite's newest month is {newest:{MONTH}}. Later months come only "
                 f"from {names}: see why they are not in the composite below.")
    inside = stories[stories["in_composite"].fillna(False).astype(bool)
                     & stories["verdict"].isin(TRENDS)]
    if len(inside):
        own = "; ".join(f"{labels.series(s, short=True)} {v}" for s, v in
                        zip(inside["series_id"], inside["verdict"]))
        text += (f"\n\nOn their own, over their last 12 months: {own}. The composite averages "
                 "its benchmarks month by month, so one benchmark's trend need not be the "
                 "dimension's.")
    return text


def checks_table(checks: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Check": checks["check_label"],
        "Verdict": checks["verdict"],
        "Trend": [tables.slope_text(r) for r in checks.to_dict("records")],
        "Points the other way": checks["disagrees"].map({True: "yes", False: "no"}),
    }).reset_index(drop=True)


def story_table(stories: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark, in words and rounded numbers (units in the first column)."""
    rows = []
    for r in stories.to_dict("records"):
        first, last = tables.levels(r["gap_first"], r["gap_last"])
        rows.append({
            "Benchmark": f"{labels.series(r['series_id'], short=True)} ({r['unit']})",
            "Closed − open, first → last": (f"{first} → {last} ({pd.Timestamp(r['first_month']):{MONTH}}"
                                            f" → {pd.Timestamp(r['last_month']):{MONTH}})"),
            "Its own verdict": _own_verdict(r),
            "Models scored, closed / open": (f"{r['n_closed_models']} / {r['n_open_models']} "
                                             f"({r['n_closed_models_recent']} / "
                                             f"{r['n_open_models_recent']} in the last 12 months)"),
            "Coverage": r["coverage_note"],
            "Saturated": ("no" if pd.isna(r["saturated_from"])
                          else f"from {pd.Timestamp(r['saturated_from']):{MONTH}}"),
            "In the composite": r["composite_note"],
        })
    return pd.DataFrame(rows)


def _own_verdict(r: dict) -> str:
    if not isinstance(r.get("verdict"), str):
        return "no verdict"
    if pd.isna(r.get("slope_per_year")):
        return r["verdict"]
    why = dimension_checks.why_not_called(r, short=True)
    return f"{r['verdict']} ({tables.slope_text(r, with_unit=False)})" + (f"; {why}" if why else "")


def unlabelled_models(dimension: str, snap) -> None:
    missing = data.unlabelled_models(*snap)
    mine = missing[missing["dimensions"].str.contains(dimension, regex=False)]
    if mine.empty:
        return
    with st.expander(f"{len(mine)} scored model versions have no open/closed label"):
        st.markdown(f"No source labels these as open or closed weights, so they sit out of "
                    f"every closed − open gap of {labels.dimension(dimension)} "
                    "(`python -m warehouse aliases` lists them for every dimension).")
        st.table(pd.DataFrame({
            "Model": mine["model_id"].map(lambda m: m.split("/", 1)[-1]),
            "Family": mine["family"], "Organisation": mine["organization"].fillna("unknown"),
            "Released": pd.to_datetime(mine["released"]).dt.strftime("%Y-%m-%d"),
            "Benchmarks": mine["benchmarks"].map(_benchmark_names)}).reset_index(drop=True))


def _benchmark_names(text: str) -> str:
    return ", ".join(labels.series(f"epoch:{b.strip()}", short=True) for b in str(text).split(","))
