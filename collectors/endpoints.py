"""From a configured model to a live provider, and what to record about the endpoint.

Local models are OpenAI-compatible llama.cpp servers on fixed loopback ports;
hosted ones use the config's base URL and the key from the environment.
"""

import importlib.metadata
import socket
from dataclasses import replace
from urllib.parse import urlsplit

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
    left open) when the key is unset, the endpoint is down, or it serves another model (for a
    local model: another GGUF file, whatever name it answers to)."""
    provider = open_provider(model)
    try:
        check_serves(provider, model.api_model)
        problem = local_identity(model) if model.kind.is_local else None
        if problem:
            raise GapWatchError(problem)
    except GapWatchError:
        provider.close()
        raise
    return provider


def local_identity(model: ModelConfig) -> str | None:
    """None when the llama.cpp server a local model is measured on serves that model's own file
    (by sha256, collectors/local_models.py); else the line saying what it serves."""
    from collectors import local_models

    port = urlsplit(base_url(model)).port
    return local_models.identity(replace(local_model(model), port=port or 80))


def refuse_foreign_servers(models: list[ModelConfig]) -> None:
    """Before a command writes anything: a local model whose port answers with another model's
    server stops it in one line (a port where nothing answers is the run's to report)."""
    for model in models:
        if model.kind.is_local and _answers(base_url(model)):
            problem = local_identity(model)
            if problem:
                raise GapWatchError(f"{problem}; nothing was run")


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((parts.hostname or "127.0.0.1", parts.port or 80)) == 0


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
