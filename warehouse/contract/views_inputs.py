"""Public views of what was measured or imported: models, runs, capability, latency, prices,
costs. Registered in `view_registry`; `views` creates them. The SQL contract is documented in
docs/schema.md, generated from these definitions."""

from warehouse.contract.view_registry import VALID_RUN, _quantiles, view
from warehouse.contract.vintage_sql import VINTAGES

# A run's contention flag as the runner stored it (collectors/host_load.py).
CONTENDED = "TRY_CAST(json_extract(context, '$.host_load.contended') AS BOOLEAN)"

view("models", "One row per model version, whatever source first named it.",
     "SELECT r.model_id, r.organization, r.open_weights, r.release_date, r.source, "
     "r.display_name, coalesce(l.family, r.display_name) AS family, "
     "CASE WHEN r.open_weights IS NOT NULL THEN coalesce(l.open_weights_from, r.source) END "
     "AS open_weights_from, r.country FROM model_registry r LEFT JOIN model_lineage l USING (model_id)",
     model_id="GapWatch id of one model *version* (a later snapshot is another id), "
              "`organization/model` (configured models keep their `provider/model`)",
     organization="Developer of the model (never the host serving it)",
     open_weights="true when weights can be downloaded; NULL when no source says",
     release_date="Public release date of this version, when a source gives one",
     source="Where this row's metadata came from (`public:<dataset>`, `config`, `crosswalk`)",
     display_name="Human-readable name",
     family="The model family its versions share (display only: scores stay with the version)",
     open_weights_from="Which source labelled it open or closed (`epoch`, `arena`, "
                       "`openrouter`, `crosswalk`, `config`, or `family: <name>` when a "
                       "sibling version's label was taken); NULL when unlabelled",
     country="Country of the developer as Epoch AI labels it (`China`, `United States of America`; "
             "several countries comma-separated, as Epoch gives them); NULL when Epoch has none")

view("model_aliases", "Names used by Arena, Epoch, OpenRouter, LiteLLM and configs, mapped to one id.",
     "SELECT alias, source, model_id FROM model_alias",
     alias="The name exactly as that source spells it",
     source="The naming source (`arena`, `epoch`, `openrouter`, `litellm`, `config`, `crosswalk`)",
     model_id="The GapWatch id it maps to")

view("runs", "Every collection or import run, from its start; invalid runs stay listed here.",
     "SELECT run_id, collector, host, started_at_utc, finished_at_utc, status, n_rows, "
     "n_warnings, error, invalidated_at_utc IS NULL AS valid, invalid_reason, "
     f"{CONTENDED} AS contended, json_extract_string(context, '$.host_load.contention') AS "
     "contention, TRY_CAST(json_extract(context, '$.host_load.foreign_cores_mean') AS DOUBLE) "
     "AS foreign_cores_mean, TRY_CAST(json_extract(context, '$.host_load.load_average_end[0]') "
     "AS DOUBLE) AS load_average_1m FROM run_ledger",
     run_id="Unique run id", collector="What ran (`latency`, `capability`, `prices`, `public:<dataset>`)",
     host="Host name of the machine that ran it", started_at_utc="Start (UTC)",
     finished_at_utc="End (UTC); NULL while running",
     status="`running`, `ok`, `partial`, `failed` or `abandoned`", n_rows="Rows written",
     n_warnings="Warnings raised", error="Last error message, if any",
     valid="false once invalidated; every other view leaves the run out",
     invalid_reason="Why it was invalidated",
     contended="true when the run measured under contention: other processes used at least a "
               "quarter of the cores (and half a core) on average, the hypervisor stole 10% of "
               "the CPU, or another GapWatch run of this host was in flight "
               "(collectors/host_load.py); NULL for runs recorded before this was measured",
     contention="What made it contended, in words",
     foreign_cores_mean="CPU cores other processes used on average during the run (neither "
                        "GapWatch nor the local model servers it measured)",
     load_average_1m="The host's 1-minute load average when the run ended")

view("capability_items", "One row per model answer to one task item (valid runs only).",
     "SELECT run_id, model_id, pack, pack_version, dimension, item_id, variant, seed, score, "
     "input_tokens, output_tokens, latency_s, measured_at_utc, error_class, prompt_sha256 "
     f"FROM capability_item_result WHERE {VALID_RUN}",
     run_id="Run that asked it", model_id="Model asked", pack="Task pack name",
     pack_version="Pack version; compare scores only within one version (private packs: "
                  "`<version>+<content hash>`)",
     dimension="`understanding`, `generation`, `reasoning` or `memory`", item_id="Item id",
     variant="`fixed` (versioned, public) or `fresh` (generated for this run)",
     seed="The run's seed: it generated the fresh items (fixed rows carry it too)",
     score="Score in [0, 1]; NULL when a provider fault left the item unanswered",
     input_tokens="Prompt tokens (from the API's usage)", output_tokens="Completion tokens",
     latency_s="End-to-end seconds for this item", measured_at_utc="When it was asked (UTC)",
     error_class="Failure class when the model could not be asked; NULL on success",
     prompt_sha256="SHA-256 (hex) of the prompt as sent: same hash, same question")

