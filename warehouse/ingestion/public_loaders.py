"""What each shipped public dataset is, and how its rows become warehouse rows.

One `Dataset` per file: its typed columns (checked on read), licence and
credit, the model names it contributes to the crosswalk, and the INSERTs
that turn its staged rows (`stage`) into contract rows. `:run` and
`:source` are bound by the importer; `alias_map(alias, source, model_id)` is
the resolved crosswalk.
"""

from dataclasses import dataclass, field

from warehouse.analysis.benchmark_dimensions import sql_case

EPOCH_CREDIT = "Epoch AI, 'AI Benchmarking' and 'Notable AI Models', https://epoch.ai (CC BY 4.0)"
CANDIDATE = ("SELECT {priority} AS priority, '{source}' AS source, {alias} AS alias, "
             "{group} AS group_key, {org} AS organization, {open} AS open_weights, "
             "{release} AS release_date, {display} AS display_name, {family} AS family, "
             "{seen} AS first_seen, {country} AS country FROM stage WHERE {alias} IS NOT NULL AND {where}")


def candidates(priority: int, source: str, alias: str, group: str | None = None,
               org: str = "NULL", open_: str = "NULL::BOOLEAN", release: str = "NULL::DATE",
               display: str = "NULL", family: str = "NULL", seen: str = "NULL::DATE",
               where: str = "true", country: str = "NULL::VARCHAR") -> str:
    """The names a file contributes to the crosswalk (`aliases.CANDIDATE_COLUMNS`); `seen` is
    the first date the source shows the name, which keeps it from joining a later version."""
    return CANDIDATE.format(priority=priority, source=source, alias=alias, group=group or alias,
                            org=org, open=open_, release=release, display=display,
                            family=family, seen=seen, where=where, country=country)


def epoch_version(name: str, version: str, release: str) -> str:
    """Epoch's version of a row: one (model name, release date); settings and hosts of it
    (`_high`, `chutes/…`) share it, later snapshots of the family do not."""
    return (f"'epoch:' || coalesce({name}, trim({version})) || '@' || "
            f"coalesce(CAST({release} AS VARCHAR), '?')")


# An Epoch model name is a name of one version only when the file gives it one release date.
ONE_VERSION_NAMES = ("model_name IN (SELECT model_name FROM stage GROUP BY model_name "
                     "HAVING count(DISTINCT coalesce(CAST(release_date AS VARCHAR), '?')) = 1)")


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: dict[str, str]
    licence: str
    credit: str
    names: list[str] = field(default_factory=list)
    inserts: list[str] = field(default_factory=list)
    kept: str = "true"
    version: str = ""  # bound to `:version` (pack_version): the shipped file's vintage date

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


V = "VARCHAR"
D = "DATE"
F = "DOUBLE"
B = "BOOLEAN"
I = "BIGINT"
EPOCH_OPEN = "coalesce(open_weights, model_accessibility ILIKE 'Open weights%')"
# The benchmark → dimension table (docs/dimensions.md); its version names the dimension series.
EPOCH_DIMENSIONS = sql_case("s.benchmark")
ECI_VERSION = epoch_version("model_name", "model_version", "release_date")
# Epoch's country label as given ("China", "United States of America,China"); the notable-models
# file repeats a country once per organisation ("China,China"), so only the ECI and benchmark
# files (one label per model, the same vocabulary) name a model's country.
EPOCH_COUNTRY = "nullif(trim(country), '')"

PRICE_PERIODS = """
INSERT INTO price_period
WITH ev AS (
    SELECT *, lead(date) OVER (PARTITION BY {key} ORDER BY date, event = 'listed' DESC) AS next_date,
           max(date) OVER () AS last_snapshot
    FROM stage WHERE {where})
SELECT :run, :source, ev.{name}, {host}, m.model_id, ev.date, ev.next_date,
       input_usd_per_mtok, output_usd_per_mtok, NULL, ev.date::TIMESTAMPTZ,
       coalesce(ev.next_date, ev.last_snapshot)::TIMESTAMPTZ, false
FROM ev JOIN alias_map m ON m.source = '{alias_source}' AND m.alias = ev.{name}
WHERE ev.event IN ('listed', 'price_changed')
  AND (input_usd_per_mtok IS NOT NULL OR output_usd_per_mtok IS NOT NULL)"""

