"""Does a dimension's verdict survive its yardstick? (pure; no database)

Every composite verdict (`dimension:<d>@<version>`, each gap kind and period) is re-run

* **without each benchmark** it rests on (leave one benchmark out), and
* **on a second yardstick**: each benchmark's raw gap over the spread of its frontier values
  (`dimension_series.yardstick`, "frontier SDs"), instead of logits,

through the production trend test (`trends.verdicts`), on the same months. A period
has a *direction* when its change is at least half the unit's minimum effect (else it is
flat). A check *disagrees* with a `widening` / `narrowing` when its direction differs or it
calls the opposite trend; with a `stable` when it is not stable; with a `no clear change` when
its direction is the opposite of the composite's. Where a trend or `stable` meets a
disagreeing check, the composite does not call it: the verdict becomes `no clear change` and
the note says why in words ("not called a trend, its direction depends on FrontierMath
(without FrontierMath: no clear change, −0.40 logits/yr)"); a `no clear change` whose
direction flips says so too. Every check is stored (`dimension_checks` view), so a verdict can
always be traced to what it rests on. (Checks are single tests, not adjusted for the many
verdicts computed together; the composite's own verdict is. So a check may call a trend the
adjusted composite does not: that is not a disagreement unless it points the other way.)
"""

import numpy as np
import pandas as pd

from warehouse.analysis import benchmark_stories
from warehouse.analysis import dimension_series as ds
from warehouse.analysis import labels, trends, verdicts
from warehouse.analysis.benchmark_dimensions import dimension_of

CHECK_COLUMNS = ["metric", "gap_kind", "period", "check_kind", "check_label", "left_out",
                 "verdict", "slope_per_year", "ci_low", "ci_high", "change", "unit", "n_months",
                 "period_start", "period_end", "disagrees", "first_month", "last_month"]
TRENDS = {"widening", "narrowing"}
SCALE_UNITS = {"logit": "logits", "frontier_sd": "benchmark SDs"}
SECOND = "frontier_sd"


