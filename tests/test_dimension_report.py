"""`python -m warehouse dimensions`: each dimension's answer in Markdown, as docs/dimensions.md and
docs/findings.md quote it. Run in-process on the built warehouse, and read back against the
stored rows: every number a reader re-checks with the command must be the stored one."""

import re

import pandas as pd
import pytest

from warehouse.analysis import dimension_report, labels
from warehouse.analysis.benchmark_dimensions import DIMENSIONS
from warehouse.contract import dimension_queries as q


@pytest.fixture(scope="module")
def printed(built_db):
    from warehouse.__main__ import main

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAPWATCH_DB", str(built_db))
        import io
        from contextlib import redirect_stdout

        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["dimensions"]) == 0
        parts = {d: (q.headline(d), q.checks(d), q.stories(d)) for d in DIMENSIONS}
    return out.getvalue(), parts


def section(text: str, dimension: str) -> str:
    """One dimension's part of the report, from its heading to the next."""
    head = f"## {labels.dimension(dimension).capitalize()}\n"
    assert head in text, head
    return text.split(head, 1)[1].split("\n## ", 1)[0]


def month(value) -> str:
    return f"{pd.Timestamp(value):%Y-%m}"


def test_every_dimension_prints_its_stored_verdicts_with_their_periods(printed):
    text, parts = printed
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        f"## {labels.dimension(d).capitalize()}" for d in DIMENSIONS]
    for dimension, (headline, _, _) in parts.items():
        lines = [line for line in section(text, dimension).splitlines() if line.startswith("- ")]
        assert len(headline) >= 2 and len(lines) == len(headline), dimension
        for line, r in zip(lines, headline.to_dict("records")):
            assert line.startswith(f"- {r['period']} ({month(r['period_start'])} → "
                                   f"{month(r['period_end'])}): **{r['verdict']}**, "), line
            # the stored slope, and its interval, with the sign they have
            slope = re.search(r"\*\*, ([+−-][\d.]+) logits/yr \[([+−-][\d.]+), ([+−-][\d.]+)\]", line)
            assert slope, line
            shown = [float(s.replace("−", "-")) for s in slope.groups()]
            stored = [r["slope_per_year"], r["ci_low"], r["ci_high"]]
            for s, v in zip(shown, stored):
                assert s == pytest.approx(v, abs=0.051 + 0.01 * abs(v)), (line, stored)
            assert shown[1] < shown[2], line  # an interval with width, printed low to high


def test_every_check_is_a_row_under_its_period_and_says_whether_it_disagrees(printed):
    text, parts = printed
    for dimension, (headline, checks, _) in parts.items():
        rows = [line.split(" | ") for line in section(text, dimension).splitlines()
                if line.startswith("| ") and "as built / check" not in line and "---" not in line
                and "benchmark (unit)" not in line]
        built = [r for r in rows if "**as built (logits)**" in r[1]]
        called = headline[headline["verdict"] != "not enough data"]
        assert [r[0].strip("| ") for r in built] == list(called["period"]), dimension
        for period in called["period"]:
            mine = checks[checks["period"] == period]
            start = next(i for i, r in enumerate(rows) if r[0].strip("| ") == period)
            below = rows[start + 1:start + 1 + len(mine)]
            assert [r[0].strip("| ") for r in below] == [""] * len(mine), (dimension, period)
            printed_checks = {r[1].split(" (from ")[0]: (r[2], r[4].strip(" |")) for r in below}
            expected = {c["check_label"]: (c["verdict"], "**yes**" if c["disagrees"] else "no")
                        for c in mine.to_dict("records")}
            assert printed_checks == expected, (dimension, period)
    assert sum(c["disagrees"].sum() for _, c, _ in parts.values()) >= 1  # a "yes" is printed


def test_every_benchmark_has_its_story_row_with_its_gap_and_model_counts(printed):
    text, parts = printed
    for dimension, (_, _, stories) in parts.items():
        body = section(text, dimension).split("Every benchmark's own story:", 1)[1]
        rows = [line for line in body.splitlines() if line.startswith("| ") and "---" not in line
                and "benchmark (unit)" not in line]
        assert len(rows) == len(stories) >= 2, dimension
        for line, r in zip(rows, stories.to_dict("records")):
            assert line.startswith(f"| {labels.series(r['series_id'], short=True)} ({r['unit']}) | "
                                   f"{labels.significant(r['gap_first'], 2)} → "
                                   f"{labels.significant(r['gap_last'], 2)} "
                                   f"({month(r['first_month'])} → {month(r['last_month'])}) | "), line
            assert (f"| {r['n_closed_models']} / {r['n_open_models']} "
                    f"({r['n_closed_models_recent']} / {r['n_open_models_recent']}) |") in line
            saturated = "no" if pd.isna(r["saturated_from"]) else month(r["saturated_from"])
            assert f"| {saturated} | {r['composite_note']} |" in line
            if isinstance(r["verdict"], str) and r["verdict"] != "not enough data":
                assert f"| {r['verdict']}, " in line and "/yr [" in line, line



