"""The model crosswalk: many sources' names for one model, mapped to one id.

Arena keys (`claude-3-5-sonnet-20240620`), Epoch versions (`gpt-5-2025-08-07_high`),
OpenRouter ids (`anthropic/claude-3.5-sonnet`) and LiteLLM keys spell the same
model differently. Names are matched on a folded key (lower case, letters and
digits only, no vendor prefix, no reasoning-effort suffix); an undated name
joins the one dated model that shares its stem. `model_crosswalk.csv` pins
what rules cannot know. Candidates are resolved in priority order, so ids
are stable: the most curated source names the model first.
"""

import re
from dataclasses import dataclass, field

import pandas as pd

ORG_SLUGS = {
    "openai": "openai", "anthropic": "anthropic", "google": "google",
    "google deepmind": "google", "deepmind": "google", "google research": "google",
    "gemini": "google", "meta": "meta-llama", "meta ai": "meta-llama", "meta-llama": "meta-llama",
    "alibaba": "qwen", "qwen": "qwen", "mistral": "mistralai", "mistral ai": "mistralai",
    "mistralai": "mistralai", "deepseek": "deepseek", "deepseek ai": "deepseek", "xai": "x-ai",
    "x-ai": "x-ai", "zhipu": "z-ai", "zhipu ai": "z-ai", "z.ai": "z-ai", "z-ai": "z-ai",
    "z.ai (zhipu ai)": "z-ai", "glm": "z-ai", "moonshot": "moonshotai",
    "moonshot (kimi)": "moonshotai", "moonshotai": "moonshotai", "microsoft": "microsoft",
    "nvidia": "nvidia", "cohere": "cohere", "amazon": "amazon", "01 ai": "01-ai", "01.ai": "01-ai",
    "minimax": "minimax", "ai21 labs": "ai21", "ai21": "ai21", "reka ai": "reka",
}
ORG_NAMES = {
    "openai": "OpenAI", "anthropic": "Anthropic", "google": "Google", "meta-llama": "Meta",
    "qwen": "Alibaba", "mistralai": "Mistral AI", "deepseek": "DeepSeek", "x-ai": "xAI",
    "z-ai": "Zhipu AI", "moonshotai": "Moonshot AI", "microsoft": "Microsoft", "nvidia": "NVIDIA",
    "cohere": "Cohere", "amazon": "Amazon", "01-ai": "01.AI", "minimax": "MiniMax",
    "ai21": "AI21 Labs", "reka": "Reka AI",
}
EFFORT_SUFFIX = re.compile(r"_(high|low|medium|xhigh|none|minimal|unknown|max|\d+k)$", re.I)
CANDIDATE_COLUMNS = ["priority", "source", "alias", "group_key", "organization", "open_weights",
                     "release_date", "display_name"]


HOSTED_AFFIXES = re.compile(r"^((us|eu|apac|global)\.)?((anthropic|meta|amazon|mistral|cohere|ai21)\.)"
                            r"|(-v\d+)$|@.*$")


def strip_vendor(name: str) -> str:
    """`openai/gpt-4o` -> `gpt-4o`; `qwen3-max:free` -> `qwen3-max`; effort suffix dropped.

    Cloud hosts' spellings fold too: `eu.anthropic.claude-3-haiku-v1:0` -> `claude-3-haiku`.
    """
    tail = name.strip().rsplit("/", 1)[-1].split(":", 1)[0]
    return HOSTED_AFFIXES.sub("", EFFORT_SUFFIX.sub("", tail))


def match_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", strip_vendor(name).lower())


def stem_key(name: str) -> str:
    """The match key without a trailing release date (`claude-opus-4-20250514` -> `claudeopus4`)."""
    key = match_key(name)
    dated = re.sub(r"(20\d\d[01]\d[0-3]\d|\d{4})$", "", key)
    return dated if dated != key and len(dated) >= 2 else key


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.strip().lower()).strip("-.")


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def org_slug(organization: str | None, alias: str) -> str:
    if _text(organization):
        first = organization.split(",")[0].strip().lower()
        return ORG_SLUGS.get(first, slug(first) or "unknown")
    prefix = alias.split("/", 1)[0] if "/" in alias else ""
    return ORG_SLUGS.get(prefix.lower(), slug(prefix) or "unknown")


