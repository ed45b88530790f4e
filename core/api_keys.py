"""API keys from the environment: read once per use, cleaned or refused, never stored or shown.

Why a module: a key pasted with a Windows line ending (a `.env` saved with CR LF), a trailing
space or quotes around it reached the HTTP client as it was. httpx refused the header with an
error quoting the key, which went into rows, the ledger, logs and pages (issue #26). Now the
whitespace around a key is taken off with one warning naming the variable, and a key that holds
quotes, spaces or control characters is refused with one line naming it; the value itself never
appears in either.
"""

import os

from core.errors import GapWatchError
from core.redaction import treat_as_secret

AROUND = " \t\r\n"
NAMES = {"\r": "carriage return", "\n": "line feed", " ": "space", "\t": "tab"}


def read(env_name: str, owner: str) -> str:
    """The key in `env_name`, without whitespace around it; GapWatchError (naming the variable and
    `owner`, e.g. `model openai/gpt-4o`) when it is unset or not a usable key."""
    treat_as_secret(env_name)
    raw = os.environ.get(env_name)
    problem = refused(env_name, raw)
    if problem:
        raise GapWatchError(f"{owner}: {problem}")
    return raw.strip(AROUND)


def refused(env_name: str, raw: str | None) -> str | None:
    """Why the value cannot be sent as a key, or None."""
    if raw is None or not raw.strip(AROUND):
        return f"environment variable {env_name} is not set"
    key = raw.strip(AROUND)
    if key[0] in "\"'" or key[-1] in "\"'":
        return (f"environment variable {env_name} holds the key in quotes; set it without them "
                f"({env_name}=sk-..., not {env_name}=\"sk-...\")")
    odd = sorted({f"a {NAMES[c]}" if c in NAMES else f"U+{ord(c):04X}" for c in key
                  if not "!" <= c <= "~"})
    if odd:
        return (f"environment variable {env_name} has {', '.join(odd)} inside the key (an API key "
                "is printable characters only); set it again as the provider shows it")
    return None


def cleaned(env_name: str, raw: str | None) -> str | None:
    """The one warning for a usable key that had whitespace around it, or None."""
    if raw is None or refused(env_name, raw) or raw == raw.strip(AROUND):
        return None
    around = raw[:len(raw) - len(raw.lstrip(AROUND))] + raw[len(raw.rstrip(AROUND)):]
    what = " and ".join(sorted({NAMES[c] for c in around}))
    hint = " (a file saved with Windows line endings?)" if "\r" in around else ""
    return (f"environment variable {env_name} has a {what} around the key{hint}; GapWatch uses "
            "the key without it")


def warning(env_name: str, owner: str) -> str | None:
    """What the config's load says about the key: unset or refused (the model will fail when
    used), cleaned (it will work), or None."""
    treat_as_secret(env_name)
    raw = os.environ.get(env_name)
    problem = refused(env_name, raw)
    if problem:
        return f"{owner}: {problem}; it will fail when collected"
    return cleaned(env_name, raw)


def refuse_unusable(models) -> None:
    """A command about to use these models stops here, before it opens or writes anything, when
    one of their keys is set but cannot be sent (an unset key only warns: that model fails)."""
    for model in models:
        raw = os.environ.get(model.api_key_env) if model.api_key_env else None
        problem = refused(model.api_key_env, raw) if raw and raw.strip(AROUND) else None
        if problem:
            raise GapWatchError(f"model {model.id}: {problem}; nothing was run")
