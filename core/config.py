"""`gapwatch.toml`, parsed into a strict typed object.

Unknown keys are errors, not silently ignored: a typo in a schedule would
otherwise mean months of missing data. API keys never appear in the file,
only the *name* of the environment variable that holds each one; a missing
variable is a warning at load time and an error when that model is used.
"""

import fnmatch
import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from core import api_keys
from core.errors import GapWatchError
from core.redaction import treat_as_secret
from core.paths import config_path
from core.provider_kinds import KINDS, ProviderKind
from core.public_sources import ImportersConfig
from core.strict import ENV_NAME, MODEL_ID, URL, Strict

COLLECTORS = ("latency", "capability", "prices", "public", "drift")


class ModelConfig(Strict):
    id: str = Field(pattern=MODEL_ID, description="`provider/model`, e.g. `openai/gpt-4o-mini`")
    provider: str = Field(description="A kind in core/provider_kinds.py, e.g. `openai-compatible`")
    model: str | None = Field(None, description="Name the API expects, if not the part after `/`")
    base_url: str | None = None
    api_key_env: str | None = Field(None, pattern=ENV_NAME)
    organization: str
    open_weights: bool
    context_tokens: int | None = Field(None, ge=256, description="Context window; workloads beyond it are skipped")
    groups: list[str] = []

    @field_validator("provider")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown provider {value!r}; known: {', '.join(sorted(KINDS))}")
        return value

    @model_validator(mode="after")
    def _needs(self) -> "ModelConfig":
        if self.kind.needs_base_url and not self.base_url:
            raise ValueError(f"{self.provider} models need base_url")
        if self.kind.needs_key and not self.api_key_env:
            raise ValueError(f"{self.provider} models need api_key_env")
        return self

    @property
    def kind(self) -> ProviderKind:
        """What this model's provider kind declares (core/provider_kinds.py)."""
        return KINDS[self.provider]

    @property
    def api_model(self) -> str:
        """Local servers are started with the full GapWatch id as their model alias."""
        if self.model:
            return self.model
        return self.id if self.kind.is_local else self.id.split("/", 1)[1]

    def api_key(self) -> str | None:
        """The key, read now from the environment (whitespace around it taken off; one that
        cannot be sent is refused: core/api_keys.py); never stored or logged."""
        if not self.api_key_env:
            return None
        return api_keys.read(self.api_key_env, f"model {self.id}")


class CollectorConfig(Strict):
    enabled: bool = True
    schedule: str = Field(description="Cron expression, e.g. `0 */6 * * *` (UTC); six fields = seconds first")
    jitter_s: int = Field(300, ge=0, le=3600)
    models: list[str] = Field(default_factory=lambda: ["*"],
                              description="Model ids, globs or group names")
    requests: int = Field(4, ge=1, le=1000, description="Requests per stream and cell (latency)")
    concurrency: list[int] = Field(default_factory=lambda: [1, 4], description="Streams in flight")
    workloads: list[str] = Field(default_factory=list, description="Workload names; empty = defaults")
    private_packs: list[str] = Field(default_factory=list,
                                     description="Capability: folders of your own task packs (never shipped)")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            cron_trigger(value)
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {value!r}: {exc}") from None
        return value


def cron_trigger(expression: str):
    """A crontab line in UTC; a sixth, leading field gives seconds (for tests and fast cadences)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) == 6:
        second, minute, hour, day, month, day_of_week = fields
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                           day_of_week=day_of_week, timezone="UTC")
    return CronTrigger.from_crontab(expression, timezone="UTC")


class PriceBookEntry(Strict):
    """A price you pay, from a date on: wins over imported prices for that model and day."""

    model_id: str = Field(pattern=MODEL_ID)
    effective_from: date
    effective_to: date | None = Field(None, description="Exclusive; default: the model's next entry")
    usd_per_mtok_in: float = Field(ge=0)
    usd_per_mtok_out: float = Field(ge=0)
    usd_per_mtok_cached_in: float | None = Field(None, ge=0)
    host_provider: str | None = Field(None, description="Who you pay, e.g. `openai`, `bedrock`")

    @model_validator(mode="after")
    def _dates(self) -> "PriceBookEntry":
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class AliasEntry(Strict):
    """A price source's name for a model that the crosswalk does not know."""

    alias: str = Field(min_length=1, description="The name exactly as the source spells it")
    source: Literal["openrouter", "litellm"]
    model_id: str = Field(pattern=MODEL_ID)


