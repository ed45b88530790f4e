"""The model crosswalk: many sources' names for one model *version*, mapped to one id.

Arena keys (`claude-3-5-sonnet-20240620`), Epoch versions (`gpt-5-2025-08-07_high`),
OpenRouter ids (`anthropic/claude-3.5-sonnet`) and LiteLLM keys spell the same model
differently. Names are matched on a folded key (lower case, letters and digits only, no vendor
prefix, no reasoning-effort suffix); `model_crosswalk.csv` pins what rules cannot know.
Candidates are resolved in priority order, so ids are stable: the most curated source names
the model first.

**An id is a version, never a family.** A score counts from the release of the version that
earned it: gemini-1.5-pro-002 (2024-09-24) is not gemini-1.5-pro-001 (2024-05-24), so its
MATH score may not set the frontier from May. Epoch's rows name a family (`model_name`) and a
version (`model_version`, its release date); one version is one (family, release date), and
its effort settings (`_high`, `_16K`) and hosts (`chutes/…`) are the same version. The family
is kept for display only (`family`). Three rules keep a name from joining another model:

* a name the crosswalk file pins is taken out of every other group (Qwen2.5-VL-72B is not
  Epoch's `Qwen2.5-72B`, whatever Epoch's name column says);
* **dates must agree**: a name a source showed more than `DATE_SLACK_DAYS` before a version's
  release names something else (Arena's 2023 `mistral-medium` is not Mistral Medium 3;
  OpenRouter's `deepseek-chat`, listed since 2024-05, is not the 2025-12 DeepSeek-V3.2 that
  Epoch files under the same API name);
* an undated name (`anthropic/claude-3.5-sonnet`) joins a dated version with its stem only
  when exactly one such version fits its own date ("dated so"); else it is its own model.
"""

import re
from dataclasses import dataclass, field

import pandas as pd

from warehouse.analysis.organisations import org_name, org_slug

EFFORT_SUFFIX = re.compile(r"(_(high|low|medium|xhigh|none|minimal|unknown|max|thinking|\d+k)"
                           r"| \(\d+k thinking\))$", re.I)
CANDIDATE_COLUMNS = ["priority", "source", "alias", "group_key", "organization", "open_weights",
                     "release_date", "display_name", "family", "first_seen", "country"]
DATE_SLACK_DAYS = 60  # a name seen this long before a version's release names another model
REGISTRY_COLUMNS = ["model_id", "display_name", "organization", "open_weights", "release_date",
                    "source", "family", "open_weights_from", "country"]


HOSTED_AFFIXES = re.compile(r"^((us|eu|apac|global)\.)?((anthropic|meta|amazon|mistral|cohere|ai21)\.)"
                            r"|(-v1|(?<=\d{8})-v\d+)$|@.*$")


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


def _day(value) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _earliest(rows: pd.DataFrame) -> pd.Timestamp | None:
    """The first date any of the group's rows shows the name (release or first listing)."""
    if "seen" not in rows:  # rows not collapsed first (a refreshed vintage's names)
        rows = rows.assign(seen=pd.concat([pd.to_datetime(rows.get(c), errors="coerce")
                                           for c in ("release_date", "first_seen") if c in rows],
                                          axis=1).min(axis=1))
    day = rows["seen"].min()
    return None if pd.isna(day) else pd.Timestamp(day)


def _collapse(candidates: pd.DataFrame) -> pd.DataFrame:
    """One row per (priority, source, alias, group): a file names a model on many rows (Arena
    once per snapshot); the first non-empty value of each field counts, as before, and `seen`
    is the earliest date the name appears (its release or its first listing)."""
    dates = {c: pd.to_datetime(candidates[c], errors="coerce") for c in ("release_date", "first_seen")}
    candidates = candidates.assign(seen=pd.concat(dates, axis=1).min(axis=1))
    keys = ["priority", "source", "alias", "group_key"]
    first = {c: "first" for c in CANDIDATE_COLUMNS if c not in keys}
    return (candidates.groupby(keys, sort=False, dropna=False)
            .agg(first | {"seen": "min"}).reset_index())