@dataclass
class Crosswalk:
    """Resolves candidates to ids; keeps what each id is known by."""

    by_key: dict[str, str] = field(default_factory=dict)
    by_stem: dict[str, set[str]] = field(default_factory=dict)
    meta: dict[str, dict] = field(default_factory=dict)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)

    def resolve_group(self, rows: pd.DataFrame) -> str:
        keys = [match_key(a) for a in rows["alias"]]
        model_id = next((self.by_key[k] for k in keys if k in self.by_key), None)
        model_id = model_id or self._by_unique_stem(rows["alias"]) or self._new_id(rows.iloc[0])
        for key, alias in zip(keys, rows["alias"]):
            self.by_key.setdefault(key, model_id)
            if stem_key(alias) != key:
                self.by_stem.setdefault(stem_key(alias), set()).add(model_id)
        for row in rows.itertuples():
            self.aliases.append((row.alias, row.source, model_id))
            self._merge_meta(model_id, row)
        return model_id

    def _by_unique_stem(self, aliases: pd.Series) -> str | None:
        """An undated name joins the single dated model with its stem, never a dated one."""
        for alias in aliases:
            if stem_key(alias) != match_key(alias):
                continue
            ids = self.by_stem.get(match_key(alias), set())
            if len(ids) == 1:
                return next(iter(ids))
        return None

    def _new_id(self, row) -> str:
        if row.priority <= 0:  # the crosswalk file and the config name their ids exactly
            self.meta[row.group_key] = {"source": "crosswalk" if row.priority == 0 else "config"}
            return row.group_key
        base = _text(row.display_name) if row.source == "epoch" else None
        base = base or strip_vendor(row.alias)
        model_id = f"{org_slug(row.organization, row.alias)}/{slug(base)}"
        while model_id in self.meta:
            model_id += "-"
        self.meta[model_id] = {"source": row.source}
        return model_id

    def _merge_meta(self, model_id: str, row) -> None:
        meta = self.meta.setdefault(model_id, {"source": row.source})
        org = org_slug(row.organization, row.alias)
        for key, value in (("organization", ORG_NAMES.get(org, row.organization)),
                           ("open_weights", row.open_weights), ("release_date", row.release_date),
                           ("display_name", _text(row.display_name) or strip_vendor(row.alias))):
            if meta.get(key) is None and not pd.isna(value):
                meta[key] = value


def build_crosswalk(candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (aliases: alias, source, model_id) and (registry: one row per model)."""
    crosswalk = Crosswalk()
    candidates = candidates.sort_values(["priority", "group_key", "alias"], kind="stable")
    for _, rows in candidates.groupby(["priority", "group_key"], sort=False):
        crosswalk.resolve_group(rows)
    aliases = pd.DataFrame(crosswalk.aliases, columns=["alias", "source", "model_id"])
    aliases = aliases.drop_duplicates(["alias", "source"], keep="first")
    registry = pd.DataFrame([{"model_id": k, **v} for k, v in crosswalk.meta.items()])
    registry = registry.reindex(columns=["model_id", "display_name", "organization",
                                         "open_weights", "release_date", "source"])
    return aliases, registry


def unmatched_report(aliases: pd.DataFrame) -> pd.DataFrame:
    """Per source: names, and how many map to a model no other source names."""
    sources_per_model = aliases.groupby("model_id")["source"].nunique()
    alone = aliases["model_id"].map(sources_per_model) == 1
    return (aliases.assign(unmatched=alone).groupby("source")
            .agg(names=("alias", "count"), unmatched=("unmatched", "sum")).reset_index())
