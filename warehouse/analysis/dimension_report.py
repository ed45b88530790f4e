"""Each dimension's answer as Markdown text (pure): the composite's verdicts, the checks behind
each, and every benchmark's own story. `python -m warehouse dimensions` prints it; the tables
in docs/dimensions.md and docs/findings.md are its output, so every number there can be
re-checked with one command."""

import pandas as pd

from warehouse.analysis import dimension_checks, labels

MONTH = "%Y-%m"


def _slope(row: dict, unit: bool = True) -> str:
    if pd.isna(row.get("slope_per_year")):
        return labels.DASH
    d = labels.decimals_for(row.get("ci_low"), row.get("ci_high"))
    text = (f"{labels.number(row['slope_per_year'], d, True)}"
            f"{' ' + str(row['unit']) if unit and row.get('unit') else ''}/yr "
            f"[{labels.number(row.get('ci_low'), d, True)}, {labels.number(row.get('ci_high'), d, True)}]")
    return text


def _month(value) -> str:
    return labels.DASH if pd.isna(value) else f"{pd.Timestamp(value):{MONTH}}"


def headline_lines(headline: pd.DataFrame) -> list[str]:
    """`- last 12 months (2024-08 → 2025-08): no clear change, −0.03 logits/yr [...]; note`."""
    out = []
    for r in headline.to_dict("records"):
        notes = [n for n in (dimension_checks.why_not_called(r), r.get("note")) if isinstance(n, str) and n]
        out.append(f"- {r['period']} ({_month(r['period_start'])} → {_month(r['period_end'])}): "
                   f"**{r['verdict']}**, {_slope(r)}" + (f"; {'; '.join(notes)}" if notes else ""))
    return out


def checks_table(headline: pd.DataFrame, checks: pd.DataFrame) -> list[str]:
    """One table per composite: each period's verdict as built, then every check of it."""
    lines = ["| period | as built / check | verdict | trend per year [95%] | points the other way |",
             "|---|---|---|---|---|"]
    for r in headline.to_dict("records"):
        if r["verdict"] == "not enough data":
            continue
        lines.append(f"| {r['period']} | **as built (logits)** | **{r['verdict']}** | {_slope(r)} | |")
        mine = checks[checks["period"] == r["period"]]
        for c in mine.sort_values(["check_kind", "check_label"], ascending=[False, True]).to_dict("records"):
            span = ("" if pd.isna(c.get("first_month")) or (
                pd.Timestamp(c["first_month"]) <= pd.Timestamp(r["period_start"])) else
                f" (from {_month(c['first_month'])} only)")
            lines.append(f"| | {c['check_label']}{span} | {c['verdict']} | {_slope(c)} | "
                         f"{'**yes**' if c['disagrees'] else 'no'} |")
    return lines


def stories_table(stories: pd.DataFrame) -> list[str]:
    lines = ["| benchmark (unit) | closed − open, first → last | its own verdict, last 12 months "
             "| models scored, closed / open (last 12 months) | coverage at the newest month "
             "| saturated | in the composite |", "|---|---|---|---|---|---|---|"]
    for r in stories.to_dict("records"):
        first, last = (labels.significant(v, 2) for v in (r["gap_first"], r["gap_last"]))
        own = r.get("verdict") if isinstance(r.get("verdict"), str) else "no verdict"
        if own not in ("no verdict", "not enough data"):
            why = dimension_checks.why_not_called(r, short=True)
            own += f", {_slope(r, unit=False)}" + (f" ({why})" if why else "")
        lines.append(
            f"| {labels.series(r['series_id'], short=True)} ({r['unit']}) | {first} → {last} "
            f"({_month(r['first_month'])} → {_month(r['last_month'])}) | {own} | "
            f"{r['n_closed_models']} / {r['n_open_models']} ({r['n_closed_models_recent']} / "
            f"{r['n_open_models_recent']}) | {r['coverage_note']} | "
            f"{'no' if pd.isna(r['saturated_from']) else _month(r['saturated_from'])} | "
            f"{r['composite_note']} |")
    return lines


def report(parts: dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]) -> str:
    """`parts`: per dimension, (headline verdicts, checks, stories) as the queries give them."""
    lines = []
    for dimension, (headline, checks, stories) in parts.items():
        lines += [f"## {labels.dimension(dimension).capitalize()}", "",
                  "Closed − open composite (logits):", *headline_lines(headline), ""]
        if len(checks):
            lines += ["Checks of each verdict:", "", *checks_table(headline, checks), ""]
        lines += ["Every benchmark's own story:", "", *stories_table(stories), ""]
    return "\n".join(lines)