class MachineConfig(Strict):
    """What this machine costs, for the estimated price of local models."""

    usd_per_hour: float = Field(0.10, gt=0, description="Power, hardware and hosting per hour")
    requests: int = Field(3, ge=1, le=50, description="Requests per local model per estimate")


class BackupConfig(Strict):
    """A scheduled copy of the warehouse; the newest `keep` copies stay in `folder`."""

    schedule: str = Field(description="Cron expression (UTC)")
    folder: str = "data/backups"
    keep: int = Field(7, ge=1, le=1000)

    _cron = field_validator("schedule")(CollectorConfig._cron.__func__)


class UpkeepConfig(Strict):
    """Lake upkeep (`python -m warehouse maintain`) as a scheduled job; a DuckDB file needs none."""

    schedule: str = Field(description="Cron expression (UTC)")
    keep_days: int = Field(7, ge=0, le=3650, description="Snapshots younger than this are kept")

    _cron = field_validator("schedule")(CollectorConfig._cron.__func__)


class AlertsConfig(Strict):
    """Where to say that a model changed behind its name or a board verdict flipped
    (core/alerts.py): a webhook gets the event as JSON, a command gets it on stdin."""

    webhook_url: str | None = Field(None, pattern=URL, description="POSTed the event as JSON")
    webhook_url_env: str | None = Field(None, pattern=ENV_NAME,
                                        description="Variable holding the URL, for one with a token in it")
    command: list[str] | None = Field(None, min_length=1,
                                      description="Program and arguments; the event comes on stdin")
    timeout_s: float = Field(5.0, gt=0, le=60, description="Longest wait for one delivery")

    @model_validator(mode="after")
    def _somewhere(self) -> "AlertsConfig":
        if not (self.webhook_url or self.webhook_url_env or self.command):
            raise ValueError("give webhook_url, webhook_url_env or command")
        if self.webhook_url and self.webhook_url_env:
            raise ValueError("give webhook_url or webhook_url_env, not both")
        return self


class HostConfig(Strict):
    """One host's share of the jobs, when several hosts collect into one lake."""

    models: list[str] = Field(min_length=1, description="Model ids, globs or group names this host measures")
    upkeep: bool = Field(False, description="This host also runs the jobs of no model: prices, upkeep, backup")


class LocalConfig(Strict):
    """Where the bundled llama.cpp servers listen (`python -m collectors local up`)."""

    ports: dict[str, int] = Field(default_factory=dict, description=(
        "Model id -> port, e.g. `{ \"local/smollm2-135m\" = 8871 }`; default 8771-8773. A local "
        "model without base_url is measured there"))

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [f"{m} = {p}" for m, p in value.items() if not 1024 <= p <= 65535]
        if bad:
            raise ValueError(f"ports must be 1024-65535: {', '.join(bad)}")
        twice = sorted({p for p in value.values() if list(value.values()).count(p) > 1})
        if twice:
            raise ValueError(f"port {twice[0]} is given to two models")
        return value


