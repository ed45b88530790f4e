"""Public views of the drift sentinel (collectors/drift.py): each model's checks against its
baseline, and the canary answers behind them. Registered in `view_registry`; `views` creates
them."""

from warehouse.contract.view_registry import VALID_RUN, view

view("drift_checks",
     "Is the model behind each name still the one measured? One row per model and drift run: "
     "its canary answers compared item by item with its baseline run "
     "(warehouse/analysis/drift.py). A `changed` row is also a `model swap` in "
     "`method_changes`, so no trend spans it.",
     "SELECT model_id, checked_at_utc, baseline_run_id, n_items, n_changed_answers, "
     "n_changed_answers / nullif(n_items, 0) AS share_changed, p_value, verdict, evidence, "
     "n_correct_baseline, n_correct, p_mcnemar, p_scores, p_output_length, p_answers, "
     "output_tokens_median_baseline, output_tokens_median, probe_tokens_baseline, probe_tokens, "
     "served_identity, canary_version, run_id "
     f"FROM drift_check_row WHERE {VALID_RUN}",
     model_id="Model checked (its configured id)", checked_at_utc="When the check ran (UTC)",
     baseline_run_id="The drift run it was compared with: the model's first, one named with "
                     "`--baseline`, or the run that last found it `changed`; this run's own id "
                     "when it is the baseline",
     n_items="Canary items answered in both runs (on a baseline run: items answered)",
     n_changed_answers="Items whose answer text (SHA-256) differs from the baseline's",
     share_changed="n_changed_answers / n_items, in [0, 1]",
     p_value="Smallest p of the paired tests times the number of tests run (Bonferroni); "
             "NULL when no test ran",
     verdict="`same model`, `changed` (the server or tokenizer reports another model, or "
             "p_value < 0.05) or `not enough data` (no baseline yet, or fewer than 10 items "
             "answered in both runs)",
     evidence="The evidence in words: answers that differ, full marks before and after, what "
              "the server reports differently, token counts, p-values",
     n_correct_baseline="Items with full marks in the baseline (of the n_items compared)",
     n_correct="Items with full marks in this run (of the n_items compared)",
     p_mcnemar="Exact McNemar p on full marks vs not, paired by item",
     p_scores="Wilcoxon signed-rank p on the item scores, paired by item",
     p_output_length="Wilcoxon signed-rank p on the answers' output tokens, paired by item",
     p_answers="One-sided exact binomial p of n_changed_answers against the model's answer noise "
               "(upper 95% limit from its latest `same model` checks; after 5 against this "
               "baseline, its answers that never came back are left out); NULL before it has one",
     output_tokens_median_baseline="Median answer length in the baseline, output tokens",
     output_tokens_median="Median answer length in this run, output tokens",
     probe_tokens_baseline="Tokens of the fixed probe text in the baseline",
     probe_tokens="Tokens of the fixed probe text now (llama.cpp's /tokenize, else the API's "
                  "prompt tokens for it)",
     served_identity="JSON: what the server reported (`server`: llama.cpp's model file SHA-256, "
                     "size, parameters, vocabulary, quantisation, context, build; `headers`: "
                     "model-version headers)",
     canary_version="Version of the canary set; checks compare only within one",
     run_id="The drift run")

view("drift_answers", "Each canary answer of each drift run (valid runs only).",
     "SELECT run_id, model_id, canary_version, item_id, dimension, answer_sha256, response, "
     "score, output_chars, input_tokens, output_tokens, latency_s, served_model, "
     f"system_fingerprint, measured_at_utc, error_class, error FROM drift_item_result WHERE {VALID_RUN}",
     run_id="Drift run", model_id="Model asked", canary_version="Version of the canary set",
     item_id="Canary item (`<dimension>-<pack item id>`)",
     dimension="`understanding`, `generation`, `reasoning` or `memory`",
     answer_sha256="SHA-256 (hex) of the answer text: same hash, same answer",
     response="The answer text", score="Score in [0, 1]; NULL when unanswered",
     output_chars="Characters in the answer", input_tokens="Prompt tokens (from the API's usage)",
     output_tokens="Answer tokens (from the API's usage)", latency_s="End-to-end seconds",
     served_model="The model name the API answered as",
     system_fingerprint="The API's `system_fingerprint`, when it sends one",
     measured_at_utc="When it was asked (UTC)",
     error_class="Failure class when it could not be asked; NULL on success",
     error="Error text (never contains a key)")
