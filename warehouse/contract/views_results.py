"""Public views of what the warehouse concludes: method changes, gap series, verdicts, lags,
and the public datasets behind them. Registered in `view_registry`; `views` creates them."""

from warehouse.contract.view_registry import VALID_RUN, view

# `metric` named the gap series in these views while `capability_scores.metric` names a score
# within a pack: `series_id` is the series' name now, and `metric` stays, last, for one release.
SERIES_ID = ("The gap series' id, what the gap is measured on (docs/glossary.md, \"series_id\"): "
             "a `capability_scores.pack` (e.g. `epoch:eci`), the joined Arena series `arena:text`, "
             "a dimension composite `dimension:<dimension>@<mapping version>`, a measured "
             "`<pack>@<version>:<metric>`, or a price or latency measure (`price:…`, "
             "`latency:…`)")
# Before the alias goes: the private tables (`gap_series_row`, `gap_verdict_row`, `lag_row`) and
# the pure pipeline's frames still call the column `metric`, and `python -m warehouse gaps`
# reads these views with `SELECT *`: rename those first (a migration), then drop the alias.
METRIC_ALIAS = ("Deprecated: the same value as `series_id`, kept so queries written before it "
                "keep working; removed in the first release of 2027. Use `series_id`")

view("method_changes",
     "Where a series changes method, to mark on time axes: an Arena rating method's first "
     "snapshot, an Arena listing change, a task pack's new version, a model measured on a new "
     "machine, build or file, a model swapped behind its name (the drift sentinel), a level "
     "shift found in a gap series, a new vintage of a refreshed public source.",
     f"""WITH arena AS (
        SELECT min(measured_at_utc) AS changed_at_utc, pack AS scope, 'rating method' AS kind,
               'Arena ' || replace(split_part(pack, ':', 3), '_', ' ') || ' (' ||
               split_part(pack, ':', 2) || ') begins' AS label
        FROM capability_scores WHERE pack LIKE 'arena:%' AND pack NOT LIKE 'arena:lab_frontier%'
        GROUP BY pack),
     versions AS (
        SELECT min(measured_at_utc) AS changed_at_utc, pack AS scope, 'pack version' AS kind,
               pack || ' version ' || pack_version || ' begins' AS label
        FROM capability_score_row WHERE {VALID_RUN} GROUP BY pack, pack_version
        QUALIFY row_number() OVER (PARTITION BY pack ORDER BY min(measured_at_utc)) > 1),
     per_model AS (
        SELECT r.started_at_utc, m.key AS model_id, r.host,
               json_extract_string(r.context, '$.cpu') AS cpu,
               json_extract_string(m.value, '$.server_build') AS server_build,
               json_extract_string(m.value, '$.sha256') AS model_sha256,
               json_extract_string(m.value, '$.quantisation') AS quantisation
        FROM run_ledger r, json_each(r.context, '$.models') m
        WHERE r.collector IN ('latency', 'capability') AND r.invalidated_at_utc IS NULL),
     compared AS (
        SELECT *, lag(host) OVER w AS was_host, lag(cpu) OVER w AS was_cpu,
               lag(server_build) OVER w AS was_build, lag(model_sha256) OVER w AS was_sha,
               lag(quantisation) OVER w AS was_quant, row_number() OVER w AS nth
        FROM per_model WINDOW w AS (PARTITION BY model_id ORDER BY started_at_utc)),
     contexts AS (
        SELECT started_at_utc AS changed_at_utc, model_id AS scope, 'run context' AS kind,
               model_id || ': ' || concat_ws('; ',
                 CASE WHEN host IS DISTINCT FROM was_host THEN 'host ' || coalesce(host, '?') END,
                 CASE WHEN cpu IS DISTINCT FROM was_cpu THEN 'CPU ' || coalesce(cpu, '?') END,
                 CASE WHEN server_build IS DISTINCT FROM was_build
                      THEN 'server ' || coalesce(server_build, '?') END,
                 CASE WHEN model_sha256 IS DISTINCT FROM was_sha
                      THEN 'model file ' || coalesce(model_sha256[:12], '?') END,
                 CASE WHEN quantisation IS DISTINCT FROM was_quant
                      THEN 'quantisation ' || coalesce(quantisation, '?') END) AS label
        FROM compared WHERE nth > 1 AND (host, cpu, server_build, model_sha256, quantisation)
             IS DISTINCT FROM (was_host, was_cpu, was_build, was_sha, was_quant)),
     swaps AS (
        SELECT checked_at_utc AS changed_at_utc, model_id AS scope, 'model swap' AS kind,
               model_id || ': another model answers behind this name (drift check' ||
               CASE WHEN n_items > 0 THEN ': ' || n_changed_answers || ' of ' || n_items ||
                    ' canary answers differ' ELSE '' END || ')' AS label
        FROM drift_check_row WHERE verdict = 'changed' AND {VALID_RUN})
     SELECT * FROM arena UNION ALL SELECT * FROM versions UNION ALL SELECT * FROM contexts
     UNION ALL SELECT * FROM swaps
     UNION ALL SELECT changed_at_utc, scope, kind, label FROM series_break_row""",
     changed_at_utc="When the new method's first value was measured (UTC)",
     scope="What it applies to: an Arena pack (`arena:<source>:<method>`), the joined Arena "
           "series `arena:text`, a task pack, a model id, or (`level shift`) a gap series' "
           "`series_id`",
     kind="`rating method`, `pack version`, `run context`, `model swap` (a drift check found "
          "another model answering behind the name: `drift_checks`), `listing change` (an Arena "
          "snapshot lists ≥ 10% fewer models than the one before, or ≥ 10% more that were "
          "listed before), or `level shift` (a step in one gap series that no recorded change "
          "explains, found by `warehouse/analysis/level_shifts.py`; `scope` is the series' `series_id` and "
          "`label` names the gap), or `new vintage` (a series passes from an older import of a "
          "refreshed source to a newer one, `public_vintages`; `scope` is the series' "
          "`series_id`); gap verdicts never span a `listing change`, `rating method`, "
          "`level shift` or `new vintage` of their series, nor a `run context` change or `model "
          "swap` of one of "
          "their models",
     label="What changed, e.g. `local/qwen2.5-coder-0.5b: host lab-2; CPU Apple M3`")