class GapWatchConfig(Strict):
    models: list[ModelConfig] = []
    local: LocalConfig = LocalConfig()
    backup: BackupConfig | None = None
    upkeep: UpkeepConfig | None = None
    hosts: dict[str, HostConfig] = Field(default_factory=dict,
                                         description="Host name -> its share; empty = one host runs every job")
    collectors: dict[Literal["latency", "capability", "prices", "public", "drift"],
                     CollectorConfig] = {}
    prices: list[PriceBookEntry] = []
    aliases: list[AliasEntry] = []
    importers: ImportersConfig = ImportersConfig()
    machine: MachineConfig = MachineConfig()
    alerts: AlertsConfig | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> "GapWatchConfig":
        seen = [m.id for m in self.models]
        dupes = sorted({m for m in seen if seen.count(m) > 1})
        if dupes:
            raise ValueError(f"model ids listed twice: {', '.join(dupes)}")
        return self

    @model_validator(mode="after")
    def _local_ports(self) -> "GapWatchConfig":
        """A local model without base_url is measured on its `[local] ports` port."""
        for i, model in enumerate(self.models):
            port = self.local.ports.get(model.id)
            if model.kind.is_local and not model.base_url and port:
                self.models[i] = model.model_copy(update={"base_url": f"http://127.0.0.1:{port}/v1"})
        return self

    @model_validator(mode="after")
    def _unique_prices(self) -> "GapWatchConfig":
        seen = [(p.model_id, p.effective_from) for p in self.prices]
        dupes = sorted({f"{m} from {d}" for m, d in seen if seen.count((m, d)) > 1})
        if dupes:
            raise ValueError(f"price book entries listed twice: {', '.join(dupes)}")
        return self

    @model_validator(mode="after")
    def _hosts_split_the_models(self) -> "GapWatchConfig":
        """A model measured by two hosts would be measured twice: each model has one owner."""
        if not self.hosts:
            return self
        owners: dict[str, str] = {}
        for host, share in self.hosts.items():
            for pattern in share.models:
                matches = self._matching(pattern)
                if not matches:
                    raise ValueError(f"hosts.{host}.models: {pattern!r} matches no configured model")
                for model_id in matches:
                    if owners.setdefault(model_id, host) != host:
                        raise ValueError(f"model {model_id} is in the share of both hosts "
                                         f"{owners[model_id]!r} and {host!r}; give it to one")
        upkeep = [host for host, share in self.hosts.items() if share.upkeep]
        if len(upkeep) != 1:
            raise ValueError("exactly one host needs upkeep = true (it runs prices, upkeep and "
                             f"backups); found {len(upkeep)}: {', '.join(upkeep) or 'none'}")
        return self

    def _matching(self, pattern: str) -> list[str]:
        return [m.id for m in self.models if fnmatch.fnmatch(m.id, pattern) or pattern in m.groups]

    def host_share(self, host: str) -> "HostConfig | None":
        """This host's share; None when no `[hosts]` are configured (one host runs everything)."""
        if not self.hosts:
            return None
        if host not in self.hosts:
            raise GapWatchError(f"this host is {host!r}, which is not in [hosts] (configured: "
                                f"{', '.join(self.hosts)}); set GAPWATCH_HOST to one of them")
        return self.hosts[host]

    def unowned_models(self) -> list[str]:
        """Models no host measures (a warning: nobody will collect them)."""
        owned = {m for share in self.hosts.values() for p in share.models for m in self._matching(p)}
        return [m.id for m in self.models if self.hosts and m.id not in owned]

    def select(self, patterns: list[str] | None, collector: str | None = None) -> list[ModelConfig]:
        """Model ids, globs or group names; the collector's own list when none are given."""
        if not patterns:
            chosen = self.collectors.get(collector)
            patterns = chosen.models if chosen else ["*"]
        picked: list[ModelConfig] = []
        for pattern in patterns:
            ids = set(self._matching(pattern))
            matches = [m for m in self.models if m.id in ids]
            if not matches and pattern != "*":
                raise GapWatchError(f"models {pattern!r}: matches no configured model (configured: "
                                    f"{', '.join(m.id for m in self.models) or 'none'})")
            picked += [m for m in matches if m not in picked]
        return picked

    def missing_keys(self) -> list[str]:
        """Warnings about the models' key variables: unset or unusable (an error only when that
        model is used), or cleaned of whitespace around the key (it works); one per variable."""
        found = [api_keys.warning(m.api_key_env, f"model {m.id}") for m in self.models if m.api_key_env]
        return list(dict.fromkeys(w for w in found if w))


def load_config(path: str | os.PathLike | None = None) -> GapWatchConfig:
    """Read and validate the config; every problem becomes one GapWatchError line."""
    path = Path(path or config_path())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GapWatchError(f"{path}: config file not found (set GAPWATCH_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GapWatchError(f"{path}: cannot read config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GapWatchError(f"{path}: invalid TOML: {exc}") from None
    try:
        config = GapWatchConfig.model_validate(data)
    except ValidationError as exc:
        raise GapWatchError(f"{path}: {_describe(exc, data)}") from None
    for model in config.models:  # whatever their names, their values are never shown
        if model.api_key_env:
            treat_as_secret(model.api_key_env)
    return config


def _describe(exc: ValidationError, data: dict) -> str:
    """All problems on one line, misspelt keys first (they usually explain the rest)."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    return "; ".join(f"{_key_path(e['loc'], data)}: {_message(e)}" for e in errors[:3]) + (
        f" (and {len(errors) - 3} more)" if len(errors) > 3 else "")


def _message(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "missing required key"
    if error["type"] == "literal_error":
        return f"{error['msg']} (got {error['input']!r})"
    return error["msg"].removeprefix("Value error, ")


def _key_path(loc: tuple, data: dict) -> str:
    """`('models', 1, 'provider')` -> `models[1].provider`, with the model id when known."""
    parts, node = [], data
    for part in loc:
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
            item = node[part] if isinstance(node, list) and part < len(node) else {}
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                parts[-1] += f" ({item['id']})"
        else:
            parts.append(str(part))
        node = node.get(part, {}) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else {})
    return ".".join(parts) or "top level"