def composites(inputs: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """The composite inputs of each (dimension series, gap kind)."""
    if inputs.empty:
        return {}
    dims = inputs["metric"].map(dimension_of)
    return {(ds.metric_name(dim), kind): group
            for (dim, kind), group in inputs.groupby([dims, "gap_kind"])}


def check_rows(inputs: pd.DataFrame, table: pd.DataFrame,
               members: dict | None = None) -> pd.DataFrame:
    """Every composite verdict row of `table`, re-run as each check (CHECK_COLUMNS);
    `members` (each composite's benchmarks, `dimension_series.members`) if known already."""
    rows, members = [], members or {}
    for (metric, kind), group in composites(inputs).items():
        mine = table[(table["metric"] == metric) & (table["gap_kind"] == kind)
                     & (table["verdict"] != "not enough data")]
        if mine.empty:
            continue
        second = ds.composite(group, metric, SECOND)
        used = members[(metric, kind)] if (metric, kind) in members else ds.members(group)
        without = {b: ds.composite(group, metric, leave_out=b) for b in used}
        done = {}
        for main in mine.to_dict("records"):
            window = (pd.Timestamp(main["period_start"]), pd.Timestamp(main["period_end"]))
            variants = [("second yardstick", "frontier SDs (raw gap ÷ spread of the frontier)",
                         None, second, SCALE_UNITS[SECOND])]
            variants += [("leave one out", f"without {labels.series(b, short=True)}", b, series,
                          SCALE_UNITS["logit"]) for b, series in without.items()
                         if _has_months(group, b, window)]
            for variant in variants:
                key = (window, variant[2], variant[0])
                done[key] = done.get(key) or _check(main, *variant)
                rows.append(done[key] | {"period": main["period"]})
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def _has_months(group: pd.DataFrame, benchmark: str, window: tuple) -> bool:
    """Whether the benchmark feeds the composite inside the window (else leaving it out can
    only move the window through other benchmarks' fitted levels: not worth a check)."""
    mine = group[(group["metric"] == benchmark) & group["eligible"]]
    return bool(mine["bucket_start"].between(*window).any())


def _check(main: dict, kind: str, label: str, left_out, series: pd.DataFrame, unit: str) -> dict:
    """One variant's verdict over the main verdict's months (its latest stretch of them, if
    the variant splits there)."""
    days = pd.to_datetime(series["bucket_start"])
    part = series[(days >= pd.Timestamp(main["period_start"]))
                  & (days <= pd.Timestamp(main["period_end"]))]
    if len(part):
        starts = pd.to_datetime(part["segment_start"])
        part = part[(starts == starts.max()).to_numpy()]
    row = {"verdict": "not enough data", "slope_per_year": np.nan, "ci_low": np.nan,
           "ci_high": np.nan, "change": np.nan, "n_months": len(part), "min_effect": np.nan}
    if len(part):
        found = trends.verdicts(part, {(main["metric"], main["gap_kind"]): unit}).iloc[0]
        row = {k: found[k] for k in row}
    out = {"metric": main["metric"], "gap_kind": main["gap_kind"], "period": main["period"],
           "check_kind": kind, "check_label": label, "left_out": left_out, "unit": unit,
           "period_start": main["period_start"], "period_end": main["period_end"], **row,
           "disagrees": disagrees(main, row),
           "first_month": part["bucket_start"].min() if len(part) else pd.NaT,
           "last_month": part["bucket_start"].max() if len(part) else pd.NaT}
    out.pop("min_effect")
    return out


def direction(row: dict) -> int:
    """+1 / −1 when the change over the period is at least half the unit's minimum effect
    (a move worth naming), else 0: a slope that small has no direction to change."""
    change, effect = row.get("change"), row.get("min_effect")
    if change is None or pd.isna(change):
        return 0
    floor = 0.5 * effect if effect is not None and not pd.isna(effect) else 0.0
    return int(np.sign(change)) if abs(change) >= floor else 0


def disagrees(main: dict, check: dict) -> bool:
    """True when the check points another way than the composite's verdict (module doc)."""
    said, found = main["verdict"], check["verdict"]
    if found == "not enough data" or pd.isna(check["slope_per_year"]):
        return False
    ours, theirs = direction(main), direction(check)
    opposite = (found in TRENDS and said in TRENDS and found != said)
    if said in TRENDS:
        return opposite or theirs != ours
    if said == "stable":
        return found != "stable"
    return ours * theirs < 0 or (found in TRENDS and ours * (1 if found == "widening" else -1) < 0)


def qualify(table: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    """Composite verdicts whose checks disagree: no trend called, the reason in words."""
    if checks.empty:
        return table
    table = table.copy()
    keys = ["metric", "gap_kind", "period"]
    against = checks[checks["disagrees"]]
    for key, found in against.groupby(keys):
        hit = (table[keys] == pd.Series(key, index=keys)).all(axis=1)
        for i in table.index[hit]:
            said = table.at[i, "verdict"]
            words = depends_words(found, said)
            if said in TRENDS or said == "stable":
                table.at[i, "verdict"] = "no clear change"
            table.at[i, "note"] = verdicts._join(table.at[i, "note"], words)
    return table


def depends_words(found: pd.DataFrame, said: str) -> str:
    """`depends on FrontierMath (without FrontierMath: no clear change, −0.40 logits/yr); on
    the yardstick (...)` for the checks that disagree with `said`."""
    parts = []
    left = found[found["check_kind"] == "leave one out"]
    if len(left):
        names = ", ".join(labels.series(b, short=True) for b in left["left_out"])
        detail = "; ".join(f"{r.check_label}: {r.verdict}, {_slope(r)}{_shorter(r)}"
                           for r in left.itertuples())
        parts.append(f"depends on {names} ({detail})")
    for r in found[found["check_kind"] == "second yardstick"].itertuples():
        parts.append(f"depends on the yardstick (in {r.unit}: {r.verdict}, {_slope(r)})")
    lead = ("not called a trend, its direction " if said in TRENDS else
            "not called stable, it " if said == "stable" else "its direction ")
    return lead + "; ".join(parts)


def _slope(r) -> str:
    return f"{labels.number(r.slope_per_year, 2, True)} {r.unit}/yr"


def _shorter(r) -> str:
    """`, over 2024-07 → 2025-08 only` when the check's series covers less of the period (the
    left-out benchmark was the only link between the months before and after)."""
    if pd.isna(r.first_month) or (pd.Timestamp(r.first_month) <= pd.Timestamp(r.period_start)
                                  and pd.Timestamp(r.last_month) >= pd.Timestamp(r.period_end)):
        return ""
    return f", over {pd.Timestamp(r.first_month):%Y-%m} → {pd.Timestamp(r.last_month):%Y-%m} only"


def breaks_of(inputs: pd.DataFrame) -> pd.DataFrame:
    """A composite's chain moving to a set of benchmarks with no shared anchor is a break
    (drawn with the others in `method_changes`)."""
    out = []
    for (metric, kind), group in composites(inputs).items():
        series = ds.composite(group, metric)
        for start in sorted(pd.to_datetime(series["segment_start"]).dropna().unique())[1:]:
            out.append({"changed_at_utc": pd.Timestamp(start, tz="UTC"), "scope": metric,
                        "kind": "benchmark set",
                        "label": f"{labels.series(metric, short=True)} ({labels.gap_kind(kind)}): "
                                 "from here the composite rests on other benchmarks, with no "
                                 "month in common with the earlier ones; verdicts are split here"})
    return pd.DataFrame(out, columns=verdicts.BREAK_COLUMNS)


def apply(data: dict[str, pd.DataFrame], table: pd.DataFrame,
          breaks: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    """After `verdicts.compute`: (verdicts with composites qualified by their checks, breaks
    with the composites' chain breaks, the checks, each benchmark's story)."""
    if "epoch_benchmarks" not in data:
        return table, breaks, pd.DataFrame(columns=CHECK_COLUMNS), benchmark_stories.stories(
            pd.DataFrame(), pd.DataFrame(), set())
    rows = data["epoch_benchmarks"]
    inputs = ds.composite_inputs(rows, data.get("eci_strength"))
    members = {key: ds.members(group) for key, group in composites(inputs).items()}
    checks = check_rows(inputs, table, members)
    chain = breaks_of(inputs)
    breaks = pd.concat([b for b in (breaks, chain) if len(b)], ignore_index=True) if len(chain) else breaks
    used = {b for (_, kind), names in members.items() if kind == "frontier_a_minus_b"
            for b in names}
    stories = benchmark_stories.stories(inputs, ds.with_family(ds.mapped(rows)), used)
    return qualify(table, checks), breaks, checks, stories


def why_not_called(row: dict, short: bool = False) -> str | None:
    """Why a `no clear change` whose slope interval excludes 0 is not a trend, in words: the
    adjustment for the many verdicts computed together, or a change below the minimum effect
    (None when the interval includes 0, or the verdict is not `no clear change`)."""
    low, high = row.get("ci_low"), row.get("ci_high")
    if row.get("verdict") != "no clear change" or pd.isna(low) or pd.isna(high) or low <= 0 <= high:
        return None
    p, p_adj = row.get("p_value"), row.get("p_adjusted")
    if not pd.isna(p_adj) and p_adj >= trends.ALPHA:
        if short:
            return f"interval excludes 0, not after adjusting for many tests (p {labels.p_value(p_adj)})"
        return (f"its 95% interval excludes 0 (p = {labels.p_value(p)}), but not after the "
                f"adjustment for the many verdicts computed together (Benjamini–Hochberg: "
                f"adjusted p = {labels.p_value(p_adj)})")
    change, effect = row.get("change"), row.get("min_effect")
    if not pd.isna(change) and not pd.isna(effect) and abs(change) < effect:
        if short:
            return f"change {labels.significant(change, 2)} below the minimum effect"
        return (f"its change over the period, {labels.significant(change, 2)}, is smaller than "
                f"the minimum effect worth calling ({labels.significant(effect, 2)})")
    return None