view("gap_series", "Gap between leader and follower per series and time bucket.",
     "SELECT metric AS series_id, gap_kind, group_a, group_b, bucket_start, value, n_models, "
     "source, leader_value, follower_value, coalesce(pack, metric) AS pack, segment_start, "
     "metric FROM gap_series_row",
     series_id=SERIES_ID,
     gap_kind="How the two sides are picked, e.g. `top1_minus_top10` (leader minus the 10th "
              "model of a snapshot) or `frontier_a_minus_b` (group_a's frontier minus "
              "group_b's: each group's best model released so far)",
     group_a="Leader side (a model, a group such as `closed`, or `top1`)",
     group_b="Follower side", bucket_start="Start of the bucket (snapshot day, week or month)",
     value="Gap: group_a minus group_b for scores; positive when group_a is ahead",
     n_models="Models behind the bucket", source="Data source of the underlying scores",
     leader_value="group_a's value", follower_value="group_b's value",
     pack="The pack this point was computed from: for the joined Arena series `arena:text`, "
          "which Arena pack; otherwise the series_id itself",
     segment_start="First bucket of the segment (stretch between breaks) this point belongs "
                   "to; NULL when the series has no break before it",
     metric=METRIC_ALIAS)

view("gap_verdicts", "Is each gap widening? One row per series and period, with its trend and interval.",
     "SELECT metric AS series_id, gap_kind, group_a, group_b, verdict, slope_per_year, ci_low, "
     "ci_high, p_value, p_adjusted, n_points, period_start, period_end, source, crossed, note, "
     "unit, coalesce(period, 'whole history') AS period, n_months, phi, phi_upper, change, "
     "change_low, change_high, min_effect, min_effect_declared, family, noise_start, n_noise_months, "
     "step_at, step_size, dropped_months, metric FROM gap_verdict_row",
     series_id=SERIES_ID + "; with gap_kind, group_a, group_b and source it names one series",
     gap_kind="Gap kind", group_a="Leader side", group_b="Follower side",
     verdict="`widening` (group_a's lead grows), `narrowing`, `stable`, `no clear change` or "
             "`not enough data` (fewer than 8 months with data); widening/narrowing need "
             "p_adjusted < 0.05, a slope interval excluding 0 and a `change` of at least "
             "`min_effect`; `stable` needs the change's 90% interval inside ± `min_effect`",
     slope_per_year="GLS slope in `unit` per year, on monthly means with AR(1) errors in "
                    "continuous time at the estimated `phi` (with the fitted step, if any, "
                    "and for the last 12 months the slope of that window in one fit with the "
                    "whole stretch since the latest recorded break)",
     ci_low="Lower end of the slope's 95% interval (t quantile from a parametric bootstrap at "
            "`phi_upper`); with a fitted step inside the period, the lower of the two "
            "intervals, beside the step and through it (a call needs both)",
     ci_high="Upper end of the slope's 95% interval",
     p_value="Two-sided p-value of the slope: the GLS t statistic against its null "
             "distribution simulated at `phi_upper` (φ re-estimated in every draw)",
     p_adjusted="Benjamini–Hochberg adjusted p-value within the row's `family`",
     n_points="Points in the series (before monthly means)", period_start="First bucket",
     period_end="Last bucket",
     source="Data source",
     crossed="true when the gap changed sign: the two groups swapped the lead",
     note="Plain-words caveats: who led when if the groups crossed, months left out as "
          "outlying, a unit without a declared minimum effect",
     unit="Unit of the gap (slope_per_year is this unit per year)",
     period="Which points the verdict covers: `whole history` (a series with no break inside), "
            "`segment <start> to <end>` (one per stretch between breaks, instead of the whole "
            "history), or `last 12 months` (the headline: from the last point at or before 12 "
            "months before the newest, never across a break)",
     n_months="Calendar months with data: the test's points (a month's points are averaged)",
     phi="Estimated AR(1) autocorrelation between consecutive months (REML, floored at 0)",
     phi_upper="The φ the null distribution was simulated at: phi's one-sided upper confidence "
               "limit, 95% at 8 months falling to 80% from 28 months on "
               "(warehouse/analysis/slope_test.py)",
     change="Estimated change of the gap over the period, in `unit` (slope × span)",
     change_low="Lower end of the change's 90% interval (the equivalence test for `stable`); "
                "with a fitted step inside the period, the lower of the two readings, beside "
                "the step and through it",
     change_high="Upper end of the change's 90% interval",
     min_effect="Smallest change over the period worth calling, in `unit` (declared per unit "
                "in warehouse/analysis/trends.py; the series' noise sd when the unit declares none)",
     min_effect_declared="false when the unit declares no minimum effect (then never `stable`)",
     family="The Benjamini–Hochberg family the row was adjusted in: `last 12 months` (every "
            "series' headline) or `whole history and segments`; a family never holds two "
            "overlapping periods of one series",
     noise_start="First bucket of the points the noise model (φ, spread) was fitted on: for "
                 "the last 12 months, the start of the stretch since the latest recorded break",
     n_noise_months="Months with data the noise model was fitted on",
     step_at="Month of a step with no recorded cause fitted with the trend (same GLS), if any; "
             "also a `level shift` row in `method_changes`",
     step_size="Size of that step in `unit`",
     dropped_months="Months left out as spikes (`YYYY-MM`, comma-separated): off the trend "
                    "line and off their neighbours, read on one day only; a month that "
                    "starts, carries or ends a move is never left out",
     metric=METRIC_ALIAS)