@dataclass
class Crosswalk:
    """Resolves candidates to ids; keeps what each id is known by."""

    versions_per_family: dict[str, int] = field(default_factory=dict)
    by_key: dict[str, list[str]] = field(default_factory=dict)
    by_stem: dict[str, list[str]] = field(default_factory=dict)
    meta: dict[str, dict] = field(default_factory=dict)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)

    def resolve_group(self, rows: pd.DataFrame) -> str:
        keys = [match_key(a) for a in rows["alias"]]
        seen = _earliest(rows)
        model_id = next((i for k in keys for i in self.by_key.get(k, []) if self._fits(i, seen)),
                        None)
        model_id = model_id or self._by_stem(rows["alias"], seen) or self._new_id(rows.iloc[0])
        for alias in rows["alias"]:
            self.remember(alias, model_id)
        for row in rows.itertuples():
            self.aliases.append((row.alias, row.source, model_id))
            self._merge_meta(model_id, row)
        return model_id

    def remember(self, alias: str, model_id: str) -> None:
        """Index a name under its folded key (and its stem, when the name is dated)."""
        key = match_key(alias)
        _add(self.by_key, key, model_id)
        if stem_key(alias) != key:
            _add(self.by_stem, stem_key(alias), model_id)

    def _fits(self, model_id: str, seen: pd.Timestamp | None) -> bool:
        """False when the name was shown well before this version existed."""
        release = _day(self.meta.get(model_id, {}).get("release_date"))
        return seen is None or release is None or seen >= release - pd.Timedelta(days=DATE_SLACK_DAYS)

    def _by_stem(self, aliases: pd.Series, seen: pd.Timestamp | None) -> str | None:
        """An undated name joins the one dated version with its stem that fits its date."""
        for alias in aliases:
            if stem_key(alias) != match_key(alias):
                continue
            fitting = [i for i in self.by_stem.get(match_key(alias), []) if self._fits(i, seen)]
            if len(fitting) == 1:
                return fitting[0]
        return None

    def _new_id(self, row) -> str:
        if row.priority <= 0:  # the crosswalk file and the config name their ids exactly
            self.meta[row.group_key] = {"source": "crosswalk" if row.priority == 0 else "config"}
            return row.group_key
        base = strip_vendor(row.alias)
        if row.source == "epoch" and _text(row.family):
            base = row.family
            if self.versions_per_family.get(row.family, 1) > 1 and _day(row.release_date):
                base += f"-{_day(row.release_date):%Y-%m-%d}"
        model_id = f"{org_slug(row.organization, row.alias)}/{slug(base)}"
        while model_id in self.meta:
            model_id += "-"
        self.meta[model_id] = {"source": row.source}
        return model_id

    def _merge_meta(self, model_id: str, row) -> None:
        meta = self.meta.setdefault(model_id, {"source": row.source})
        family = _text(row.family) or _text(row.display_name) or strip_vendor(row.alias)
        display = _text(row.display_name) or strip_vendor(row.alias)
        if (row.source == "epoch" and self.versions_per_family.get(row.family, 1) > 1
                and _day(row.release_date)):
            display = f"{row.family} ({_day(row.release_date):%Y-%m-%d})"
        for key, value in (("organization", org_name(row.organization, row.alias)),
                           ("open_weights", row.open_weights), ("release_date", row.release_date),
                           ("display_name", display), ("family", family),
                           ("country", _text(row.country))):
            if meta.get(key) is None and value is not None and not pd.isna(value):
                meta[key] = value
                if key == "open_weights":
                    meta["open_weights_from"] = row.source


def _add(index: dict[str, list[str]], key: str, model_id: str) -> None:
    ids = index.setdefault(key, [])
    if model_id not in ids:
        ids.append(model_id)


def build_crosswalk(candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (aliases: alias, source, model_id) and (registry: one row per model version)."""
    candidates = candidates.reindex(columns=CANDIDATE_COLUMNS)
    pinned = candidates["priority"] <= 0
    pins = set(zip(candidates.loc[pinned, "source"], candidates.loc[pinned, "alias"]))
    taken = [(s, a) in pins for s, a in zip(candidates["source"], candidates["alias"])]
    candidates = candidates[pinned | ~pd.Series(taken, index=candidates.index)]
    epoch = candidates[candidates["source"] == "epoch"]
    crosswalk = Crosswalk(epoch.groupby("family")["release_date"].nunique().to_dict())
    candidates = _collapse(candidates).sort_values(["priority", "group_key", "alias"], kind="stable")
    for _, rows in candidates.groupby(["priority", "group_key"], sort=False):
        crosswalk.resolve_group(rows)
    aliases = pd.DataFrame(crosswalk.aliases, columns=["alias", "source", "model_id"])
    aliases = aliases.drop_duplicates(["alias", "source"], keep="first")
    registry = pd.DataFrame([{"model_id": k, **v} for k, v in crosswalk.meta.items()])
    return aliases, label_from_family(registry.reindex(columns=REGISTRY_COLUMNS))


def label_from_family(registry: pd.DataFrame) -> pd.DataFrame:
    """A version no source labels open or closed takes its family's label, when every labelled
    version of the family agrees (Epoch labels Qwen2.5-Coder-32B, not its Instruct version)."""
    labelled = registry.dropna(subset=["open_weights", "family"])
    agreed = labelled.groupby("family")["open_weights"].agg(lambda s: s.iloc[0] if s.nunique() == 1
                                                            else None).dropna()
    missing = registry["open_weights"].isna() & registry["family"].isin(agreed.index)
    if not missing.any():
        return registry
    registry = registry.astype({"open_weights": object, "open_weights_from": object})
    registry.loc[missing, "open_weights"] = registry.loc[missing, "family"].map(agreed)
    registry.loc[missing, "open_weights_from"] = "family: " + registry.loc[missing, "family"]
    return registry


def unmatched_report(aliases: pd.DataFrame) -> pd.DataFrame:
    """Per source: names, and how many map to a model no other source names."""
    sources_per_model = aliases.groupby("model_id")["source"].nunique()
    alone = aliases["model_id"].map(sources_per_model) == 1
    return (aliases.assign(unmatched=alone).groupby("source")
            .agg(names=("alias", "count"), unmatched=("unmatched", "sum")).reset_index())
