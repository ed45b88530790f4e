"""Identifiers into words: series, gap kinds, groups, units, sources, verdicts, and numbers.

Why one module: the pages, their tables, legends and axes, and the CLI all show the same ids
(`epoch:eci`, `top1_minus_top10`, `public:openrouter_price_changes`) and must say them the same
way. It is pure (no I/O, no Streamlit) so anything can import it. Ids it does not know still
come out as words (`humanize`), never as snake_case, so a new source or pack cannot leak an id
onto a screen; add an entry here to give it a better name.
"""

import math
import re

import pandas as pd

DASH = "—"

# --- Sources -------------------------------------------------------------------------------------

SOURCES = {
    "arena_elo_history": "LMArena rating history",
    "arena_lab_frontier_history": "LMArena lab frontier history",
    "arena_models": "LMArena model list",
    "arena_catalog_model_prices": "LMArena arena-catalog prices",
    "nakasyou_result_csv": "LMArena via nakasyou/lmarena-history",
    "fboulnois_lmsys_csv": "LMSYS via fboulnois/llm-leaderboard-csv",
    "fboulnois_lmarena_text_csv": "LMArena via fboulnois/llm-leaderboard-csv",
    "lmsys_hf_leaderboard_table": "LMSYS leaderboard tables",
    "lmarena_arena_catalog": "LMArena arena-catalog",
    "lab_frontier": "LMArena lab frontier",
    "epoch_capabilities_index": "Epoch AI Capabilities Index",
    "epoch_benchmark_scores": "Epoch AI benchmarking hub",
    "lmarena_leaderboard": "LMArena leaderboard dataset",
    "lmarena_text": "LMArena leaderboard dataset (text)",
    "lmarena_text_style_control": "LMArena leaderboard dataset (text, style control)",
    "epoch_eci": "Epoch AI Capabilities Index (refreshed)",
    "epoch_benchmarks": "Epoch AI benchmarking hub (refreshed)",
    "public": "public history refresh",
    "epoch_notable_language_models": "Epoch AI notable models",
    "openrouter_price_changes": "OpenRouter price history",
    "openrouter_prices_monthly": "OpenRouter monthly prices",
    "litellm_price_changes": "LiteLLM price history",
    "genai_prices_snapshot": "genai-prices snapshot",
    "llm_prices_periods": "llm-prices periods",
    "llm_prices_observed_changes": "llm-prices observed changes",
    "llmperf_leaderboard_2023": "LLMPerf leaderboard (Anyscale, Dec 2023)",
    "llmstats_benchmark_scores": "LLM-Stats benchmark scores",
    "llmstats_models": "LLM-Stats models",
    "llmstats_provider_prices_speed": "LLM-Stats provider prices and speed",
    "open_llm_leaderboard_v2_official": "Open LLM Leaderboard v2",
    "measured": "your measurements",
    "book": "the price book",
    "machine_time": "machine time (estimate)",
    "price_book": "the price book",
    "latency": "latency collector",
    "capability": "capability collector",
    "prices": "price collector",
}


def source(source_id) -> str:
    """`public:fboulnois_lmarena_text_csv` -> `LMArena via fboulnois/llm-leaderboard-csv`;
    a run id's `public:<name>:<sha>` is named by its dataset."""
    if _missing(source_id):
        return DASH
    text = str(source_id)
    public = text.startswith("public:")
    name = text.split(":")[1] if public else text
    return SOURCES.get(name, humanize(name))


# --- Series (series ids and packs) -----------------------------------------------------------------