DATASETS: list[Dataset] = [
    Dataset(
        "arena_elo_history",
        {"date": D, "model_key": V, "model_name": V, "organization": V, "license": V,
         "open_weights": B, "metric": V, "value": F, "ci95": V, "votes": I, "rank": I,
         "primary_series": I, "source": V, "source_ref": V},
        "MIT (nakasyou/lmarena-history), MPL-2.0 (fboulnois/llm-leaderboard-csv), Apache-2.0 "
        "(LMSYS leaderboard tables); lmarena/arena-catalog rows (no licence) left out",
        "LMSYS / LMArena Chatbot Arena, via nakasyou/lmarena-history, fboulnois/llm-leaderboard-csv "
        "and the LMSYS HF-space tables (mirrored by utterstep/chatbot-arena-leaderbord-vis)",
        names=[candidates(4, "arena", "model_key", org="organization", open_="open_weights",
                          display="model_name", seen="date")],
        inserts=["""INSERT INTO public_capability_score
            SELECT :run, :source, 'arena:' || s.source || ':' || s.metric, s.metric, 'arena_rating',
                   'overall', s.model_key, m.model_id, s.date::TIMESTAMPTZ, s.value,
                   s.value - try_cast(regexp_extract(s.ci95, '-([0-9.]+)', 1) AS DOUBLE),
                   s.value + try_cast(regexp_extract(s.ci95, '\\+([0-9.]+)', 1) AS DOUBLE),
                   s.votes, s.rank
            FROM stage s JOIN alias_map m ON m.source = 'arena' AND m.alias = s.model_key"""]),
    Dataset(
        "arena_lab_frontier_history",
        {"date": D, "lab": V, "model_name": V, "rating": F, "selection_mode": V},
        "MIT (mayerwin/AI-Arena-History); underlying data LMArena lmarena-ai/leaderboard-dataset",
        "mayerwin/AI-Arena-History, derived from LMArena's leaderboard dataset",
        names=[candidates(5, "arena", "model_name", org="lab", seen="date")],
        inserts=["""INSERT INTO public_capability_score
            SELECT :run, :source, 'arena:lab_frontier:' || s.selection_mode, 'bt_rating',
                   'arena_rating', 'overall', s.model_name, m.model_id, s.date::TIMESTAMPTZ,
                   s.rating, NULL, NULL, NULL,
                   rank() OVER (PARTITION BY s.date, s.selection_mode ORDER BY s.rating DESC)
            FROM stage s JOIN alias_map m ON m.source = 'arena' AND m.alias = s.model_name"""]),
    Dataset(
        "epoch_capabilities_index",
        {"model_version": V, "model_name": V, "display_name": V, "release_date": D,
         "organization": V, "country": V, "model_accessibility": V, "open_weights": B,
         "accessibility_filled_from": V, "eci_score": F, "confidence": V,
         "training_compute_flop": F},
        "CC BY 4.0 (Epoch AI)", EPOCH_CREDIT + "; ECI export as committed in peterhurford/metr_graph",
        names=[candidates(1, "epoch", "trim(coalesce(model_version, model_name))", ECI_VERSION,
                          "organization", EPOCH_OPEN, "release_date", "model_name", "model_name",
                          country=EPOCH_COUNTRY),
               candidates(1, "epoch", "model_name", ECI_VERSION, "organization", EPOCH_OPEN,
                          "release_date", "model_name", "model_name", where=ONE_VERSION_NAMES,
                          country=EPOCH_COUNTRY)],
        # One row per version, dated by its own release. A version the crosswalk file pins
        # elsewhere (Qwen2.5-VL-72B, filed under Qwen2.5-72B) does not inherit the ECI Epoch
        # estimated for the model name it was filed under.
        inserts=["""INSERT INTO public_capability_score
            SELECT :run, :source, 'epoch:eci', :version, 'eci', 'overall',
                   coalesce(any_value(n.alias), min(trim(coalesce(s.model_version, s.model_name)))),
                   m.model_id,
                   s.release_date::TIMESTAMPTZ, max(s.eci_score), NULL, NULL, NULL, NULL
            FROM stage s JOIN alias_map m ON m.source = 'epoch'
             AND m.alias = trim(coalesce(s.model_version, s.model_name))
            LEFT JOIN alias_map n ON n.source = 'epoch' AND n.alias = s.model_name
             AND n.model_id = m.model_id
            WHERE s.eci_score IS NOT NULL AND s.release_date IS NOT NULL
              AND trim(coalesce(s.model_version, s.model_name))
                  NOT IN (SELECT alias FROM pinned WHERE source = 'epoch')
            GROUP BY m.model_id, s.release_date"""],
        kept="eci_score IS NOT NULL AND release_date IS NOT NULL", version="2026-03-09"),
    Dataset(
        "epoch_benchmark_scores",
        {"benchmark": V, "origin": V, "model_version": V, "model_name": V, "release_date": D,
         "organization": V, "country": V, "model_accessibility": V, "open_weights": B,
         "score": F, "score_column": V, "setting": V, "shots": V, "stderr": F, "source": V,
         "evaluated_on": V},
        "CC BY 4.0 (Epoch AI)", EPOCH_CREDIT + "; export as committed in pranmod01/apart-sprint",
        names=[candidates(2, "epoch", "trim(coalesce(model_version, model_name))",
                          epoch_version("model_name", "model_version", "release_date"),
                          "organization", EPOCH_OPEN, "release_date", "model_name",
                          "coalesce(model_name, trim(model_version))", country=EPOCH_COUNTRY)],
        inserts=[f"""INSERT INTO public_capability_score
            SELECT :run, :source, 'epoch:' || s.benchmark, :version, 'benchmark_score',
                   {EPOCH_DIMENSIONS}, trim(coalesce(s.model_version, s.model_name)), m.model_id,
                   coalesce(p.release_date, s.release_date)::TIMESTAMPTZ, s.score,
                   s.score - 1.96 * s.stderr, s.score + 1.96 * s.stderr, NULL, NULL
            FROM stage s JOIN alias_map m ON m.source = 'epoch'
             AND m.alias = trim(coalesce(s.model_version, s.model_name))
            LEFT JOIN pinned p ON p.source = 'epoch'
             AND p.alias = trim(coalesce(s.model_version, s.model_name))
            WHERE s.release_date IS NOT NULL AND s.score IS NOT NULL"""],
        kept="release_date IS NOT NULL AND score IS NOT NULL", version="2025-11-01"),
    Dataset(
        "epoch_notable_language_models",
        {"model": V, "organization": V, "publication_date": D, "domain": V, "parameters": F,
         "training_compute_flop": F, "model_accessibility": V, "open_weights": B, "country": V,
         "organization_category": V, "frontier_model": V, "base_model": V},
        "CC BY 4.0 (Epoch AI)",
        EPOCH_CREDIT + "; as committed in Pietro-Panizza/Data-Visualization-Final-Project",
        names=[candidates(3, "epoch", "model", epoch_version("model", "model", "publication_date"),
                          "organization", EPOCH_OPEN, "publication_date", "model", "model")]),
    Dataset(
        "openrouter_price_changes",
        {"date": D, "model_id": V, "model_name": V, "org_prefix": V, "open_weights": B,
         "hugging_face_id": V, "input_usd_per_mtok": F, "output_usd_per_mtok": F, "event": V,
         "openrouter_created": D, "modality": V},
        "MIT (jvrck/openrouterlist); values are OpenRouter API output (OpenRouter's terms apply)",
        "OpenRouter models API, snapshots by jvrck/openrouterlist",
        names=[candidates(6, "openrouter", "model_id", org="org_prefix", open_="open_weights",
                          release="openrouter_created", display="model_name", seen="date")],
        inserts=[PRICE_PERIODS.format(key="model_id", where="true", name="model_id",
                                      host="'openrouter'", alias_source="openrouter")]),
    Dataset(
        "litellm_price_changes",
        {"date": D, "model_key": V, "litellm_provider": V, "mode": V, "input_usd_per_mtok": F,
         "output_usd_per_mtok": F, "event": V, "tokencost_commit": V},
        "MIT (BerriAI/litellm, via AgentOps-AI/tokencost)",
        "BerriAI/litellm model_prices_and_context_window.json, history via AgentOps-AI/tokencost",
        names=[candidates(7, "litellm", "model_key", org="litellm_provider", seen="date")],
        # Vertex AI entries were priced per character then: not comparable per token.
        inserts=[PRICE_PERIODS.format(
            key="model_key", name="model_key", host="litellm_provider", alias_source="litellm",
            where="mode = 'chat' AND litellm_provider NOT LIKE 'vertex_ai%'")],
        kept="mode = 'chat' AND litellm_provider NOT LIKE 'vertex_ai%'"),
    Dataset(
        "llmperf_leaderboard_2023",
        {"date_added": D, "provider": V, "llama2_size": V, "provider_model_id": V,
         "num_concurrent_requests": I, "mean_input_tokens": I, "mean_output_tokens": I,
         "ttft_s_p50": F, "ttft_s_mean": F, "output_tokens_per_s_p50": F,
         "output_tokens_per_s_mean": F, "inter_token_latency_s_p50": F, "e2e_latency_s_p50": F,
         "num_completed_requests": I, "llmperf_version": V, "commit": V},
        "Apache-2.0 (ray-project/llmperf-leaderboard)", "Anyscale / Ray LLMPerf leaderboard",
        names=[candidates(8, "llmperf", "'llama-2-' || llama2_size || '-chat'", org="'Meta'",
                          open_="true")],
        inserts=["""INSERT INTO public_latency_summary
            SELECT :run, :source, s.provider_model_id, m.model_id, s.provider,
                   s.date_added::TIMESTAMPTZ, s.mean_input_tokens || '-' || s.mean_output_tokens,
                   s.num_concurrent_requests, s.num_completed_requests, s.ttft_s_p50,
                   s.e2e_latency_s_p50, s.output_tokens_per_s_p50, s.inter_token_latency_s_p50
            FROM stage s JOIN alias_map m ON m.source = 'llmperf'
             AND m.alias = 'llama-2-' || s.llama2_size || '-chat'"""]),
]

CROSSWALK = Dataset(
    "model_crosswalk",
    {"model_id": V, "source": V, "alias": V, "organization": V, "open_weights": B,
     "release_date": D, "display_name": V, "family": V, "why": V},
    "Apache-2.0 (GapWatch)", "GapWatch maintainers",
    names=["SELECT 0 AS priority, source, alias, model_id AS group_key, organization, "
           "open_weights, release_date, display_name, coalesce(family, display_name) AS family, "
           "NULL::DATE AS first_seen FROM stage"])