# --- The report's own rules on small hand-made rows (pure: no warehouse) ------------------------

def story(**overrides) -> dict:
    """One benchmark's story row with the columns `dimension_queries.stories` returns."""
    row = {"series_id": "epoch:gpqa_diamond", "unit": "score 0–1",
           "first_month": pd.Timestamp("2023-01-01"), "last_month": pd.Timestamp("2025-06-01"),
           "gap_first": 0.1234, "gap_last": 0.0456, "n_closed_models": 12, "n_open_models": 9,
           "n_closed_models_recent": 4, "n_open_models_recent": 3, "coverage_note": "all",
           "saturated_from": pd.NaT, "composite_note": "yes", "verdict": "narrowing",
           "slope_per_year": -0.5, "ci_low": -0.8, "ci_high": -0.2, "p_value": 0.001,
           "p_adjusted": 0.004, "change": -0.06, "min_effect": 0.02}
    return {**row, **overrides}


def test_the_story_table_heads_its_columns_in_words():
    """The seven column headings a reader of docs/dimensions.md sees, word for word."""
    lines = dimension_report.stories_table(pd.DataFrame([story()]))
    assert lines[:2] == [
        "| benchmark (unit) | closed − open, first → last | its own verdict, last 12 months "
        "| models scored, closed / open (last 12 months) | coverage at the newest month "
        "| saturated | in the composite |", "|---|---|---|---|---|---|---|"]


def test_a_story_verdict_carries_a_reason_in_brackets_only_when_it_has_one():
    """A called trend reads `narrowing, −0.50/yr [−0.80, −0.20]` with no empty `()` after it; a
    `no clear change` whose interval excludes 0 says why it is not a trend, in brackets."""
    called, uncalled = dimension_report.stories_table(pd.DataFrame([
        story(), story(verdict="no clear change", p_adjusted=0.2)]))[2:]
    assert called == ("| GPQA Diamond (score 0–1) | 0.12 → 0.046 (2023-01 → 2025-06) | "
                      "narrowing, −0.50/yr [−0.80, −0.20] | 12 / 9 (4 / 3) | all | no | yes |")
    assert ("| no clear change, −0.50/yr [−0.80, −0.20] (interval excludes 0, not after "
            "adjusting for many tests (p 0.20)) | ") in uncalled


def test_a_check_that_starts_after_its_period_says_from_which_month():
    """A check whose data begin after the period's start is labelled `(from 2024-06 only)`; one
    covering the whole period, or with no first month, has no such label."""
    headline = pd.DataFrame([{"period": "last 12 months", "verdict": "no clear change",
                              "period_start": pd.Timestamp("2024-01-01"),
                              "slope_per_year": 0.1, "ci_low": -0.2, "ci_high": 0.4, "unit": "logits"}])
    check = {"period": "last 12 months", "check_kind": "leave one out", "verdict": "no clear change",
             "slope_per_year": 0.1, "ci_low": -0.2, "ci_high": 0.4, "unit": "logits",
             "disagrees": False}
    checks = pd.DataFrame([{**check, "check_label": "without A", "first_month": pd.Timestamp("2024-06-01")},
                           {**check, "check_label": "without B", "first_month": pd.Timestamp("2024-01-01")},
                           {**check, "check_label": "without C", "first_month": pd.NaT}])
    rows = dimension_report.checks_table(headline, checks)[3:]
    assert [r.split(" | ")[1] for r in rows] == ["without A (from 2024-06 only)", "without B",
                                                 "without C"]


def test_each_dimension_section_is_headline_then_story_table_with_blank_lines_between():
    """`python -m warehouse dimensions` for one dimension with no checks: its heading, the
    headline verdicts, then the story table, each block after a blank line (so the Markdown
    in docs/dimensions.md renders them as a list and a table, not one paragraph)."""
    headline = pd.DataFrame([{"period": "last 12 months", "verdict": "no clear change",
                              "period_start": pd.Timestamp("2024-08-01"),
                              "period_end": pd.Timestamp("2025-08-01"), "slope_per_year": 0.1,
                              "ci_low": -0.2, "ci_high": 0.4, "unit": "logits"}])
    stories = pd.DataFrame([story()])
    text = dimension_report.report({"reasoning": (headline, pd.DataFrame(), stories)})
    assert text.splitlines() == [
        f"## {labels.dimension('reasoning').capitalize()}", "",
        "Closed − open composite (logits):",
        "- last 12 months (2024-08 → 2025-08): **no clear change**, +0.10 logits/yr [−0.20, +0.40]",
        "", "Every benchmark's own story:", "", *dimension_report.stories_table(stories)]