view("capability_scores",
     "Scores per model and metric: public history (Arena, Epoch; of a refreshed source, the "
     "rows of its vintages in use, see `public_vintages`) and measured runs, the latter with "
     "bootstrap 95% intervals (collectors/capability_scores.py).",
     "SELECT measured_at_utc, model_id, metric, pack, pack_version, value, ci_low, ci_high, "
     "n_items, source, dimension, source_name, run_id, rank_in_snapshot, "
     "NULL::INTEGER AS n_unanswered "
     f"FROM public_capability_score WHERE {VALID_RUN} AND NOT EXISTS (SELECT 1 FROM "
     f"({VINTAGES}) AS v WHERE v.run_id = public_capability_score.run_id "
     "AND public_capability_score.measured_at_utc >= v.superseded_from) UNION ALL "
     "SELECT measured_at_utc, model_id, metric, pack, pack_version, value, ci_low, ci_high, "
     "n_items, 'measured', dimension, model_id, run_id, NULL, n_unanswered "
     f"FROM capability_score_row WHERE {VALID_RUN}",
     measured_at_utc="Snapshot date (Arena), release date (Epoch) or last item answered (UTC)",
     model_id="GapWatch model id",
     metric="Which of the pack's scores this row holds (a score within a pack, never a gap "
            "series: gap views name theirs `series_id`): `arena_rating`, `eci`, "
            "`benchmark_score`; measured: `<dimension>` (all items), "
            "`<dimension>_fixed`, `<dimension>_fresh` (mean item score) and "
            "`<dimension>_fixed_minus_fresh` (the overfitting signal), e.g. `reasoning_fresh`",
     pack="What was measured: `arena:<source>:<metric>`, `epoch:eci`, `epoch:<benchmark>` or a task pack",
     pack_version="Version or vintage; values compare only within one (pack, pack_version)",
     value="The score (Arena rating points, ECI points, benchmark units, or mean item score)",
     ci_low="Lower end of the 95% interval, when known (measured: percentile bootstrap, "
            "NULL under 2 items)",
     ci_high="Upper end of the 95% interval",
     n_items="Items or votes behind the value, when known (measured: answered items only)",
     source="`public:<dataset>` or `measured`",
     dimension="`overall`, `understanding`, `generation`, `reasoning`, `memory` or `other`",
     source_name="The model name as the source gave it", run_id="Import or collection run "
                 "(measured: the run that finished the items, with any runs it resumed)",
     rank_in_snapshot="Rank within its (measured_at_utc, pack) snapshot, public rows only",
     n_unanswered="Measured: items a provider fault left unanswered, excluded from the value")

view("latency_samples", "One row per request, failures included (valid runs only).",
     "SELECT measured_at_utc, model_id, workload, concurrency, ttft_s, e2e_s, input_tokens, "
     "output_tokens, output_tokens_per_s, itl_s, error_class, error, http_status, run_id, "
     f"request_index, coalesce((SELECT {CONTENDED} FROM run_ledger l WHERE l.run_id = "
     f"latency_sample.run_id), false) AS contended FROM latency_sample WHERE {VALID_RUN}",
     measured_at_utc="Request start (UTC)", model_id="Model measured",
     workload="Input→output size class, e.g. `100-300`, `1k-1k`",
     concurrency="Concurrent streams during the request",
     ttft_s="Seconds to the first non-empty content", e2e_s="Seconds from send to last byte",
     input_tokens="Prompt tokens", output_tokens="Completion tokens (API usage, else /tokenize)",
     output_tokens_per_s="Output tokens per second after the first token",
     itl_s="Mean seconds between output tokens", error_class="NULL on success, else the class",
     error="Error text (never contains a key)", http_status="HTTP status, when one came back",
     run_id="Collection run", request_index="Request number within the run",
     contended="true when its run measured under contention (`runs.contended`); speed trends "
               "leave these out")

