"""The provider kinds a config may name, and what each one needs: the one registration line.

Why here and not beside the adapters: the config (core/config.py) validates a model's
`provider` and derives its API model name, and `python -m warehouse init` loads the config
without the collectors, so the kinds' declarations must sit below both. The adapters
themselves stay in `collectors/providers/` and load on first use (their SDKs are slow):
`adapter` names the module there that registers the kind's class with `@register(kind)`.

A new provider is one new file in `collectors/providers/` and one line in `KINDS`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderKind:
    adapter: str                  # module in collectors/providers/ that defines the class
    needs_key: bool = False       # a model of this kind must name its key's variable (api_key_env)
    needs_base_url: bool = False  # ... must give base_url (there is no default endpoint)
    is_local: bool = False        # one of GapWatch's own llama.cpp servers (collectors/local_models.py)


KINDS = {
    "openai-compatible": ProviderKind("openai_compatible", needs_base_url=True),
    "anthropic": ProviderKind("anthropic", needs_key=True),
    "local": ProviderKind("openai_compatible", is_local=True),  # llama.cpp servers speak the OpenAI API
}