view("lags", "How many months the follower group is behind: Epoch's level-averaged lag (one "
     "row per pair, `measure` = `level-averaged`), and the months it took to match each record "
     "the leader group set (one row per record and rule, plus one summary row per pair and rule).",
     "SELECT metric AS series_id, leader_group, follower_group, level, lag_months, ci_low, "
     "ci_high, leader_date, follower_date, is_summary, source, coalesce(tolerance_points, 0) AS "
     "tolerance_points, coalesce(censored, false) AS censored, sensitivity_low_months, "
     "sensitivity_high_months, coalesce(measure, 'record match') AS measure, top_months_at_least, "
     "n_events, metric FROM lag_row",
     series_id="The scores whose records are followed: a `capability_scores.pack` (e.g. "
               "`epoch:eci`, `epoch:<benchmark>`) or a dimension composite "
               "`dimension:<dimension>@<mapping version>`; the same id as in `gap_series`",
     leader_group="Group that set the record, e.g. `closed`, `frontier` (the overall "
                  "frontier, every model whoever released it) or a country as Epoch labels "
                  "models (`United States of America`, followed by `China`)",
     follower_group="Group that followed",
     level="The leader's record score (NULL on the summary row)",
     lag_months="Months from the record to the follower's match; when `censored`, a lower "
                "bound (months from the record to the last release date in the data). Summary "
                "row: the Kaplan–Meier median over records, or its lower bound when `censored`",
     ci_low="Summary row: lower end of the median's 95% Kaplan–Meier confidence interval",
     ci_high="Summary row: upper end of that interval; NULL when the data set no upper limit",
     leader_date="When the leader set the record",
     follower_date="When the follower matched it (NULL while censored)",
     is_summary="true for the summary row of each pair and rule", source="Data source",
     tolerance_points="Catch-up rule: 0 = the follower scores at least the record; 1 = a near "
                      "tie, within 1 score point of it (a fixed tolerance, not Epoch's rule, "
                      "which is 'not significantly better')",
     censored="Record rows: not matched yet. Summary row: the median is not reached (fewer "
              "than half the records surely matched), so lag_months is a lower bound",
     sensitivity_low_months="Summary row: how low the median goes when the models are "
                            "resampled (2.5th percentile of a bootstrap over models): a "
                            "sensitivity check, not a confidence interval; NULL when some resamples leave "
                            "no record for the follower to match",
     sensitivity_high_months="Summary row: the same, 97.5th percentile",
     measure="`level-averaged` (the headline, Epoch's method: the horizontal distance between "
             "the two frontiers averaged over the levels both reached; ci_low/ci_high from a "
             "bootstrap over the follower's record releases) or `record match` (months until the "
             "follower matched each leader record; Kaplan–Meier median on the summary row)",
     top_months_at_least="Level-averaged row: the follower has not reached the leader's "
                         "levels above its best, so it is at least this many months behind at "
                         "the top (left out of the average); `leader_date` is when the leader "
                         "passed the follower's best",
     n_events="Level-averaged row: the follower's record releases the interval resamples",
     metric=METRIC_ALIAS)

view("public_datasets", "Public history imported into this file, with licence and credit: the "
     "shipped files, and the newest vintage of each refreshed source (`public_vintages`).",
     "SELECT dataset, licence, credit, n_rows, n_skipped, imported_at_utc, file_sha256, run_id "
     "FROM public_dataset UNION ALL "
     "SELECT dataset, licence, citation, n_rows, n_skipped, fetched_at_utc, content_sha256, run_id "
     f"FROM public_vintage WHERE {VALID_RUN} "
     "QUALIFY row_number() OVER (PARTITION BY dataset ORDER BY fetched_at_utc DESC) = 1",
     dataset="Dataset name (rows carry `public:<dataset>` as source)", licence="Licence of the data",
     credit="Who to credit", n_rows="Rows imported", n_skipped="Rows left out (see the docs)",
     imported_at_utc="When imported (refreshed: when fetched)",
     file_sha256="SHA-256 of the shipped file (refreshed: of the fetched content)",
     run_id="The import run")

