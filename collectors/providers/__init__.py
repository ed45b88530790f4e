"""Provider adapters by config `provider` kind, imported only when a kind is first used.

The SDKs are slow to import and the dashboard never needs them, so each kind
maps to the module that defines it (its `adapter` in core/provider_kinds.py); that
module registers its class with `@register(kind)`. A new provider is one new file
here plus one line in `core.provider_kinds.KINDS`, which also says what it needs.
"""

import gc
import importlib
import sys
from typing import TYPE_CHECKING

from core.errors import GapWatchError
from core.provider_kinds import KINDS

if TYPE_CHECKING:
    from collectors.providers.base import Provider

MODULES = {name: f"collectors.providers.{kind.adapter}" for name, kind in KINDS.items()}
_REGISTRY: dict[str, "type[Provider]"] = {}


def register(*kinds: str):
    """Class decorator: make the provider class answer `get_provider(kind)` for each kind."""
    def decorate(cls):
        for kind in kinds:
            _REGISTRY[kind] = cls
        return cls
    return decorate


def get_provider(kind: str) -> "type[Provider]":
    """The Provider subclass for a config `provider` kind."""
    if kind not in MODULES:
        raise GapWatchError(f"unknown provider kind {kind!r}; known: {', '.join(sorted(MODULES))}")
    if MODULES[kind] not in sys.modules:
        importlib.import_module(MODULES[kind])
        _settle_heap()
    return _REGISTRY[kind]


def _settle_heap() -> None:
    """Move what the SDK imports left (~250k objects) out of the garbage collector's sight.

    Otherwise the next full collections walk all of it, pausing the process for
    100-300 ms: inside a measured stream that is a fake TTFT or inter-token gap.
    """
    gc.collect()
    gc.freeze()
