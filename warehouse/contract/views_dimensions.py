"""Public views of what each capability dimension's answer rests on: the robustness checks of
every composite verdict and each benchmark's own story (issue 25). Registered in
`view_registry`; `views` creates them; docs/schema.md is generated from these definitions."""

from warehouse.contract.view_registry import view

view("dimension_checks",
     "Does a dimension composite's verdict survive its yardstick? Each composite verdict "
     "(series, gap kind, period) re-run without each benchmark it rests on and on a second "
     "yardstick (docs/dimensions.md).",
     "SELECT metric AS series_id, gap_kind, period, check_kind, check_label, left_out, verdict, "
     "slope_per_year, ci_low, ci_high, change, unit, n_months, period_start, period_end, "
     "disagrees, first_month, last_month FROM dimension_check_row",
     series_id="The composite, `dimension:<dimension>@<mapping version>` (as in `gap_verdicts`)",
     gap_kind="Gap kind", period="The composite verdict's period (as in `gap_verdicts`)",
     check_kind="`leave one out` or `second yardstick`",
     check_label="The check in words, e.g. `without FrontierMath`",
     left_out="The benchmark left out (`epoch:<benchmark>`); NULL for the second yardstick",
     verdict="The production trend test's verdict on the check's series over the same months "
             "(a single test: not adjusted for the many verdicts computed together)",
     slope_per_year="Slope in `unit` per year", ci_low="Lower end of the slope's 95% interval",
     ci_high="Upper end of the slope's 95% interval",
     change="Estimated change over the period, in `unit`",
     unit="`logits` (as built) or `benchmark SDs` (the second yardstick: each benchmark's raw "
          "gap over the spread of its frontier values)",
     n_months="Calendar months with data in the check's series",
     period_start="First month of the composite verdict's period",
     period_end="Last month of the composite verdict's period",
     disagrees="true when the check points another way than the composite's verdict; then a "
               "trend or `stable` is not called, and `gap_verdicts.note` says what it depends on",
     first_month="First month of the check's own series within the period (later than "
                 "`period_start` when the left-out benchmark was the only link to earlier months)",
     last_month="Last month of the check's own series within the period")

view("benchmark_stories",
     "Every mapped Epoch benchmark's own closed − open story: the gap first → last, coverage of "
     "both sides' strongest models, saturation, and whether its dimension's composite uses it. "
     "Its verdict is in `gap_verdicts` (`series_id` = this `series_id`, `frontier_a_minus_b`).",
     "SELECT metric AS series_id, dimension, unit, first_month, last_month, gap_first, gap_last, "
     "recent_start, gap_recent_start, n_closed AS n_closed_models, n_open AS n_open_models, "
     "n_closed_recent AS n_closed_models_recent, n_open_recent AS n_open_models_recent, "
     "strongest_closed, strongest_closed_scored, strongest_open, strongest_open_scored, bound, "
     "coverage_note, saturated_from, in_composite, composite_note FROM benchmark_story_row",
     series_id="The benchmark, `epoch:<benchmark>`",
     dimension="Its dimension (docs/dimensions.md)",
     unit="Unit of its scores and gap: `score 0–1`, `percent solved`, `rubric points 0–10` "
          "or `Elo points`",
     first_month="First release month with both a closed and an open model scored",
     last_month="Newest release month", gap_first="Best closed − best open, first month",
     gap_last="Best closed − best open, newest month",
     recent_start="Start of the last 12 months (the last month at or before 12 months before "
                  "the newest, as for the `last 12 months` verdict)",
     gap_recent_start="The gap at `recent_start`",
     n_closed_models="Closed-weights model versions scored (all time)",
     n_open_models="Open-weights model versions scored (all time)",
     n_closed_models_recent="Closed-weights versions released in the last 12 months and scored",
     n_open_models_recent="Open-weights versions released in the last 12 months and scored",
     strongest_closed="Strongest closed model family known at the newest month (highest Epoch "
                      "Capabilities Index released by then)",
     strongest_closed_scored="true when that family has a score on this benchmark",
     strongest_open="Strongest open model family known at the newest month",
     strongest_open_scored="true when that family has a score on this benchmark",
     bound="NULL when both sides were covered at the newest month (one of each side's 3 "
           "strongest families scored); `upper` when the open side was not (the closed lead "
           "is at most this), `lower` when the closed side was not, `unmeasured` when neither",
     coverage_note="The newest month's coverage in words",
     saturated_from="First month its best score reached 0.90 of the scale (it leaves the "
                    "composite from then); NULL if never",
     in_composite="true when its dimension's closed − open composite rests on it",
     composite_note="Which months the composite uses and why not the others, in words")