view("latency_stats",
     "p50/p90/p99 per model, workload, concurrency and day; public summaries carry p50 only.",
     "SELECT CAST(measured_at_utc AS DATE) AS day, model_id, workload, concurrency, "
     "'measured' AS source, NULL::VARCHAR AS host_provider, count(*) AS n_requests, "
     f"count(error_class) AS n_errors, {_quantiles('ttft_s')}, {_quantiles('e2e_s')}, "
     f"{_quantiles('output_tokens_per_s')}, {_quantiles('itl_s')} "
     f"FROM latency_sample WHERE {VALID_RUN} GROUP BY ALL UNION ALL "
     "SELECT CAST(measured_at_utc AS DATE), model_id, workload, concurrency, source, "
     "host_provider, n_requests, 0, ttft_s_p50, NULL, NULL, e2e_s_p50, NULL, NULL, "
     "output_tokens_per_s_p50, NULL, NULL, itl_s_p50, NULL, NULL "
     f"FROM public_latency_summary WHERE {VALID_RUN}",
     day="UTC day", model_id="Model", workload="Workload class", concurrency="Concurrent streams",
     source="`measured` or `public:<dataset>`",
     host_provider="Serving provider for public rows (e.g. `groq`)",
     n_requests="Requests that day", n_errors="Failed requests",
     **{f"{m}_p{p}": f"{p}th percentile of {m} over successful requests"
        for m in ("ttft_s", "e2e_s", "output_tokens_per_s", "itl_s") for p in (50, 90, 99)})

view("prices", "Dated price periods in USD per million tokens; one row per period and source.",
     "SELECT model_id, effective_from, effective_to, usd_per_mtok_in, usd_per_mtok_out, "
     "usd_per_mtok_cached_in, first_seen_utc, last_seen_utc, source, estimated, source_name, "
     f"host_provider FROM price_period WHERE {VALID_RUN}",
     model_id="GapWatch model id", effective_from="First day the price applies",
     effective_to="Day it stopped applying (exclusive); NULL while current",
     usd_per_mtok_in="USD per million input tokens", usd_per_mtok_out="USD per million output tokens",
     usd_per_mtok_cached_in="USD per million cached input tokens, when listed",
     first_seen_utc="When a source first showed this price", last_seen_utc="When it was last seen",
     source="`public:<dataset>`, `config` (the price book, wins), `openrouter`, `litellm` or "
            "`estimated:machine-time`",
     estimated="true for computed prices (local models: machine cost per hour)",
     source_name="The model name as the price source spells it",
     host_provider="Who sells at this price (e.g. `openai`, `bedrock`, an OpenRouter route)")

ITEM_PRICE_ORDER = ("(p.source = 'config') DESC, p.estimated, "
                    "(p.host_provider = split_part(p.model_id, '/', 1)) DESC NULLS LAST, "
                    "p.effective_from DESC, p.source, p.source_name")
# A total with an unpriced item in it would understate the cost: empty instead, never 0.
PRICED_SUM = "(CASE WHEN count(price_source) = count(*) THEN sum(usd_cost) END)"

# The price is picked once per (model, day), not once per item: millions of items, few days.
view("item_costs", "Cost of each answered item, at the price in force on the day it was asked.",
     f"""WITH days AS (
        SELECT DISTINCT model_id, CAST(measured_at_utc AS DATE) AS day FROM capability_items),
     picked AS (
        SELECT d.model_id, d.day, p.usd_per_mtok_in, p.usd_per_mtok_out, p.source AS price_source,
               p.estimated
        FROM days d JOIN prices p ON p.model_id = d.model_id AND d.day >= p.effective_from
         AND (p.effective_to IS NULL OR d.day < p.effective_to)
        QUALIFY row_number() OVER (PARTITION BY d.model_id, d.day ORDER BY {ITEM_PRICE_ORDER}) = 1)
     SELECT i.run_id, i.model_id, i.pack, i.pack_version, i.dimension, i.item_id, i.variant, i.seed,
            i.measured_at_utc, i.score, i.input_tokens, i.output_tokens,
            (i.input_tokens * k.usd_per_mtok_in + i.output_tokens * k.usd_per_mtok_out) / 1e6 AS usd_cost,
            k.usd_per_mtok_in, k.usd_per_mtok_out, k.price_source, k.estimated,
            CASE WHEN k.price_source IS NULL AND i.model_id NOT IN (SELECT model_id FROM prices)
                 THEN 'no price known for this model'
                 WHEN k.price_source IS NULL
                 THEN 'no price in force on ' || CAST(i.measured_at_utc AS DATE)
                 WHEN i.input_tokens IS NULL OR i.output_tokens IS NULL THEN 'no token counts' END
                AS no_cost_reason
     FROM capability_items i LEFT JOIN picked k
       ON k.model_id = i.model_id AND k.day = CAST(i.measured_at_utc AS DATE)""",
     run_id="Collection run", model_id="Model", pack="Task pack", pack_version="Pack version",
     dimension="Capability dimension", item_id="Item id", variant="`fixed` or `fresh`",
     seed="Seed of a fresh item", measured_at_utc="When it was asked (UTC)", score="Score in [0, 1]",
     input_tokens="Prompt tokens", output_tokens="Completion tokens",
     usd_cost="USD for this item; NULL (never 0) when there is no price or no token count",
     usd_per_mtok_in="Input price used", usd_per_mtok_out="Output price used",
     price_source="Price source used: `config` first, then a first-party seller, then the newest",
     estimated="true when the price is an estimate (local machine time)",
     no_cost_reason="Why usd_cost is NULL; NULL when it is known")

