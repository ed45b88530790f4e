"""From a configured model to a live provider, and what to record about the endpoint.

Local models are OpenAI-compatible llama.cpp servers on fixed loopback ports;
hosted ones use the config's base URL and the key from the environment.
"""

import importlib.metadata

import httpx

from core.config import ModelConfig
from collectors.providers import get_provider
from collectors.providers.base import Provider, check_serves
from core.errors import GapWatchError

DEFAULT_CONTEXT_TOKENS = 128_000


def local_model(model: ModelConfig):
    from collectors import local_models

    spec = local_models.MODELS.get(model.id)
    if spec is None:
        raise GapWatchError(f"model {model.id}: no local model of that id "
                            f"(known: {', '.join(local_models.MODELS)})")
    return spec


def base_url(model: ModelConfig) -> str | None:
    if model.kind.is_local and not model.base_url:
        return f"http://127.0.0.1:{local_model(model).port}/v1"
    return model.base_url


def open_provider(model: ModelConfig, timeout_s: float = 120.0, **options) -> Provider:
    """Raises GapWatchError when the key variable is unset: that model fails, not the run."""
    cls = get_provider(model.provider)
    return cls(base_url=base_url(model), api_key=model.api_key(), timeout_s=timeout_s, **options)


def connect(model: ModelConfig) -> Provider:
    """An open provider that really serves the configured model id; GapWatchError (and nothing
    left open) when the key is unset, the endpoint is down, or it serves another model."""
    provider = open_provider(model)
    try:
        check_serves(provider, model.api_model)
    except GapWatchError:
        provider.close()
        raise
    return provider


def context_tokens(model: ModelConfig) -> int:
    if model.context_tokens:
        return model.context_tokens
    if model.kind.is_local:
        from collectors.local_models import N_CTX

        return N_CTX
    return DEFAULT_CONTEXT_TOKENS


def endpoint_context(model: ModelConfig) -> dict:
    """Model file hash, quantisation and server build for local models; the URL for others."""
    info = {"provider": model.provider, "base_url": base_url(model), "api_model": model.api_model}
    if not model.kind.is_local:
        return info
    spec = local_model(model)
    info.update(sha256=spec.sha256, quantisation=spec.quantisation, context_tokens=context_tokens(model))
    info["server_build"] = _server_build(info["base_url"])
    return info


def _server_build(url: str) -> str:
    """llama.cpp reports `b0-unknown` from the xllamacpp wheel, so the wheel's version names the build."""
    try:
        props = httpx.get(url.removesuffix("/v1") + "/props", timeout=3, trust_env=False).json()
    except (httpx.HTTPError, ValueError):
        props = {}
    reported = props.get("build_info")
    wheel = f"xllamacpp {importlib.metadata.version('xllamacpp')}"
    return wheel if not reported or reported.startswith("b0") else f"{wheel} ({reported})"
