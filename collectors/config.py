"""`gapwatch.toml`, parsed into a strict typed object.

Unknown keys are errors, not silently ignored: a typo in a schedule would
otherwise mean months of missing data. API keys never appear in the file,
only the *name* of the environment variable that holds each one; a missing
variable is a warning at load time and an error when that model is used.
"""

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from warehouse.errors import GapWatchError
from warehouse.paths import config_path

MODEL_ID = r"^[a-z0-9][a-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._:@-]*$"
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
COLLECTORS = ("latency", "capability", "prices")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelConfig(Strict):
    id: str = Field(pattern=MODEL_ID, description="`provider/model`, e.g. `openai/gpt-4o-mini`")
    provider: Literal["openai-compatible", "anthropic", "local"]
    model: str | None = Field(None, description="Name the API expects, if not the part after `/`")
    base_url: str | None = None
    api_key_env: str | None = Field(None, pattern=ENV_NAME)
    organization: str
    open_weights: bool
    context_tokens: int | None = Field(None, ge=256, description="Context window; workloads beyond it are skipped")
    groups: list[str] = []

    @model_validator(mode="after")
    def _needs(self) -> "ModelConfig":
        if self.provider == "openai-compatible" and not self.base_url:
            raise ValueError("openai-compatible models need base_url")
        if self.provider == "anthropic" and not self.api_key_env:
            raise ValueError("anthropic models need api_key_env")
        return self

    @property
    def api_model(self) -> str:
        return self.model or self.id.split("/", 1)[1]

    def api_key(self) -> str | None:
        """The key, read now from the environment; never stored or logged."""
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise GapWatchError(f"model {self.id}: environment variable {self.api_key_env} is not set")
        return key


class CollectorConfig(Strict):
    enabled: bool = True
    schedule: str = Field(description="Cron expression, e.g. `0 */6 * * *` (UTC)")
    jitter_s: int = Field(300, ge=0, le=3600)
    models: list[str] = Field(default_factory=lambda: ["*"],
                              description="Model ids, globs or group names")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {value!r}: {exc}") from None
        return value


class GapWatchConfig(Strict):
    models: list[ModelConfig] = []
    collectors: dict[Literal["latency", "capability", "prices"], CollectorConfig] = {}

    @model_validator(mode="after")
    def _unique_ids(self) -> "GapWatchConfig":
        seen = [m.id for m in self.models]
        dupes = sorted({m for m in seen if seen.count(m) > 1})
        if dupes:
            raise ValueError(f"model ids listed twice: {', '.join(dupes)}")
        return self

    def missing_keys(self) -> list[str]:
        """Warnings for models whose key variable is unset (an error only when used)."""
        return [f"model {m.id}: environment variable {m.api_key_env} is not set; "
                "it will fail when collected" for m in self.models
                if m.api_key_env and not os.environ.get(m.api_key_env)]


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
        return GapWatchConfig.model_validate(data)
    except ValidationError as exc:
        raise GapWatchError(f"{path}: {_describe(exc, data)}") from None


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