# Costs add up per (run, model, pack, day) first: one price applies to a whole cell, so the
# millions of item rows are summed once and only the cells meet the prices.
PRICED_CELLS = f"""WITH cells AS (
        SELECT run_id, model_id, pack, pack_version, dimension, CAST(measured_at_utc AS DATE) AS day,
               min(measured_at_utc) AS first_at, count(*) AS n_items,
               count(*) FILTER (WHERE score >= 1) AS n_solved, sum(score) AS score_sum,
               sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
        FROM capability_items GROUP BY ALL),
     picked AS (
        SELECT d.model_id, d.day, p.usd_per_mtok_in, p.usd_per_mtok_out, p.source AS price_source,
               p.estimated
        FROM (SELECT DISTINCT model_id, day FROM cells) d JOIN prices p ON p.model_id = d.model_id
         AND d.day >= p.effective_from AND (p.effective_to IS NULL OR d.day < p.effective_to)
        QUALIFY row_number() OVER (PARTITION BY d.model_id, d.day ORDER BY {ITEM_PRICE_ORDER}) = 1),
     priced AS (
        SELECT c.*, k.usd_per_mtok_in, k.usd_per_mtok_out, k.price_source, k.estimated,
               (c.input_tokens * k.usd_per_mtok_in + c.output_tokens * k.usd_per_mtok_out) / 1e6 AS usd_cost,
               CASE WHEN k.price_source IS NULL AND c.model_id NOT IN (SELECT model_id FROM prices)
                    THEN 'no price known for this model'
                    WHEN k.price_source IS NULL THEN 'no price in force on ' || c.day
                    WHEN c.input_tokens IS NULL OR c.output_tokens IS NULL THEN 'no token counts' END
                   AS no_cost_reason
        FROM cells c LEFT JOIN picked k USING (model_id, day))"""

view("costs", "Cost per run, model and pack, priced on the day of measurement.",
     f"""{PRICED_CELLS}
     SELECT run_id, model_id, pack, pack_version, min(first_at) AS measured_at_utc,
            sum(n_items) AS n_items, sum(n_solved) AS n_solved,
            sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
            {PRICED_SUM} AS usd_cost, {PRICED_SUM} / nullif(sum(score_sum), 0) AS usd_per_solved_item,
            any_value(price_source) AS price_source, bool_or(estimated) AS estimated,
            sum(score_sum) AS score_sum,
            coalesce(sum(n_items) FILTER (WHERE price_source IS NULL), 0) AS n_unpriced,
            arg_min((3 * usd_per_mtok_in + usd_per_mtok_out) / 4, first_at) AS blended_usd_per_mtok,
            CASE WHEN n_unpriced > 0 THEN min(no_cost_reason)
                 WHEN coalesce(sum(score_sum), 0) = 0 THEN 'nothing solved: cost per solved item undefined'
                 END AS cost_note
     FROM priced GROUP BY run_id, model_id, pack, pack_version""",
     run_id="Collection run", model_id="Model", pack="Task pack", pack_version="Pack version",
     measured_at_utc="First item of the run (UTC)", n_items="Items asked",
     n_solved="Items with a full score", input_tokens="Prompt tokens",
     output_tokens="Completion tokens",
     usd_cost="USD for all items at each item's day's price; NULL when any item has no price",
     usd_per_solved_item="usd_cost over the sum of item scores; NULL (not infinite) if none solved",
     price_source="Which price source was used", estimated="true when any price used was estimated",
     score_sum="Sum of item scores (the solved items, partial credit included)",
     n_unpriced="Items with no price in force on their day",
     blended_usd_per_mtok="Price at the first item, 3 input : 1 output (as Artificial Analysis)",
     cost_note="Why usd_cost or usd_per_solved_item is NULL")

view("cost_per_solved", "Cost per solved item per model, dimension and day: the cost series.",
     f"""{PRICED_CELLS}
     SELECT day, model_id, dimension, sum(n_items) AS n_items, sum(score_sum) AS score_sum,
            {PRICED_SUM} AS usd_cost, {PRICED_SUM} / nullif(sum(score_sum), 0) AS usd_per_solved_item,
            bool_or(estimated) AS estimated
     FROM priced GROUP BY ALL""",
     day="UTC day asked", model_id="Model", dimension="Capability dimension",
     n_items="Items asked", score_sum="Sum of item scores",
     usd_cost="USD for those items; NULL when any has no price",
     usd_per_solved_item="usd_cost over score_sum; NULL when nothing was solved",
     estimated="true when any price used was estimated")