ARENA_METHODS = {
    "elo_online": "online Elo",
    "elo_rating": "Elo rating",
    "displayed_rating": "displayed rating",
    "bt_rating": "Bradley–Terry rating",
    "bt_rating_style_control": "Bradley–Terry rating, style control",
    "highest_rated_flagship": "each lab's highest-rated flagship",
    "latest_released_flagship": "each lab's latest flagship",
}
BENCHMARKS = {
    "eci": "Epoch Capabilities Index", "gpqa_diamond": "GPQA Diamond", "mmlu": "MMLU",
    "swe_bench_verified": "SWE-bench Verified", "frontiermath": "FrontierMath",
    "frontiermath_tier_4": "FrontierMath Tier 4", "math_level_5": "MATH Level 5",
    "gsm8k": "GSM8K", "bbh": "BIG-Bench Hard", "arc_agi": "ARC-AGI", "arc_ai2": "ARC (AI2)",
    "hella_swag": "HellaSwag", "wino_grande": "WinoGrande", "piqa": "PIQA", "bool_q": "BoolQ",
    "trivia_qa": "TriviaQA", "open_book_qa": "OpenBookQA", "lambada": "LAMBADA",
    "adversarial_nli": "Adversarial NLI", "aider_polyglot": "Aider Polyglot",
    "webdev_arena": "WebDev Arena", "terminalbench": "Terminal-Bench", "cybench": "Cybench",
    "simplebench": "SimpleBench", "otis_mock_aime_2024_2025": "OTIS mock AIME 2024–25",
    "fictionlivebench": "Fiction.LiveBench", "live_bench": "LiveBench", "weirdml": "WeirdML",
    "metr_time_horizons": "METR time horizons", "science_qa": "ScienceQA", "superglue": "SuperGLUE",
    "os_world": "OSWorld", "os_universe": "OS Universe", "geobench": "GeoBench", "gso": "GSO",
    "vpct": "VPCT", "balrog": "BALROG", "cad_eval": "CAD-Eval",
    "common_sense_qa_2": "CommonsenseQA 2", "deepresearchbench": "DeepResearch Bench",
    "lech_mazur_writing": "Lech Mazur writing", "the_agent_company": "TheAgentCompany",
    "factorio_learning_environment": "Factorio Learning Environment",
}
PRICES = {"usd_per_mtok_out": "output price ($ per million tokens)",
          "usd_per_mtok_in": "input price ($ per million tokens)",
          "usd_per_mtok_blended": "blended price ($ per million tokens, 3 in : 1 out)",
          "panel_usd_per_mtok_blended": "blended price of a fixed panel of offerings",
          "cheapest_usd_per_mtok_blended@eci125": "cheapest blended price of ECI 125 capability"}
LATENCY_STATS = {"p50": "median", "p90": "90th percentile", "p99": "99th percentile"}


def series(series_id, short: bool = False) -> str:
    """A series_id or pack id in words: `epoch:eci` -> `Epoch Capabilities Index`;
    `latency:ttft_s_p50:550-150@c5` -> `time to first token (s), median · 550→150 tokens, 5 at once`;
    a measured `reasoning-core@1:reasoning_fixed` -> `reasoning-core v1: reasoning, fixed items`."""
    if _missing(series_id):
        return DASH
    text = str(series_id)
    kind, _, rest = text.partition(":")
    if kind == "arena" and rest:
        src, _, method = rest.partition(":")
        if not method:  # a series chained from several packs, e.g. `arena:text`
            return f"Arena {humanize(src)} leaderboard"
        words = f"Arena {ARENA_METHODS.get(method, humanize(method))}"
        if src == "lab_frontier":
            return f"Arena: {ARENA_METHODS.get(method, humanize(method))}"
        return words if short else f"{words} ({source(src)})"
    if kind == "epoch" and rest:
        name = BENCHMARKS.get(rest, humanize(rest))
        return name if short or rest == "eci" else f"{name} (Epoch AI)"
    if kind == "dimension" and rest:
        dim, _, version = rest.partition("@")
        name = f"{dimension(dim)}: Epoch AI benchmarks combined"
        return name if short or not version else f"{name} (mapping v{version})"
    if kind == "price" and rest:
        return PRICES.get(rest, f"price: {unit(rest)}")
    if kind == "latency" and rest:
        return _latency_series(rest, short)
    if "@" in text:
        return _measured_series(text)
    return unit(text) if text in UNITS else humanize(text)


def _latency_series(rest: str, short: bool) -> str:
    """`ttft_s_p50:550-150@c5` (measure with its statistic, workload, concurrency)."""
    measure, _, where = rest.partition(":")
    base, _, stat = measure.rpartition("_")
    name = f"{unit(base)}, {LATENCY_STATS[stat]}" if stat in LATENCY_STATS else unit(measure)
    return name if short or not where else f"{name} · {workload(where)}"


def _measured_series(text: str) -> str:
    pack, _, rest = text.partition("@")
    version, _, metric = rest.partition(":")
    return f"{pack} v{version}" + (f": {measured_metric(metric)}" if metric else "")


def measured_metric(metric: str) -> str:
    """`reasoning_fixed_minus_fresh` -> `reasoning, fixed minus fresh items`."""
    for suffix, words in (("_fixed_minus_fresh", "fixed minus fresh items"),
                          ("_fixed", "fixed items"), ("_fresh", "fresh items")):
        if metric.endswith(suffix):
            return f"{humanize(metric.removesuffix(suffix))}, {words}"
    return humanize(metric)


def workload(text) -> str:
    """`100-300@c5` -> `100→300 tokens, 5 at once`; `1k-1k` -> `1k→1k tokens`;
    `smoke-32-16` -> `smoke test, 32→16 tokens`."""
    if _missing(text):
        return DASH
    shape, _, conc = str(text).partition("@c")
    match = re.fullmatch(r"(?:([a-z]+)-)?(\d[\d.]*k?)-(\d[\d.]*k?)", shape)
    words = humanize(shape)
    if match:
        words = f"{match[2]}→{match[3]} tokens"
        words = f"{match[1]} test, {words}" if match[1] else words
    return f"{words}, {conc} at once" if conc else words


