"""Public views of the refreshed public sources: every vintage, every vintage's scores, and how
recent each source is. Registered in `view_registry` after the other views; `capability_scores`
(views_inputs) embeds `VINTAGES` to keep only the rows in use (warehouse/analysis/vintages.py
says which)."""

from warehouse.analysis.vintages import FAMILIES
from warehouse.contract.view_registry import view
from warehouse.contract.vintage_sql import VINTAGES

_STALE_DAYS = ", ".join(f"('{family}', {f.stale_after_days}, '{f.label}')"
                        for family, f in FAMILIES.items())

view("public_vintages",
     "Every vintage (one import) of each refreshable public source, the history shipped with "
     "GapWatch included; series and verdicts use the newest vintage from its first date on, and "
     "an older one only before that (docs/public_refresh.md).",
     f"SELECT family, dataset, run_id, url, fetched_at_utc, last_checked_utc, content_sha256, "
     f"n_bytes, n_rows, data_from, data_through, licence, citation, bundled, is_newest, "
     f"superseded_from FROM ({VINTAGES})",
     family="The source: `arena`, `epoch_eci`, `epoch_benchmarks`, `openrouter` or `litellm`",
     dataset="The dataset its rows carry as `public:<dataset>` in `source`",
     run_id="The import run its rows carry (`runs invalidate` it to fall back to the one before)",
     url="Where it was fetched from (for the shipped history: the file in the repository)",
     fetched_at_utc="When it was fetched (shipped history: the date the shipped file was taken)",
     last_checked_utc="When a refresh last found the source unchanged from this vintage",
     content_sha256="SHA-256 of the fetched content (the rows as read, for the shipped files: "
                    "the file with the importer's version)",
     n_bytes="Bytes fetched; NULL for the shipped history",
     n_rows="Rows stored from it", data_from="First date of its rows (snapshot or release date)",
     data_through="Last date of its rows: how recent the source is",
     licence="The licence of the data", citation="Who to credit, as the source asks to be cited",
     bundled="true for the history shipped with GapWatch (the first vintage)",
     is_newest="true for the newest valid vintage of its family",
     superseded_from="From this date on its rows are replaced by a newer vintage's; NULL for "
                     "the newest")

view("public_vintage_scores",
     "Every public score of every vintage, superseded ones included: how a rescaled source "
     "moved (`capability_scores` keeps only the rows in use).",
     f"""SELECT s.measured_at_utc, s.model_id, s.metric, s.pack, s.pack_version, s.value, s.ci_low,
                s.ci_high, s.n_items, s.source, s.source_name, v.family, v.run_id,
                v.fetched_at_utc, v.is_newest,
                v.superseded_from IS NULL OR s.measured_at_utc < v.superseded_from AS in_use
         FROM public_capability_score s JOIN ({VINTAGES}) v ON v.run_id = s.run_id""",
     measured_at_utc="Snapshot date (Arena) or release date (Epoch)", model_id="GapWatch model id",
     metric="As in `capability_scores`", pack="As in `capability_scores`",
     pack_version="As in `capability_scores` (for a refreshed Epoch vintage: its fetch date)",
     value="The score in this vintage", ci_low="Lower end of the 95% interval, when known",
     ci_high="Upper end of the 95% interval, when known", n_items="Votes or items, when known",
     source="`public:<dataset>`", source_name="The model name as the source gave it",
     family="The source family (`public_vintages.family`)", run_id="The vintage's import run",
     fetched_at_utc="When the vintage was fetched", is_newest="true for the newest vintage",
     in_use="true when `capability_scores` (and so every series) uses this row")

view("source_freshness",
     "How recent each refreshable public source is, and whether it is stale (its newest data is "
     "older than the source's cadence allows): what Overview and `collectors status` show.",
     f"""WITH v AS ({VINTAGES}),
     cadence(family, stale_after_days, label) AS (VALUES {_STALE_DAYS}),
     per AS (SELECT family, max(data_through) AS data_through,
                    max(last_checked_utc) FILTER (WHERE NOT bundled) AS fetched_at_utc,
                    bool_and(bundled) AS bundled_only
             FROM v WHERE superseded_from IS NULL OR data_from < superseded_from GROUP BY family)
     SELECT c.family, c.label, per.data_through, per.fetched_at_utc,
            coalesce(per.bundled_only, true) AS shipped_only, c.stale_after_days,
            per.data_through IS NULL OR current_date - per.data_through > c.stale_after_days AS stale
     FROM cadence c LEFT JOIN per USING (family)""",
     family="The source (`public_vintages.family`)", label="The source in words",
     data_through="Last date of the data in use (snapshot, release or last-seen date)",
     fetched_at_utc="Last successful refresh of it (`python -m collectors run public`); NULL "
                    "when only the shipped history is there",
     shipped_only="true when no refresh has brought anything newer than the shipped history",
     stale_after_days="How old its newest data may be before it is stale (the source's cadence)",
     stale="true when data_through is older than stale_after_days (or there is no data)")