# --- Gaps: kinds, groups, verdicts, windows, method changes ---------------------------------------

GAP_KINDS = {
    "frontier_a_minus_b": "best minus best (frontiers)",
    "top1_minus_top10": "leader minus the 10th model",
    "top1_minus_top2": "leader minus the runner-up",
    "top1_minus_median": "leader minus the median model",
    "q75_minus_q25": "spread between the 75th and 25th percentile",
    "top10_sd": "spread of the top 10 (standard deviation)",
    "max_a_minus_b": "best minus best",
    "median_a_minus_b": "median of one group minus median of the other",
    "model_a_minus_b": "one model minus another",
    "log10_median_ratio": "ratio of the groups' medians (log scale)",
    "log10_max_ratio": "ratio of the groups' best values (log scale)",
    "lag_months": "lag in months",
}
GROUPS = {"closed": "closed weights", "open": "open weights", "rank 1": "leader",
          "rank 2": "runner-up", "rank 10": "10th model", "median": "median model",
          "top 10": "top 10"}
VERDICTS = {"widening": "widening", "narrowing": "narrowing", "no clear change": "no clear change",
            "not enough data": "not enough data", "not enough history": "not enough data"}
WINDOWS = {"whole": "whole history", "all": "whole history", "whole_history": "whole history",
           "12m": "last 12 months", "last_12_months": "last 12 months",
           "last_12m": "last 12 months", "segment": "since the last break",
           "since_break": "since the last break", "latest_segment": "since the last break"}
METHOD_CHANGE_KINDS = {"rating method": "new rating method", "pack version": "new pack version",
                       "run context": "new machine, server or model file",
                       "listing change": "listing change", "level shift":
                       "step fitted with the trend (no recorded cause)",
                       "new vintage": "new vintage of a rescaled source"}


def gap_kind(kind) -> str:
    if _missing(kind):
        return DASH
    text = str(kind)
    match = re.fullmatch(r"top1_minus_top(\d+)", text)
    if text not in GAP_KINDS and match:
        return f"leader minus model number {match[1]}"
    match = re.fullmatch(r"org1_minus_org(\d+)", text)
    if match:
        return f"best organisation minus the {_ordinal(int(match[1]))}"
    return GAP_KINDS.get(text, humanize(text))


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def group(name) -> str:
    return DASH if _missing(name) else GROUPS.get(str(name), humanize(str(name)))


def gap_pair(group_a, group_b) -> str:
    """`closed`, `open` -> `closed weights vs open weights`."""
    return f"{group(group_a)} vs {group(group_b)}"


def gap_series(series_id, kind, group_a, group_b) -> str:
    """A whole gap series in words: what is compared, between whom."""
    return f"{series(series_id, short=True)}: {gap_pair(group_a, group_b)}"


def verdict(word) -> str:
    return DASH if _missing(word) else VERDICTS.get(str(word), humanize(str(word)))


def window(name) -> str:
    return DASH if _missing(name) else WINDOWS.get(str(name), humanize(str(name)))


def method_change_kind(kind) -> str:
    return DASH if _missing(kind) else METHOD_CHANGE_KINDS.get(str(kind), humanize(str(kind)))


def dimension(name) -> str:
    if _missing(name):
        return DASH
    return {"overall": "overall capability"}.get(str(name), humanize(str(name)))


# --- Units and column names -------------------------------------------------------------------------

UNITS = {
    "usd_per_mtok_out": "$ per million output tokens",
    "usd_per_mtok_in": "$ per million input tokens",
    "usd_per_mtok_cached_in": "$ per million cached input tokens",
    "usd_per_mtok_blended": "$ per million tokens (3 input : 1 output)",
    "usd_per_solved_item": "$ per solved item",
    "ttft_s": "time to first token (s)",
    "e2e_s": "end-to-end time (s)",
    "output_tokens_per_s": "output tokens per second",
    "itl_s": "time between tokens (s)",
    "latency_s": "latency (s)",
    "lag_months": "lag (months)",
    "months": "months",
    "arena_rating": "Arena rating",
    "eci": "ECI points",
    "benchmark_score": "benchmark score",
}


def unit(name) -> str:
    """A unit or measure id in words; gap units such as `log10(closed/open)` are explained."""
    if _missing(name):
        return DASH
    text = str(name)
    ratio = re.fullmatch(r"log10\((\w[\w ]*)/(\w[\w ]*)\)", text)
    if ratio:
        return f"log10 of {group(ratio[1])} ÷ {group(ratio[2])}"
    return UNITS.get(text, text if " " in text or "_" not in text else humanize(text))


COLUMNS = {
    "model_id": "Model", "series_id": "Series", "metric": "Series", "pack": "Pack",
    "pack_version": "Pack version", "gap_kind": "Gap kind", "group_a": "Leader side",
    "group_b": "Follower side",
    "leader_group": "Leader", "follower_group": "Follower", "lag_months": "Lag (months)",
    "ci_low": "95% low", "ci_high": "95% high", "slope_per_year": "Trend per year",
    "p_value": "p", "p_adjusted": "Adjusted p", "n_points": "Points", "n_models": "Models",
    "n_items": "Items", "n_rows": "Rows", "n_warnings": "Warnings", "n": "Count",
    "period_start": "From", "period_end": "To", "bucket_start": "Period start",
    "measured_at_utc": "Measured (UTC)", "started_at_utc": "Started (UTC)",
    "finished_at_utc": "Finished (UTC)", "last_utc": "Last (UTC)", "run_id": "Run",
    "error_class": "Error class", "host_provider": "Serving provider", "workload": "Workload",
    "concurrency": "Requests at once", "leader_value": "Leader's value",
    "follower_value": "Follower's value", "value": "Value", "unit": "Unit", "verdict": "Verdict",
    "source": "Source", "note": "Note", "dimension": "Dimension", "level": "Level",
    "view_name": "View", "comment": "What it holds", "collector": "Collector", "status": "Status",
    "error": "Error", "host": "Host", "job": "Job", "schedule": "Schedule", "models": "Models",
    "next_run": "Next run", "scheduler": "Scheduler", "valid": "Valid", "started": "Started",
    "finished": "Finished", "window": "Window", "day": "Day", "estimated": "Estimated",
    "effective_from": "From", "effective_to": "Until", "leader": "Leader", "margin": "Margin",
    "is_summary": "Summary", "leader_date": "Leader reached it", "n_periods": "Price periods",
    "follower_date": "Follower reached it", "first_day": "First day", "n_sellers": "Sellers",
}


def column(name: str) -> str:
    """A column name as a table header: `lag_months` -> `Lag (months)`."""
    if name in COLUMNS:
        return COLUMNS[name]
    base, _, stat = name.rpartition("_")
    if name in UNITS or (base in UNITS and stat in LATENCY_STATS):
        words = unit(name) if name in UNITS else f"{unit(base)}, {LATENCY_STATS[stat]}"
        return words[0].upper() + words[1:]
    words = humanize(name)
    return words[:1].upper() + words[1:]


def humanize(text) -> str:
    """Any id as words: `frontiermath_tier_4` -> `frontiermath tier 4` (the fallback)."""
    if _missing(text):
        return DASH
    words = re.sub(r"[_:]+", " ", str(text)).strip()
    return re.sub(r"\s+", " ", words)


# --- Numbers ------------------------------------------------------------------------------------------

def decimals_for(low, high, significant: int = 2) -> int:
    """Decimals that show an interval's half-width to `significant` figures (0 to 6)."""
    if _missing(low) or _missing(high) or high == low:
        return 2
    half = abs(float(high) - float(low)) / 2
    return max(0, min(6, significant - 1 - math.floor(math.log10(half))))


def number(value, decimals: int = 2, signed: bool = False) -> str:
    """`1234.5` -> `1,234.50`; `−` for negatives; a dash when missing."""
    if _missing(value):
        return DASH
    text = f"{float(value):{'+' if signed else ''},.{decimals}f}"
    return text.replace("-", "−")


def with_interval(value, low, high, unit_text: str = "", signed: bool = False) -> str:
    """`−1.7 ECI points [−2.5, −0.51]`: every number rounded to what the interval supports."""
    if _missing(value):
        return DASH
    d = decimals_for(low, high)
    unit_part = f" {unit_text}" if unit_text else ""
    if _missing(low) or _missing(high):
        return f"{number(value, d, signed)}{unit_part}"
    return (f"{number(value, d, signed)}{unit_part} "
            f"[{number(low, d, signed)}, {number(high, d, signed)}]")


def significant(value, digits: int = 3) -> str:
    """A number without an interval to `digits` significant figures: `0.012345` -> `0.0123`."""
    if _missing(value):
        return DASH
    v = float(value)
    if v == 0:
        return "0"
    return number(v, significant_decimals(v, digits))


def significant_decimals(value: float, digits: int = 3) -> int:
    """Decimals that show a non-zero `value` to `digits` significant figures (at least 0)."""
    return max(0, digits - 1 - math.floor(math.log10(abs(float(value)))))


def p_value(p) -> str:
    if _missing(p):
        return DASH
    return "< 0.0001" if p < 1e-4 else f"{p:.2g}" if p < 0.01 else f"{p:.2f}"


def _missing(value) -> bool:
    """None, NaN, pandas NA or NaT (a list or other container is not missing)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
